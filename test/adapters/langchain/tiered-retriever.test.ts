// The LangChain retriever over two-tier retrieval, with LangChain's own runnables and a real chat
// model class: the seed's pipeline (embedding cache → semantic cache of answers → hot tier → cold
// tier) on Redis 8 and the harness's PostgreSQL + pgvector. Documents say which tier answered.
import type { Document } from '@langchain/core/documents';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { RunnableLambda, RunnablePassthrough, RunnableSequence } from '@langchain/core/runnables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentMemorySemanticLlmCache } from '../../../adapters/langchain/llm-cache.js';
import { AgentMemoryTieredRetriever, payloadDocument } from '../../../adapters/langchain/tiered-retriever.js';
import { createAgentMemory, type AgentMemory } from '../../../src/agent-memory.js';
import { HashingEmbeddings } from '../../../src/embeddings/hashing.js';
import { PgVectorStore } from '../../../src/tiered/pgvector.js';
import { deletePrefix, memoryConfig, postgresUrl, redis8Targets, uniquePrefix } from '../../harness/index.js';

const DIM = 128;
const MENU = [
  'vegan lentil curry with rice',
  'grilled salmon with lemon butter',
  'margherita pizza with basil',
  'chocolate lava cake',
  'caesar salad with croutons',
  'beef burger with fries',
  'mushroom risotto',
  'tuna poke bowl',
];

/** Counts the texts it embeds, so the test can see the embedding cache answer. */
class CountingEmbeddings extends HashingEmbeddings {
  embedded = 0;
  override async embedQuery(text: string): Promise<number[]> {
    this.embedded++;
    return super.embedQuery(text);
  }
}

describe.each(redis8Targets().map((t) => [t.name, t] as const))('AgentMemoryTieredRetriever on %s', (_, target) => {
  let memory: AgentMemory;
  let release: () => Promise<void>;
  let cold: PgVectorStore;
  const prefix = uniquePrefix('tlc');
  const raw = new CountingEmbeddings(DIM);

  beforeAll(async () => {
    const connection = memoryConfig(target);
    release = connection.release;
    memory = await createAgentMemory({ ...connection.config, prefix });
    cold = new PgVectorStore({ connectionString: postgresUrl(), table: `m_${prefix}`, dim: DIM, fields: { course: 'tag' } });
    await cold.ensure();
    const vectors = await raw.embedDocuments(MENU);
    await cold.upsert(
      MENU.map((text, i) => ({
        id: `dish-${i}`,
        vector: vectors[i]!,
        tags: { course: [i === 3 ? 'dessert' : 'main'] },
        payload: JSON.stringify({ pageContent: text, metadata: { dish: i } }),
      })),
    );
  });
  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await memory.close();
    await release();
    await cold.close();
  });

  it('retrieves documents with ids, metadata and the tier that answered, hot or cold', async () => {
    const embedder = memory.embeddingCache(raw, { model: 'hashing-128' });
    const tiered = await memory.tiered({
      name: 'menu',
      cold,
      embedder,
      policy: { kind: 'explicit', ids: ['dish-0', 'dish-1', 'dish-2'] },
      hit: { minScore: 0.8, minHits: 1 },
    });
    await tiered.refresh();
    const retriever = new AgentMemoryTieredRetriever({ tiered, k: 2 });

    const hot = await retriever.invoke('vegan lentil curry');
    expect(hot[0]).toMatchObject({
      id: 'dish-0',
      pageContent: 'vegan lentil curry with rice',
      metadata: { dish: 0, tiered: { tier: 'hot', reason: 'hot-hit' } },
    });
    const cold_ = await retriever.invoke('mushroom risotto');
    expect(cold_[0]).toMatchObject({ id: 'dish-6', metadata: { tiered: { tier: 'cold', reason: 'too-few-hot-results' } } });
    expect((cold_[0]!.metadata.tiered as { score: number }).score).toBeGreaterThan(0.8);

    // The embedding cache in front: the same question is embedded once.
    const before = raw.embedded;
    await retriever.invoke('mushroom risotto');
    expect(raw.embedded).toBe(before);

    const desserts = new AgentMemoryTieredRetriever({ tiered, k: 3, filter: { field: 'course', eq: 'dessert' } });
    expect((await desserts.invoke('something sweet with chocolate')).map((d) => d.id)).toEqual(['dish-3']);
    expect(payloadDocument({ id: 'x', score: 1, payload: 'plain text' }).pageContent).toBe('plain text');
  });

  it('runs in a RAG chain whose model sits behind the semantic cache: a repeated question asks the model once', async () => {
    const tiered = await memory.tiered({ name: 'menu', cold, embedder: raw, policy: { kind: 'explicit', ids: ['dish-0'] } });
    const retriever = new AgentMemoryTieredRetriever({ tiered, k: 1 });
    const cache = new AgentMemorySemanticLlmCache(await memory.semanticCache({ embedder: raw, name: 'menu-answers' }), { threshold: 0.95 });
    const model = new FakeListChatModel({ responses: ['first answer', 'second answer'], cache });
    const chain = RunnableSequence.from([
      {
        context: retriever.pipe(RunnableLambda.from((docs: Document[]) => docs.map((d) => d.pageContent).join('\n'))),
        question: new RunnablePassthrough(),
      },
      RunnableLambda.from(({ context, question }: { context: string; question: string }) => `Menu:\n${context}\nQ: ${question}`),
      model,
    ]);
    const first = await chain.invoke('is there a risotto?');
    const again = await chain.invoke('is there a risotto?');
    expect(first.content).toBe('first answer');
    expect(again.content).toBe('first answer'); // from the semantic cache: the model's second answer was never asked for
  });
});
