// Sessions going quiet, announced: Redis's expiry notifications are not delivered reliably, so
// idleness is found by watching. Whoever consumes `session.appended` (the extraction worker) notes
// each session's latest append in its partition's idle watch (keys.ts EventKeys.idle, one sorted
// set per partition, in the slot of the users' keys); a periodic sweep takes the sessions whose
// score is older than the quiet time and asks a script (events-idle-3.lua) to announce each one.
// The script checks the session's own last activity with the server's clock, so a session is
// announced once per quiet spell, however many sweepers run, and a session gone is dropped unsaid.
import type { RedisConnection } from '../connection/connect.js';
import { escapeGlob, type EventKeys, type Keyspace, type UserScope } from '../keys.js';
import { asErr } from '../observe/logger.js';
import { eventsIdle } from '../scripts/events.js';
import type { UserEvent } from './types.js';

/** Sessions one sweep looks at per partition, at most (the next sweep takes the rest). */
const SWEEP_LIMIT = 100;

/** The watch's member for a session: JSON `[tenant, user id, session id]`. */
const memberOf = (tenant: string, userId: string, sessionId: string): string => JSON.stringify([tenant, userId, sessionId]);

/** The session a watch member names, with its meta key; null for a member the watch did not write. */
function sessionOf(keyspace: Keyspace, member: string): { tenant: string; userId: string; sessionId: string; meta: string } | null {
  try {
    const v = JSON.parse(member) as unknown;
    if (!(Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'string'))) return null;
    const [tenant, userId, sessionId] = v as [string, string, string];
    return { tenant, userId, sessionId, meta: keyspace.user({ tenant, userId }).session(sessionId).meta };
  } catch {
    return null; // not JSON, or ids no key may hold
  }
}

/** The idle watch of an event log: the keys it writes, and what it reads them with. */
export interface IdleWatchDeps {
  connection: RedisConnection;
  keys: EventKeys;
  keyspace: Keyspace;
  /** The event streams' cap (XADD MAXLEN ~). */
  maxLen: number;
}

/**
 * Notes the sessions of `events` (`session.appended` ones; others are ignored) as active at the
 * event's time: one `ZADD GT` per partition, so a re-delivered older event never moves a score back.
 */
export async function noteActive(deps: IdleWatchDeps, events: readonly UserEvent[]): Promise<void> {
  const byPartition = new Map<number, string[]>();
  for (const e of events) {
    if (e.type !== 'session.appended' || e.sessionId === undefined) continue;
    const args = byPartition.get(e.partition) ?? [];
    args.push(String(e.at), memberOf(e.tenant, e.userId, e.sessionId));
    byPartition.set(e.partition, args);
  }
  await Promise.all(
    [...byPartition].map(([slot, args]) => {
      const watch = deps.keys.idle(slot);
      return deps.connection.send(['ZADD', watch, 'GT', ...args], { key: watch });
    }),
  );
}

/**
 * Announces (`session.idle`) every watched session of `partitions` quiet for `idleMs` or more:
 * at most SWEEP_LIMIT a partition per call. Returns how many this call announced.
 */
export async function sweepIdle(deps: IdleWatchDeps, partitions: readonly number[], idleMs: number): Promise<number> {
  const cutoff = Date.now() - idleMs;
  const counts = await Promise.all(
    partitions.map(async (slot) => {
      const watch = deps.keys.idle(slot);
      const due = await deps.connection.send<string[]>(
        ['ZRANGE', watch, '-inf', String(cutoff), 'BYSCORE', 'LIMIT', '0', String(SWEEP_LIMIT)],
        { key: watch, readonly: true },
      );
      let announced = 0;
      for (const member of due) {
        const session = sessionOf(deps.keyspace, member);
        if (!session) await deps.connection.send(['ZREM', watch, member], { key: watch });
        else if (
          (await eventsIdle(
            deps.connection,
            { ...session, watch, stream: deps.keys.stream(slot), maxLen: deps.maxLen, member },
            idleMs,
          )) === 1
        )
          announced++;
      }
      return announced;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Takes a user's sessions out of their partition's idle watch (forgetUser); how many went. */
export async function forgetIdle(deps: IdleWatchDeps, user: UserScope): Promise<number> {
  const tenant = user.tenant ?? '_';
  const slot = deps.keys.partitionOf(deps.keyspace.user(user).tag);
  const watch = deps.keys.idle(slot);
  // Every member of the user starts with `["<tenant>","<user>",`: JSON escapes, then glob escapes.
  const pattern = `${escapeGlob(JSON.stringify([tenant, user.userId]).slice(0, -1))},*`;
  let removed = 0;
  let cursor = '0';
  do {
    const [next, flat] = await deps.connection.send<[string, string[]]>(['ZSCAN', watch, cursor, 'MATCH', pattern, 'COUNT', '500'], {
      key: watch,
      readonly: true,
    });
    cursor = String(next);
    const members = flat.filter((_, i) => i % 2 === 0);
    if (members.length > 0) removed += await deps.connection.send<number>(['ZREM', watch, ...members], { key: watch });
  } while (cursor !== '0');
  return removed;
}

/** Sweeps running until stopped. */
export interface IdleSweeps {
  /** Stops sweeping; resolves when a sweep in progress has finished. */
  stop(): Promise<void>;
}

/** How often sweeps run for a quiet time: a quarter of it, between 50 ms and a minute. */
export const sweepEveryMs = (idleMs: number): number => Math.min(60_000, Math.max(50, Math.floor(idleMs / 4)));

/**
 * Runs {@link sweepIdle} over `partitions()` every {@link sweepEveryMs}, one sweep at a time,
 * until stopped: a session is announced between `idleMs` and `idleMs` + a sweep's period after its
 * last activity. A failed sweep goes to `onError` (default: the connection's logger) and the next
 * one runs on time.
 */
export function startIdleSweeps(
  deps: IdleWatchDeps,
  partitions: () => Promise<number[]>,
  idleMs: number,
  onError?: (error: Error) => void,
): IdleSweeps {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const report = (error: unknown) => {
    const err = asErr(error);
    if (onError) onError(err);
    else deps.connection.logger.warn({ component: 'events', err }, 'idle session sweep failed');
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = (async () => {
        try {
          await sweepIdle(deps, await partitions(), idleMs);
        } catch (error) {
          report(error);
        }
      })().finally(schedule);
    }, sweepEveryMs(idleMs));
    timer.unref();
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
