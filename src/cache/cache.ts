// A cache of expensive results (LLM calls, embeddings, searches): get/set/delete, tags, fixed or
// sliding TTL, and getOrCompute with stampede protection (lock and recompute, XFetch, stale while
// revalidate). Every operation is one script call a shard, one round trip (a hit too: the read
// script checks the entry's tags and moves a sliding TTL). Every write publishes, so near caches
// in any process drop their copies. It must never cache a failed computation, leave a lock behind,
// hang a waiter without bound, or serve an entry after one of its tags was invalidated.
import { hash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RedisConnection } from '../connection/connect.js';
import { AgentMemoryError, ConnectionError, InvalidArgumentError, OutOfMemoryError, TimeoutError } from '../errors.js';
import type { CacheKeys, Keyspace } from '../keys.js';
import { runScript, script } from '../scripts/index.js';
import { parseInput } from '../validate.js';
import { decodeEntry, encodeEntry, entryKeyOf, joinEntry, type EncodedEntry, type Entry } from './envelope.js';
import { CacheEvents, type CacheEvent } from './events.js';
import { NearCache } from './near-cache.js';
import {
  CacheEntriesSchema,
  CacheKeySchema,
  CacheKeysSchema,
  CacheOptionsSchema,
  TagSchema,
  ttlMilliseconds,
  WriteOptionsSchema,
  type CacheOptions,
  type ResolvedCacheOptions,
  type WriteOptions,
} from './options.js';
import { shouldRecomputeEarly } from './xfetch.js';

/** Bytes read of each entry when listing keys: the header and a key of up to about 1 KB. */
const KEY_HEAD_BYTES = 1024;

const READ = script('cache-read-n');
const LOCK = script('cache-lock-n');
const FILL = script('cache-fill-n');
const DELETE = script('cache-delete-1');
const INVALIDATE_TAG = script('cache-invalidate-tag-2');

/** What the fill script checks a tag's generation against when none could be read: never equal. */
const UNKNOWN_GENERATION = '?';

/** A tag generation: 16 random bytes, 22 base64url characters (envelope.ts's GENERATION_BYTES). */
const newGeneration = (): string => randomBytes(16).toString('base64url');

/** Counters since the cache was created. */
export interface CacheStats {
  hits: number;
  misses: number;
  /** Hits served from the in-process near cache (also counted in hits). */
  nearHits: number;
  /** Expired values served while one caller refreshed them (stale-while-revalidate). */
  staleServed: number;
  /** Times `compute` ran (every reason). */
  computes: number;
  /** Computations XFetch started before expiry. */
  earlyRecomputes: number;
  /** Background refreshes started by stale-while-revalidate. */
  refreshes: number;
  /** getOrCompute calls that waited for another caller's computation. */
  lockWaits: number;
  /** Locks taken after waiting on another holder's lock (it failed, or died and its lock expired). */
  lockTakeovers: number;
  /** Calls that joined a computation already running in this process. */
  coalesced: number;
  /** Computations that threw. */
  computeErrors: number;
  /** getOrCompute calls answered without the cache because Redis was unreachable (failOpen). */
  failOpen: number;
}

/** The computation failed in another process; its error message is kept. */
export class ComputeFailedError extends AgentMemoryError {
  constructor(message: string) {
    super('COMPUTE_FAILED', message);
    this.name = 'ComputeFailedError';
  }
}

/** Write options as parsed, plus the caller's key when the cache keeps keys. */
type ResolvedWrite = z.output<typeof WriteOptionsSchema> & { key?: string };

/** The default options object: already valid, so it skips validation on the hot path. */
const NO_OPTIONS: ResolvedWrite = Object.freeze({});

/** A value encoded and ready to store: everything that can refuse it has run. */
interface PreparedWrite {
  id: string;
  encoded: EncodedEntry;
  ttlMs: number;
  tagIds: string[];
  entry: Entry;
}

/** What a read found, and the generations of the tags a new value would carry, when asked for. */
interface Found {
  entry: Entry | undefined;
  /** Per tag of the write, its generation before computing (null: unknown); undefined: not read. */
  seen: (string | null)[] | undefined;
}

const ComputeSchema = z.custom<() => unknown>((v) => typeof v === 'function', 'must be a function');

export class Cache {
  readonly name: string;
  readonly options: ResolvedCacheOptions;
  readonly #connection: RedisConnection;
  readonly #keys: CacheKeys;
  readonly #instance = randomUUID();
  readonly #flights = new Map<string, Promise<unknown>>();
  /** The near cache; dropped by close(), after which the cache reads Redis only. */
  #near: NearCache | undefined;
  readonly #stats: CacheStats = {
    hits: 0, misses: 0, nearHits: 0, staleServed: 0, computes: 0, earlyRecomputes: 0, refreshes: 0,
    lockWaits: 0, lockTakeovers: 0, coalesced: 0, computeErrors: 0, failOpen: 0,
  };
  #events: Promise<CacheEvents> | undefined;
  /** True once the subscriber is listening: from then on no other process's change can be missed. */
  #listening = false;
  #closed = false;

  constructor(connection: RedisConnection, keyspace: Keyspace, options: CacheOptions) {
    this.options = parseInput(CacheOptionsSchema, options, 'cache options');
    this.name = this.options.name;
    this.#connection = connection;
    this.#keys = keyspace.cache(this.name, this.options.shards);
    const near = this.options.nearCache;
    this.#near = near ? new NearCache(near.maxEntries, near.ttlSeconds * 1000) : undefined;
    // A near cache listens from the start; its first operation waits for the subscription (and
    // retries it, should this attempt fail), so it keeps no copy it could not hear about.
    if (this.#near) this.#openEvents().catch(() => undefined);
  }

  /** The entry id of a key: a digest, so any string is a valid key and keys cannot collide with each other's structure. */
  static id(key: string): string {
    return hash('sha256', key, 'base64url').slice(0, 22);
  }

  /** A copy of the counters. */
  stats(): CacheStats {
    return { ...this.#stats };
  }

  /** The cached value, or undefined. A sliding cache refreshes the TTL in the same call. */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    const id = Cache.id(parseInput(CacheKeySchema, key, 'cache key'));
    const { entry } = await this.#read(id);
    this.#stats[entry === undefined ? 'misses' : 'hits']++;
    return entry?.value as T | undefined;
  }

  /** Values of many keys in one round trip (pipelined, so cluster-safe); undefined for misses. */
  async getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    const ids = parseInput(CacheKeysSchema, keys, 'cache keys').map((k) => Cache.id(k));
    const found = await Promise.all(ids.map((id) => this.#read(id)));
    return found.map(({ entry }) => {
      this.#stats[entry === undefined ? 'misses' : 'hits']++;
      return entry?.value as T | undefined;
    });
  }

  /**
   * Stores a value. A value that JSON cannot hold exactly (NaN, ±Infinity, BigInt, undefined, a
   * cycle), bytes that are not, or a value over `maxValueBytes` is an InvalidArgumentError, and
   * nothing is written. At maxmemory, an OutOfMemoryError, and nothing is written either.
   */
  async set(key: string, value: unknown, options: WriteOptions = {}): Promise<void> {
    const id = Cache.id(parseInput(CacheKeySchema, key, 'cache key'));
    const write = this.#withKey(parseInput(WriteOptionsSchema, options, 'cache write options'), key);
    await this.#store(this.#prepare(id, value, write, 0), '');
  }

  /**
   * Stores many values, pipelined. Every entry is checked and encoded first: one bad entry and
   * nothing is written. Each entry is stored whole or not at all, but not all of them at once.
   */
  async setMany(entries: readonly { key: string; value: unknown; options?: WriteOptions }[]): Promise<void> {
    const parsed = parseInput(CacheEntriesSchema, entries, 'cache entries');
    const prepared = parsed.map((e, i) => this.#prepare(Cache.id(e.key), e.value, this.#withKey(e.options ?? NO_OPTIONS, e.key), 0, `${i}.value`));
    await Promise.all(prepared.map((p) => this.#store(p, '')));
  }

  /** Deletes an entry (explicit invalidation), telling near caches everywhere. Returns whether it existed. */
  async delete(key: string): Promise<boolean> {
    const id = Cache.id(parseInput(CacheKeySchema, key, 'cache key'));
    await this.#subscribed();
    const entry = this.#keys.entry(id);
    const deleted = await runScript<number>(this.#connection, DELETE, [entry], [this.#keys.channel, this.#message('del', id)]);
    this.#near?.delete(id);
    return deleted === 1;
  }

  /**
   * Invalidates a tag in every shard (one script a shard, pipelined): from when it returns, no
   * entry written with the tag before is served, whatever key eviction took. Returns how many
   * such entries it deleted at once (entries it could not find, their tag set evicted, are never
   * served either, but not counted).
   */
  async invalidateTag(tag: string): Promise<number> {
    const tagId = Cache.id(parseInput(TagSchema, tag, 'tag'));
    await this.#subscribed();
    const message = JSON.stringify({ t: 'tag', tag: tagId, src: this.#instance } satisfies CacheEvent);
    const counts = await Promise.all(
      Array.from({ length: this.options.shards }, (_, shard) =>
        runScript<number>(this.#connection, INVALIDATE_TAG, [this.#keys.tag(tagId, shard), this.#keys.tagGeneration(tagId, shard)], [tagId, this.#keys.channel, message]),
      ),
    );
    // A near-cache copy does not know its tags: a tag invalidation clears the near cache.
    this.#near?.clear();
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * The cached value, or `compute()`'s, stored. Under the `lock` strategy only one caller among all
   * processes computes a missing value; the others wait for it (notified by pub/sub) up to
   * `waitTimeoutMs`. A computation that fails, or whose value cannot be stored, caches nothing,
   * releases the lock and fails the waiters at once. A value computed while one of its tags was
   * invalidated is returned but not stored (it may be built on what changed).
   *
   * @example const answer = await cache.getOrCompute(prompt, () => llm.invoke(prompt), { tags: ['doc:42'] });
   */
  async getOrCompute<T>(key: string, compute: () => T | Promise<T>, options: WriteOptions = NO_OPTIONS): Promise<T> {
    const id = Cache.id(parseInput(CacheKeySchema, key, 'cache key'));
    parseInput(ComputeSchema, compute, 'compute');
    const write = this.#withKey(options === NO_OPTIONS ? NO_OPTIONS : parseInput(WriteOptionsSchema, options, 'cache write options'), key);
    // A hit needs no bookkeeping; only a miss joins or starts this process's one computation of the key.
    const running = this.#flights.get(id);
    if (running) {
      this.#stats.coalesced++;
      return running as Promise<T>;
    }
    let found: Found;
    try {
      found = await this.#read(id, write);
    } catch (error) {
      return this.#failOpenOr(error, compute);
    }
    if (found.entry) return this.#served(id, found.entry, compute, write, found.seen);
    const again = this.#flights.get(id);
    if (again) {
      this.#stats.coalesced++;
      return again as Promise<T>;
    }
    const flight = this.#missed(id, compute, write, found.seen).finally(() => this.#flights.delete(id));
    this.#flights.set(id, flight);
    return flight;
  }

  /** A hit: fresh, stale (served while one caller refreshes), or due for an XFetch early recompute. */
  async #served<T>(id: string, found: Entry, compute: () => T | Promise<T>, write: ResolvedWrite, seen: Found['seen']): Promise<T> {
    this.#stats.hits++;
    const now = Date.now();
    const { stampede, staleWhileRevalidateSeconds } = this.options;
    if (found.freshUntil > 0 && now >= found.freshUntil && staleWhileRevalidateSeconds > 0) {
      this.#stats.staleServed++;
      void this.#refreshInBackground(id, compute, write, seen);
      return found.value as T;
    }
    if (stampede.mode === 'xfetch' && shouldRecomputeEarly(now, found.freshUntil, found.computeMs, stampede.xfetchBeta)) {
      this.#stats.earlyRecomputes++;
      return this.#computeAndStore(id, compute, write, '', seen);
    }
    return found.value as T;
  }

  async #missed<T>(id: string, compute: () => T | Promise<T>, write: ResolvedWrite, seen: Found['seen']): Promise<T> {
    this.#stats.misses++;
    if (this.options.stampede.mode !== 'lock') return this.#computeAndStore(id, compute, write, '', seen);
    try {
      return await this.#computeUnderLock(id, compute, write);
    } catch (error) {
      return this.#failOpenOr(error, compute);
    }
  }

  async #computeUnderLock<T>(id: string, compute: () => T | Promise<T>, write: ResolvedWrite): Promise<T> {
    const { lockTtlMs, waitTimeoutMs, pollIntervalMs, onComputeError } = this.options.stampede;
    const events = await this.#openEvents();
    const waiter = events.waitFor(id);
    const deadline = Date.now() + waitTimeoutMs;
    const shard = this.#keys.shardOf(id);
    const generationKeys = this.#tagIds(write).map((t) => this.#keys.tagGeneration(t, shard));
    let waited = false;
    try {
      for (;;) {
        const token = randomUUID();
        const readAt = this.#near?.epoch();
        const [entry, locked, ...generations] = await runScript<[Buffer | null, number, ...(Buffer | null)[]]>(
          this.#connection,
          LOCK,
          [this.#keys.entry(id), this.#keys.lock(id), ...generationKeys],
          [token, String(lockTtlMs), this.#keys.tagGeneration('', shard), newGeneration(), String(this.#ttlMs(write))],
          { buffers: true },
        );
        const filled = entry ? decodeEntry(entry) : null;
        if (filled) {
          this.#remember(id, entry!, filled, readAt);
          return filled.value as T;
        }
        if (locked === 1) {
          if (waited) this.#stats.lockTakeovers++;
          // The generations as the lock was taken, just before computing: an invalidation from
          // now on keeps this value out of the cache.
          return await this.#computeAndStore(id, compute, write, token, generations.map((g) => g?.toString('latin1') ?? null));
        }
        if (!waited) {
          waited = true;
          this.#stats.lockWaits++;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new TimeoutError(`getOrCompute waited ${waitTimeoutMs} ms for another caller's value of this key; raise stampede.waitTimeoutMs if computing it takes longer`);
        }
        const event = await waiter.next(Math.min(pollIntervalMs, left));
        if (event?.t === 'fail' && onComputeError === 'throw') {
          throw new ComputeFailedError(`The caller computing this value failed: ${event.error ?? 'unknown error'}`);
        }
      }
    } finally {
      waiter.cancel();
    }
  }

  /**
   * Computes and stores (releasing `token`'s lock and waking waiters). On every failure, of the
   * computation or of storing its value (JSON cannot hold it, too large, Redis at maxmemory), the
   * lock is released and the waiters told, so none waits for a value that will not come.
   */
  async #computeAndStore<T>(id: string, compute: () => T | Promise<T>, write: ResolvedWrite, token: string, seen: Found['seen']): Promise<T> {
    const started = performance.now();
    let value: T;
    let prepared: PreparedWrite;
    try {
      this.#stats.computes++;
      try {
        value = await compute();
      } catch (error) {
        this.#stats.computeErrors++;
        throw error;
      }
      prepared = this.#prepare(id, value, write, performance.now() - started);
    } catch (error) {
      if (token) await this.#fail(id, token, error);
      throw error;
    }
    try {
      await this.#store(prepared, token, seen);
    } catch (error) {
      // At maxmemory the script itself released the lock and told the waiters. Otherwise (the
      // connection lost, a timeout) release it if Redis answers; else its TTL does.
      if (token && !(error instanceof OutOfMemoryError)) await this.#fail(id, token, error);
      if (!this.#failsOpen(error)) throw error;
      this.#stats.failOpen++; // computed, but could not be stored: the value is still good
    }
    return value;
  }

  async #refreshInBackground<T>(id: string, compute: () => T | Promise<T>, write: ResolvedWrite, seen: Found['seen']): Promise<void> {
    const token = randomUUID();
    try {
      const taken = await this.#connection.send(['SET', this.#keys.lock(id), token, 'NX', 'PX', String(this.options.stampede.lockTtlMs)], { key: this.#keys.lock(id) });
      if (taken !== 'OK') return; // another caller is refreshing it
      this.#stats.refreshes++;
      await this.#computeAndStore(id, compute, write, token, seen);
    } catch {
      // The stale value was served; the next caller after the lock expires tries again.
    }
  }

  /** Releases `token`'s lock and tells the waiters the value will not come; best effort (the lock's TTL is the fallback). */
  async #fail(id: string, token: string, error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    await runScript(this.#connection, FILL, [this.#keys.entry(id), this.#keys.lock(id)], ['fail', '', '', '0', token, this.#keys.channel, '', this.#message('fail', id, reason), '']).catch(() => undefined);
  }

  /** Encodes a value for storing; throws InvalidArgumentError (naming `path`) when it cannot be. */
  #prepare(id: string, value: unknown, write: ResolvedWrite, computeMs: number, path = ''): PreparedWrite {
    const { ttl, maxValueBytes } = this.options;
    const seconds = ttl.mode === 'none' ? 0 : (write.ttlSeconds ?? ttl.seconds);
    const freshUntil = ttl.mode === 'fixed' ? Date.now() + seconds * 1000 : 0;
    const encoded = encodeEntry({ value, encoding: write.encoding, computeMs, freshUntil, key: write.key }, maxValueBytes, path);
    const entry: Entry = { value, encoding: write.encoding ?? 'json', computeMs, freshUntil };
    return { id, encoded, ttlMs: this.#ttlMs(write), tagIds: this.#tagIds(write), entry };
  }

  /** A write's TTL in ms (0: none); a fixed TTL includes the stale-while-revalidate window. */
  #ttlMs(write: ResolvedWrite): number {
    const { ttl, staleWhileRevalidateSeconds } = this.options;
    if (ttl.mode === 'none') return 0;
    return ttlMilliseconds((write.ttlSeconds ?? ttl.seconds) + (ttl.mode === 'fixed' ? staleWhileRevalidateSeconds : 0));
  }

  #tagIds(write: ResolvedWrite): string[] {
    return [...new Set(write.tags ?? [])].map((t) => Cache.id(t));
  }

  /**
   * Stores a prepared value in one script: the entry with its tags' generations, its tag sets, the
   * lock released, and a message every process hears. `seen`: the generations read before the
   * value was computed (it is not stored if one changed). Returns whether it was stored.
   */
  async #store(p: PreparedWrite, token: string, seen?: Found['seen']): Promise<boolean> {
    await this.#subscribed();
    const shard = this.#keys.shardOf(p.id);
    const stored = await runScript<number>(
      this.#connection,
      FILL,
      [this.#keys.entry(p.id), this.#keys.lock(p.id), ...p.tagIds.flatMap((t) => [this.#keys.tag(t, shard), this.#keys.tagGeneration(t, shard)])],
      [
        'fill',
        p.encoded.header,
        p.encoded.body,
        String(p.ttlMs),
        token,
        this.#keys.channel,
        this.#message('fill', p.id),
        this.#message('fail', p.id, 'the computed value could not be stored: Redis is out of memory (maxmemory)'),
        newGeneration(),
        ...p.tagIds.flatMap((t, i) => [t, seen === undefined ? '' : (seen[i] ?? UNKNOWN_GENERATION)]),
      ],
    );
    if (stored === 1) this.#remember(p.id, joinEntry(p.encoded), p.entry);
    return stored === 1;
  }

  #message(t: 'fill' | 'fail' | 'del', id: string, error?: string): string {
    return JSON.stringify({ t, id, src: this.#instance, ...(error === undefined ? {} : { error }) } satisfies CacheEvent);
  }

  /** The write options with the caller's key, when this cache keeps keys (else unchanged, no copy). */
  #withKey(write: ResolvedWrite, key: string): ResolvedWrite {
    return this.options.keepKeys ? { ...write, key } : write;
  }

  /**
   * The keys of this cache's entries starting with `prefix`, in no particular order, found by
   * SCAN on every master (cluster-safe) and one GET per entry. Needs `keepKeys: true` (keys are
   * otherwise stored only as digests); entries written before that are not listed.
   *
   * @example for await (const key of cache.keys('user:42:')) console.log(key);
   */
  async *keys(prefix = ''): AsyncGenerator<string> {
    if (!this.options.keepKeys) {
      throw new InvalidArgumentError('cache options', [{ path: 'keepKeys', message: `cache ${this.name} does not keep keys: create it with keepKeys: true to list them` }]);
    }
    const wanted = parseInput(z.string().max(8192), prefix, 'key prefix');
    // Only each entry's head is read (header, tags and key), never its value: one pipelined round
    // trip per SCAN batch, and more only for entries whose tags and key run past the first read.
    const head = (key: string, bytes: number) => this.#connection.send<Buffer | null>(['GETRANGE', key, '0', String(bytes - 1)], { key, buffers: true, readonly: true });
    for await (const batch of this.#connection.scan(this.#keys.entryPattern)) {
      const heads = await Promise.all(batch.map((key) => head(key, KEY_HEAD_BYTES)));
      for (const [i, raw] of heads.entries()) {
        let found = raw && raw.length > 0 ? entryKeyOf(raw) : null;
        for (let reads = 0; found && 'need' in found && reads < 2; reads++) {
          const longer = await head(batch[i]!, found.need);
          found = longer ? entryKeyOf(longer) : null;
        }
        if (found && 'key' in found && found.key.startsWith(wanted)) yield found.key;
      }
    }
  }

  /**
   * Reads an entry (near cache first) in one script call: a miss when absent, undecodable, or
   * invalidated by one of its tags. With `write` (getOrCompute), also the current generations of
   * the tags a new value would carry.
   */
  async #read(id: string, write?: ResolvedWrite): Promise<Found> {
    await this.#subscribed();
    const near = this.#near?.get(id);
    if (near) {
      this.#stats.nearHits++;
      return { entry: decodeEntry(near) ?? undefined, seen: undefined };
    }
    const shard = this.#keys.shardOf(id);
    const { ttl } = this.options;
    const tagIds = write ? this.#tagIds(write) : [];
    const readAt = this.#near?.epoch();
    const [raw, ...generations] = await runScript<[Buffer | null, ...(Buffer | null)[]]>(
      this.#connection,
      READ,
      [this.#keys.entry(id), ...tagIds.map((t) => this.#keys.tagGeneration(t, shard))],
      [
        this.#keys.tagGeneration('', shard),
        this.#keys.tag('', shard),
        String(ttl.mode === 'sliding' ? ttlMilliseconds(ttl.seconds) : 0),
        newGeneration(),
        String(write ? this.#ttlMs(write) : 0),
      ],
      { buffers: true },
    );
    const seen = write ? generations.map((g) => g?.toString('latin1') ?? null) : undefined;
    const decoded = raw ? decodeEntry(raw) : null;
    if (!decoded) return { entry: undefined, seen };
    this.#remember(id, raw!, decoded, readAt);
    return { entry: decoded, seen };
  }

  /**
   * Copies an entry into the near cache for no longer than Redis keeps it fresh. `readAt`: the near
   * cache's epoch before the entry was read (the copy is dropped if the entry changed meanwhile).
   */
  #remember(id: string, encoded: Buffer, entry: Entry, readAt?: number): void {
    if (!this.#near) return;
    const { ttl } = this.options;
    const bound = ttl.mode === 'fixed' ? entry.freshUntil - Date.now() : ttl.mode === 'sliding' ? ttl.seconds * 1000 : 0;
    if (ttl.mode === 'fixed' && bound <= 0) return;
    this.#near.set(id, encoded, bound, readAt);
  }

  #failsOpen(error: unknown): boolean {
    // Any failure that may pass by itself (unreachable, slow, loading or failing over, at maxmemory).
    return this.options.failOpen && error instanceof AgentMemoryError && error.transient;
  }

  async #failOpenOr<T>(error: unknown, compute: () => T | Promise<T>): Promise<T> {
    if (!this.#failsOpen(error)) throw error;
    this.#stats.failOpen++;
    this.#stats.computes++;
    return compute();
  }

  /**
   * With a near cache, resolves once the subscriber listens (at once after the first time): every
   * operation that can keep a copy waits for it, so no copy is kept that a change could not reach.
   */
  #subscribed(): Promise<unknown> | undefined {
    return this.#near && !this.#listening ? this.#openEvents() : undefined;
  }

  #openEvents(): Promise<CacheEvents> {
    if (this.#closed) return Promise.reject(new ConnectionError('The cache is closed'));
    this.#events ??= CacheEvents.open(this.#connection, this.#keys.channel, this.#instance, (event) => this.#onForeignChange(event)).then(
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

  /**
   * Starts listening for other processes' changes now. Optional: a cache with a near cache starts
   * on creation, and its first operation waits until it listens; a lock waiter starts it on its
   * first miss.
   */
  async listen(): Promise<void> {
    await this.#openEvents();
  }

  /**
   * Closes the cache's subscriber connection, if it opened one, and drops its near cache (it could
   * no longer hear changes): the cache keeps working on Redis alone. The shared connection stays open.
   */
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
