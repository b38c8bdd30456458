// Tag invalidation of a cache: tag ids, their generations (an entry records its tags'
// generations; invalidation deletes them, so no entry written before is current again whatever key
// eviction took), and the invalidation itself, one script per shard (and its event, when the cache
// publishes). It must never let a tagged entry be served after invalidateTag returns.
import { hash, randomBytes } from 'node:crypto';
import type { RedisConnection } from '../connection/connect.js';
import type { EventLog } from '../events/event-log.js';
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

/**
 * Invalidates `tag.id` in every shard (one script each, pipelined); returns how many entries
 * carrying it were deleted. With `publishes`, the script of the tag's own shard (`shardOf` its
 * id) writes the one cache.invalidated event, in the same step as that shard's invalidation, and
 * runs once every other shard's has succeeded: an invalidation that returns has its event, one
 * that fails has none (it costs one more round trip, with more than one shard). At maxmemory it
 * still works, event included (see EventLog.registerEvenAtMaxmemory).
 */
export async function invalidateTagEverywhere(
  connection: RedisConnection,
  keys: CacheKeys,
  shards: number,
  tag: { id: string; message: string; cache: string },
  events: EventLog,
  publishes: boolean,
): Promise<number> {
  const run = (shard: number, publish: boolean) =>
    cacheInvalidateTag(connection, keys, {
      tagId: tag.id,
      shard,
      message: tag.message,
      cache: tag.cache,
      events: events.cacheEvents(keys.tag(tag.id, shard), publish),
    });
  const all = Array.from({ length: shards }, (_, shard) => shard);
  const sum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
  if (!publishes) return sum(await Promise.all(all.map((shard) => run(shard, false))));
  const home = keys.shardOf(tag.id);
  const [others, registerLater] = await Promise.all([
    Promise.all(all.filter((shard) => shard !== home).map((shard) => run(shard, false))),
    events.registerEvenAtMaxmemory(keys.tag(tag.id, home)),
  ]);
  const deleted = sum(others) + (await run(home, true));
  await registerLater?.();
  return deleted;
}
