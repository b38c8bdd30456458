// The LangChain vector store on long-term memory, with LangChain's own retriever and runnables, on
// vector sets (Redis 8, the cluster) and the flat engine (Redis 7, Redis 8): ids upsert and never
// merge, metadata round-trips exactly, filters, MMR, deletes, one user's store never sees another's.
import { Document } from '@langchain/core/documents';
import { RunnableLambda } from '@langchain/core/runnables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentMemoryVectorStore } from '../../../adapters/langchain/vector-store.js';
import type { RedisConnection } from '../../../src/connection/connect.js';
import { HashingEmbeddings } from '../../../src/embeddings/hashing.js';
import { InvalidArgumentError } from '../../../src/errors.js';
import { Keyspace } from '../../../src/keys.js';
import { LongTermMemory } from '../../../src/memory/long-term-memory.js';
import { FlatIndex } from '../../../src/vector/engines/flat.js';
import { VectorSetIndex } from '../../../src/vector/engines/vectorset.js';
import { IndexDefinitionSchema } from '../../../src/vector/types.js';
import { connectTo, deletePrefix, targetsWithCluster, uniquePrefix } from '../../harness/index.js';

const runs = targetsWithCluster().flatMap((target) => {
  const engines = target.name === 'redis7' ? ['flat'] : target.name === 'cluster' ? ['vectorset'] : ['vectorset', 'flat'];
  return engines.map((engine) => [`${engine} on ${target.name}`, target, engine] as const);
});

/** Every kind of metadata value LangChain users put on documents. */
const RICH = {
  source: 'wiki',
  page: 3,
  ratio: 0.25,
  draft: false,
  authors: ['Ann', 'Bo'],
  loc: { lines: { from: 1, to: 9 } },
  reviewer: null,
  empty: '',
  nested: [{ a: [1, { b: null }] }],
};

describe.each(runs)('AgentMemoryVectorStore: %s', (_, target, engine) => {
  let connection: RedisConnection;
  let prefix: string;
  let memory: LongTermMemory;
  const embeddings = new HashingEmbeddings(128);
  const alice = { tenant: 'acme', userId: 'alice' };
  const bob = { tenant: 'acme', userId: 'bob' };
  let store: AgentMemoryVectorStore;

  beforeAll(async () => {
    connection = await connectTo(target);
    prefix = uniquePrefix('vs');
    const keyspace = new Keyspace(prefix);
    const definition = IndexDefinitionSchema.parse({ namespace: 'docs', dim: 128, fields: { source: 'tag', page: 'numeric' } });
    const index =
      engine === 'flat' ? new FlatIndex(connection, keyspace, definition) : new VectorSetIndex(connection, keyspace, definition);
    await index.ensure();
    memory = new LongTermMemory(index, embeddings, keyspace);
    store = await AgentMemoryVectorStore.fromDocuments(
      [
        new Document({ id: 'lyon', pageContent: 'Lyon is a city in France on the Rhone', metadata: RICH }),
        new Document({ pageContent: 'Paris is the capital of France', metadata: { source: 'wiki', page: 1 } }),
        new Document({ pageContent: 'Bananas are rich in potassium', metadata: { source: 'blog', page: 7 } }),
      ],
      embeddings,
      { memory, scope: alice },
    );
  });
  afterAll(async () => {
    await deletePrefix(connection, prefix);
    await connection.close();
  });

  it('finds documents by similarity with their exact metadata and ids, scores best first in [0, 1]', async () => {
    const [top] = await store.similaritySearch('which city is on the Rhone?', 1);
    expect(top).toMatchObject({ id: 'lyon', pageContent: 'Lyon is a city in France on the Rhone' });
    expect(top!.metadata).toEqual(RICH);
    const scored = await store.similaritySearchWithScore('capital of France', 3);
    expect(scored[0]![0].pageContent).toBe('Paris is the capital of France');
    expect(scored.map(([, s]) => s)).toEqual([...scored.map(([, s]) => s)].sort((a, b) => b - a));
    for (const [, s] of scored) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1.000001);
    }
    const byVector = await store.similaritySearchVectorWithScore(await embeddings.embedQuery('potassium bananas'), 1);
    expect(byVector[0]![0].metadata).toEqual({ source: 'blog', page: 7 });
  });

  it('upserts by id (options.ids, else document ids) and never merges near-identical documents', async () => {
    const s = new AgentMemoryVectorStore(embeddings, { memory, scope: { userId: 'upsert' } });
    expect(
      await s.addDocuments([new Document({ pageContent: 'the same sentence' }), new Document({ pageContent: 'the same sentence' })], {
        ids: ['a', 'b'],
      }),
    ).toEqual(['a', 'b']);
    expect(await memory.count({ userId: 'upsert' })).toBe(2);
    await s.addDocuments([new Document({ id: 'a', pageContent: 'a new text', metadata: { v: 2 } })]);
    expect(await memory.count({ userId: 'upsert' })).toBe(2);
    expect(await s.getByIds(['a', 'missing'])).toEqual([
      expect.objectContaining({ id: 'a', pageContent: 'a new text', metadata: { v: 2 } }),
      null,
    ]);
    const [generated] = await s.addDocuments([new Document({ pageContent: 'no id given' })]);
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    await expect(s.addDocuments([new Document({ pageContent: 'x' })], { ids: ['bad:id'] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(s.addVectors([[1]], [])).rejects.toThrow(/1 vectors for 0 documents/);
  });

  it('filters with the typed filter language through asRetriever, inside a LangChain runnable chain', async () => {
    const retriever = store.asRetriever({
      k: 3,
      filter: {
        and: [
          { field: 'source', eq: 'wiki' },
          { field: 'page', lte: 2 },
        ],
      },
    });
    const chain = retriever.pipe(RunnableLambda.from((docs: Document[]) => docs.map((d) => d.pageContent).join(' | ')));
    expect(await chain.invoke('a city in France')).toBe('Paris is the capital of France');
    expect((await store.similaritySearch('France', 5, { field: 'source', in: ['blog'] })).map((d) => d.metadata.source)).toEqual(['blog']);
    await expect(store.similaritySearch('France', 5, { field: 'nope', eq: 'x' })).rejects.toThrow(/nope is not a filterable field/);
  });

  it('maximal marginal relevance trades near-duplicates for diversity (with vectors fetched from the engine)', async () => {
    const s = await AgentMemoryVectorStore.fromTexts(
      ['red apple pie recipe', 'red apple pie recipe easy', 'red apple pie recipe quick', 'apple orchard visit in autumn'],
      { source: 'mmr' },
      embeddings,
      { memory, scope: { userId: 'mmr' } },
    );
    const plain = await s.similaritySearch('red apple pie recipe', 2);
    expect(plain.every((d) => d.pageContent.startsWith('red apple pie recipe'))).toBe(true);
    const diverse = await s.maxMarginalRelevanceSearch('red apple pie recipe', { k: 2, fetchK: 4, lambda: 0.1 });
    expect(diverse[0]!.pageContent).toBe('red apple pie recipe');
    expect(diverse[1]!.pageContent).toBe('apple orchard visit in autumn');
    const viaRetriever = await s
      .asRetriever({ k: 2, searchType: 'mmr', searchKwargs: { fetchK: 4, lambda: 0.1 } })
      .invoke('red apple pie recipe');
    expect(viaRetriever.map((d) => d.pageContent)).toEqual(diverse.map((d) => d.pageContent));
    expect(diverse[0]!.metadata).toEqual({ source: 'mmr' });
  });

  it('deletes by ids and by filter, within its own scope only', async () => {
    const mine = new AgentMemoryVectorStore(embeddings, { memory, scope: bob });
    await mine.addDocuments([
      new Document({ id: 'b1', pageContent: 'Bob likes wiki pages about France', metadata: { source: 'wiki' } }),
      new Document({ id: 'b2', pageContent: 'Bob keeps a blog', metadata: { source: 'blog' } }),
      new Document({ id: 'b3', pageContent: 'Bob reads the news', metadata: { source: 'news' } }),
    ]);
    // Bob's store sees only Bob's documents, and Alice's only hers, whatever the query or filter.
    expect((await mine.similaritySearch('Lyon is a city in France on the Rhone', 10)).map((d) => d.id).sort()).toEqual(['b1', 'b2', 'b3']);
    expect((await store.similaritySearch('Bob likes wiki pages about France', 10)).map((d) => d.id)).not.toContain('b1');
    await mine.delete({ filter: { field: 'source', eq: 'wiki' } });
    await mine.delete({ ids: ['b2', 'lyon'] }); // 'lyon' is Alice's: not reachable from Bob's store
    expect((await mine.similaritySearch('Bob', 10)).map((d) => d.id)).toEqual(['b3']);
    expect((await store.getByIds(['lyon']))[0]?.id).toBe('lyon');
    expect(await memory.count(alice)).toBe(3);
    await expect(mine.delete({} as never)).rejects.toThrow(/delete parameters/);
  });

  it('shares one layout with long-term memory: a remembered memory is a document, a document a memory', async () => {
    const scope = { tenant: 'acme', userId: 'shared' };
    const s = new AgentMemoryVectorStore(memory.embedder, { memory, scope });
    await memory.remember(scope, { id: 'm1', text: 'Carol is allergic to peanuts', metadata: { source: 'chat' } });
    await s.addDocuments([new Document({ id: 'd1', pageContent: 'Peanut butter recipes for kids', metadata: { source: 'doc' } })]);
    expect((await s.similaritySearch('peanuts allergy', 1))[0]).toMatchObject({ id: 'm1', metadata: { source: 'chat' } });
    expect((await memory.recall(scope, 'peanut butter recipes', { k: 1 }))[0]).toMatchObject({
      id: 'd1',
      text: 'Peanut butter recipes for kids',
    });
  });
});
