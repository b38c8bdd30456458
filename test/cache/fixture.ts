// A cache on one harness target under a fresh key prefix, and raw access to check it against.
import type { RedisConnection } from '../../src/connection/connect.js';
import { Cache } from '../../src/cache/cache.js';
import type { CacheOptions } from '../../src/cache/options.js';
import { Keyspace } from '../../src/keys.js';
import { connectTo, deletePrefix, scanKeys, uniquePrefix, type RedisTarget } from '../harness/index.js';

export interface CacheFixture {
  connection: RedisConnection;
  prefix: string;
  keyspace: Keyspace;
  cache(options: Omit<CacheOptions, 'name'> & { name?: string }): Cache;
  keys(pattern?: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function cacheFixture(target: RedisTarget): Promise<CacheFixture> {
  const connection = await connectTo(target);
  const prefix = uniquePrefix('c');
  const keyspace = new Keyspace(prefix);
  const caches: Cache[] = [];
  return {
    connection,
    prefix,
    keyspace,
    cache: (options) => {
      const cache = new Cache(connection, keyspace, { name: 'test', ...options });
      caches.push(cache);
      return cache;
    },
    keys: (pattern = '*') => scanKeys(connection, `${prefix}:${pattern}`),
    close: async () => {
      await Promise.all(caches.map((c) => c.close()));
      await deletePrefix(connection, prefix);
      await connection.close();
    },
  };
}
