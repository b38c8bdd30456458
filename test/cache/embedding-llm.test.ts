// The embedding cache (around LangChain's FakeEmbeddings, counted) and the exact LLM cache, on
// Redis 8, Redis 7 and a Redis Cluster.
import { FakeEmbeddings } from '@langchain/core/utils/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingCache } from '../../src/cache/embedding-cache.js';
import { EmbeddingShapeError } from '../../src/errors.js';
import { canonicalJson, LlmCache } from '../../src/cache/llm-cache.js';
import { targetsWithCluster } from '../harness/index.js';
import { cacheFixture, type CacheFixture } from './fixture.js';

/** LangChain's FakeEmbeddings, counting what reaches it, with a vector that depends on the text. */
class CountingEmbeddings extends FakeEmbeddings {
  documents: string[] = [];
  queries: string[] = [];
  override async embedDocuments(texts: string[]) {
    this.documents.push(...texts);
    return texts.map((t) => [t.length, t.charCodeAt(0) / 7, 0.1]);
  }
  override async embedQuery(text: string) {
    this.queries.push(text);
    return [text.length, 1 / 3, -2];
  }
}

describe.each(targetsWithCluster({ asAclUser: true }).map((t) => [t.name, t] as const))('embedding and LLM caches (%s)', (_, target) => {
  let f: CacheFixture;
  beforeAll(async () => {
    f = await cacheFixture(target);
  });
  afterAll(() => f.close());

  it('sends only the misses to the embedder, deduplicated, and serves the rest from Redis', async () => {
    const inner = new CountingEmbeddings();
    const cache = f.cache({ name: 'emb' });
    const embeddings = new EmbeddingCache(inner, cache, { model: 'fake-3' });
    const first = await embeddings.embedDocuments(['alpha', 'beta', 'alpha']);
    expect(inner.documents).toEqual(['alpha', 'beta']);
    const second = await embeddings.embedDocuments(['beta', 'gamma', 'alpha']);
    expect(inner.documents).toEqual(['alpha', 'beta', 'gamma']);
    expect(second[0]).toEqual(first[1]);
    expect(second[2]).toEqual(first[0]);
    expect(first[0]).toEqual([5, Math.fround(97 / 7), Math.fround(0.1)]); // stored as float32
    expect(await embeddings.embedDocuments([])).toEqual([]);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 4 });
  });

  it('keeps queries, documents and models apart', async () => {
    const inner = new CountingEmbeddings();
    const cache = f.cache({ name: 'emb-kinds' });
    const a = new EmbeddingCache(inner, cache, { model: 'model-a' });
    const b = new EmbeddingCache(inner, cache, { model: 'model-b' });
    await a.embedQuery('hello');
    await a.embedQuery('hello');
    await a.embedDocuments(['hello']);
    await b.embedQuery('hello');
    expect(inner.queries).toEqual(['hello', 'hello']);
    expect(inner.documents).toEqual(['hello']);
  });

  it('stores vectors as 4 bytes a dimension', async () => {
    const cache = f.cache({ name: 'emb-size' });
    await new EmbeddingCache(new CountingEmbeddings(), cache, { model: 'm' }).embedQuery('x');
    const entries = await f.keys('c:{emb-size:*}:e:*');
    expect(entries).toHaveLength(1);
    expect(await f.connection.send<number>(['STRLEN', entries[0]!], { key: entries[0] })).toBe(13 + 1 + 4 + 3 * 4); // header, no tags, no key, the vector
  });

  it('refuses vectors of the wrong shape with a typed error, caching none of them', async () => {
    const broken = { embedQuery: async () => [1, Number.NaN], embedDocuments: async (t: string[]) => t.map(() => [1, 2]).concat([[3]]) };
    const cache = f.cache({ name: 'emb-bad' });
    const embeddings = new EmbeddingCache(broken, cache, { model: 'm' });
    await expect(embeddings.embedQuery('q')).rejects.toBeInstanceOf(EmbeddingShapeError);
    await expect(embeddings.embedDocuments(['a', 'b'])).rejects.toThrow(/returned 3 vectors for 2 texts/);
    expect(await f.keys('c:{emb-bad:*')).toEqual([]);
  });

  it('LLM cache: the same request finds the answer whatever the key order; another temperature does not', async () => {
    const llm = new LlmCache(f.cache({ name: 'llm' }));
    const messages = [{ role: 'user', content: 'Capital of France?' }];
    await llm.update({ model: 'gpt-4o', prompt: messages, params: { temperature: 0, top_p: 1 } }, { text: 'Paris' });
    expect(await llm.lookup({ model: 'gpt-4o', prompt: messages, params: { top_p: 1, temperature: 0 } })).toEqual({ text: 'Paris' });
    expect(await llm.lookup({ model: 'gpt-4o', prompt: messages, params: { temperature: 0.7, top_p: 1 } })).toBeUndefined();
    expect(await llm.lookup({ model: 'gpt-4o-mini', prompt: messages, params: { temperature: 0, top_p: 1 } })).toBeUndefined();
    let calls = 0;
    const ask = () => llm.getOrCompute({ model: 'm', prompt: 'hi' }, () => ++calls);
    expect([await ask(), await ask()]).toEqual([1, 1]);
    expect(canonicalJson({ b: [{ z: 1, a: 2 }], a: null })).toBe('{"a":null,"b":[{"a":2,"z":1}]}');
  });
});
