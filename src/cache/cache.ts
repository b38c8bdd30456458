// A cache of expensive results (LLM calls, embeddings, searches): get/set/delete, tags, fixed or
// sliding TTL, and getOrCompute with stampede protection (lock and recompute, XFetch, stale while
// revalidate). Every operation is one round trip: a hit of an untagged entry a plain GET (GETEX
// for a sliding TTL), of a tagged one the read script, which checks its tags; the rest one script
// call a shard. Every write publishes, so near caches
// in any process drop their copies. It must never cache a failed computation, leave a lock behind,
// hang a waiter without bound, or serve an entry after one of its tags was invalidated.
// Here: get/set and getOrCompute's core; locks in stampede.ts, tags in tags.ts, the near cache's
// wiring in near-cache-link.ts.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RedisConnection } from '../connection/connect.js';
import { AgentMemoryError, InvalidArgumentError, OutOfMemoryError } from '../errors.js';
import { EventLog } from '../events/event-log.js';
import type { CacheKeys, Keyspace } from '../keys.js';
import { cacheDelete, cacheFill, cacheRead } from '../scripts/cache.js';
import { parseInput } from '../validate.js';
import { decodeEntry, encodeEntry, entryKeyOf, joinEntry, recordsTags, type EncodedEntry, type Entry } from './envelope.js';
import { NearCacheLink } from './near-cache-link.js';
import type { Operation, SpanLike, TelemetryAttributes } from '../observe/telemetry.js';
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
  type ResolvedWrite,
  type WriteOptions,
} from './options.js';
import { Stampede, type Seen } from './stampede.js';
import { newStats, type CacheStats } from './stats.js';
import { digestId, invalidateTagEverywhere, newGeneration, tagIdsOf, UNKNOWN_GENERATION } from './tags.js';
import { shouldRecomputeEarly } from './xfetch.js';

/** Bytes read of each entry when listing keys: the header and a key of up to about 1 KB. */
const KEY_HEAD_BYTES = 1024;

export { ComputeFailedError } from './stampede.js';
export type { CacheStats } from './stats.js';

/** Reads through the script after finding a tagged entry, before a plain GET is tried again. */
const SCRIPT_READS = 64;

/** No tags, or no generations: shared, never changed. */
const NO_TAGS: readonly never[] = Object.freeze([]);

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
  seen: Seen;
}

/** A recording span of a lookup learns whether it hit. */
const describeLookup = (span: SpanLike, found: Found): void => {
  span.setAttribute('agent_memory.cache.hit', found.entry !== undefined);
};

const ComputeSchema = z.custom<() => unknown>((v) => typeof v === 'function', 'must be a function');

export class Cache {
  readonly name: string;
  readonly options: ResolvedCacheOptions;
  readonly #connection: RedisConnection;
  readonly #keys: CacheKeys;
  readonly #flights = new Map<string, Promise<unknown>>();
  readonly #stats: CacheStats = newStats();
  /** The near cache and the subscriber that keeps it (and lock waiters) informed. */
  readonly #link: NearCacheLink;
  readonly #stampede: Stampede;
  /** Where invalidations are published, when `options.events` is on. */
  readonly #events: EventLog;
  /** A sliding TTL in ms, as the GETEX of a hit sends it; '' for a fixed TTL or none. */
  readonly #slidingPx: string;
  /**
   * How many more reads go through the read script before a plain GET is tried again: a tagged
   * entry found sets it to SCRIPT_READS, an untagged one counts it down. So a cache of untagged
   * entries reads with GET, one of tagged entries with the script, and a mixed one rarely pays a
   * second round trip (a tagged entry found by a GET).
   */
  #scriptReads = 0;
  /** Its spans, and the attributes of its hit and miss counts (`agent_memory.cache.name` is a name you chose, not data). */
  readonly #ops: Record<'get' | 'getMany' | 'set' | 'setMany' | 'getOrCompute' | 'delete' | 'invalidateTag', Operation>;
  readonly #hit: TelemetryAttributes;
  readonly #miss: TelemetryAttributes;

  /** `events`: the log this cache publishes to when `options.events` is on (default one of its own, default config). */
  constructor(connection: RedisConnection, keyspace: Keyspace, options: CacheOptions, events = new EventLog(connection, keyspace)) {
    this.options = parseInput(CacheOptionsSchema, options, 'cache options');
    this.name = this.options.name;
    this.#connection = connection;
    this.#events = events;
    this.#keys = keyspace.cache(this.name, this.options.shards);
    this.#slidingPx = this.options.ttl.mode === 'sliding' ? String(ttlMilliseconds(this.options.ttl.seconds)) : '';
    this.#link = new NearCacheLink(connection, this.#keys.channel, randomUUID(), this.options);
    const telemetry = connection.telemetry;
    const named = { 'agent_memory.cache.name': this.name };
    const op = (name: string) => telemetry.operation(name, named);
    this.#ops = {
      get: op('cache.get'),
      getMany: op('cache.get_many'),
      set: op('cache.set'),
      setMany: op('cache.set_many'),
      getOrCompute: op('cache.get_or_compute'),
      delete: op('cache.delete'),
      invalidateTag: op('cache.invalidate_tag'),
    };
    this.#hit = Object.freeze({ ...telemetry.common, ...named, 'agent_memory.cache.hit': true });
    this.#miss = Object.freeze({ ...telemetry.common, ...named, 'agent_memory.cache.hit': false });
    const waits = Object.freeze({ ...telemetry.common, ...named });
    this.#stampede = new Stampede({
      connection,
      keys: this.#keys,
      options: this.options,
      stats: this.#stats,
      link: this.#link,
      ttlMs: (write) => this.#ttlMs(write),
      computeAndStore: (id, compute, write, token, seen) => this.#computeAndStore(id, compute, write, token, seen),
      waited: () => telemetry.stampedeWait(waits),
    });
  }

  /** The entry id of a key: a digest, so any string is a valid key and keys cannot collide with each other's structure. */
  static id(key: string): string {
    return digestId(key);
  }

  /**
   * The id (a digest) this cache names `key`, or a tag, by: in its Redis keys and in its
   * `cache.invalidated` events, which never carry keys or tag names.
   *
   * @example if (event.type === 'cache.invalidated' && event.tag === answers.idOf('doc:42')) reindex();
   */
  idOf(keyOrTag: string): string {
    return Cache.id(parseInput(CacheKeySchema, keyOrTag, 'cache key or tag'));
  }

  /** A copy of the counters. */
  stats(): CacheStats {
    return { ...this.#stats };
  }

  /** The cached value, or undefined. A sliding cache refreshes the TTL in the same call. */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    const found = await this.#ops.get.run(() => this.#read(Cache.id(parseInput(CacheKeySchema, key, 'cache key'))), describeLookup);
    this.#counted(found.entry !== undefined, 1);
    return found.entry?.value as T | undefined;
  }

  /** Counts `count` hits (or misses), in the stats and the lookups metric. */
  #counted(hit: boolean, count: number): void {
    this.#stats[hit ? 'hits' : 'misses'] += count;
    this.#connection.telemetry.cacheLookups(hit ? this.#hit : this.#miss, count);
  }

  /** Values of many keys in one round trip (pipelined, so cluster-safe); undefined for misses. */
  async getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    return this.#ops.getMany.run(async (span) => {
      const ids = parseInput(CacheKeysSchema, keys, 'cache keys').map((k) => Cache.id(k));
      const found = await Promise.all(ids.map((id) => this.#read(id)));
      const values = found.map(({ entry }) => entry?.value as T | undefined);
      const hits = values.reduce((n, _, i) => (found[i]!.entry === undefined ? n : n + 1), 0);
      this.#counted(true, hits);
      this.#counted(false, values.length - hits);
      if (span) {
        span.setAttribute('agent_memory.key_count', values.length);
        span.setAttribute('agent_memory.result_count', hits);
      }
      return values;
    });
  }

  /**
   * Stores a value. A value that JSON cannot hold exactly (NaN, ±Infinity, BigInt, undefined, a
   * cycle), bytes that are not, or a value over `maxValueBytes` is an InvalidArgumentError, and
   * nothing is written. At maxmemory, an OutOfMemoryError, and nothing is written either.
   */
  async set(key: string, value: unknown, options: WriteOptions = {}): Promise<void> {
    return this.#ops.set.run(async () => {
      const id = Cache.id(parseInput(CacheKeySchema, key, 'cache key'));
      const write = this.#withKey(parseInput(WriteOptionsSchema, options, 'cache write options'), key);
      await this.#store(this.#prepare(id, value, write, 0), '');
    });
  }

  /**
   * Stores many values, pipelined. Every entry is checked and encoded first: one bad entry and
   * nothing is written. Each entry is stored whole or not at all, but not all of them at once.
   */
  async setMany(entries: readonly { key: string; value: unknown; options?: WriteOptions }[]): Promise<void> {
    return this.#ops.setMany.run(async (span) => {
      const parsed = parseInput(CacheEntriesSchema, entries, 'cache entries');
      const prepared = parsed.map((e, i) =>
        this.#prepare(Cache.id(e.key), e.value, this.#withKey(e.options ?? NO_OPTIONS, e.key), 0, `${i}.value`),
      );
      span?.setAttribute('agent_memory.key_count', prepared.length);
      await Promise.all(prepared.map((p) => this.#store(p, '')));
    });
  }

  /**
   * Deletes an entry (explicit invalidation), telling near caches everywhere. Returns whether it
   * existed. With `events: true`, a deletion of an entry that existed publishes `cache.invalidated`
   * in the same script.
   */
  async delete(key: string): Promise<boolean> {
    return this.#ops.delete.run(async (span) => {
      const deleted = await this.#delete(key);
      span?.setAttribute('agent_memory.result_count', deleted ? 1 : 0);
      return deleted;
    });
  }

  async #delete(key: string): Promise<boolean> {
    const id = Cache.id(parseInput(CacheKeySchema, key, 'cache key'));
    const entry = this.#keys.entry(id);
    const publishes = this.options.events;
    const [, registerLater] = await Promise.all([
      this.#link.subscribed(),
      publishes ? this.#events.registerEvenAtMaxmemory(entry) : undefined,
    ]);
    const deleted = await cacheDelete(this.#connection, this.#keys, {
      id,
      message: this.#link.message('del', id),
      cache: this.name,
      events: this.#events.cacheEvents(entry, publishes),
    });
    await registerLater?.();
    this.#link.delete(id);
    return deleted;
  }

  /**
   * Invalidates a tag in every shard (one script a shard, pipelined): from when it returns, no
   * entry written with the tag before is served, whatever key eviction took. Returns how many
   * such entries it deleted at once (entries it could not find, their tag set evicted, are never
   * served either, but not counted). With `events: true`, it publishes one `cache.invalidated`
   * (see {@link invalidateTagEverywhere}).
   */
  async invalidateTag(tag: string): Promise<number> {
    return this.#ops.invalidateTag.run(async (span) => {
      const deleted = await this.#invalidateTag(tag);
      span?.setAttribute('agent_memory.result_count', deleted);
      return deleted;
    });
  }

  async #invalidateTag(tag: string): Promise<number> {
    const tagId = Cache.id(parseInput(TagSchema, tag, 'tag'));
    await this.#link.subscribed();
    const deleted = await invalidateTagEverywhere(
      this.#connection,
      this.#keys,
      this.options.shards,
      { id: tagId, message: this.#link.tagMessage(tagId), cache: this.name },
      this.#events,
      this.options.events,
    );
    // A near-cache copy does not know its tags: a tag invalidation clears the near cache.
    this.#link.clear();
    return deleted;
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
    return this.#ops.getOrCompute.run((span) => this.#getOrCompute(key, compute, options, span));
  }

  /** getOrCompute; `span` (while recording) learns whether the value was found or computed, or joined this process's computation. */
  async #getOrCompute<T>(key: string, compute: () => T | Promise<T>, options: WriteOptions, span: SpanLike | undefined): Promise<T> {
    const id = Cache.id(parseInput(CacheKeySchema, key, 'cache key'));
    if (typeof compute !== 'function') parseInput(ComputeSchema, compute, 'compute'); // throws
    const write = this.#withKey(options === NO_OPTIONS ? NO_OPTIONS : parseInput(WriteOptionsSchema, options, 'cache write options'), key);
    // A hit needs no bookkeeping; only a miss joins or starts this process's one computation of the key.
    const running = this.#flights.get(id);
    if (running) {
      this.#stats.coalesced++;
      span?.setAttribute('agent_memory.cache.coalesced', true);
      return running as Promise<T>;
    }
    let found: Found;
    try {
      found = await this.#read(id, write);
    } catch (error) {
      return this.#failOpenOr(error, compute);
    }
    span?.setAttribute('agent_memory.cache.hit', found.entry !== undefined);
    if (found.entry) return this.#served(id, found.entry, compute, write, found.seen);
    const again = this.#flights.get(id);
    if (again) {
      this.#stats.coalesced++;
      span?.setAttribute('agent_memory.cache.coalesced', true);
      return again as Promise<T>;
    }
    const flight = this.#missed(id, compute, write, found.seen).finally(() => this.#flights.delete(id));
    this.#flights.set(id, flight);
    return flight;
  }

  /** A hit: fresh, stale (served while one caller refreshes), or due for an XFetch early recompute. */
  #served<T>(id: string, found: Entry, compute: () => T | Promise<T>, write: ResolvedWrite, seen: Seen): T | Promise<T> {
    this.#counted(true, 1);
    const now = Date.now();
    const { stampede, staleWhileRevalidateSeconds } = this.options;
    if (found.freshUntil > 0 && now >= found.freshUntil && staleWhileRevalidateSeconds > 0) {
      this.#stats.staleServed++;
      void this.#stampede.refreshInBackground(id, compute, write, seen);
      return found.value as T;
    }
    if (stampede.mode === 'xfetch' && shouldRecomputeEarly(now, found.freshUntil, found.computeMs, stampede.xfetchBeta)) {
      this.#stats.earlyRecomputes++;
      return this.#computeAndStore(id, compute, write, '', seen);
    }
    return found.value as T;
  }

  async #missed<T>(id: string, compute: () => T | Promise<T>, write: ResolvedWrite, seen: Seen): Promise<T> {
    this.#counted(false, 1);
    if (this.options.stampede.mode !== 'lock') return this.#computeAndStore(id, compute, write, '', seen);
    try {
      return await this.#stampede.computeUnderLock(id, compute, write);
    } catch (error) {
      return this.#failOpenOr(error, compute);
    }
  }

  /**
   * Computes and stores (releasing `token`'s lock and waking waiters). On every failure, of the
   * computation or of storing its value (JSON cannot hold it, too large, Redis at maxmemory), the
   * lock is released and the waiters told, so none waits for a value that will not come.
   */
  async #computeAndStore<T>(id: string, compute: () => T | Promise<T>, write: ResolvedWrite, token: string, seen: Seen): Promise<T> {
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
      if (token) await this.#stampede.fail(id, token, error);
      throw error;
    }
    try {
      await this.#store(prepared, token, seen);
    } catch (error) {
      // At maxmemory the script itself released the lock and told the waiters. Otherwise (the
      // connection lost, a timeout) release it if Redis answers; else its TTL does.
      if (token && !(error instanceof OutOfMemoryError)) await this.#stampede.fail(id, token, error);
      if (!this.#failsOpen(error)) throw error;
      this.#stats.failOpen++; // computed, but could not be stored: the value is still good
    }
    return value;
  }

  /** Encodes a value for storing; throws InvalidArgumentError (naming `path`) when it cannot be. */
  #prepare(id: string, value: unknown, write: ResolvedWrite, computeMs: number, path = ''): PreparedWrite {
    const { ttl, maxValueBytes } = this.options;
    const seconds = ttl.mode === 'none' ? 0 : (write.ttlSeconds ?? ttl.seconds);
    const freshUntil = ttl.mode === 'fixed' ? Date.now() + seconds * 1000 : 0;
    const encoded = encodeEntry({ value, encoding: write.encoding, computeMs, freshUntil, key: write.key }, maxValueBytes, path);
    const entry: Entry = { value, encoding: write.encoding ?? 'json', computeMs, freshUntil };
    return { id, encoded, ttlMs: this.#ttlMs(write), tagIds: tagIdsOf(write.tags), entry };
  }

  /** A write's TTL in ms (0: none); a fixed TTL includes the stale-while-revalidate window. */
  #ttlMs(write: ResolvedWrite): number {
    const { ttl, staleWhileRevalidateSeconds } = this.options;
    if (ttl.mode === 'none') return 0;
    return ttlMilliseconds((write.ttlSeconds ?? ttl.seconds) + (ttl.mode === 'fixed' ? staleWhileRevalidateSeconds : 0));
  }

  /**
   * Stores a prepared value in one script: the entry with its tags' generations, its tag sets, the
   * lock released, and a message every process hears. `seen`: the generations read before the
   * value was computed (it is not stored if one changed). Returns whether it was stored.
   */
  async #store(p: PreparedWrite, token: string, seen?: Seen): Promise<boolean> {
    await this.#link.subscribed();
    const stored = await cacheFill(this.#connection, this.#keys, {
      id: p.id,
      header: p.encoded.header,
      body: p.encoded.body,
      ttlMs: p.ttlMs,
      token,
      storedMessage: this.#link.message('fill', p.id),
      failedMessage: this.#link.message('fail', p.id, 'the computed value could not be stored: Redis is out of memory (maxmemory)'),
      newGeneration: newGeneration(),
      tags: p.tagIds.map((t, i) => ({ id: t, seen: seen === undefined ? '' : (seen[i] ?? UNKNOWN_GENERATION) })),
    });
    if (stored) this.#link.remember(p.id, joinEntry(p.encoded), p.entry);
    return stored;
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
      throw new InvalidArgumentError('cache options', [
        { path: 'keepKeys', message: `cache ${this.name} does not keep keys: create it with keepKeys: true to list them` },
      ]);
    }
    const wanted = parseInput(z.string().max(8192), prefix, 'key prefix');
    // Only each entry's head is read (header, tags and key), never its value: one pipelined round
    // trip per SCAN batch, and more only for entries whose tags and key run past the first read.
    const head = (key: string, bytes: number) =>
      this.#connection.send<Buffer | null>(['GETRANGE', key, '0', String(bytes - 1)], { key, buffers: true, readonly: true });
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
   * Reads an entry (near cache first), in one round trip: a miss when absent, undecodable, or
   * invalidated by one of its tags. With `write` (getOrCompute), also the current generations of
   * the tags a new value would carry.
   */
  #read(id: string, write?: ResolvedWrite): Promise<Found> {
    const subscribing = this.#link.subscribed();
    return subscribing ? subscribing.then(() => this.#readNow(id, write)) : this.#readNow(id, write);
  }

  /**
   * An entry that records no tags needs no check: it is read with a plain GET (GETEX … PX for a
   * sliding TTL). One that does, or a read that wants generations, goes through the read script,
   * which checks the tags, moves a sliding TTL with their keys', and makes the generations. Which
   * one a read needs is known only once it is read: the cache guesses from what it found lately
   * (`#scriptReads`), and a tagged entry found by a plain read is read again by the script.
   */
  async #readNow(id: string, write?: ResolvedWrite): Promise<Found> {
    const near = this.#link.get(id);
    if (near) {
      this.#stats.nearHits++;
      return { entry: decodeEntry(near) ?? undefined, seen: undefined };
    }
    const tagIds = write?.tags?.length ? tagIdsOf(write.tags) : NO_TAGS;
    const seen: Seen = write ? NO_TAGS : undefined;
    if (tagIds.length === 0 && this.#scriptReads === 0) {
      const key = this.#keys.entry(id);
      const readAt = this.#link.epoch();
      const raw = await this.#connection.send<Buffer | null>(this.#slidingPx ? ['GETEX', key, 'PX', this.#slidingPx] : ['GET', key], {
        key,
        buffers: true,
        harmlessIfLate: true,
      });
      if (!raw) return { entry: undefined, seen };
      if (!recordsTags(raw)) return this.#found(id, raw, readAt, seen);
      this.#scriptReads = SCRIPT_READS;
    }
    const readAt = this.#link.epoch();
    const { entry: raw, generations } = await cacheRead(this.#connection, this.#keys, {
      id,
      tagIds,
      slidingTtlMs: this.#slidingPx ? Number(this.#slidingPx) : 0,
      newGeneration: tagIds.length > 0 ? newGeneration() : '',
      generationTtlMs: write ? this.#ttlMs(write) : 0,
    });
    if (!raw) return { entry: undefined, seen: write ? generations : undefined };
    if (recordsTags(raw)) this.#scriptReads = SCRIPT_READS;
    else if (this.#scriptReads > 0) this.#scriptReads--;
    return this.#found(id, raw, readAt, write ? generations : undefined);
  }

  /** A stored entry read from Redis, decoded (a miss if it is not one) and kept in the near cache. */
  #found(id: string, raw: Buffer, readAt: number | undefined, seen: Seen): Found {
    const decoded = decodeEntry(raw);
    if (!decoded) return { entry: undefined, seen };
    this.#link.remember(id, raw, decoded, readAt);
    return { entry: decoded, seen };
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
   * Starts listening for other processes' changes now. Optional: a cache with a near cache starts
   * on creation, and its first operation waits until it listens; a lock waiter starts it on its
   * first miss.
   */
  async listen(): Promise<void> {
    await this.#link.events();
  }

  /**
   * Closes the cache's subscriber connection, if it opened one, and drops its near cache (it could
   * no longer hear changes): the cache keeps working on Redis alone. The shared connection stays open.
   */
  async close(): Promise<void> {
    await this.#link.close();
  }
}
