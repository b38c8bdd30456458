// A LangChain key-value store (BaseStore<string, Uint8Array>: what CacheBackedEmbeddings and
// other byte stores take) on the library's Cache: values are stored byte-exact, keys listed by
// prefix (the cache must keep keys). It translates and delegates; it never talks to Redis itself.
import { BaseStore } from '@langchain/core/stores';
import { InvalidArgumentError, type Cache } from '../../src/index.js';

export interface AgentMemoryKeyValueStoreOptions {
  /** Expire each value this long after it is set, instead of the cache's TTL (a cache with `ttl: { mode: 'none' }` keeps values until deleted). */
  ttlSeconds?: number;
}

/**
 * @example
 * const store = new AgentMemoryKeyValueStore(memory.cache({ name: 'kv', ttl: { mode: 'none' }, keepKeys: true }));
 * await store.mset([['a', new TextEncoder().encode('hello')]]);
 * for await (const key of store.yieldKeys('a')) console.log(key);
 */
export class AgentMemoryKeyValueStore extends BaseStore<string, Uint8Array> {
  lc_namespace = ['redis_agent_memory', 'storage'];

  constructor(
    readonly cache: Cache,
    private readonly options: AgentMemoryKeyValueStoreOptions = {},
  ) {
    super();
    if (!cache.options.keepKeys) {
      throw new InvalidArgumentError('key-value store', [
        { path: 'cache', message: `cache ${cache.name} must be created with keepKeys: true, so that yieldKeys can list its keys` },
      ]);
    }
  }

  /** Values in key order; undefined for missing keys. One round trip (pipelined). */
  async mget(keys: string[]): Promise<(Uint8Array | undefined)[]> {
    const values = await this.cache.getMany<Buffer>(keys);
    return values.map((v) => (v === undefined ? undefined : new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength))));
  }

  async mset(keyValuePairs: [string, Uint8Array][]): Promise<void> {
    const options = {
      encoding: 'bytes' as const,
      ...(this.options.ttlSeconds === undefined ? {} : { ttlSeconds: this.options.ttlSeconds }),
    };
    for (const [, value] of keyValuePairs) {
      if (!(value instanceof Uint8Array))
        throw new InvalidArgumentError('key-value store', [{ path: 'value', message: 'must be a Uint8Array' }]);
    }
    await this.cache.setMany(keyValuePairs.map(([key, value]) => ({ key, value, options })));
  }

  async mdelete(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.cache.delete(key)));
  }

  /** Every key starting with `prefix` (all keys without one), in no particular order. */
  async *yieldKeys(prefix?: string): AsyncGenerator<string> {
    yield* this.cache.keys(prefix ?? '');
  }
}
