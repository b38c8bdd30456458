// The one gateway to the Lua scripts in this folder: each `<operation>-<numkeys>.lua`, inlined at
// build time with its `--- @include "name"` lines expanded (sources.generated.ts, written by
// scripts/inline-lua.mjs: no file is read at run time, so bundles work), run by SHA (EVALSHA), falling
// back to EVAL once when the server has not cached it (NOSCRIPT). Never build Lua in TypeScript.
import { createHash } from 'node:crypto';
import type { RedisConnection } from '../connection/connect.js';
import { AgentMemoryError, ConflictError, InvalidArgumentError, RedisCommandError } from '../errors.js';
import { LUA_SOURCES } from './sources.generated.js';

export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly source: string;
  readonly sha: string;
}

const loaded = new Map<string, LuaScript>();

/**
 * The script `name` (file `<name>.lua`); its key count is the number at the end of the name, or
 * `n` for a script that takes any number of keys (numberOfKeys -1).
 */
export function script(name: string): LuaScript {
  let found = loaded.get(name);
  if (!found) {
    const suffix = /-(\d+|n)$/.exec(name)?.[1];
    if (suffix === undefined) throw new Error(`script name ${name} must end in -<number of keys> or -n`);
    const numberOfKeys = suffix === 'n' ? -1 : Number(suffix);
    const source = LUA_SOURCES[name];
    if (source === undefined)
      throw new Error(`no script ${name}.lua in src/scripts (or sources.generated.ts is stale: run node scripts/inline-lua.mjs)`);
    found = { name, numberOfKeys, source, sha: createHash('sha1').update(source).digest('hex') };
    loaded.set(name, found);
  }
  return found;
}

/**
 * Runs a script in one round trip. On a cluster it goes to the node owning `keys[0]` (every key
 * of one call shares a hash tag). Errors a script raises as `AM_<CODE> message` become the
 * library's typed errors.
 */
export async function runScript<T = unknown>(
  connection: RedisConnection,
  lua: LuaScript,
  keys: readonly string[],
  args: readonly (string | Buffer)[],
  options: { buffers?: boolean } = {},
): Promise<T> {
  if (lua.numberOfKeys >= 0 && keys.length !== lua.numberOfKeys)
    throw new Error(`${lua.name} takes ${lua.numberOfKeys} keys, got ${keys.length}`);
  const tail = [String(keys.length), ...keys, ...args];
  const route = { key: keys[0], buffers: options.buffers };
  try {
    try {
      return await connection.send<T>(['EVALSHA', lua.sha, ...tail], route);
    } catch (error) {
      if (!(error instanceof RedisCommandError) || !error.message.includes('NOSCRIPT')) throw error;
      return await connection.send<T>(['EVAL', lua.source, ...tail], route);
    }
  } catch (error) {
    throw scriptError(error, lua.name);
  }
}

/** Maps `AM_CONFLICT <message>` and `AM_INVALID <what>: <message>` raised by a script onto typed errors. */
function scriptError(error: unknown, name: string): unknown {
  if (!(error instanceof RedisCommandError)) return error;
  const match = /AM_([A-Z_]+) (.*)$/s.exec(error.message);
  if (!match) return new RedisCommandError(`${name} failed: ${error.message}`, { cause: error });
  const [, code, message] = match as unknown as [string, string, string];
  if (code === 'CONFLICT') return new ConflictError(message);
  if (code === 'INVALID') {
    const [, what = 'input', detail = message] = /^([^:]+): (.*)$/s.exec(message) ?? [];
    return new InvalidArgumentError(what, [{ path: '', message: detail }]);
  }
  return new AgentMemoryError('REDIS_ERROR', message, { cause: error });
}
