// Forgetting a user: deletes every key of the user, found by SCAN on every master, so that it
// depends on no index that eviction can take (a session index, a scope's id set). It must never
// delete a key of another user: every candidate is checked against the key scheme (keys.ts).
import { Cache } from './cache/cache.js';
import type { RedisConnection } from './connection/connect.js';
import type { EventLog } from './events/event-log.js';
import type { Keyspace, UserScope } from './keys.js';

/**
 * Unlinks every key that matches the SCAN `pattern` and that `mine` accepts. Returns the keys
 * deleted. Costs one SCAN pass over each master's keyspace.
 */
export async function unlinkMatching(connection: RedisConnection, pattern: string, mine: (key: string) => boolean): Promise<string[]> {
  const deleted: string[] = [];
  for await (const batch of connection.scan(pattern)) {
    const keys = batch.filter(mine);
    const removed = await Promise.all(keys.map((key) => connection.send<number>(['UNLINK', key], { key })));
    for (const [i, key] of keys.entries()) if (removed[i] === 1) deleted.push(key);
  }
  return deleted;
}

/**
 * Unlinks every key of `user`: under the user's own prefix (sessions, their index), and the
 * long-term memories of the user and their agents in `namespaces`. Returns the keys deleted.
 */
export function unlinkUserKeys(
  connection: RedisConnection,
  keyspace: Keyspace,
  user: UserScope,
  namespaces: readonly string[] = [],
): Promise<string[]> {
  const keys = keyspace.user(user);
  return unlinkMatching(connection, keys.anyTagPattern, (key) => keys.owns(key, namespaces));
}

/** The cache tag that marks a user's entries (`memory.userTag(user)`): `user:<tenant>:<userId>`. */
export function userCacheTag(keyspace: Keyspace, user: UserScope): string {
  keyspace.user(user); // validates
  return `user:${user.tenant ?? '_'}:${user.userId}`;
}

/** What the library keeps about one user, found in the keyspace (see {@link findUserFootprint}). */
export interface UserFootprint {
  /** Session ids. */
  sessions: string[];
  /** Long-term memories per namespace (the namespace's stored memories of the user and their agents). */
  memories: { namespace: string; memories: number }[];
  /** Cache entries tagged with the user's tag, per cache, and the shards holding them. */
  caches: { cache: string; entries: number; shards: number[] }[];
  /** Events of the user: in their partition, and in dead-letter streams. */
  events: number;
  /** Every key under the user's hash tags (sessions, their index, memories): what a forget unlinks. */
  keys: string[];
}

/** The ids of the sessions some of `keys` belong to (session keys are `<sessionPrefix><id><suffix>`). */
function sessionIdsOf(sessionPrefix: string, keys: readonly string[]): string[] {
  const ids = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(sessionPrefix)) continue;
    const rest = key.slice(sessionPrefix.length);
    ids.add(rest.slice(0, rest.lastIndexOf(':')));
  }
  return [...ids].sort();
}

const NAMESPACE_OF = /^ltm:([^:{}]+):\{/;
const CACHE_TAG_KEY = /^c:\{([^:{}]+):(\d+)\}:[tg]:/;

/**
 * Finds what the library keeps about `user` from the keyspace alone, deleting nothing: the
 * namespaces holding their memories and the caches holding entries tagged `userCacheTag(user)`
 * are discovered (their key names say so, keys.ts), `namespaces` and `caches` add names to look in.
 * Costs a SCAN pass over each master for the user's keys, one for the cache tag keys, and one
 * read of the user's event partition and of each dead-letter stream.
 *
 * @example const footprint = await findUserFootprint(memory.connection, memory.keys, memory.events, { userId: 'alice' });
 */
export async function findUserFootprint(
  connection: RedisConnection,
  keyspace: Keyspace,
  events: EventLog,
  user: UserScope,
  extra: { namespaces?: readonly string[]; caches?: readonly string[] } = {},
): Promise<UserFootprint> {
  const keys = keyspace.user(user);
  const base = `${keyspace.prefix}:`;
  const candidates: string[] = [];
  for await (const batch of connection.scan(keys.anyTagPattern)) candidates.push(...batch);
  const namespaces = new Set(extra.namespaces ?? []);
  for (const key of candidates) {
    const ns = key.startsWith(base) ? NAMESPACE_OF.exec(key.slice(base.length))?.[1] : undefined;
    if (ns !== undefined) namespaces.add(ns);
  }
  const owned = candidates.filter((key) => keys.owns(key, [...namespaces]));
  const sessions = sessionIdsOf(keys.sessionPrefix, owned);
  const memories = await Promise.all(
    [...namespaces].sort().map(async (namespace) => {
      const idSets = owned.filter((key) => keys.ownsMemory(key, [namespace]) && key.endsWith(':ids'));
      const counts = await Promise.all(idSets.map((key) => connection.send<number>(['SCARD', key], { key, readonly: true })));
      return { namespace, memories: counts.reduce((a, b) => a + b, 0) };
    }),
  );

  const tagId = Cache.id(userCacheTag(keyspace, user));
  const byCache = new Map<string, { entries: number; shards: Set<number> }>();
  for (const name of extra.caches ?? []) {
    keyspace.cache(name, 1); // validates the name
    byCache.set(name, { entries: 0, shards: new Set([0]) });
  }
  for await (const batch of connection.scan(`${base}c:{*}:[tg]:${tagId}`)) {
    for (const key of batch) {
      const match = CACHE_TAG_KEY.exec(key.slice(base.length));
      if (!match || !key.endsWith(`:${tagId}`)) continue;
      const found = byCache.get(match[1]!) ?? { entries: 0, shards: new Set<number>() };
      byCache.set(match[1]!, found);
      found.shards.add(Number(match[2]));
      if (key.slice(base.length).startsWith(`c:{${match[1]}:${match[2]}}:t:`)) {
        found.entries += await connection.send<number>(['SCARD', key], { key, readonly: true });
      }
    }
  }
  const caches = [...byCache.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([cache, { entries, shards }]) => ({ cache, entries, shards: [...shards].sort((a, b) => a - b) }));

  return { sessions, memories, caches, events: await events.countUserEvents(user), keys: owned.sort() };
}

/**
 * Deletes what {@link findUserFootprint} found: invalidates the user's tag in each cache found
 * (every shard up to the highest seen), unlinks every key under their tags in the namespaces
 * found, then removes their events. For a process that did not open the application's caches and
 * namespaces (the CLI); `memory.forgetUser` does the same for those it opened.
 */
export async function forgetUserFootprint(
  connection: RedisConnection,
  keyspace: Keyspace,
  events: EventLog,
  user: UserScope,
  footprint: UserFootprint,
): Promise<{ sessions: number; memories: number; cacheEntries: number; events: number; keys: number }> {
  const tag = userCacheTag(keyspace, user);
  await events.markForgotten(user); // first: an extraction in flight undoes what it writes from now on
  const cacheEntries = await Promise.all(
    footprint.caches.map(async ({ cache, shards }) => {
      const handle = new Cache(connection, keyspace, { name: cache, shards: Math.max(0, ...shards) + 1 }, events);
      try {
        return await handle.invalidateTag(tag);
      } finally {
        await handle.close();
      }
    }),
  );
  const deleted = await unlinkUserKeys(
    connection,
    keyspace,
    user,
    footprint.memories.map((m) => m.namespace),
  );
  // Events last: with the sessions gone, no idle sweep can announce one of them again.
  const removedEvents = await events.forgetUser(user);
  return {
    sessions: sessionIdsOf(keyspace.user(user).sessionPrefix, deleted).length,
    memories: footprint.memories.reduce((a, m) => a + m.memories, 0),
    cacheEntries: cacheEntries.reduce((a, b) => a + b, 0),
    events: removedEvents,
    keys: deleted.length,
  };
}
