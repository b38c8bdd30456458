// What every typed script gateway (session.ts, cache.ts, checkpoint.ts, store.ts, vector.ts) builds:
// one script's KEYS and ARGV, in the order its .lua header documents, as a pure value that tests
// can compare exactly. Only `runCall` touches Redis. Never build a script's arrays anywhere else.
import type { RedisConnection } from '../connection/connect.js';
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

/** A flat `[field, value, field, value, …]` reply (HGETALL-like) as a Map. */
export function pairs(flat: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i]!, flat[i + 1]!);
  return out;
}
