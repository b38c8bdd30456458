// A session store on one harness target under a fresh key prefix, and the raw views tests check
// it against (keys, TTLs). Cleaned up by close().
import type { RedisConnection } from '../../src/connection/connect.js';
import { Keyspace } from '../../src/keys.js';
import type { SessionStoreOptions } from '../../src/session/options.js';
import { SessionStore } from '../../src/session/store.js';
import { connectTo, deletePrefix, scanKeys, uniquePrefix, type RedisTarget } from '../harness/index.js';

export interface SessionFixture {
  connection: RedisConnection;
  prefix: string;
  keyspace: Keyspace;
  store(options?: SessionStoreOptions): SessionStore;
  /** Every key under this fixture's prefix. */
  keys(pattern?: string): Promise<string[]>;
  pttl(key: string): Promise<number>;
  close(): Promise<void>;
}

export async function sessionFixture(target: RedisTarget): Promise<SessionFixture> {
  const connection = await connectTo(target);
  const prefix = uniquePrefix('s');
  const keyspace = new Keyspace(prefix);
  return {
    connection,
    prefix,
    keyspace,
    store: (options) => new SessionStore(connection, keyspace, options),
    keys: (pattern = '*') => scanKeys(connection, `${prefix}:${pattern}`),
    pttl: (key) => connection.send<number>(['PTTL', key], { key }),
    close: async () => {
      await deletePrefix(connection, prefix);
      await connection.close();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
