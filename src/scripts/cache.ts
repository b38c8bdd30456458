// The typed gateway to the cache scripts (cache-*.lua): one builder per script that lays out KEYS
// and ARGV exactly as its header documents (an entry and its tags live in one shard), and one
// runner that sends it and decodes the reply. Builders are pure; the cache never builds them itself.
import type { RedisConnection } from '../connection/connect.js';
import type { CacheKeys } from '../keys.js';
import { runCall, type ScriptCall } from './call.js';
import { script } from './index.js';

const READ = script('cache-read-n');
const LOCK = script('cache-lock-n');
const FILL = script('cache-fill-n');
const DELETE = script('cache-delete-2');
const INVALIDATE_TAG = script('cache-invalidate-tag-3');

/** A tag generation as the scripts return it (bytes, read as latin1), or null when it could not be made. */
const generation = (g: Buffer | null): string | null => g?.toString('latin1') ?? null;

/** What reading an entry also asks for: the generations of the tags a new value would carry. */
export interface GenerationRequest {
  /** Ids of the tags a recomputed value would be stored with. */
  tagIds: readonly string[];
  /** A new random generation, for tags that have none. */
  newGeneration: string;
  /** TTL in ms of a generation key made here (0: none). */
  generationTtlMs: number;
}

// ——— cache-read-n ———

export interface CacheReadInput extends GenerationRequest {
  id: string;
  /** Sliding TTL in ms, or 0 when a hit does not move the deadline. */
  slidingTtlMs: number;
}

export interface CacheReadReply {
  /** The encoded entry, when current. */
  entry: Buffer | null;
  /** Per tag of the request, its generation (null: unknown). */
  generations: (string | null)[];
}

export function cacheReadCall(keys: CacheKeys, input: CacheReadInput): ScriptCall {
  const shard = keys.shardOf(input.id);
  return {
    script: READ,
    keys: [keys.entry(input.id), ...input.tagIds.map((t) => keys.tagGeneration(t, shard))],
    args: [
      keys.tagGeneration('', shard),
      keys.tag('', shard),
      String(input.slidingTtlMs),
      input.newGeneration,
      String(input.generationTtlMs),
    ],
    buffers: true,
  };
}

export async function cacheRead(connection: RedisConnection, keys: CacheKeys, input: CacheReadInput): Promise<CacheReadReply> {
  const [entry, ...generations] = await runCall<[Buffer | null, ...(Buffer | null)[]]>(connection, cacheReadCall(keys, input));
  return { entry, generations: generations.map(generation) };
}

// ——— cache-lock-n ———

export interface CacheLockInput extends GenerationRequest {
  id: string;
  /** This caller's lock token. */
  token: string;
  lockTtlMs: number;
}

export interface CacheLockReply extends CacheReadReply {
  /** Whether this caller took the stampede lock. */
  locked: boolean;
}

export function cacheLockCall(keys: CacheKeys, input: CacheLockInput): ScriptCall {
  const shard = keys.shardOf(input.id);
  return {
    script: LOCK,
    keys: [keys.entry(input.id), keys.lock(input.id), ...input.tagIds.map((t) => keys.tagGeneration(t, shard))],
    args: [input.token, String(input.lockTtlMs), keys.tagGeneration('', shard), input.newGeneration, String(input.generationTtlMs)],
    buffers: true,
  };
}

export async function cacheLock(connection: RedisConnection, keys: CacheKeys, input: CacheLockInput): Promise<CacheLockReply> {
  const [entry, locked, ...generations] = await runCall<[Buffer | null, number, ...(Buffer | null)[]]>(
    connection,
    cacheLockCall(keys, input),
  );
  return { entry, locked: locked === 1, generations: generations.map(generation) };
}

// ——— cache-fill-n ———

export interface CacheFillInput {
  id: string;
  /** The entry's header and the rest of it (envelope.ts). */
  header: Buffer;
  body: Buffer;
  /** TTL in ms (0: none). */
  ttlMs: number;
  /** The lock token to release ('' when this write holds no lock). */
  token: string;
  /** Published when the entry is stored (or skipped as stale). */
  storedMessage: string;
  /** Published when it is not stored (Redis at maxmemory). */
  failedMessage: string;
  /** A new random generation, for tags that have none. */
  newGeneration: string;
  /** Per tag: its id and the generation read before the value was computed ('' to skip the check). */
  tags: readonly { id: string; seen: string }[];
}

export function cacheFillCall(keys: CacheKeys, input: CacheFillInput): ScriptCall {
  const shard = keys.shardOf(input.id);
  return {
    script: FILL,
    keys: [
      keys.entry(input.id),
      keys.lock(input.id),
      ...input.tags.flatMap((t) => [keys.tag(t.id, shard), keys.tagGeneration(t.id, shard)]),
    ],
    args: [
      'fill',
      input.header,
      input.body,
      String(input.ttlMs),
      input.token,
      keys.channel,
      input.storedMessage,
      input.failedMessage,
      input.newGeneration,
      ...input.tags.flatMap((t) => [t.id, t.seen]),
    ],
  };
}

/** Returns whether the entry was stored. */
export async function cacheFill(connection: RedisConnection, keys: CacheKeys, input: CacheFillInput): Promise<boolean> {
  return (await runCall<number>(connection, cacheFillCall(keys, input))) === 1;
}

/** The same script storing nothing: releases `token`'s lock and publishes `message` (the value will not come). */
export function cacheFailCall(keys: CacheKeys, input: { id: string; token: string; message: string }): ScriptCall {
  return {
    script: FILL,
    keys: [keys.entry(input.id), keys.lock(input.id)],
    args: ['fail', '', '', '0', input.token, keys.channel, '', input.message, ''],
  };
}

export async function cacheFail(
  connection: RedisConnection,
  keys: CacheKeys,
  input: { id: string; token: string; message: string },
): Promise<void> {
  await runCall(connection, cacheFailCall(keys, input));
}

// ——— events (cache-delete-2, cache-invalidate-tag-3) ———

/** Where a cache script that invalidates writes its cache.invalidated event (includes/cache-events.lua). */
export interface CacheEventTarget {
  /** The event stream of the partition (hash slot) the script runs in: its last KEYS entry. */
  stream: string;
  /** The stream's cap (XADD MAXLEN ~), or undefined to write no event. */
  maxLen: number | undefined;
}

const capOf = (target: CacheEventTarget): string => (target.maxLen === undefined ? '' : String(target.maxLen));

// ——— cache-delete-2 ———

export interface CacheDeleteInput {
  id: string;
  message: string;
  /** The cache's name (the event's `cache`). */
  cache: string;
  /** Where the event goes (the stream of the entry's slot), and whether there is one. */
  events: CacheEventTarget;
}

export function cacheDeleteCall(keys: CacheKeys, input: CacheDeleteInput): ScriptCall {
  return {
    script: DELETE,
    keys: [keys.entry(input.id), input.events.stream],
    args: [keys.channel, input.message, capOf(input.events), input.cache, JSON.stringify([input.id])],
  };
}

/** Returns whether the entry existed. */
export async function cacheDelete(connection: RedisConnection, keys: CacheKeys, input: CacheDeleteInput): Promise<boolean> {
  return (await runCall<number>(connection, cacheDeleteCall(keys, input))) === 1;
}

// ——— cache-invalidate-tag-3 ———

export interface CacheInvalidateTagInput {
  tagId: string;
  shard: number;
  message: string;
  /** The cache's name (the event's `cache`). */
  cache: string;
  /** Where the event goes (the stream of the shard's slot), and whether this call writes one. */
  events: CacheEventTarget;
}

export function cacheInvalidateTagCall(keys: CacheKeys, input: CacheInvalidateTagInput): ScriptCall {
  return {
    script: INVALIDATE_TAG,
    keys: [keys.tag(input.tagId, input.shard), keys.tagGeneration(input.tagId, input.shard), input.events.stream],
    args: [input.tagId, keys.channel, input.message, capOf(input.events), input.cache],
  };
}

/** Returns how many entries carrying the tag were deleted in the shard. */
export function cacheInvalidateTag(connection: RedisConnection, keys: CacheKeys, input: CacheInvalidateTagInput): Promise<number> {
  return runCall<number>(connection, cacheInvalidateTagCall(keys, input));
}
