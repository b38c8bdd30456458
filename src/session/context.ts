// The plumbing every part of one session shares (Session, its read window, append, summary and
// reasoning state): the connection, the session's keys and TTL policy as the session scripts take
// them (scripts/session.ts), and the session's metadata decoded as SessionInfo. It holds no data.
import type { z } from 'zod';
import type { RedisConnection } from '../connection/connect.js';
import type { SessionKeys } from '../keys.js';
import {
  type ReadParts,
  type ReadSkips,
  type SessionEvents,
  sessionRead,
  type SessionReadReply,
  type SessionTarget,
} from '../scripts/session.js';
import type { ResolvedSessionStoreOptions, TtlPolicy } from './options.js';

type Json = z.core.util.JSONType;

/** Which session: an optional tenant, a user and a session id (each a key part, see keys.ts). */
export interface SessionRef {
  tenant?: string | undefined;
  userId: string;
  sessionId: string;
}

export interface SessionInfo {
  sessionId: string;
  createdAt: number;
  updatedAt: number;
  /** Messages in the window now. */
  messageCount: number;
  /** Messages ever appended (trimmed ones included). */
  totalMessages: number;
  metadata: Record<string, Json>;
  summary: string | null;
  stateVersion: number;
  ttl: { mode: TtlPolicy['mode']; seconds: number | null; expiresAt: number | null };
}

export class SessionContext {
  constructor(
    readonly connection: RedisConnection,
    readonly ref: Readonly<SessionRef>,
    readonly keys: SessionKeys,
    readonly index: string,
    readonly options: ResolvedSessionStoreOptions,
    private readonly ttl: TtlPolicy,
    private readonly ttlExplicit: boolean,
    /** Where the session's events go (and whether it publishes any). */
    readonly events: SessionEvents,
    /** Before a publishing write: registers the partition once per process (undefined: nothing to wait for). */
    readonly beforePublish: () => Promise<void> | undefined,
    /** The store's memory of which sessions' reads have no deadline to move (skip the script). */
    private readonly skips?: ReadSkips,
  ) {}

  /** The session as its scripts take it; `ttl` sets the policy explicitly. */
  target(ttl?: TtlPolicy): SessionTarget {
    return {
      keys: this.keys,
      index: this.index,
      sessionId: this.ref.sessionId,
      ttl: ttl ?? this.ttl,
      ttlExplicit: ttl !== undefined || this.ttlExplicit,
      events: this.events,
    };
  }

  /** Reads parts of the session; null when it does not exist. */
  read(parts: ReadParts): Promise<SessionReadReply | null> {
    return sessionRead(this.connection, this.target(), parts, this.skips);
  }
}

/** Builds {@link SessionInfo} from a session's metadata hash. */
export function sessionInfo(sessionId: string, meta: Map<string, string>, messageCount: number, pttl: number): SessionInfo {
  // fromEntries defines properties: a `__proto__` field stays a field.
  const metadata = Object.fromEntries(
    [...meta].filter(([field]) => field.startsWith('m:')).map(([field, value]) => [field.slice(2), JSON.parse(value) as Json]),
  );
  const mode = (meta.get('ttl_mode') ?? 'none') as TtlPolicy['mode'];
  const ttlMs = Number(meta.get('ttl_ms') ?? 0);
  return {
    sessionId,
    createdAt: Number(meta.get('created') ?? 0),
    updatedAt: Number(meta.get('updated') ?? 0),
    messageCount,
    totalMessages: Number(meta.get('total') ?? 0),
    metadata,
    summary: meta.get('summary') ?? null,
    stateVersion: Number(meta.get('state_v') ?? 0),
    ttl: { mode, seconds: mode === 'none' ? null : ttlMs / 1000, expiresAt: pttl >= 0 ? Date.now() + pttl : null },
  };
}
