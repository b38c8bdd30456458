// The LangChain byte store on the cache, on Redis 8, Redis 7 and the cluster: the BaseStore
// contract (mget / mset / mdelete / yieldKeys by prefix), byte-exact values, TTL, and LangChain's
// own stores built on a byte store (langchain's createDocumentStoreFromByteStore, and the
// EncoderBackedStore that CacheBackedEmbeddings wraps a byte store in; CacheBackedEmbeddings itself
// lives in @langchain/classic, which is not installed here).
import { Document } from '@langchain/core/documents';
import { EncoderBackedStore, createDocumentStoreFromByteStore } from 'langchain/storage/encoder_backed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentMemoryKeyValueStore } from '../../../adapters/langchain/key-value-store.js';
import { InvalidArgumentError } from '../../../src/errors.js';
import { sleep } from '../../session/fixture.js';
import { cacheFixture, type CacheFixture } from '../../cache/fixture.js';
import { targetsWithCluster } from '../../harness/index.js';

const collect = async (keys: AsyncIterable<string>) => {
  const out: string[] = [];
  for await (const key of keys) out.push(key);
  return out.sort();
};

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('AgentMemoryKeyValueStore (%s)', (_, target) => {
  let f: CacheFixture;
  beforeAll(async () => {
    f = await cacheFixture(target);
  });
  afterAll(() => f.close());

  it('gets, sets and deletes byte-exact values, and lists keys by prefix', async () => {
    const store = new AgentMemoryKeyValueStore(f.cache({ name: 'kv', ttl: { mode: 'none' }, keepKeys: true }));
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    const pairs: [string, Uint8Array][] = [
      ['emb:model-a:1', every],
      ['emb:model-a:2', new Uint8Array(0)],
      ['emb:model-b:ü ✓', new TextEncoder().encode('{"not":"json?"')],
      ['doc:1', Uint8Array.from([0, 0, 0, 0xff])],
    ];
    await store.mset(pairs);
    const got = await store.mget(['emb:model-a:1', 'missing', 'emb:model-a:2', 'emb:model-b:ü ✓', 'doc:1']);
    expect(got.map((v) => (v === undefined ? undefined : [...v]))).toEqual([[...every], undefined, [], [...pairs[2]![1]], [0, 0, 0, 0xff]]);
    expect(got[0]).toBeInstanceOf(Uint8Array);
    expect(await collect(store.yieldKeys('emb:model-a:'))).toEqual(['emb:model-a:1', 'emb:model-a:2']);
    expect(await collect(store.yieldKeys())).toEqual(pairs.map(([k]) => k).sort());
    await store.mdelete(['emb:model-a:1', 'doc:1', 'never-there']);
    expect(await store.mget(['emb:model-a:1', 'doc:1'])).toEqual([undefined, undefined]);
    expect(await collect(store.yieldKeys('emb:'))).toEqual(['emb:model-a:2', 'emb:model-b:ü ✓']);
  });

  it('expires values after ttlSeconds, and refuses a cache that does not keep keys', async () => {
    const store = new AgentMemoryKeyValueStore(f.cache({ name: 'kv-ttl', keepKeys: true }), { ttlSeconds: 0.2 });
    await store.mset([['short', Uint8Array.from([1])]]);
    expect(await store.mget(['short'])).toEqual([Uint8Array.from([1])]);
    await sleep(350);
    expect(await store.mget(['short'])).toEqual([undefined]);
    expect(await collect(store.yieldKeys())).toEqual([]);
    expect(() => new AgentMemoryKeyValueStore(f.cache({ name: 'kv-nokeys' }))).toThrow(InvalidArgumentError);
    await expect(store.mset([['x', 'not bytes' as never]])).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('backs LangChain’s document store and the encoder-backed store CacheBackedEmbeddings builds on a byte store', async () => {
    const bytes = new AgentMemoryKeyValueStore(f.cache({ name: 'kv-lc', ttl: { mode: 'none' }, keepKeys: true }));
    const docs = createDocumentStoreFromByteStore(bytes);
    await docs.mset([['parent-1', new Document({ pageContent: 'the full parent text', metadata: { source: 'a.md', page: 2 } })]]);
    const [doc] = await docs.mget(['parent-1']);
    expect(doc).toMatchObject({ pageContent: 'the full parent text', metadata: { source: 'a.md', page: 2 } });

    // CacheBackedEmbeddings.fromBytesStore wraps the byte store exactly like this: a namespaced key, JSON float arrays as bytes.
    const vectors = new EncoderBackedStore<string, number[], Uint8Array>({
      store: bytes,
      keyEncoder: (text) => `model-x:${text}`,
      valueSerializer: (v) => new TextEncoder().encode(JSON.stringify(v)),
      valueDeserializer: (b) => JSON.parse(new TextDecoder().decode(b)) as number[],
    });
    await vectors.mset([
      ['hello', [0.1, -0.2, 3e-8]],
      ['world', [1, 2, 3]],
    ]);
    expect(await vectors.mget(['hello', 'nope', 'world'])).toEqual([[0.1, -0.2, 3e-8], undefined, [1, 2, 3]]);
    expect(await collect(bytes.yieldKeys('model-x:'))).toEqual(['model-x:hello', 'model-x:world']);
  });
});
