// The typed gateway to the event scripts (events-*.lua): one builder per script, one runner.
import type { RedisConnection } from '../connection/connect.js';
import { runCall, type ScriptCall } from './call.js';
import { script } from './index.js';

const FORGET = script('events-forget-1');

// ——— events-forget-1 ———

export function eventsForgetCall(stream: string, user: { tenant: string; userId: string }): ScriptCall {
  return { script: FORGET, keys: [stream], args: [user.tenant, user.userId] };
}

/** Removes a user's entries from `stream` and from its groups' pending lists; how many went. */
export function eventsForget(connection: RedisConnection, stream: string, user: { tenant: string; userId: string }): Promise<number> {
  return runCall<number>(connection, eventsForgetCall(stream, user));
}
