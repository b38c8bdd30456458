// The LangChain LLM caches as a real chat model's `cache` option (LangChain's FakeListChatModel,
// whose answers advance only on a real call), on Redis 8, Redis 7 and the cluster: the second call
// comes from Redis, generations (tool calls included) round-trip, model parameters never collide,
// and the semantic cache hits on a paraphrase above its threshold and misses below it.
import { AIMessage, HumanMessage } from '@langchain/core/messages';
import type { ChatGeneration } from '@langchain/core/outputs';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentMemoryLlmCache, AgentMemorySemanticLlmCache } from '../../../adapters/langchain/llm-cache.js';
import { Cache } from '../../../src/cache/cache.js';
import { LlmCache } from '../../../src/cache/llm-cache.js';
import { SemanticCache } from '../../../src/cache/semantic-cache.js';
import type { RedisConnection } from '../../../src/connection/connect.js';
import { HashingEmbeddings } from '../../../src/embeddings/hashing.js';
import { Keyspace } from '../../../src/keys.js';
import { FlatIndex } from '../../../src/vector/engines/flat.js';
import { VectorSetIndex } from '../../../src/vector/engines/vectorset.js';
import { IndexDefinitionSchema } from '../../../src/vector/types.js';
import { connectTo, deletePrefix, targetsWithCluster, uniquePrefix } from '../../harness/index.js';

/** A model parameter passed as a call option: LangChain puts it in the cache's llmKey, as it does a real model's. */
const temperature = (t: number) => ({ temperature: t }) as unknown as FakeListChatModel['ParsedCallOptions'];

const cosine = (a: number[], b: number[]) => (1 + a.reduce((s, x, i) => s + x * b[i]!, 0)) / 2; // unit vectors, the engines' scale

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('LangChain LLM caches (%s)', (name, target) => {
  let connection: RedisConnection;
  let keyspace: Keyspace;
  let prefix: string;
  const caches: Cache[] = [];
  const exactCache = () => {
    const cache = new Cache(connection, keyspace, { name: 'llm' });
    caches.push(cache);
    return new AgentMemoryLlmCache(new LlmCache(cache));
  };

  beforeAll(async () => {
    connection = await connectTo(target);
    prefix = uniquePrefix('lc');
    keyspace = new Keyspace(prefix);
  });
  afterAll(async () => {
    await Promise.all(caches.map((c) => c.close()));
    await deletePrefix(connection, prefix);
    await connection.close();
  });

  it('serves a chat model’s repeated call from Redis, also to another model object with a fresh cache object', async () => {
    const model = new FakeListChatModel({ responses: ['first', 'second', 'third'], cache: exactCache() });
    expect((await model.invoke('hello there')).content).toBe('first');
    expect((await model.invoke('hello there')).content).toBe('first'); // cached: the fake did not advance
    expect((await model.invoke('something else')).content).toBe('second');
    const another = new FakeListChatModel({ responses: ['never used'], cache: exactCache() });
    expect((await another.invoke('hello there')).content).toBe('first');
    expect((await another.invoke([new HumanMessage('something else')])).content).toBe('second');
  });

  it('keeps answers for other model parameters (call options, part of LangChain’s llmKey) apart', async () => {
    const model = new FakeListChatModel({ responses: ['plain', 'cold', 'hot'], cache: exactCache() });
    expect((await model.invoke('same prompt')).content).toBe('plain');
    expect((await model.invoke('same prompt', temperature(0))).content).toBe('cold');
    expect((await model.invoke('same prompt', temperature(1))).content).toBe('hot');
    expect((await model.invoke('same prompt', temperature(0))).content).toBe('cold');
    expect((await model.invoke('same prompt')).content).toBe('plain');
  });

  it('round-trips generations with AI message content blocks, tool calls, ids and metadata', async () => {
    const message = new AIMessage({
      id: 'run-1',
      content: [{ type: 'text', text: 'Let me look that up.' }],
      tool_calls: [{ id: 'call_1', name: 'search', args: { query: 'weather in Lyon', days: 3 }, type: 'tool_call' }],
      usage_metadata: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } as never,
      response_metadata: { model_name: 'fake-1', finish_reason: 'tool_calls' },
    });
    const generation: ChatGeneration = { text: 'Let me look that up.', message };
    await exactCache().update('Human: weather?', 'model:"x"', [generation]);
    const [found] = (await exactCache().lookup('Human: weather?', 'model:"x"')) as ChatGeneration[];
    expect(found!.text).toBe('Let me look that up.');
    expect(AIMessage.isInstance(found!.message)).toBe(true);
    const back = found!.message as AIMessage;
    expect(back.tool_calls).toEqual(message.tool_calls);
    expect(back.content).toEqual(message.content);
    expect(back.id).toBe('run-1');
    expect(back.usage_metadata).toEqual(message.usage_metadata);
    expect(back.response_metadata).toMatchObject({ model_name: 'fake-1', finish_reason: 'tool_calls' });
    expect(await exactCache().lookup('Human: weather?', 'model:"y"')).toBeNull();
  });

  describe('semantic', () => {
    const embedder = new HashingEmbeddings(128);
    let semantic: SemanticCache;
    beforeAll(async () => {
      const definition = IndexDefinitionSchema.parse({ namespace: 'semantic-lc', dim: 128 });
      const index =
        name === 'redis7' ? new FlatIndex(connection, keyspace, definition) : new VectorSetIndex(connection, keyspace, definition);
      await index.ensure();
      const exact = new Cache(connection, keyspace, { name: 'semantic-lc' });
      caches.push(exact);
      semantic = new SemanticCache(index, embedder, keyspace, exact, { threshold: 0.8 });
    });

    const question = 'What is the capital city of France?';
    const paraphrase = 'what is the capital city of france, please';
    const unrelated = 'How do I bake sourdough bread?';

    it('hits on a paraphrase above the threshold, misses an unrelated prompt and the same paraphrase under a stricter threshold', async () => {
      // The chat model hands the cache its prompt as LangChain's buffer string ('Human: …').
      const [q, p, u] = await embedder.embedDocuments([`Human: ${question}`, `Human: ${paraphrase}`, `Human: ${unrelated}`]);
      expect(cosine(q!, p!)).toBeGreaterThan(0.8);
      expect(cosine(q!, p!)).toBeLessThan(0.99);
      expect(cosine(q!, u!)).toBeLessThan(0.8);

      const model = new FakeListChatModel({
        responses: ['Paris', 'Use a starter', 'strict miss'],
        cache: new AgentMemorySemanticLlmCache(semantic, { tenant: 'acme' }),
      });
      expect((await model.invoke(question)).content).toBe('Paris');
      expect((await model.invoke(paraphrase)).content).toBe('Paris'); // served from the semantic cache
      expect((await model.invoke(unrelated)).content).toBe('Use a starter');
      const strict = new FakeListChatModel({
        responses: ['strict miss'],
        cache: new AgentMemorySemanticLlmCache(semantic, { tenant: 'acme', threshold: 0.99 }),
      });
      expect((await strict.invoke(paraphrase)).content).toBe('strict miss');
    });

    it('keeps other tenants and other model parameters apart', async () => {
      const model = new FakeListChatModel({
        responses: ['for acme', 'for globex', 'with stop'],
        cache: new AgentMemorySemanticLlmCache(semantic, { tenant: 'acme2' }),
      });
      expect((await model.invoke(question)).content).toBe('for acme');
      const globex = new FakeListChatModel({
        responses: ['for globex'],
        cache: new AgentMemorySemanticLlmCache(semantic, { tenant: 'globex' }),
      });
      expect((await globex.invoke(question)).content).toBe('for globex');
      expect((await model.invoke(question, temperature(0.5))).content).toBe('for globex'); // a miss: the fake advanced
      expect((await model.invoke(question)).content).toBe('for acme');
    });
  });
});
