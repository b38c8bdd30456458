// The event backbone on Redis Streams: where events live (one stream per hash slot in use, see
// keys.ts EventKeys), how a store's writes reach them, and what a reader asks of them (a user's
// events, a group's backlog, its dead letters). Consumers are in consumer.ts.
import { z } from 'zod';
import type { RedisConnection } from '../connection/connect.js';
import { OutOfMemoryError } from '../errors.js';
import type { EventKeys, Keyspace, UserScope } from '../keys.js';
import type { CacheEventTarget } from '../scripts/cache.js';
import { eventsForget } from '../scripts/events.js';
import type { SessionEvents } from '../scripts/session.js';
import { parseInput } from '../validate.js';
import { EventConsumer } from './consumer.js';
import { forgetIdle, type IdleSweeps, type IdleWatchDeps, noteActive, startIdleSweeps, sweepIdle } from './idle.js';
import {
  type AgentEvent,
  type CacheInvalidatedEvent,
  ConsumeOptionsSchema,
  type ConsumeOptions,
  type Consumer,
  type DeadLetter,
  EVENT_TYPES,
  type EventHandler,
  type GroupStats,
  isUserEvent,
  type UserEvent,
  type UserEventType,
} from './types.js';
import { asErr } from '../observe/logger.js';

export const EventsConfigSchema = z
  .object({
    /**
     * Entries kept per partition stream, about (XADD `MAXLEN ~`: Redis trims whole nodes, so a
     * stream holds this many or a little more). Older entries go whether or not every group has
     * read them: keep it above what your consumers can fall behind by. Default 10 000.
     */
    maxLen: z.number().int().min(100).max(100_000_000).default(10_000),
    /**
     * Also announce each memory event on a pub/sub channel, for processes that want to know at
     * once that a user's memories changed, without a consumer group ({@link EventLog.subscribe}):
     * fire and forget, nothing is kept for a subscriber that is away. Default false.
     */
    live: z.boolean().default(false),
  })
  .strict();

export type EventsConfig = z.input<typeof EventsConfigSchema>;

/** An event as a store hands it over to be written by the client (memory events). */
export interface EventDraft {
  type: UserEventType;
  tenant: string;
  userId: string;
  sessionId?: string | undefined;
  ids: readonly string[];
  namespace?: string | undefined;
}

const TYPES = new Set<string>(EVENT_TYPES);
/** How long a forgetUser's mark is kept: longer than any extraction should be in flight. */
const FORGOTTEN_KEPT_MS = 3_600_000;
const SENTINEL = '*';

/** A stream entry's fields (a flat [field, value, …] array) as an event of `partition`; null when it is not one. */
export function decodeEvent(partition: number, id: string, flat: readonly string[]): AgentEvent | null {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) f.set(flat[i]!, flat[i + 1]!);
  const type = f.get('type');
  if (type === undefined || !TYPES.has(type)) return null;
  let ids: string[] = [];
  try {
    const parsed = JSON.parse(f.get('ids') ?? '[]') as unknown;
    if (Array.isArray(parsed)) ids = parsed.map(String);
  } catch {
    // an entry someone else wrote: no ids
  }
  const at = Number(id.split('-')[0]);
  if (type === 'cache.invalidated') {
    const cache = f.get('cache');
    if (cache === undefined) return null;
    const event: CacheInvalidatedEvent = { id, partition, type, at, cache, ids };
    const tag = f.get('tag');
    if (tag !== undefined && tag !== '') event.tag = tag;
    return event;
  }
  const tenant = f.get('tenant');
  const userId = f.get('user');
  if (tenant === undefined || userId === undefined) return null;
  const event: UserEvent = { id, partition, type: type as UserEventType, at, tenant, userId, ids };
  const sessionId = f.get('session');
  if (sessionId !== undefined && sessionId !== '') event.sessionId = sessionId;
  const pending = f.get('pending');
  if (pending !== undefined) event.pending = Number(pending);
  const namespace = f.get('ns');
  if (namespace !== undefined && namespace !== '') event.namespace = namespace;
  return event;
}

/** A stream entry as Redis replies it: [id, [field, value, …]] (the fields are null for an entry deleted since). */
export type RawEntry = [string, string[] | null];

/**
 * The events of this agent memory. Stores publish to it when created with `events: true`; any
 * process reads it with consumer groups ({@link consume}).
 *
 * @example memory.events.consume('audit', async (e) => console.log(e.type, e.userId, e.ids));
 */
export class EventLog {
  readonly config: z.output<typeof EventsConfigSchema>;
  readonly keys: EventKeys;
  readonly #connection: RedisConnection;
  readonly #keyspace: Keyspace;
  /** Partitions this process has registered (so its first event in each waits for one SADD). */
  readonly #registered = new Set<number>();
  readonly #registering = new Map<number, Promise<void>>();
  /** Per partition, the last client-side publish: the next one waits for it (order). */
  readonly #tails = new Map<number, Promise<void>>();

  constructor(connection: RedisConnection, keyspace: Keyspace, config: EventsConfig = {}) {
    this.#connection = connection;
    this.#keyspace = keyspace;
    this.keys = keyspace.events();
    this.config = parseInput(EventsConfigSchema, config, 'events config');
  }

  /** The event target of a user's sessions: their partition's stream; `enabled` false writes none. */
  sessionEvents(user: { tenant: string; userId: string; tag: string }, enabled: boolean): SessionEvents {
    const stream = this.keys.stream(this.keys.partitionOf(user.tag));
    return { stream, maxLen: enabled ? this.config.maxLen : undefined, tenant: user.tenant, userId: user.userId };
  }

  /**
   * The event target of a cache script running in the slot of `key` (any key of the shard): that
   * partition's stream; `enabled` false writes none.
   */
  cacheEvents(key: string, enabled: boolean): CacheEventTarget {
    return { stream: this.keys.stream(this.keys.partitionOf(key)), maxLen: enabled ? this.config.maxLen : undefined };
  }

  /**
   * Makes sure the partition of `tag` (a hash tag, or any key carrying it) is in the registry
   * consumers read, before its first event from this process: undefined when it is (no round
   * trip), else the SADD to wait for.
   */
  register(tag: string): Promise<void> | undefined {
    const slot = this.keys.partitionOf(tag);
    if (this.#registered.has(slot)) return undefined;
    let pending = this.#registering.get(slot);
    if (!pending) {
      pending = this.#connection
        .send(['SADD', this.keys.registry, String(slot)], { key: this.keys.registry })
        .then(() => {
          this.#registered.add(slot);
        })
        .finally(() => this.#registering.delete(slot));
      this.#registering.set(slot, pending);
    }
    return pending;
  }

  /**
   * {@link register} for writes that must go through at maxmemory (cache invalidations, which free
   * memory): when Redis refuses the SADD there and the partition is not registered yet, the write
   * goes ahead, and the returned function, called after it, registers the partition then (the
   * invalidation may have freed the memory). If it is refused again, a process warning says so
   * and the next event of the partition tries again; until then consumers do not read it.
   */
  async registerEvenAtMaxmemory(tag: string): Promise<(() => Promise<void>) | undefined> {
    try {
      await this.register(tag);
      return undefined;
    } catch (error) {
      if (!(error instanceof OutOfMemoryError)) throw error;
    }
    const slot = this.keys.partitionOf(tag);
    const registry = this.keys.registry;
    if ((await this.#connection.send<number>(['SISMEMBER', registry, String(slot)], { key: registry, readonly: true })) === 1) {
      this.#registered.add(slot);
      return undefined;
    }
    return async () => {
      await (this.register(tag) ?? Promise.resolve()).catch((error: unknown) => {
        this.#connection.logger.warn(
          { component: 'events', partition: slot, err: asErr(error) },
          `event partition ${slot} could not be registered; its events reach consumers once a later event registers it`,
        );
      });
    };
  }

  /**
   * Writes an event from the client (for stores whose write is not one script: long-term
   * memory). It follows the write it reports, so unlike a session's events it can be lost if the
   * process dies in between.
   */
  publish(tag: string, draft: EventDraft): Promise<void> {
    // One partition's client-side events go out in the order they were published.
    const slot = this.keys.partitionOf(tag);
    const next = (this.#tails.get(slot) ?? Promise.resolve()).catch(() => undefined).then(() => this.#publish(tag, draft));
    this.#tails.set(slot, next);
    void next
      .finally(() => {
        if (this.#tails.get(slot) === next) this.#tails.delete(slot);
      })
      .catch(() => undefined);
    return next;
  }

  async #publish(tag: string, draft: EventDraft): Promise<void> {
    await this.register(tag);
    const stream = this.keys.stream(this.keys.partitionOf(tag));
    const fields = ['type', draft.type, 'tenant', draft.tenant, 'user', draft.userId, 'session', draft.sessionId ?? ''];
    fields.push('ids', JSON.stringify(draft.ids), 'ns', draft.namespace ?? '');
    const id = await this.#connection.send<string>(['XADD', stream, 'MAXLEN', '~', String(this.config.maxLen), '*', ...fields], {
      key: stream,
    });
    if (this.config.live) {
      const note = { ...draft, ids: [...draft.ids], id, partition: this.keys.partitionOf(tag), at: Number(id.split('-')[0]) };
      await this.#connection.send(['PUBLISH', this.keys.channel, JSON.stringify(note)], { key: this.keys.channel });
    }
  }

  /**
   * Live notifications of memory events (with `events: { live: true }`): `listener` gets each
   * event as it is written, on a connection of its own, until the returned function is called.
   * Nothing is kept for a subscriber that is away: use a consumer group when every event counts.
   *
   * @example const stop = await memory.events.subscribe((e) => cache.delete(e.userId)); … await stop();
   */
  async subscribe(listener: (event: UserEvent) => void): Promise<() => Promise<void>> {
    if (typeof listener !== 'function') throw new TypeError('subscribe needs a listener function');
    const subscriber = await this.#connection.duplicate({ role: 'subscriber', name: this.keys.channel });
    try {
      await subscriber.subscribe(this.keys.channel, (message) => {
        let event: UserEvent;
        try {
          event = JSON.parse(message) as UserEvent;
        } catch {
          return; // not ours
        }
        listener(event);
      });
    } catch (error) {
      await subscriber.close();
      throw error;
    }
    return () => subscriber.close();
  }

  /**
   * Runs `handler` on every event, in a consumer group (each event reaches one consumer of the
   * group, at least once: a handler must tolerate a repeat). Events a dead consumer left pending
   * are taken over after `claimIdleMs`; a handler that keeps failing sends its event to the
   * group's dead-letter stream after `maxAttempts`. Returns at once; `stop()` ends it.
   *
   * @example const worker = memory.events.consume('extract', handle, { concurrency: 16 }); … await worker.stop();
   */
  consume(group: string, handler: EventHandler, options: ConsumeOptions = {}): Consumer {
    this.keys.deadLetters(group); // validates the name
    if (typeof handler !== 'function') throw new TypeError('consume needs a handler function');
    const o = parseInput(ConsumeOptionsSchema, options, 'consume options');
    return EventConsumer.start(this.#connection, this, group, handler, o);
  }

  /**
   * Every partition that holds events, from the registry. When the registry is missing or was
   * never rebuilt (eviction can take it), it is rebuilt first from a SCAN of every master.
   */
  async partitions(): Promise<number[]> {
    const members = await this.#connection.send<string[]>(['SMEMBERS', this.keys.registry], { key: this.keys.registry, readonly: true });
    if (members.includes(SENTINEL)) return members.filter((m) => m !== SENTINEL).map(Number);
    const found = new Set(members.map(Number));
    // A stream key's slot is its tag's, which is its partition.
    for await (const batch of this.#connection.scan(this.keys.streamPattern))
      for (const key of batch) found.add(this.keys.partitionOf(key));
    const list = [...found];
    await this.#connection.send(['SADD', this.keys.registry, SENTINEL, ...list.map(String)], { key: this.keys.registry });
    return list;
  }

  /** The events of one user still kept, oldest first (at most `limit`, default 1000): for tests and inspection. */
  async of(user: UserScope, options: { limit?: number } = {}): Promise<UserEvent[]> {
    const limit = parseInput(z.number().int().min(1).max(1_000_000).default(1000), options.limit, 'limit');
    const keys = this.#keyspace.user(user);
    const tenant = user.tenant ?? '_';
    const slot = this.keys.partitionOf(keys.tag);
    const stream = this.keys.stream(slot);
    const out: UserEvent[] = [];
    let from = '-';
    while (out.length < limit) {
      const entries = await this.#connection.send<RawEntry[]>(['XRANGE', stream, from, '+', 'COUNT', '1000'], {
        key: stream,
        readonly: true,
      });
      for (const [id, fields] of entries) {
        const event = fields ? decodeEvent(slot, id, fields) : null;
        if (event && isUserEvent(event) && event.tenant === tenant && event.userId === user.userId && out.length < limit) out.push(event);
      }
      if (entries.length < 1000) break;
      from = `(${entries.at(-1)![0]}`;
    }
    return out;
  }

  /** A group's backlog over every partition: pending (read, not acknowledged), lag (not read yet), dead letters. */
  async stats(group: string): Promise<GroupStats> {
    const dead = this.keys.deadLetters(group);
    const partitions = await this.partitions();
    let pending = 0;
    let lag: number | null = 0;
    let read = 0;
    await Promise.all(
      partitions.map(async (slot) => {
        const stream = this.keys.stream(slot);
        const groups = await this.#connection
          .send<Record<string, unknown>[]>(['XINFO', 'GROUPS', stream], { key: stream, readonly: true })
          .catch(() => []);
        const info = groups.map(infoOf).find((g) => g.get('name') === group);
        if (!info) {
          // Not read by the group yet: everything it holds is still to be read.
          const length = await this.#connection.send<number>(['XLEN', stream], { key: stream, readonly: true });
          if (lag !== null) lag += length;
          return;
        }
        read++;
        pending += Number(info.get('pending') ?? 0);
        const l = info.get('lag');
        lag = lag === null || l === null || l === undefined ? null : lag + Number(l);
      }),
    );
    const deadLetters = await this.#connection.send<number>(['XLEN', dead], { key: dead, readonly: true });
    return { partitions: read, pending, lag, deadLetters };
  }

  /** The newest dead letters of a group (at most `limit`, default 100), newest first. */
  async deadLetters(group: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    const limit = parseInput(z.number().int().min(1).max(10_000).default(100), options.limit, 'limit');
    const dead = this.keys.deadLetters(group);
    const entries = await this.#connection.send<RawEntry[]>(['XREVRANGE', dead, '+', '-', 'COUNT', String(limit)], {
      key: dead,
      readonly: true,
    });
    const out: DeadLetter[] = [];
    for (const [id, fields] of entries) {
      if (!fields) continue;
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
      const event = decodeEvent(Number(f.get('partition') ?? -1), f.get('entry') ?? '', fields);
      if (event) out.push({ id, event, error: f.get('error') ?? '', attempts: Number(f.get('attempts') ?? 0) });
    }
    return out;
  }

  /**
   * How many events of `user` there are: in their partition and in every dead-letter stream (what
   * forgetUser would remove). Reads each of those streams once, in pages; writes nothing.
   */
  async countUserEvents(user: UserScope): Promise<number> {
    const keys = this.#keyspace.user(user);
    const tenant = user.tenant ?? '_';
    const deadPrefix = this.keys.deadLetters('x').slice(0, -1);
    const streams = [this.keys.stream(this.keys.partitionOf(keys.tag))];
    for await (const batch of this.#connection.scan(`${deadPrefix}*`)) streams.push(...batch);
    let count = 0;
    for (const stream of streams) {
      let from = '-';
      for (;;) {
        const entries = await this.#connection.send<[string, unknown][]>(['XRANGE', stream, from, '+', 'COUNT', '1000'], {
          key: stream,
          readonly: true,
        });
        if (!entries || entries.length === 0) break;
        for (const [, fields] of entries) {
          const f = fieldsOf(fields);
          if (f.get('tenant') === tenant && f.get('user') === user.userId) count++;
        }
        if (entries.length < 1000) break;
        from = `(${entries[entries.length - 1]![0]}`;
      }
    }
    return count;
  }

  /**
   * Notes the sessions of `session.appended` events as active at the event's time, in their
   * partitions' idle watch ({@link sweepIdle} announces them once they go quiet). The extraction
   * worker calls it for every event it handles; any consumer of `session.appended` may.
   */
  noteActive(events: readonly UserEvent[]): Promise<void> {
    return noteActive(this.#idleDeps(), events);
  }

  /**
   * Publishes `session.idle` for each session noted active ({@link noteActive}) and quiet for
   * `idleMs` since (by the server's clock and the session's own last activity): once per quiet
   * spell however many processes sweep; a session gone since is dropped unannounced. At most 100
   * sessions a partition per call. Returns how many this call announced.
   */
  async sweepIdle(idleMs: number): Promise<number> {
    return sweepIdle(this.#idleDeps(), await this.partitions(), idleMs);
  }

  /**
   * Runs {@link sweepIdle} every quarter of `idleMs` (50 ms to a minute) until stopped, so each
   * noted session is announced between `idleMs` and `idleMs` + that period after its last
   * activity. A failed sweep goes to `onError` (default: the logger, as a warning).
   */
  sweepIdleEvery(idleMs: number, onError?: (error: Error) => void): IdleSweeps {
    return startIdleSweeps(this.#idleDeps(), () => this.partitions(), idleMs, onError);
  }

  #idleDeps(): IdleWatchDeps {
    return { connection: this.#connection, keys: this.keys, keyspace: this.#keyspace, maxLen: this.config.maxLen };
  }

  /**
   * Records that `user` is being forgotten, now (the server's clock), for an hour: call it before
   * deleting anything ({@link forgetUser} marks again at its end). An extraction in flight across
   * the forget sees it ({@link forgottenSince}) and undoes what it wrote for events older than
   * that. At `maxmemory` the mark is skipped, never failing the forget: no extraction can write
   * there either, and the mark at the end, once the forget has freed memory, covers it.
   */
  async markForgotten(user: UserScope): Promise<void> {
    const key = this.keys.forgotten(user);
    const [seconds, micros] = await this.#connection.send<[string, string]>(['TIME'], { key, readonly: true });
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    try {
      await this.#connection.send(['SET', key, String(now), 'PX', String(FORGOTTEN_KEPT_MS)], { key });
    } catch (error) {
      if (!(error instanceof OutOfMemoryError)) throw error;
    }
  }

  /** Whether `user` was forgotten at or after `at` (ms) within the last hour ({@link markForgotten}). */
  async forgottenSince(user: UserScope, at: number): Promise<boolean> {
    const key = this.keys.forgotten(user);
    const when = await this.#connection.send<string | null>(['GET', key], { key, readonly: true });
    return when !== null && Number(when) >= at;
  }

  /**
   * Removes a user's events: from their partition (and every group's pending list there, so no
   * consumer is handed them again), from every dead-letter stream, and their sessions from the
   * idle watch; then marks the user forgotten ({@link markForgotten}). Returns how many events went.
   */
  async forgetUser(user: UserScope): Promise<number> {
    const keys = this.#keyspace.user(user);
    const who = { tenant: user.tenant ?? '_', userId: user.userId };
    await forgetIdle(this.#idleDeps(), user);
    let removed = await eventsForget(this.#connection, this.keys.stream(this.keys.partitionOf(keys.tag)), who);
    const deadPrefix = this.keys.deadLetters('x').slice(0, -1);
    for await (const batch of this.#connection.scan(`${deadPrefix}*`)) {
      for (const stream of batch) removed += await eventsForget(this.#connection, stream, who);
    }
    await this.markForgotten(user);
    return removed;
  }
}

/** A stream entry's fields (a flat array, a Map or an object, by protocol and client) as a Map. */
function fieldsOf(raw: unknown): Map<string, string> {
  if (Array.isArray(raw)) {
    const m = new Map<string, string>();
    for (let i = 0; i + 1 < raw.length; i += 2) m.set(String(raw[i]), String(raw[i + 1]));
    return m;
  }
  if (raw instanceof Map) return new Map([...raw].map(([k, v]) => [String(k), String(v)]));
  return new Map(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/** One XINFO GROUPS element (a map in RESP3, decoded as an object or a Map; a flat array in RESP2) as a Map. */
export function infoOf(raw: unknown): Map<string, unknown> {
  if (raw instanceof Map) return raw as Map<string, unknown>;
  if (Array.isArray(raw)) {
    const m = new Map<string, unknown>();
    for (let i = 0; i + 1 < raw.length; i += 2) m.set(String(raw[i]), raw[i + 1]);
    return m;
  }
  return new Map(Object.entries(raw as Record<string, unknown>));
}
