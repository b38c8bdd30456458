// The semantic cache through createAgentMemory on every target (engine 'auto': RediSearch where the
// server has it, vector sets on Redis 8, flat on Redis 7; the same answers on each): hits within the threshold, misses outside it, tenants and models kept
// apart, entries that expire, and a miss computed once for concurrent callers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import type { SemanticCache } from '../../src/cache/semantic-cache.js';
import { probeCapabilities } from '../../src/connection/capabilities.js';
import { pickEngine } from '../../src/vector/create.js';
import { deletePrefix, memoryConfig, targetsWithCluster, uniquePrefix } from '../harness/index.js';

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('semantic cache (%s)', (name, target) => {
  let memory: AgentMemory;
  let cache: SemanticCache;
  let prefix: string;
  let release: () => Promise<void>;
  beforeAll(async () => {
    prefix = uniquePrefix('sc');
    const connection = memoryConfig(target); // `redis`, or under AM_TEST_CLIENT a node-redis client of the test's
    release = connection.release;
    memory = await createAgentMemory({ ...connection.config, prefix });
    cache = await memory.semanticCache({ embedder: new HashingEmbeddings(128), threshold: 0.8 });
  });
  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await memory.close();
    await release();
  });

  it('picks the engine the server supports', async () => {
    const server = await probeCapabilities(memory.connection);
    expect(cache.index.engine).toBe(pickEngine(server, 'cosine'));
    if (name === 'redis7') expect(cache.index.engine).toBe('flat');
    else if (name === 'redis8' || name === 'cluster') expect(cache.index.engine).toBe('vectorset'); // the harness's servers: no search module
  });

  it('serves an answer to a prompt that means the same, and misses an unrelated one', async () => {
    await cache.store('What is the capital of France?', { text: 'Paris' }, { model: 'gpt-4o' });
    const hit = await cache.lookup('Which city is the capital of France', { model: 'gpt-4o' });
    expect(hit).toMatchObject({ hit: true, response: { text: 'Paris' }, prompt: 'What is the capital of France?' });
    expect((hit as { score: number }).score).toBeGreaterThan(0.8);
    expect(await cache.lookup('How do I reset my password?', { model: 'gpt-4o' })).toEqual({ hit: false });
    expect(await cache.lookup('Which city is the capital of France', { model: 'gpt-4o', threshold: 0.95 })).toEqual({ hit: false });
  });

  it('never serves another tenant’s or another model’s answer', async () => {
    await cache.store('Summarise our refund policy', 'tenant A policy', { tenant: 'a', model: 'm1' });
    expect(await cache.lookup('Summarise our refund policy', { tenant: 'b', model: 'm1' })).toEqual({ hit: false });
    expect(await cache.lookup('Summarise our refund policy', { tenant: 'a', model: 'm2' })).toEqual({ hit: false });
    expect(await cache.lookup('Summarise our refund policy', { tenant: 'a', model: 'm1' })).toMatchObject({
      hit: true,
      response: 'tenant A policy',
    });
  });

  it('entries expire one by one', async () => {
    await cache.store('temporary question one', 'short-lived', { ttlSeconds: 0.3, tenant: 'ttl' });
    await cache.store('lasting question two', 'long-lived', { tenant: 'ttl' });
    await new Promise((r) => setTimeout(r, 500));
    expect(await cache.lookup('temporary question one', { tenant: 'ttl' })).toEqual({ hit: false });
    expect(await cache.lookup('lasting question two', { tenant: 'ttl' })).toMatchObject({ hit: true });
  });

  it('computes a miss once for concurrent callers, then serves similar prompts', async () => {
    let calls = 0;
    const answer = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 100));
      return 'Replacements ship in two days';
    };
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => cache.getOrCompute('How fast do replacements ship?', answer, { tenant: 'stampede' })),
    );
    expect(new Set(replies)).toEqual(new Set(['Replacements ship in two days']));
    expect(await cache.getOrCompute('how fast do replacements ship', answer, { tenant: 'stampede' })).toBe('Replacements ship in two days');
    expect(calls).toBe(1);
  });
});
