// The session store: hands out Session objects for (tenant, user, session), lists a user's
// sessions by activity, and forgets a user. Holds no data; every call is one script, one round
// trip, except a listing whose index eviction took (rebuilt by a SCAN) and forgetUser (a SCAN).
import { z } from 'zod';
import type { RedisConnection } from '../connection/connect.js';
import { OutOfMemoryError } from '../errors.js';
import { EventLog } from '../events/event-log.js';
import { unlinkUserKeys } from '../forget.js';
import { escapeGlob, type Keyspace, type UserScope } from '../keys.js';
import { ReadSkips, sessionIndexRebuild, sessionList } from '../scripts/session.js';
import { parseInput } from '../validate.js';
import {
  SessionStoreOptionsSchema,
  TtlPolicySchema,
  type ResolvedSessionStoreOptions,
  type SessionStoreOptions,
  type TtlPolicy,
} from './options.js';
import { SessionContext, sessionInfo, type SessionInfo, type SessionRef } from './context.js';
import { Session } from './session.js';

const ListOptionsSchema = z
  .object({
    offset: z.number().int().nonnegative().default(0),
    limit: z.number().int().min(1).max(1000).default(20),
  })
  .strict();

export class SessionStore {
  readonly options: ResolvedSessionStoreOptions;
  readonly #connection: RedisConnection;
  readonly #keys: Keyspace;
  /** Which sessions this store read within their TTL step: their next reads skip the script. */
  readonly #readSkips = new ReadSkips();
  readonly #events: EventLog;

  /** `events`: the log this store publishes to when `options.events` is on (default one of its own, default config). */
  constructor(connection: RedisConnection, keys: Keyspace, options: SessionStoreOptions = {}, events = new EventLog(connection, keys)) {
    this.#connection = connection;
    this.#keys = keys;
    this.#events = events;
    this.options = parseInput(SessionStoreOptionsSchema, options, 'session store options');
  }

  /**
   * The session `(tenant, userId, sessionId)`. Nothing is read or written until a method is
   * called; a `ttl` given here overrides the store's default for this session from its next write.
   *
   * @example const chat = memory.sessions.session({ userId: 'alice', sessionId: 'support-1' });
   */
  session(ref: SessionRef, options: { ttl?: TtlPolicy } = {}): Session {
    const user = this.#keys.user(ref);
    const keys = user.session(ref.sessionId);
    const ttl = options.ttl === undefined ? undefined : parseInput(TtlPolicySchema, options.ttl, 'TTL policy');
    const frozen = Object.freeze({ tenant: ref.tenant, userId: ref.userId, sessionId: ref.sessionId });
    const publishes = this.options.events;
    const events = this.#events.sessionEvents({ tenant: ref.tenant ?? '_', userId: ref.userId, tag: user.tag }, publishes);
    const beforePublish = publishes ? () => this.#events.register(user.tag) : () => undefined;
    return new Session(
      new SessionContext(
        this.#connection,
        frozen,
        keys,
        user.sessions,
        this.options,
        ttl ?? this.options.ttl,
        ttl !== undefined,
        events,
        beforePublish,
        this.#readSkips,
      ),
    );
  }

  /**
   * A user's live sessions, most recently written first, a page at a time; `total` counts the
   * live ones. Costs O(sessions of the user) on the server. When the index is missing (a user who
   * never listed, or an index eviction took) it is rebuilt first from a SCAN of the keyspace.
   */
  async list(user: UserScope, options: { offset?: number; limit?: number } = {}): Promise<{ total: number; sessions: SessionInfo[] }> {
    const keys = this.#keys.user(user);
    const { offset, limit } = parseInput(ListOptionsSchema, options, 'list options');
    const page = (ids?: string[]) => sessionList(this.#connection, keys, { offset, limit, ids });
    let reply = await page();
    if (reply === null) {
      const ids = await this.#scanSessionIds(user);
      try {
        await sessionIndexRebuild(this.#connection, keys, { emptyIndexTtlMs: this.#emptyIndexTtlMs(), ids });
        reply = await page();
      } catch (error) {
        // At maxmemory the index cannot be written; a listing is a read, so it lists what the SCAN found.
        if (!(error instanceof OutOfMemoryError)) throw error;
        reply = await page(ids.length > 0 ? ids : ['']);
      }
    }
    // Still missing only if eviction took the index again in between: as before, total -1 and no rows.
    const { total, sessions: rows } = reply ?? { total: -1, sessions: [] };
    const sessions = rows.map((r) => sessionInfo(r.sessionId, r.meta, r.messageCount, r.pttl));
    return { total, sessions };
  }

  /** The ids of the user's sessions, found by their meta keys (one SCAN pass over each master). */
  async #scanSessionIds(user: UserScope): Promise<string[]> {
    const keys = this.#keys.user(user);
    const ids = new Set<string>();
    for await (const batch of this.#connection.scan(`${escapeGlob(keys.sessionPrefix)}*:meta`)) {
      for (const key of batch) ids.add(key.slice(keys.sessionPrefix.length, -':meta'.length));
    }
    return [...ids];
  }

  /** How long an index with no session is kept: the store's TTL, or a day. */
  #emptyIndexTtlMs(): number {
    return this.options.ttl.mode === 'none' ? 86_400_000 : Math.ceil(this.options.ttl.seconds * 1000);
  }

  /**
   * Deletes every key the user has under their own prefix: each session with all its keys, and
   * the index. Found by SCAN (one pass over each master), so an evicted index hides nothing.
   * Returns how many sessions there were.
   */
  async forgetUser(user: UserScope): Promise<number> {
    return countSessions(this.#keys.user(user).sessionPrefix, await unlinkUserKeys(this.#connection, this.#keys, user));
  }
}

/** How many distinct sessions the deleted `keys` belonged to. */
export function countSessions(sessionPrefix: string, keys: readonly string[]): number {
  const ids = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(sessionPrefix)) continue;
    const rest = key.slice(sessionPrefix.length);
    ids.add(rest.slice(0, rest.lastIndexOf(':')));
  }
  return ids.size;
}
