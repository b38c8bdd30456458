// The only place that names Redis keys. Every key of one user carries the hash tag {tenant:user},
// so each multi-key operation on a user lands in one Redis Cluster slot. Never build a key elsewhere.
import { createHash } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import { z } from 'zod';
import { parseInput } from './validate.js';

const KEY_PART_PATTERN = /^[A-Za-z0-9._@+=~-]+$/;

/**
 * One part of a key (tenant, user id, session id, namespace…): 1–128 characters from
 * `A–Z a–z 0–9 . _ @ + = ~ -`. Excluded on purpose: `:` (the separator, so `a:b`+`c` can never
 * collide with `a`+`b:c`), `{` `}` (hash tags), glob characters and whitespace.
 */
export const KeyPartSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(KEY_PART_PATTERN, 'may contain only letters, digits and . _ @ + = ~ -');

/** The key prefix every key of this library starts with: 1–32 of `A–Z a–z 0–9 . _ -`. */
export const KeyPrefixSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(32, 'must be at most 32 characters')
  .regex(/^[A-Za-z0-9._-]+$/, 'may contain only letters, digits and . _ -');

/** A LangGraph thread id: any string of 1–256 characters (it is hex-encoded into its keys). */
export const CheckpointThreadIdSchema = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

/** Whose data: an optional tenant (default `_`) and a user. */
export interface UserScope {
  tenant?: string | undefined;
  userId: string;
}

const UserScopeSchema = z.object({
  tenant: KeyPartSchema.optional(),
  userId: KeyPartSchema,
});

const DEFAULT_TENANT = '_';

const MemoryScopeSchema = z.object({
  tenant: KeyPartSchema.optional(),
  userId: KeyPartSchema,
  agentId: KeyPartSchema.optional(),
});

/** The keys of one conversation. All share the user's hash tag. */
export interface SessionKeys {
  /** List of the session's messages, oldest first. */
  messages: string;
  /** Hash: timestamps, counters, summary, user metadata. */
  meta: string;
  /** Hash: reasoning state (JSON) and its version. */
  state: string;
  /** Hash: tool-call id → result (JSON). */
  tools: string;
  /** Sorted set: idempotency keys and message ids already appended (bounded), for retries. */
  idempotency: string;
  /** List: messages trimmed from the window, waiting for the summarizer. */
  pending: string;
}

/** The last part of each key of a session, in the order every session script declares them. */
export const SESSION_KEY_SUFFIXES = {
  messages: ':msgs',
  meta: ':meta',
  state: ':state',
  tools: ':tools',
  idempotency: ':idem',
  pending: ':pending',
} as const satisfies Record<keyof SessionKeys, string>;

/** The keys of one user. */
export interface UserKeys {
  /** The Redis Cluster hash tag shared by every key of this user, e.g. `{acme:alice}`. */
  tag: string;
  /** Sorted set: session id scored by last activity (ms). */
  sessions: string;
  /** A SCAN pattern that matches every key of this user and nothing else. */
  pattern: string;
  /**
   * A SCAN pattern that matches every key carrying this user's hash tag or one of its agent tags,
   * in any layout (and possibly keys of other layouts too: check each with {@link owns}).
   */
  anyTagPattern: string;
  /**
   * Whether `key` is this user's: under the user's own prefix, or a long-term memory of the user
   * (or of one of their agents) in one of `namespaces`.
   */
  owns(key: string, namespaces: readonly string[]): boolean;
  /** Whether `key` is a long-term memory key of this user or one of their agents in `namespaces`. */
  ownsMemory(key: string, namespaces: readonly string[]): boolean;
  /** What every session key of this user starts with: `<prefix>:{t:u}:s:`. */
  sessionPrefix: string;
  session(sessionId: string): SessionKeys;
}

/** The keys of one cache. Entries are spread over `shards` hash tags, each tag set living in the
 * shard of its entries, so that tagged writes and tag invalidation are one script per shard. */
export interface CacheKeys {
  /** Pub/sub channel for fills, failures and invalidations of this cache. */
  channel: string;
  /** The shard (0 … shards-1) of an entry id. */
  shardOf(id: string): number;
  entry(id: string): string;
  lock(id: string): string;
  /** Set of entry keys carrying `tagId`, in `shard`. */
  tag(tagId: string, shard: number): string;
  /**
   * String: the current generation of `tagId` in `shard` (entries record it; invalidation deletes
   * it). With `tagId` '' this (like `tag`) is the prefix a cache script completes with a tag id.
   */
  tagGeneration(tagId: string, shard: number): string;
  /** A SCAN pattern for every key of this cache. */
  pattern: string;
  /** A SCAN pattern for the entries of this cache only (no locks, no tag sets). */
  entryPattern: string;
}

/** Whose long-term memories: a user, optionally one agent's of that user. */
export interface MemoryScopeRef {
  tenant?: string | undefined;
  userId: string;
  agentId?: string | undefined;
}

/** The keys of one namespace of one scope in a vector index. All share the scope's hash tag. */
export interface VectorKeys {
  /** Hash of one item: vector, payload, index fields. */
  item(id: string): string;
  /** Set of the scope's item ids. */
  ids: string;
  /** The scope's vector set (vectorset engine). */
  vectorSet: string;
  /**
   * Sorted set: item id → how many times it was recalled. Access stats live outside the item
   * hashes (a write to an indexed hash makes RediSearch re-index it) and are not hashes at all,
   * so an index over the namespace prefix never covers them.
   */
  accessCounts: string;
  /** Sorted set: item id → when it was last recalled (ms since the epoch). */
  accessTimes: string;
  /** What every item key of the namespace starts with (the RediSearch index prefix). */
  namespacePrefix: string;
}

/**
 * The keys of one LangGraph thread's checkpoints. All share the thread's hash tag, so every
 * checkpoint operation is one script on one slot. Namespace, checkpoint, channel and task ids are
 * hex-encoded inside members and fields (hex keeps the byte order, so lexical ranges still sort
 * checkpoint ids).
 */
export interface CheckpointThreadKeys {
  /** Sorted set (all scores 0, ordered by member): `<ns hex>:<checkpoint id hex>`. */
  ids: string;
  /** Hash: `<ns hex>:<checkpoint id hex>` → the checkpoint record. */
  checkpoints: string;
  /** Hash: `<ns hex>:<channel hex>:<version hex>` → a channel value. */
  blobs: string;
  /** Hash: `<ns hex>:<checkpoint id hex>:<task id hex>:<idx>` → a pending write. */
  writes: string;
  /** Sorted set (scores 0) of the `writes` fields, so one checkpoint's writes are one lexical range. */
  writeIndex: string;
}

/** The keys of one namespace of a document store. All share the namespace's hash tag. */
export interface DocumentNamespaceKeys {
  /** The namespace's hash tag, e.g. `{ds:Qm9i…}` (a digest of the store name and the path). */
  tag: string;
  /** What every document hash key of the namespace starts with; the document id follows. */
  documentPrefix: string;
  /** Sorted set: document id by creation sequence (the order of unranked results). */
  documents: string;
  /** Sorted set: the ids of documents without vectors, by creation sequence. */
  plain: string;
  /** Sorted set: the ids of documents that expire, by deadline (ms). */
  expiries: string;
  /** Hash: the namespace's path (JSON) and creation sequence counter. */
  meta: string;
}

/** The keys of one document store: a registry of its namespaces, and each namespace's keys. */
export interface DocumentStoreKeys {
  /** Sorted set (all scores 0, so ranges by lexicographic order): encoded namespace paths. */
  registry: string;
  /** Hash: encoded path → registration generation (compare-and-remove of empty namespaces). */
  generations: string;
  /** The vector index namespace holding the store's vectors. */
  vectorNamespace: string;
  /** A SCAN pattern for the meta key (it holds the path) of every namespace of this store. */
  namespaceMetaPattern: string;
  namespace(encodedPath: string): DocumentNamespaceKeys;
}

/**
 * The keys of the event backbone. Events sit in one stream per Redis Cluster hash slot (a
 * partition): an append and its event are one script, so the stream must share the slot of the
 * user's keys. Each partition's key carries a short hash tag that lands in that slot.
 */
export interface EventKeys {
  /** The partition of a user's (or memory scope's) hash tag: its hash slot. */
  partitionOf(tag: string): number;
  /** The stream of partition `slot`. */
  stream(slot: number): string;
  /**
   * The idle watch of partition `slot`: a sorted set of the sessions an extraction worker saw
   * appends to, scored by the last one's time, until they are announced idle (src/events/idle.ts).
   */
  idle(slot: number): string;
  /**
   * When the user was last forgotten (ms, the server's clock; a string key with a TTL of an hour),
   * named by a digest of tenant and user id: outside the user's key patterns, so forgetting does
   * not delete it, and naming no one. An extraction in flight across a forgetUser checks it, and
   * undoes what it wrote for events older than that.
   */
  forgotten(user: UserScope): string;
  /** Set of the partitions that ever held events (slot numbers, and `*` once a SCAN rebuilt it). */
  registry: string;
  /** Stream: the events a group's handler gave up on, with the error. */
  deadLetters(group: string): string;
  /** Pub/sub channel of live notifications (who changed, not what). */
  channel: string;
  /** A SCAN pattern for every partition stream. */
  streamPattern: string;
}

/** A consumer group's name: 1–64 of `A–Z a–z 0–9 . _ -`. */
export const EventGroupSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'may contain only letters, digits and . _ - (1 to 64)');

const SLOTS = 16_384;
let slotTags: string[] | undefined;

/** For each hash slot, a short tag (base 36, no `:`, so never a user's `{tenant:user}`) that hashes to it. */
function slotTag(slot: number): string {
  if (!slotTags) {
    const tags: string[] = new Array(SLOTS);
    let found = 0;
    for (let i = 0; found < SLOTS; i++) {
      const tag = i.toString(36);
      const s = calculateSlot(tag);
      if (tags[s] === undefined) {
        tags[s] = tag;
        found++;
      }
    }
    slotTags = tags;
  }
  return slotTags[slot]!;
}

/**
 * The keys of a two-tier retriever (src/tiered/). Its bookkeeping shares one hash tag; each
 * version of its hot set is a vector scope of its own (`{tier:<name>:<version>}`), built beside
 * the one searches use and switched to in one write of `meta`.
 */
export interface TieredKeys {
  /** Hash: `version` (the hot set searches use), and per version its watermark and build or retirement time. */
  meta: string;
  /** Sorted set: decayed ask counts by item id (the most-asked policy). */
  asks: string;
  /** Leases (lease-1.lua): one refresh, and one sync, at a time across processes. */
  refreshLease: string;
  syncLease: string;
  /** The vector index namespace of the hot tier. */
  namespace: string;
  /** The vector scope of one version of the hot set. */
  version(version: string): { tag: string; token: string };
}

/** A two-tier retriever's name: 1–48 of `A–Z a–z 0–9 _ -` (it names a vector index namespace too). */
export const TieredNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,48}$/, 'may contain only letters, digits, _ and - (1 to 48)');

/** A document store's name: 1–48 of `A–Z a–z 0–9 _ -` (it names a vector index namespace too). */
export const DocumentStoreNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,48}$/, 'may contain only letters, digits, _ and - (1 to 48)');

/** `text` with Redis's glob characters escaped, for a SCAN MATCH pattern that must match it literally. */
export const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/** A vector scope from its hash tag: the tag, and the tag as a query-safe token (hex). */
export const vectorScope = (tag: string): { tag: string; token: string } => ({ tag, token: Buffer.from(tag, 'utf8').toString('hex') });

/** Builds key names under one prefix. Validates every part before any key is formed. */
export class Keyspace {
  readonly prefix: string;

  constructor(prefix = 'am') {
    this.prefix = parseInput(KeyPrefixSchema, prefix, 'key prefix');
  }

  /**
   * The keys of cache `name`. Entry and tag ids are digests made by the cache (base64url), so
   * they need no validation; the name does.
   */
  cache(name: string, shards: number): CacheKeys {
    const cache = parseInput(KeyPartSchema, name, 'cache name');
    const base = `${this.prefix}:c:`;
    const shardTag = (n: number) => `${base}{${cache}:${n}}`;
    // The first 16 bits of the digest: uniform, so entries spread evenly over the shards.
    const shardOf = (id: string) => Buffer.from(id.slice(0, 4), 'base64url').readUInt16BE(0) % shards;
    return {
      channel: `${base}${cache}:events`,
      shardOf,
      entry: (id) => `${shardTag(shardOf(id))}:e:${id}`,
      lock: (id) => `${shardTag(shardOf(id))}:l:${id}`,
      tag: (tagId, shard) => `${shardTag(shard)}:t:${tagId}`,
      tagGeneration: (tagId, shard) => `${shardTag(shard)}:g:${tagId}`,
      pattern: `${base}{${cache}:*`,
      entryPattern: `${base}{${cache}:*}:e:*`,
    };
  }

  /** The hash tag and query-safe token of a memory scope. */
  memoryScope(ref: MemoryScopeRef): { tag: string; token: string } {
    const { tenant = DEFAULT_TENANT, userId, agentId } = parseInput(MemoryScopeSchema, ref, 'memory scope');
    return vectorScope(agentId === undefined ? `{${tenant}:${userId}}` : `{${tenant}:${userId}:${agentId}}`);
  }

  /** The keys of a vector index namespace: where its definition lives, and each scope's keys. */
  vector(namespace: string): { definition: string; namespacePrefix: string; scope(tag: string): VectorKeys } {
    const namespacePrefix = `${this.prefix}:ltm:${namespace}:`;
    return {
      definition: `${this.prefix}:ltm-def:${namespace}`,
      namespacePrefix,
      scope: (tag) => ({
        item: (id) => `${namespacePrefix}${tag}:i:${parseInput(KeyPartSchema, id, 'item id')}`,
        ids: `${namespacePrefix}${tag}:ids`,
        vectorSet: `${namespacePrefix}${tag}:vs`,
        accessCounts: `${namespacePrefix}${tag}:acc-n`,
        accessTimes: `${namespacePrefix}${tag}:acc-at`,
        namespacePrefix,
      }),
    };
  }

  /** The keys of the event backbone (see {@link EventKeys}). */
  events(): EventKeys {
    const base = `${this.prefix}:ev:`;
    return {
      partitionOf: (tag) => calculateSlot(tag),
      stream: (slot) => `${base}{${slotTag(slot)}}`,
      idle: (slot) => `${base}{${slotTag(slot)}}:idle`,
      forgotten: (user) => {
        const { tenant = DEFAULT_TENANT, userId } = parseInput(UserScopeSchema, user, 'user scope');
        // A digest, not the ids: the mark outlives the user's data by an hour and must not name them.
        const digest = createHash('sha256').update(`${tenant}\0${userId}`, 'utf8').digest('base64url').slice(0, 22);
        return `${base}forgotten:${digest}`;
      },
      registry: `${base}partitions`,
      deadLetters: (group) => `${base}dead:${parseInput(EventGroupSchema, group, 'consumer group')}`,
      channel: `${base}live`,
      streamPattern: `${base}{*}`,
    };
  }

  /**
   * Hash of a resumable migration's progress (src/migrate/checkpoint.ts): unit → items done. One
   * hash tag per migration, so each save is one command on one slot.
   */
  migrationCheckpoint(name: string): string {
    return `${this.prefix}:mig:{${parseInput(KeyPartSchema, name, 'migration name')}}`;
  }

  /** The keys of two-tier retriever `name` (see {@link TieredKeys}). */
  tiered(name: string): TieredKeys {
    const tier = parseInput(TieredNameSchema, name, 'tiered retriever name');
    const base = `${this.prefix}:tier:{${tier}}:`;
    return {
      meta: `${base}meta`,
      asks: `${base}asks`,
      refreshLease: `${base}refresh`,
      syncLease: `${base}sync`,
      namespace: `tier-${tier}`,
      version: (version) => vectorScope(`{tier:${tier}:${version}}`),
    };
  }

  /** Sorted set of a tenant's checkpoint threads (thread id, scored by creation time in ms). */
  checkpointThreads(tenant: string = DEFAULT_TENANT): string {
    return `${this.prefix}:cp-threads:${parseInput(KeyPartSchema, tenant, 'tenant')}`;
  }

  /** The keys of one thread's checkpoints. Thread ids are any string (hex-encoded into the tag). */
  checkpointThread(threadId: string, tenant: string = DEFAULT_TENANT): CheckpointThreadKeys {
    const id = parseInput(CheckpointThreadIdSchema, threadId, 'thread id');
    const base = `${this.prefix}:{cp:${parseInput(KeyPartSchema, tenant, 'tenant')}:${Buffer.from(id, 'utf8').toString('hex')}}`;
    return { ids: `${base}:ids`, checkpoints: `${base}:cps`, blobs: `${base}:blobs`, writes: `${base}:w`, writeIndex: `${base}:wi` };
  }

  /**
   * The keys of document store `name`. A namespace path is arbitrary text, so its keys carry a
   * digest of it (its hash tag); the path itself is kept in the registry and the namespace's meta.
   */
  documentStore(name: string): DocumentStoreKeys {
    const store = parseInput(DocumentStoreNameSchema, name, 'document store name');
    const base = `${this.prefix}:ds:${store}`;
    return {
      registry: `${base}:{${store}}:namespaces`,
      generations: `${base}:{${store}}:generations`,
      vectorNamespace: `ds-${store}`,
      namespaceMetaPattern: `${base}:{ds:*}:meta`,
      namespace: (encodedPath) => {
        const digest = createHash('sha256').update(encodedPath, 'utf8').digest('base64url').slice(0, 22);
        const tag = `{ds:${digest}}`;
        const ns = `${base}:${tag}`;
        return {
          tag,
          documentPrefix: `${ns}:d:`,
          documents: `${ns}:docs`,
          plain: `${ns}:plain`,
          expiries: `${ns}:exp`,
          meta: `${ns}:meta`,
        };
      },
    };
  }

  /** The keys of one user. Throws InvalidArgumentError on a bad tenant or user id. */
  user(scope: UserScope): UserKeys {
    const { tenant = DEFAULT_TENANT, userId } = parseInput(UserScopeSchema, scope, 'user scope');
    const tag = `{${tenant}:${userId}}`;
    const base = `${this.prefix}:${tag}`;
    const sessionPrefix = `${base}:s:`;
    const stem = `{${tenant}:${userId}`; // a key part holds no glob character, `:` or braces
    const memoryPrefixes = (ns: string) => [`${this.prefix}:ltm:${ns}:${tag}:`, `${this.prefix}:ltm:${ns}:${stem}:`];
    const ownsMemory = (key: string, namespaces: readonly string[]) =>
      namespaces.some((ns) => memoryPrefixes(ns).some((p) => key.startsWith(p)));
    return {
      tag,
      sessions: `${base}:sessions`,
      pattern: `${base}:*`,
      anyTagPattern: `${this.prefix}:*${stem}[}:]*`,
      owns: (key, namespaces) => key.startsWith(`${base}:`) || ownsMemory(key, namespaces),
      ownsMemory,
      sessionPrefix,
      session: (sessionId: string): SessionKeys => {
        const s = sessionPrefix + parseInput(KeyPartSchema, sessionId, 'session id');
        const S = SESSION_KEY_SUFFIXES;
        return {
          messages: s + S.messages,
          meta: s + S.meta,
          state: s + S.state,
          tools: s + S.tools,
          idempotency: s + S.idempotency,
          pending: s + S.pending,
        };
      },
    };
  }
}
