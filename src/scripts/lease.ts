// The typed gateway to lease-1.lua: take, renew and release a lease held by a token.
import type { RedisConnection } from '../connection/connect.js';
import { runCall, type ScriptCall } from './call.js';
import { script } from './index.js';

const LEASE = script('lease-1');

export type LeaseOperation = 'take' | 'renew' | 'release';

export function leaseCall(key: string, operation: LeaseOperation, token: string, ttlMs: number): ScriptCall {
  return { script: LEASE, keys: [key], args: [operation, token, String(Math.ceil(ttlMs))] };
}

/** True when the lease was taken, renewed or released by this token. */
export async function lease(
  connection: RedisConnection,
  key: string,
  operation: LeaseOperation,
  token: string,
  ttlMs: number,
): Promise<boolean> {
  return (await runCall<number>(connection, leaseCall(key, operation, token, ttlMs))) === 1;
}
