// Tag invalidation of a cache: tag ids, their generations (an entry records its tags'
// generations; invalidation deletes them, so no entry written before is current again whatever key
// eviction took), and the invalidation itself, one script per shard. It must never let a tagged
// entry be served after invalidateTag returns.
import { hash, randomBytes } from 'node:crypto';
import type { RedisConnection } from '../connection/connect.js';
import type { CacheKeys } from '../keys.js';
import { cacheInvalidateTag } from '../scripts/cache.js';

/** What the fill script checks a tag's generation against when none could be read: never equal. */
export const UNKNOWN_GENERATION = '?';

/** A tag generation: 16 random bytes, 22 base64url characters (envelope.ts's GENERATION_BYTES). */
export const newGeneration = (): string => randomBytes(16).toString('base64url');

/** The id of a key or tag: a digest, so any string is valid and cannot collide with another's structure. */
export const digestId = (text: string): string => hash('sha256', text, 'base64url').slice(0, 22);

/** The ids of a write's tags, deduplicated, in order. */
export const tagIdsOf = (tags: readonly string[] | undefined): string[] => [...new Set(tags ?? [])].map(digestId);

/** Invalidates `tagId` in every shard (pipelined); returns how many entries carrying it were deleted. */
export async function invalidateTagEverywhere(
  connection: RedisConnection,
  keys: CacheKeys,
  shards: number,
  tagId: string,
  message: string,
): Promise<number> {
  const counts = await Promise.all(
    Array.from({ length: shards }, (_, shard) => cacheInvalidateTag(connection, keys, { tagId, shard, message })),
  );
  return counts.reduce((a, b) => a + b, 0);
}
