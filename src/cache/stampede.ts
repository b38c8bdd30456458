// Stampede protection of getOrCompute: under the `lock` strategy one caller among all processes
// computes a missing value while the others wait for its fill (pub/sub, with a slow poll behind
// it); a stale value is refreshed by one caller in the background. It must never leave a lock
// behind, hang a waiter without bound, or let a waiter miss that the computation failed.
import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '../connection/connect.js';
import { AgentMemoryError, TimeoutError } from '../errors.js';
import type { CacheKeys } from '../keys.js';
import { cacheFail, cacheLock } from '../scripts/cache.js';
import { decodeEntry } from './envelope.js';
import type { NearCacheLink } from './near-cache-link.js';
import type { ResolvedCacheOptions, ResolvedWrite } from './options.js';
import type { CacheStats } from './stats.js';
import { newGeneration, tagIdsOf } from './tags.js';

/** The computation failed in another process; its error message is kept. */
export class ComputeFailedError extends AgentMemoryError {
  constructor(message: string) {
    super('COMPUTE_FAILED', message);
    this.name = 'ComputeFailedError';
  }
}

/** Per tag of the write, its generation before computing (null: unknown); undefined: not read. */
export type Seen = readonly (string | null)[] | undefined;

/** What the stampede protection needs of its cache. */
export interface StampedeHost {
  readonly connection: RedisConnection;
  readonly keys: CacheKeys;
  readonly options: ResolvedCacheOptions;
  readonly stats: CacheStats;
  readonly link: NearCacheLink;
  /** A write's TTL in ms (0: none), which a generation key made for it gets too. */
  ttlMs(write: ResolvedWrite): number;
  /** Computes and stores, releasing `token`'s lock and waking the waiters, whatever happens. */
  computeAndStore<T>(id: string, compute: () => T | Promise<T>, write: ResolvedWrite, token: string, seen: Seen): Promise<T>;
  /** A miss starts waiting for another caller's value (the stampede-waits metric). */
  waited(): void;
}

export class Stampede {
  constructor(private readonly host: StampedeHost) {}

  /** A miss under the `lock` strategy: the value another caller stores meanwhile, or this caller's, computed under the lock. */
  async computeUnderLock<T>(id: string, compute: () => T | Promise<T>, write: ResolvedWrite): Promise<T> {
    const { connection, keys, options, stats, link } = this.host;
    const { lockTtlMs, waitTimeoutMs, pollIntervalMs, onComputeError } = options.stampede;
    const events = await link.events();
    const waiter = events.waitFor(id);
    const deadline = Date.now() + waitTimeoutMs;
    const tagIds = tagIdsOf(write.tags);
    let waited = false;
    try {
      for (;;) {
        const token = randomUUID();
        const readAt = link.epoch();
        const { entry, locked, generations } = await cacheLock(connection, keys, {
          id,
          tagIds,
          token,
          lockTtlMs,
          newGeneration: newGeneration(),
          generationTtlMs: this.host.ttlMs(write),
        });
        const filled = entry ? decodeEntry(entry) : null;
        if (filled) {
          link.remember(id, entry!, filled, readAt);
          return filled.value as T;
        }
        if (locked) {
          if (waited) stats.lockTakeovers++;
          // The generations as the lock was taken, just before computing: an invalidation from
          // now on keeps this value out of the cache.
          return await this.host.computeAndStore(id, compute, write, token, generations);
        }
        if (!waited) {
          waited = true;
          stats.lockWaits++;
          this.host.waited();
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new TimeoutError(
            `getOrCompute waited ${waitTimeoutMs} ms for another caller's value of this key; raise stampede.waitTimeoutMs if computing it takes longer`,
          );
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

  /** Stale-while-revalidate: one caller (whoever takes the lock) recomputes in the background. */
  async refreshInBackground<T>(id: string, compute: () => T | Promise<T>, write: ResolvedWrite, seen: Seen): Promise<void> {
    const { connection, keys, options, stats } = this.host;
    const token = randomUUID();
    try {
      const taken = await connection.send(['SET', keys.lock(id), token, 'NX', 'PX', String(options.stampede.lockTtlMs)], {
        key: keys.lock(id),
      });
      if (taken !== 'OK') return; // another caller is refreshing it
      stats.refreshes++;
      await this.host.computeAndStore(id, compute, write, token, seen);
    } catch {
      // The stale value was served; the next caller after the lock expires tries again.
    }
  }

  /** Releases `token`'s lock and tells the waiters the value will not come; best effort (the lock's TTL is the fallback). */
  async fail(id: string, token: string, error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    await cacheFail(this.host.connection, this.host.keys, { id, token, message: this.host.link.message('fail', id, reason) }).catch(
      () => undefined,
    );
  }
}
