// A cache of expensive results (LLM calls, embeddings, searches): get/set/delete, tags, fixed or
// sliding TTL, and getOrCompute with stampede protection (lock and recompute, XFetch, stale while
// revalidate). A hit is one plain GET (GETEX when sliding); scripts run only on misses and writes.
// It must never cache a failed computation, leave a lock behind, or hang a waiter without bound.
import { hash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RedisConnection } from '../connection/connect.js';
import { AgentMemoryError, ConnectionError, InvalidArgumentError, TimeoutError } from '../errors.js';
import type { CacheKeys, Keyspace } from '../keys.js';
import { runScript, script } from '../scripts/index.js';
import { parseInput } from '../validate.js';
import { decodeEntry, encodeEntry, entryKeyOf, type Entry } from './envelope.js';
import { CacheEvents, type CacheEvent } from './events.js';
import { NearCache } from './near-cache.js';
import { CacheKeySchema, CacheOptionsSchema, TagSchema, WriteOptionsSchema, type CacheOptions, type ResolvedCacheOptions, type WriteOptions } from './options.js';
import { shouldRecomputeEarly } from './xfetch.js';

/** Bytes read of each entry when listing keys: the header and a key of up to about 1 KB. */
const KEY_HEAD_BYTES = 1024;

const FILL = script('cache-fill-n');
const LOCK = script('cache-lock-2');
const INVALIDATE_TAG = script('cache-invalidate-tag-1');

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

const ComputeSchema = z.custom<() => unknown>((v) => typeof v === 'function', 'must be a function');

export class Cache {
  readonly name: string;
  readonly options: ResolvedCacheOptions;
  readonly #connection: RedisConnection;
  readonly #keys: CacheKeys;
  readonly #instance = randomUUID();
  readonly #flights = new Map<string, Promise<unknown>>();
  readonly #near: NearCache | undefined;
  readonly #stats: CacheStats = {
    hits: 0, misses: 0, nearHits: 0, staleServed: 0, computes: 0, earlyRecomputes: 0, refreshes: 0,
    lockWaits: 0, lockTakeovers: 0, coalesced: 0, computeErrors: 0, failOpen: 0,
  };
  #events: Promise<CacheEvents> | undefined;
  #closed = false;

  constructor(connection: RedisConnection, keyspace: Keyspace, options: CacheOptions) {
    this.options = parseInput(CacheOptionsSchema, options, 'cache options');
    this.name = this.options.name;
    this.#connection = connection;
    this.#keys = keyspace.cache(this.name, this.options.shards);
    const near = this.options.nearCache;
    this.#near = near ? new NearCache(near.maxEntries, near.ttlSeconds * 1000) : undefined;
  }

  /** The entry id of a key: a digest, so any string is a valid key and keys cannot collide with each other's structure. */
  static id(key: string): string {
    return hash('sha256', key, 'base64url').slice(0, 22);
  }

  /** A copy of the counters. */
  stats(): CacheStats {
    return { ...this.#stats };
  }

  /** The cached value, or undefined. A sliding cache refreshes the TTL in the same command. */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    const id = Cache.id(parseInput(CacheKeySchema, key, 'cache key'));
    const found = await this.#read(id);
    if (found === undefined) {
      this.#stats.misses++;
      return undefined;
    }
    this.#stats.hits++;
    return found.value as T;
  }

  /** Values of many keys in one round trip (pipelined GETs, so cluster-safe); undefined for misses. */
  async getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    const ids = keys.map((k) => Cache.id(parseInput(CacheKeySchema, k, 'cache key')));
    const found = await Promise.all(ids.map((id) => this.#read(id)));
    return found.map((f) => {
      this.#stats[f === undefined ? 'misses' : 'hits']++;
      return f?.value as T | undefined;
    });
  }

  /** Stores a value. A value that is not JSON (or not bytes, with `encoding: 'bytes'`) or too large is an InvalidArgumentError, and nothing is written. */
  async set(key: string, value: unknown, options: WriteOptions = {}): Promise<void> {
    const id = Cache.id(parseInput(CacheKeySchema, key, 'cache key'));
    const write = this.#withKey(parseInput(WriteOptionsSchema, options, 'cache write options'), key);
    await this.#write(id, value, write, 0, '');
  }

  /** Stores many values, pipelined. */
  async setMany(entries: readonly { key: string; value: unknown; options?: WriteOptions }[]): Promise<void> {
    const prepared = entries.map((e) => ({ id: Cache.id(parseInput(CacheKeySchema, e.key, 'cache key')), value: e.value, write: this.#withKey(parseInput(WriteOptionsSchema, e.options ?? {}, 'cache write options'), e.key) }));
    await Promise.all(prepared.map((p) => this.#write(p.id, p.value, p.write, 0, '')));
  }

  /** Deletes an entry (explicit invalidation). Returns whether it existed. */
  async delete(key: string): Promise<boolean> {
    const id = Cache.id(parseInput(CacheKeySchema, key, 'cache key'));
    const entry = this.#keys.entry(id);
    const [deleted] = await Promise.all([
      this.#connection.send<number>(['DEL', entry], { key: entry }),
      this.#near ? this.#publish({ t: 'del', id, src: this.#instance }) : undefined,
    ]);
    this.#near?.delete(id);
    return deleted === 1;
  }

  /** Deletes every entry carrying `tag`, in every shard (one script a shard, pipelined). Returns how many. */
  async invalidateTag(tag: string): Promise<number> {
    const tagId = Cache.id(parseInput(TagSchema, tag, 'tag'));
    const counts = await Promise.all(
      Array.from({ length: this.options.shards }, (_, shard) => runScript<number>(this.#connection, INVALIDATE_TAG, [this.#keys.tag(tagId, shard)], [])),
    );
    // A near-cache copy does not know its tags: a tag invalidation clears the near cache.
    this.#near?.clear();
    if (this.#near) await this.#publish({ t: 'tag', tag: tagId, src: this.#instance });
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * The cached value, or `compute()`'s, stored. Under the `lock` strategy only one caller among all
   * processes computes a missing value; the others wait for it (notified by pub/sub) up to
   * `waitTimeoutMs`. A failed computation caches nothing and releases the lock.
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
    let found: Entry | undefined;
    try {
      found = await this.#read(id);
    } catch (error) {
      return this.#failOpenOr(error, compute);
    }
    if (found) return this.#served(id, found, compute, write);
    const again = this.#flights.get(id);
    if (again) {
      this.#stats.coalesced++;
      return again as Promise<T>;
    }
    const flight = this.#missed(id, compute, write).finally(() => this.#flights.delete(id));
    this.#flights.set(id, flight);
    return flight;
  }

  /** A hit: fresh, stale (served while one caller refreshes), or due for an XFetch early recompute. */
  async #served<T>(id: string, found: Entry, compute: () => T | Promise<T>, write: ResolvedWrite): Promise<T> {
    this.#stats.hits++;
    const now = Date.now();
    const { stampede, staleWhileRevalidateSeconds } = this.options;
    if (found.freshUntil > 0 && now >= found.freshUntil && staleWhileRevalidateSeconds > 0) {
      this.#stats.staleServed++;
      void this.#refreshInBackground(id, compute, write);
      return found.value as T;
    }
    if (stampede.mode === 'xfetch' && shouldRecomputeEarly(now, found.freshUntil, found.computeMs, stampede.xfetchBeta)) {
      this.#stats.earlyRecomputes++;
      return this.#computeAndStore(id, compute, write, '');
    }
    return found.value as T;
  }

  async #missed<T>(id: string, compute: () => T | Promise<T>, write: ResolvedWrite): Promise<T> {
    this.#stats.misses++;
    if (this.options.stampede.mode !== 'lock') return this.#computeAndStore(id, compute, write, '');
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
    let waited = false;
    try {
      for (;;) {
        const token = randomUUID();
        const readAt = this.#near?.epoch();
        const [entry, locked] = await runScript<[Buffer | null, number]>(this.#connection, LOCK, [this.#keys.entry(id), this.#keys.lock(id)], [token, String(lockTtlMs)], { buffers: true });
        const filled = entry ? decodeEntry(entry) : null;
        if (filled) {
          this.#remember(id, entry!, filled, readAt);
          return filled.value as T;
        }
        if (locked === 1) {
          if (waited) this.#stats.lockTakeovers++;
          return await this.#computeAndStore(id, compute, write, token);
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

  /** Computes, stores (releasing `token`'s lock and waking waiters), and on failure releases the lock and tells the waiters. */
  async #computeAndStore<T>(id: string, compute: () => T | Promise<T>, write: ResolvedWrite, token: string): Promise<T> {
    const started = performance.now();
    let value: T;
    try {
      this.#stats.computes++;
      value = await compute();
    } catch (error) {
      this.#stats.computeErrors++;
      if (token) {
        const message = JSON.stringify({ t: 'fail', id, src: this.#instance, error: error instanceof Error ? error.message : String(error) });
        await runScript(this.#connection, FILL, [this.#keys.entry(id), this.#keys.lock(id)], ['fail', '', '0', token, this.#keys.channel, message]).catch(() => undefined);
      }
      throw error;
    }
    try {
      await this.#write(id, value, write, performance.now() - started, token);
    } catch (error) {
      if (!this.#failsOpen(error)) throw error;
      this.#stats.failOpen++; // computed, but could not be stored: the value is still good
    }
    return value;
  }

  async #refreshInBackground<T>(id: string, compute: () => T | Promise<T>, write: ResolvedWrite): Promise<void> {
    const token = randomUUID();
    try {
      const taken = await this.#connection.send(['SET', this.#keys.lock(id), token, 'NX', 'PX', String(this.options.stampede.lockTtlMs)], { key: this.#keys.lock(id) });
      if (taken !== 'OK') return; // another caller is refreshing it
      this.#stats.refreshes++;
      await this.#computeAndStore(id, compute, write, token);
    } catch {
      // The stale value was served; the next caller after the lock expires tries again.
    }
  }

  /** Encodes and stores; one SET when there is nothing else to do, else one script. */
  async #write(id: string, value: unknown, write: ResolvedWrite, computeMs: number, token: string): Promise<void> {
    const { ttl, staleWhileRevalidateSeconds, maxValueBytes } = this.options;
    const seconds = ttl.mode === 'none' ? 0 : (write.ttlSeconds ?? ttl.seconds);
    const freshUntil = ttl.mode === 'fixed' ? Date.now() + seconds * 1000 : 0;
    const ttlMs = ttl.mode === 'none' ? 0 : Math.round((seconds + (ttl.mode === 'fixed' ? staleWhileRevalidateSeconds : 0)) * 1000);
    const encoded = encodeEntry({ value, encoding: write.encoding, computeMs, freshUntil, key: write.key }, maxValueBytes);
    const entry = this.#keys.entry(id);
    const tagIds = (write.tags ?? []).map((t) => Cache.id(t));
    const notify = token !== '' || this.#near !== undefined;
    if (tagIds.length === 0 && !notify) {
      await this.#connection.send(ttlMs > 0 ? ['SET', entry, encoded, 'PX', String(ttlMs)] : ['SET', entry, encoded], { key: entry });
    } else {
      const shard = this.#keys.shardOf(id);
      const message = notify ? JSON.stringify({ t: token ? 'fill' : 'del', id, src: this.#instance }) : '';
      await runScript(this.#connection, FILL, [entry, this.#keys.lock(id), ...tagIds.map((t) => this.#keys.tag(t, shard))], ['fill', encoded, String(ttlMs), token, this.#keys.channel, message]);
    }
    if (this.#near) this.#remember(id, encoded, { value, encoding: write.encoding ?? 'json', computeMs, freshUntil });
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
    // Only each entry's head is read (header and key), never its value: one pipelined round trip
    // per SCAN batch, and a second only for keys longer than the first read.
    const head = (key: string, bytes: number) => this.#connection.send<Buffer | null>(['GETRANGE', key, '0', String(bytes - 1)], { key, buffers: true, readonly: true });
    for await (const batch of this.#connection.scan(this.#keys.entryPattern)) {
      const heads = await Promise.all(batch.map((key) => head(key, KEY_HEAD_BYTES)));
      for (const [i, raw] of heads.entries()) {
        let found = raw && raw.length > 0 ? entryKeyOf(raw) : null;
        if (found && 'need' in found) {
          const longer = await head(batch[i]!, found.need);
          found = longer ? entryKeyOf(longer) : null;
        }
        if (found && 'key' in found && found.key.startsWith(wanted)) yield found.key;
      }
    }
  }

  /** Reads an entry (near cache first); undefined on a miss or an undecodable value. */
  async #read(id: string): Promise<Entry | undefined> {
    const near = this.#near?.get(id);
    if (near) {
      this.#stats.nearHits++;
      return decodeEntry(near) ?? undefined;
    }
    const entry = this.#keys.entry(id);
    const { ttl } = this.options;
    const args = ttl.mode === 'sliding' ? ['GETEX', entry, 'PX', String(Math.round(ttl.seconds * 1000))] : ['GET', entry];
    const readAt = this.#near?.epoch();
    const raw = await this.#connection.send<Buffer | null>(args, { key: entry, buffers: true, readonly: ttl.mode !== 'sliding' });
    const decoded = raw ? decodeEntry(raw) : null;
    if (!decoded) return undefined;
    this.#remember(id, raw!, decoded, readAt);
    return decoded;
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
    return this.options.failOpen && (error instanceof ConnectionError || error instanceof TimeoutError);
  }

  async #failOpenOr<T>(error: unknown, compute: () => T | Promise<T>): Promise<T> {
    if (!this.#failsOpen(error)) throw error;
    this.#stats.failOpen++;
    this.#stats.computes++;
    return compute();
  }

  #openEvents(): Promise<CacheEvents> {
    if (this.#closed) return Promise.reject(new ConnectionError('The cache is closed'));
    this.#events ??= CacheEvents.open(this.#connection, this.#keys.channel, this.#instance, (event) => this.#onForeignChange(event)).catch((error: unknown) => {
      this.#events = undefined;
      throw error;
    });
    return this.#events;
  }

  #onForeignChange(event: CacheEvent): void {
    if (!this.#near) return;
    if (event.t === 'tag') this.#near.clear();
    else this.#near.delete(event.id);
  }

  async #publish(event: CacheEvent): Promise<void> {
    await this.#connection.send(['PUBLISH', this.#keys.channel, JSON.stringify(event)]);
  }

  /**
   * Starts listening for other processes' changes (automatic on the first miss under the lock
   * strategy). With a near cache, call it once at start so that invalidations from the first
   * moment on reach this process.
   */
  async listen(): Promise<void> {
    await this.#openEvents();
  }

  /** Closes the cache's subscriber connection, if it opened one. The shared connection stays open. */
  async close(): Promise<void> {
    this.#closed = true;
    const events = this.#events;
    this.#events = undefined;
    if (events) await (await events.catch(() => undefined))?.close();
  }
}
