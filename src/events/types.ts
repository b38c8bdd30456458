// What the event backbone carries and takes: the typed events the stores publish to Redis Streams,
// the options of a consumer, and the figures it reports. Schemas next to the code that reads them.
import { z } from 'zod';

/** Every kind of event a store publishes. */
export const EVENT_TYPES = [
  /** A session's first append created it. */
  'session.created',
  /** Messages were appended (`ids`: the ids of those written, duplicates left out). */
  'session.appended',
  /** A session's messages were cleared, or the whole session deleted (`ended`). */
  'session.cleared',
  'session.ended',
  /** The reasoning state was written. */
  'session.state',
  /**
   * A session had no activity for the quiet time of a running extraction worker (`sessionIdleMs`):
   * announced once per quiet spell, by the worker's sweep (src/events/idle.ts).
   */
  'session.idle',
  /** Long-term memories were written (`ids`), inserted or merged. */
  'memory.written',
  /** Long-term memories were forgotten (`ids`; empty when a whole scope went). */
  'memory.forgotten',
  /** A cache entry was deleted (`ids`: its entry id) or a tag invalidated (`tag`: its id). Not about a user. */
  'cache.invalidated',
] as const;

export type AgentEventType = (typeof EVENT_TYPES)[number];

/** The types of events about one user: sessions and long-term memory. */
export type UserEventType = Exclude<AgentEventType, 'cache.invalidated'>;

/** What every event carries: where it sits and when it was written. */
interface EventEntry {
  /** The stream entry id (`<ms>-<seq>`): unique within its partition, ordered by time. */
  id: string;
  /** The partition it sits in: the Redis Cluster hash slot of the keys it reports on (0–16383). */
  partition: number;
  /** When it was written, in ms since the epoch (the entry id's time). */
  at: number;
}

/** An event about one user (sessions, long-term memory): in the partition of the user's keys. */
export interface UserEvent extends EventEntry {
  type: UserEventType;
  tenant: string;
  userId: string;
  /** Session events: the session. */
  sessionId?: string;
  /** Message ids (session.appended) or memory ids (memory.*): ids, never content. */
  ids: string[];
  /** Memory events: the long-term memory's namespace. */
  namespace?: string;
  /** session.appended: how many trimmed messages wait for the summarizer after it (0 without one). */
  pending?: number;
  cache?: never;
  tag?: never;
}

/**
 * A cache invalidation (a cache made with `events: true`): in the partition of the cache shard
 * whose script made it. It belongs to no user (`tenant` and `userId` are absent), and names what
 * went by digest only (`cache.idOf(key or tag)`), never by key, tag name or value.
 */
export interface CacheInvalidatedEvent extends EventEntry {
  type: 'cache.invalidated';
  /** The cache's name. */
  cache: string;
  /** A tag invalidation: the tag's id (`cache.idOf(tag)`). Absent for a deletion. */
  tag?: string;
  /** A deletion: the entry id of the key deleted (`cache.idOf(key)`). Empty for a tag invalidation. */
  ids: string[];
  tenant?: never;
  userId?: never;
  sessionId?: never;
  namespace?: never;
  pending?: never;
}

/** One event, as a consumer receives it: about a user, or a cache's (narrow on `type`). */
export type AgentEvent = UserEvent | CacheInvalidatedEvent;

/** Whether `event` is about a user (it has `tenant` and `userId`). */
export const isUserEvent = (event: AgentEvent): event is UserEvent => event.type !== 'cache.invalidated';

/** Called for each event; a throw (or a rejected promise) means "not done": it is retried. */
export type EventHandler = (event: AgentEvent) => Promise<void> | void;

const isFunction = (v: unknown) => typeof v === 'function';

export const ConsumeOptionsSchema = z
  .object({
    /** This consumer's name in the group; default a new one per call (host, pid and a random part). */
    consumer: z.string().min(1).max(128).optional(),
    /** Events handled at once, at most (events of one user are handled in order, one at a time). Default 8. */
    concurrency: z.number().int().min(1).max(1024).default(8),
    /** Events read per partition per read. Default 64. */
    batch: z.number().int().min(1).max(10_000).default(64),
    /** How long a read waits for new events when there are none (ms). Default 1000. */
    blockMs: z.number().int().min(1).max(60_000).default(1_000),
    /**
     * An event pending this long (ms) with a consumer that stopped renewing it is taken over: that
     * consumer is presumed dead (a live one renews what it holds every claimIdleMs / 3, at most
     * every 5 s; give every consumer of a group the same value). Default 30 000, at most an hour.
     */
    claimIdleMs: z.number().int().min(100).max(3_600_000).default(30_000),
    /** Attempts of the handler per event (in this process), then it goes to the dead-letter stream. Default 5. */
    maxAttempts: z.number().int().min(1).max(100).default(5),
    /** Deliveries of an event (to any consumer: ones that died count) before it is dead-lettered unhandled. Default 10. */
    maxDeliveries: z.number().int().min(1).max(1000).default(10),
    /** Only these types reach the handler; the others are acknowledged unseen. Default all. */
    types: z.array(z.enum(EVENT_TYPES)).min(1).optional(),
    /**
     * Where a new group starts reading in each partition: `earliest` (default: every event kept) or
     * `latest` (events written from this consumer's start on, in partitions found then or later).
     */
    from: z.enum(['earliest', 'latest']).default('earliest'),
    /** Called when reading or acknowledging fails (the consumer keeps going, backing off). Default: a process warning. */
    onError: z.custom<(error: Error) => void>(isFunction, 'must be a function').optional(),
  })
  .strict();

export type ConsumeOptions = z.input<typeof ConsumeOptionsSchema>;

/** An event its handler could not handle, kept in the group's dead-letter stream. */
export interface DeadLetter {
  /** The dead-letter entry's own id. */
  id: string;
  event: AgentEvent;
  /** The handler's last error message, or why it was given up (delivered too often). */
  error: string;
  attempts: number;
}

/** A group's backlog. */
export interface GroupStats {
  /** Partitions the group reads (has been created on); `lag` also counts what the others hold. */
  partitions: number;
  /** Events read but not yet acknowledged. */
  pending: number;
  /** Events not yet read by the group (Redis's `lag`; null when Redis cannot tell, after trims). */
  lag: number | null;
  /** Entries in the group's dead-letter stream. */
  deadLetters: number;
}

/** A running consumer. */
export interface Consumer {
  readonly group: string;
  readonly name: string;
  /** Events handled and acknowledged, dead-lettered, and handler failures (retried) so far. */
  readonly counts: { handled: number; deadLettered: number; failures: number };
  /**
   * Stops reading, lets the handlers in flight finish (until `timeoutMs`, default 10 000), and
   * hands the events read but not started back to the group at once (any consumer may take them).
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}
