// What every typed script gateway (session.ts, cache.ts, checkpoint.ts, store.ts, vector.ts) builds:
// one script's KEYS and ARGV, in the order its .lua header documents, as a pure value that tests
// can compare exactly. Only `runCall` and `runCallInTransaction` touch Redis. Never build a script's arrays anywhere else.
import type { RedisArgument } from '@redis/client';
import type { RedisConnection } from '../connection/connect.js';
import { RedisCommandError } from '../errors.js';
import { runScript, type LuaScript } from './index.js';

/** One script invocation, ready to send: the script, its KEYS, its ARGV and the reply mode. */
export interface ScriptCall {
  readonly script: LuaScript;
  readonly keys: readonly string[];
  readonly args: readonly (string | Buffer)[];
  /** Replies as Buffers (binary values), not strings. */
  readonly buffers?: boolean;
}

/** Runs a built call in one round trip (EVALSHA, EVAL on NOSCRIPT); the raw reply, for its gateway to decode. */
export function runCall<T>(connection: RedisConnection, call: ScriptCall): Promise<T> {
  return runScript<T>(connection, call.script, call.keys, call.args, call.buffers ? { buffers: true } : {});
}

/**
 * Runs a built call, then `commands`, in one MULTI/EXEC on the slot of the call's first key (one
 * round trip; every command's keys must share that slot): the script's reply, then each
 * command's, as strings. The commands see exactly what the script left (nothing runs between
 * them). On NOSCRIPT the whole transaction runs again with EVAL (what a script does must be safe
 * to repeat). A failing command fails the whole call.
 */
export async function runCallInTransaction(
  connection: RedisConnection,
  call: ScriptCall,
  commands: readonly (readonly RedisArgument[])[],
): Promise<unknown[]> {
  const key = call.keys[0];
  if (key === undefined) throw new Error(`${call.script.name} in a transaction needs a key to route by`);
  const tail = [String(call.keys.length), ...call.keys, ...call.args];
  const run = (head: readonly RedisArgument[]) => connection.transaction([[...head, ...tail], ...commands], key);
  try {
    return await run(['EVALSHA', call.script.sha]);
  } catch (error) {
    if (!(error instanceof RedisCommandError) || !error.message.includes('NOSCRIPT')) throw error;
    return await run(['EVAL', call.script.source]);
  }
}

/** A flat `[field, value, field, value, …]` reply (HGETALL-like) as a Map. */
export function pairs(flat: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i]!, flat[i + 1]!);
  return out;
}
