// How a cache keeps its near cache consistent with Redis and other processes: the pub/sub
// subscriber (events.ts) that drops copies another process changed, the wait for it before any
// copy is kept, and the copies themselves, bounded by how long Redis keeps the entry fresh.
// It must never keep a copy a change could not reach: no listening subscriber, no copy.
import type { RedisConnection } from '../connection/connect.js';
import { ConnectionError } from '../errors.js';
import type { Entry } from './envelope.js';
import { CacheEvents, type CacheEvent } from './events.js';
import { NearCache } from './near-cache.js';
import type { ResolvedCacheOptions } from './options.js';

export class NearCacheLink {
  /** The near cache; dropped by close(), after which the cache reads Redis only. */
  #near: NearCache | undefined;
  #events: Promise<CacheEvents> | undefined;
  /** True once the subscriber is listening: from then on no other process's change can be missed. */
  #listening = false;
  #closed = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly channel: string,
    /** This cache instance's id: its own events are not foreign changes. */
    readonly instance: string,
    private readonly options: ResolvedCacheOptions,
  ) {
    const near = options.nearCache;
    this.#near = near ? new NearCache(near.maxEntries, near.ttlSeconds * 1000) : undefined;
    // A near cache listens from the start; its first operation waits for the subscription (and
    // retries it, should this attempt fail), so it keeps no copy it could not hear about.
    if (this.#near) this.events().catch(() => undefined);
  }

  /** The near cache's copy of an entry, if any. */
  get(id: string): Buffer | undefined {
    return this.#near?.get(id);
  }

  /** The near cache's epoch before a read from Redis (undefined without a near cache). */
  epoch(): number | undefined {
    return this.#near?.epoch();
  }

  delete(id: string): void {
    this.#near?.delete(id);
  }

  /** Drops every copy (a tag invalidation: a copy does not know its tags). */
  clear(): void {
    this.#near?.clear();
  }

  /**
   * Copies an entry into the near cache for no longer than Redis keeps it fresh. `readAt`: the near
   * cache's epoch before the entry was read (the copy is dropped if the entry changed meanwhile).
   */
  remember(id: string, encoded: Buffer, entry: Entry, readAt?: number): void {
    if (!this.#near) return;
    const { ttl } = this.options;
    const bound = ttl.mode === 'fixed' ? entry.freshUntil - Date.now() : ttl.mode === 'sliding' ? ttl.seconds * 1000 : 0;
    if (ttl.mode === 'fixed' && bound <= 0) return;
    this.#near.set(id, encoded, bound, readAt);
  }

  /**
   * With a near cache, resolves once the subscriber listens (at once after the first time): every
   * operation that can keep a copy waits for it, so no copy is kept that a change could not reach.
   */
  subscribed(): Promise<unknown> | undefined {
    return this.#near && !this.#listening ? this.events() : undefined;
  }

  /** The subscriber, opened on first use (and opened again after a failed attempt). */
  events(): Promise<CacheEvents> {
    if (this.#closed) return Promise.reject(new ConnectionError('The cache is closed'));
    this.#events ??= CacheEvents.open(this.connection, this.channel, this.instance, (event) => this.#onForeignChange(event)).then(
      (events) => {
        this.#listening = true;
        return events;
      },
      (error: unknown) => {
        this.#events = undefined;
        throw error;
      },
    );
    return this.#events;
  }

  #onForeignChange(event: CacheEvent): void {
    if (!this.#near) return;
    if (event.t === 'tag') this.#near.clear();
    else this.#near.delete(event.id);
  }

  /** A message for the cache's channel, from this instance. */
  message(t: 'fill' | 'fail' | 'del', id: string, error?: string): string {
    return JSON.stringify({ t, id, src: this.instance, ...(error === undefined ? {} : { error }) } satisfies CacheEvent);
  }

  tagMessage(tagId: string): string {
    return JSON.stringify({ t: 'tag', tag: tagId, src: this.instance } satisfies CacheEvent);
  }

  /** Closes the subscriber, if open, and drops the near cache (it could no longer hear changes). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#near?.clear();
    this.#near = undefined;
    const events = this.#events;
    this.#events = undefined;
    this.#listening = false;
    if (events) await (await events.catch(() => undefined))?.close();
  }
}
