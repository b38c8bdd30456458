// A cache's options (per-cache defaults) and a call's overrides: zod schemas, defaults here once.
// The TTL is the shared policy (ttl.ts): `fixed` is `SET … PX`; `sliding` is refreshed by a hit in
// the same command (`GETEX … PX`); `none` keeps an entry until it is deleted or invalidated.
import { z } from 'zod';
import { KeyPartSchema } from '../keys.js';
import { SecondsSchema as Seconds, TtlPolicySchema } from '../ttl.js';

export const StampedeSchema = z
  .object({
    /**
     * `lock` (default): the first miss takes a short lock and computes; the others wait for its
     * value. `xfetch`: probabilistic early recomputation before expiry (no lock). `none`.
     */
    mode: z.enum(['lock', 'xfetch', 'none']).default('lock'),
    /** How long a lock lives if its holder dies, in ms. Default 10 000. */
    lockTtlMs: z.number().int().min(10).max(600_000).default(10_000),
    /** How long a waiter waits for another caller's value before a TimeoutError, in ms. Default 30 000. */
    waitTimeoutMs: z.number().int().min(10).max(3_600_000).default(30_000),
    /** How often a waiter looks again when no notification came (a safety net, not a busy loop), in ms. Default 250. */
    pollIntervalMs: z.number().int().min(5).max(60_000).default(250),
    /** When the computing caller fails: waiters get the error (`throw`) or try to compute themselves (`retry`). */
    onComputeError: z.enum(['throw', 'retry']).default('throw'),
    /** XFetch's β: above 1 recomputes earlier, below 1 later. Default 1. */
    xfetchBeta: z.number().positive().max(100).default(1),
  })
  .strict();

export const NearCacheSchema = z
  .object({
    /** Entries kept in process. */
    maxEntries: z.number().int().min(1).max(10_000_000),
    /** How long an entry may be served from process memory, in seconds (never past its Redis TTL). */
    ttlSeconds: Seconds.default(60),
  })
  .strict();

export const CacheOptionsSchema = z
  .object({
    /** The cache's name: part of every key and of its pub/sub channel. */
    name: KeyPartSchema,
    /** Default TTL. Default fixed, one hour. */
    ttl: TtlPolicySchema.default({ mode: 'fixed', seconds: 3600 }),
    /** Serve an expired value for this long while one caller refreshes it (0: off). Default 0. */
    staleWhileRevalidateSeconds: z
      .number()
      .min(0)
      .max(10 * 365 * 24 * 3600)
      .default(0),
    stampede: StampedeSchema.prefault({}),
    /** An in-process near cache (L1), kept consistent across processes by pub/sub. Default off. */
    nearCache: NearCacheSchema.optional(),
    /** Largest stored value in bytes. Default 1 MiB. */
    maxValueBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /** Hash-tag shards entries are spread over (a Redis Cluster spreads them over nodes). Default 16. */
    shards: z.number().int().min(1).max(1024).default(16),
    /** When Redis cannot be reached, getOrCompute computes without the cache instead of failing. Default false. */
    failOpen: z.boolean().default(false),
    /**
     * Keep each entry's original key in the entry (keys are otherwise digested), so that `keys()`
     * can list them. Costs the key's bytes per entry. Default false.
     */
    keepKeys: z.boolean().default(false),
    /**
     * Publish each invalidation (a `delete` of an entry that existed, an `invalidateTag`) as a
     * `cache.invalidated` event to the event backbone (`memory.events`), written by the script
     * that invalidates. Expiry by TTL is not an invalidation and publishes nothing. Default false.
     */
    events: z.boolean().default(false),
  })
  .strict();

export type CacheOptions = z.input<typeof CacheOptionsSchema>;
export type ResolvedCacheOptions = z.output<typeof CacheOptionsSchema>;

const TagSchema = z.string().min(1).max(512);

/** Per-call options of `set` and `getOrCompute`. */
export const WriteOptionsSchema = z
  .object({
    /** This entry's TTL in seconds, instead of the cache's (the cache's mode still applies). */
    ttlSeconds: Seconds.optional(),
    /** Tags for `invalidateTag`. */
    tags: z.array(TagSchema).max(64).optional(),
    /** `json` (default) or `bytes`: a Buffer / Uint8Array / Float32Array stored as is. */
    encoding: z.enum(['json', 'bytes']).optional(),
  })
  .strict();
export type WriteOptions = z.input<typeof WriteOptionsSchema>;

/** Write options as parsed, plus the caller's key when the cache keeps keys. */
export type ResolvedWrite = z.output<typeof WriteOptionsSchema> & { key?: string };

export const CacheKeySchema = z.string().min(1, 'must not be empty').max(8192, 'must be at most 8192 characters');
export { TagSchema };

/** Many keys (`getMany`). */
export const CacheKeysSchema = z.array(CacheKeySchema);

/** Many entries (`setMany`). */
export const CacheEntriesSchema = z.array(
  z.object({ key: CacheKeySchema, value: z.unknown(), options: WriteOptionsSchema.optional() }).strict(),
);

/**
 * A TTL in whole milliseconds, as Redis takes it; 0 stands for none. A positive TTL is never
 * rounded to 0 (that would keep the entry forever): under a millisecond it becomes 1 ms.
 */
export function ttlMilliseconds(seconds: number): number {
  return seconds > 0 ? Math.max(1, Math.round(seconds * 1000)) : 0;
}
