// The typed gateway to the event scripts (events-*.lua): one builder per script, one runner.
import type { RedisConnection } from '../connection/connect.js';
import { runCall, type ScriptCall } from './call.js';
import { script } from './index.js';

const FORGET = script('events-forget-1');
const IDLE = script('events-idle-3');

// ——— events-forget-1 ———

export function eventsForgetCall(stream: string, user: { tenant: string; userId: string }): ScriptCall {
  return { script: FORGET, keys: [stream], args: [user.tenant, user.userId] };
}

/** Removes a user's entries from `stream` and from its groups' pending lists; how many went. */
export function eventsForget(connection: RedisConnection, stream: string, user: { tenant: string; userId: string }): Promise<number> {
  return runCall<number>(connection, eventsForgetCall(stream, user));
}

// ——— events-idle-3 ———

/** One session of a partition's idle watch, and where its announcement goes. */
export interface IdleTarget {
  /** The partition's idle watch (sorted set). */
  watch: string;
  /** The partition's event stream. */
  stream: string;
  /** The stream's cap (XADD MAXLEN ~). */
  maxLen: number;
  /** The session's meta hash. */
  meta: string;
  /** The watch's member for the session. */
  member: string;
  tenant: string;
  userId: string;
  sessionId: string;
}

export function eventsIdleCall(t: IdleTarget, idleMs: number): ScriptCall {
  return {
    script: IDLE,
    keys: [t.watch, t.stream, t.meta],
    args: [t.member, String(idleMs), String(t.maxLen), t.tenant, t.userId, t.sessionId],
  };
}

/** Publishes `session.idle` for the session when it has been quiet `idleMs`: 1 announced, 0 not idle (yet), -1 gone. */
export function eventsIdle(connection: RedisConnection, t: IdleTarget, idleMs: number): Promise<1 | 0 | -1> {
  return runCall<1 | 0 | -1>(connection, eventsIdleCall(t, idleMs));
}
