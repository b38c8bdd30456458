// The session store: hands out Session objects for (tenant, user, session), lists a user's
// sessions by activity, and forgets a user. Holds no data; every call is one script, one round trip.
import { z } from 'zod';
import type { RedisConnection } from '../connection/connect.js';
import { SESSION_KEY_SUFFIXES, type Keyspace, type UserScope } from '../keys.js';
import { runScript, script } from '../scripts/index.js';
import { parseInput } from '../validate.js';
import { SessionStoreOptionsSchema, TtlPolicySchema, type ResolvedSessionStoreOptions, type SessionStoreOptions, type TtlPolicy } from './options.js';
import { Session, SessionContext, sessionInfo, type SessionInfo, type SessionRef } from './session.js';

const LIST = script('session-list-1');
const FORGET_USER = script('session-forget-user-1');

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

  constructor(connection: RedisConnection, keys: Keyspace, options: SessionStoreOptions = {}) {
    this.#connection = connection;
    this.#keys = keys;
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
    return new Session(new SessionContext(this.#connection, frozen, keys, user.sessions, this.options, ttl ?? this.options.ttl, ttl !== undefined));
  }

  /** A user's sessions, most recently written first, a page at a time. */
  async list(user: UserScope, options: { offset?: number; limit?: number } = {}): Promise<{ total: number; sessions: SessionInfo[] }> {
    const keys = this.#keys.user(user);
    const { offset, limit } = parseInput(ListOptionsSchema, options, 'list options');
    const [total, ...rows] = await runScript<[number, ...[string, string[], number, number][]]>(
      this.#connection, LIST, [keys.sessions], [keys.sessionPrefix, String(offset), String(limit)],
    );
    const sessions = rows.map(([id, meta, length, pttl]) => {
      const fields = new Map<string, string>();
      for (let i = 0; i + 1 < meta.length; i += 2) fields.set(meta[i]!, meta[i + 1]!);
      return sessionInfo(id, fields, length, pttl);
    });
    return { total, sessions };
  }

  /** Deletes every session of a user, with all their keys. Returns how many sessions there were. */
  async forgetUser(user: UserScope): Promise<number> {
    const keys = this.#keys.user(user);
    return runScript<number>(this.#connection, FORGET_USER, [keys.sessions], [keys.sessionPrefix, ...Object.values(SESSION_KEY_SUFFIXES)]);
  }
}
