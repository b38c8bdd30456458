// Read-only views of what the library stores, for operators (the CLI's `inspect`): key types,
// TTLs and sizes, the namespaces and caches found in the keyspace. It writes nothing and returns
// no value of a key: callers decide what content, if any, to show.
import type { RedisConnection } from './connection/connect.js';
import { escapeGlob, type Keyspace } from './keys.js';

/** One key: its type, time to live (null: none) and the bytes Redis counts for it (MEMORY USAGE). */
export interface KeyInfo {
  key: string;
  type: string;
  ttlMs: number | null;
  bytes: number | null;
}

/** Keys described at once: bounds what is in flight for a user with many keys. */
const DESCRIBE_BATCH = 256;

/** Type, TTL and size of each of `keys` (three commands per key, sent together, in batches). */
export async function describeKeys(connection: RedisConnection, keys: readonly string[]): Promise<KeyInfo[]> {
  const out: KeyInfo[] = [];
  for (let i = 0; i < keys.length; i += DESCRIBE_BATCH) out.push(...(await describeBatch(connection, keys.slice(i, i + DESCRIBE_BATCH))));
  return out;
}

function describeBatch(connection: RedisConnection, keys: readonly string[]): Promise<KeyInfo[]> {
  return Promise.all(
    keys.map(async (key) => {
      const route = { key, readonly: true };
      const [type, pttl, bytes] = await Promise.all([
        connection.send<string>(['TYPE', key], route),
        connection.send<number>(['PTTL', key], route),
        connection.send<number | null>(['MEMORY', 'USAGE', key], route),
      ]);
      return { key, type: String(type), ttlMs: pttl >= 0 ? pttl : null, bytes: bytes ?? null };
    }),
  );
}

/** Every key matching `pattern` on every master, sorted (one SCAN pass). */
export async function scanAll(connection: RedisConnection, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for await (const batch of connection.scan(pattern)) found.push(...batch);
  return [...new Set(found)].sort();
}

/** What a long-term memory namespace was created with (its stored definition, vector/definition.ts). */
export interface StoredNamespace {
  namespace: string;
  engine: 'redisearch' | 'vectorset' | 'flat';
  dim: number;
  metric: string;
  fields: Record<string, string>;
  algorithm?: string;
  quantization?: string;
}

/** The long-term memory namespaces under the prefix, from their stored definitions. */
export async function listNamespaces(connection: RedisConnection, keyspace: Keyspace): Promise<StoredNamespace[]> {
  const base = `${keyspace.prefix}:ltm-def:`;
  const keys = await scanAll(connection, `${escapeGlob(base)}*`);
  const found = await Promise.all(keys.map((key) => readNamespace(connection, keyspace, key.slice(base.length))));
  return found.filter((n): n is StoredNamespace => n !== null);
}

/** The stored definition of `namespace`, or null when there is none. */
export async function readNamespace(connection: RedisConnection, keyspace: Keyspace, namespace: string): Promise<StoredNamespace | null> {
  const key = keyspace.vector(namespace).definition;
  const raw = await connection.send<string | null>(['GET', key], { key, readonly: true });
  return raw === null ? null : { namespace, ...(JSON.parse(raw) as Omit<StoredNamespace, 'namespace'>) };
}

/** The scopes (hash tags: a user, or a user's agent) of a namespace, and how many memories each holds. */
export async function namespaceScopes(
  connection: RedisConnection,
  keyspace: Keyspace,
  namespace: string,
): Promise<{ tag: string; memories: number }[]> {
  const prefix = keyspace.vector(namespace).namespacePrefix;
  const keys = await scanAll(connection, `${escapeGlob(prefix)}{*}:ids`);
  return Promise.all(
    keys.map(async (key) => ({
      tag: key.slice(prefix.length, -':ids'.length),
      memories: await connection.send<number>(['SCARD', key], { key, readonly: true }),
    })),
  );
}

const CACHE_ENTRY = /^c:\{([^:{}]+):\d+\}:e:/;

/** The caches under the prefix with how many entries each holds (found by their entry keys). */
export async function listCaches(connection: RedisConnection, keyspace: Keyspace): Promise<{ cache: string; entries: number }[]> {
  const base = `${keyspace.prefix}:`;
  const counts = new Map<string, number>();
  for (const key of await scanAll(connection, `${escapeGlob(base)}c:{*}:e:*`)) {
    const name = CACHE_ENTRY.exec(key.slice(base.length))?.[1];
    if (name !== undefined) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([cache, entries]) => ({ cache, entries }));
}

/** The entry keys of cache `name`, sorted. */
export function cacheEntryKeys(connection: RedisConnection, keyspace: Keyspace, name: string): Promise<string[]> {
  return scanAll(connection, keyspace.cache(name, 1).entryPattern);
}
