// Telemetry of the other stores with a real SDK (in-memory exporters) on a real Redis 8 (and the
// harness's PostgreSQL for the tiered retriever): cache get/set/getOrCompute with hit and miss
// counts and stampede waits, long-term memory, checkpoints and tiered search, each one CLIENT span
// with its engine, tier and counts; and no content, key, query, id or secret in any attribute.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentMemory, type AgentMemory } from '../../src/agent-memory.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { PgVectorStore } from '../../src/tiered/pgvector.js';
import { deletePrefix, memoryConfig, postgresUrl, redis8Targets, uniquePrefix } from '../harness/index.js';
import { everyAttributeValue, otel, type Otel, type Point } from './otel.js';

const target = redis8Targets()[0]!;
const sumOf = (points: Point[], name: string, attributes: Record<string, unknown>): number =>
  points
    .filter((p) => p.name === name && Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))
    .reduce((n, p) => n + (p.value as number), 0);
const bytes = (text: string) => ({ type: 'json', bytes: new TextEncoder().encode(text) });

describe('telemetry of caches, memories, checkpoints and tiered search', () => {
  let o: Otel;
  let memory: AgentMemory;
  let other: AgentMemory;
  let prefix: string;
  const colds: PgVectorStore[] = [];
  beforeAll(async () => {
    o = otel();
    prefix = uniquePrefix('otels');
    const telemetry = { tracerProvider: o.tracerProvider, meterProvider: o.meterProvider };
    memory = await createAgentMemory({ ...memoryConfig(target).config, prefix, telemetry });
    other = await createAgentMemory({ ...memoryConfig(target).config, prefix, telemetry }); // another process, as far as locks go
  });
  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await Promise.all([memory.close(), other.close(), ...colds.map((c) => c.close())]);
    await o.shutdown();
  });

  it('counts cache hits and misses, and marks each span with its outcome', async () => {
    o.reset();
    const cache = memory.cache({ name: 'answers' });
    expect(await cache.get('k1')).toBeUndefined(); // miss
    await cache.set('k1', 'v1');
    expect(await cache.get('k1')).toBe('v1'); // hit
    expect(await cache.getOrCompute('k2', () => 'v2')).toBe('v2'); // miss, computed
    expect(await cache.getOrCompute('k2', () => 'other')).toBe('v2'); // hit
    expect(await cache.getMany(['k1', 'k2', 'k3'])).toEqual(['v1', 'v2', undefined]); // 2 hits, 1 miss
    await cache.setMany([
      { key: 'k4', value: 'v4' },
      { key: 'k5', value: 'v5' },
    ]);

    const gets = o.named('cache.get');
    expect(gets.map((s) => s.attributes['agent_memory.cache.hit'])).toEqual([false, true]);
    expect(gets[0]!.kind).toBe(SpanKind.CLIENT);
    expect(gets[0]!.attributes).toMatchObject({ 'db.system.name': 'redis', 'agent_memory.cache.name': 'answers' });
    expect(o.named('cache.get_or_compute').map((s) => s.attributes['agent_memory.cache.hit'])).toEqual([false, true]);
    expect(o.named('cache.set')).toHaveLength(1);
    expect(o.named('cache.get_many')[0]!.attributes).toMatchObject({ 'agent_memory.key_count': 3, 'agent_memory.result_count': 2 });
    expect(o.named('cache.set_many')[0]!.attributes['agent_memory.key_count']).toBe(2);

    const points = await o.points();
    const lookups = { 'agent_memory.cache.name': 'answers' };
    expect(sumOf(points, 'agent_memory.cache.lookups', { ...lookups, 'agent_memory.cache.hit': true })).toBe(4);
    expect(sumOf(points, 'agent_memory.cache.lookups', { ...lookups, 'agent_memory.cache.hit': false })).toBe(3);
    expect(cache.stats()).toMatchObject({ hits: 4, misses: 3 });
  });

  it("counts a miss that waits for another process's computation as a stampede wait", async () => {
    const a = memory.cache({ name: 'slow' });
    const b = other.cache({ name: 'slow' });
    let release!: () => void;
    const computing = a.getOrCompute('k', () => new Promise<string>((r) => (release = () => r('done'))));
    await new Promise((r) => setTimeout(r, 50)); // a holds the lock
    const waiting = b.getOrCompute('k', () => 'b computed it');
    await new Promise((r) => setTimeout(r, 50));
    release();
    expect(await Promise.all([computing, waiting])).toEqual(['done', 'done']);
    expect(b.stats().lockWaits).toBe(1);
    expect(sumOf(await o.points(), 'agent_memory.cache.stampede.waits', { 'agent_memory.cache.name': 'slow' })).toBe(1);
  });

  it('traces remember, recall and forget with the engine, the GenAI operation and the counts', async () => {
    o.reset();
    const facts = await memory.longTerm({ namespace: 'facts', embedder: new HashingEmbeddings(64), engine: 'vectorset' });
    const user = { tenant: 'acme', userId: 'alice' };
    const [first] = await facts.rememberMany(user, [{ text: 'likes green tea' }, { text: 'lives in Lyon' }]);
    await facts.remember(user, { text: 'likes green tea' }); // merged
    const recalled = await facts.recall(user, 'tea', { k: 2 });
    expect(await facts.forget(user, { ids: [first!.id] })).toBe(1);

    const remembers = o.named('memory.remember');
    expect(remembers).toHaveLength(2);
    expect(remembers[0]!.attributes).toMatchObject({
      'agent_memory.engine': 'vectorset',
      'agent_memory.namespace': 'facts',
      'gen_ai.operation.name': 'upsert_memory',
      'agent_memory.input_count': 2,
      'agent_memory.merged_count': 0,
    });
    expect(remembers[1]!.attributes['agent_memory.merged_count']).toBe(1);
    expect(o.named('memory.recall')[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'search_memory',
      'agent_memory.result_count': recalled.length,
    });
    expect(o.named('memory.forget')[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'delete_memory',
      'agent_memory.result_count': 1,
    });
    const recallDuration = (await o.points()).find(
      (p) => p.name === 'db.client.operation.duration' && p.attributes['db.operation.name'] === 'memory.recall',
    );
    expect(recallDuration!.attributes['agent_memory.engine']).toBe('vectorset');
    expect((recallDuration!.value as { count: number }).count).toBe(1);
  });

  it('traces checkpoint put, put_writes and get', async () => {
    o.reset();
    const checkpoints = memory.checkpoints();
    await checkpoints.put('thread-1', {
      ns: '',
      id: 'cp1',
      checkpoint: bytes('{}'),
      metadata: bytes('{}'),
      channelVersions: { messages: 1 },
      values: [{ channel: 'messages', version: 1, value: bytes('[]') }],
    });
    await checkpoints.putWrites('thread-1', '', 'cp1', [{ taskId: 't', idx: 0, channel: 'c', value: bytes('1'), taskPath: '' }]);
    expect(await checkpoints.get('thread-1', '')).toBeDefined();
    expect(await checkpoints.get('thread-2', '')).toBeUndefined();
    expect(o.named('checkpoint.put')[0]!.attributes).toMatchObject({
      'db.operation.name': 'checkpoint.put',
      'agent_memory.value_count': 1,
    });
    expect(o.named('checkpoint.put_writes')[0]!.attributes['agent_memory.result_count']).toBe(1);
    expect(o.named('checkpoint.get').map((s) => s.attributes['agent_memory.result_count'])).toEqual([1, 0]);
  });

  it('traces a tiered search with the tier that answered and why', async () => {
    o.reset();
    const table = `t_${uniquePrefix('x')}`;
    const cold = new PgVectorStore({ connectionString: postgresUrl(), table, dim: 4, fields: { lang: 'tag' } });
    colds.push(cold);
    await cold.ensure();
    await cold.upsert([{ id: 'a', vector: [1, 0, 0, 0], tags: { lang: ['en'] }, payload: '{}' }]);
    const tiered = await memory.tiered({ name: 'menu', cold, engine: 'vectorset', policy: { kind: 'explicit', ids: ['a'] } });
    await tiered.search([1, 0, 0, 0], { k: 1 }); // no hot set yet: cold
    await tiered.refresh();
    await tiered.search([1, 0, 0, 0], { k: 1 }); // hot
    await cold.delete(['a']);
    await tiered.sync();
    const spans = o.named('tiered.search');
    expect(spans.map((s) => [s.attributes['agent_memory.tier'], s.attributes['agent_memory.tier.reason']])).toEqual([
      ['cold', 'no-hot-set'],
      ['hot', 'hot-hit'],
    ]);
    // The refresh (and the sync after it switched), then the sync that took the deleted item out.
    expect(o.named('tiered.refresh').map((s) => s.attributes['agent_memory.result_count'])).toEqual([1]);
    const syncs = o.named('tiered.sync');
    expect(syncs.at(-1)!.attributes).toMatchObject({ 'agent_memory.tiered.name': 'menu', 'agent_memory.tiered.deleted': 1 });
    expect(spans[1]!.attributes).toMatchObject({
      'agent_memory.engine': 'vectorset',
      'agent_memory.tiered.name': 'menu',
      'agent_memory.result_count': 1,
    });
  });

  it('traces semantic-cache lookups with hit or miss and the score, and counts them as cache lookups', async () => {
    o.reset();
    const answers = await memory.semanticCache({ name: 'faq', embedder: new HashingEmbeddings(32), engine: 'vectorset' });
    expect((await answers.lookup('how do I reset my router?', { model: 'm' })).hit).toBe(false);
    await answers.store('how do I reset my router?', 'hold the button', { model: 'm' });
    expect((await answers.lookup('how do I reset my router?', { model: 'm' })).hit).toBe(true);
    expect(await answers.getOrCompute('what is the wifi password?', () => 'on the sticker', { model: 'm' })).toBe('on the sticker');
    const lookups = o.named('semantic_cache.lookup');
    // The two lookups, then getOrCompute's: before its lock, and again under it.
    expect(lookups.map((s) => s.attributes['agent_memory.cache.hit'])).toEqual([false, true, false, false]);
    expect(lookups[1]!.attributes).toMatchObject({ 'agent_memory.engine': 'vectorset', 'agent_memory.cache.name': 'semantic-faq' });
    expect(lookups[1]!.attributes['agent_memory.score']).toBeGreaterThan(0.99);
    expect(o.named('semantic_cache.store')).toHaveLength(2);
    expect(o.named('semantic_cache.get_or_compute')).toHaveLength(1);
    const points = await o.points();
    const faq = { 'agent_memory.cache.name': 'semantic-faq', 'agent_memory.cache.kind': 'semantic' };
    expect(sumOf(points, 'agent_memory.cache.lookups', { ...faq, 'agent_memory.cache.hit': true })).toBe(1);
    expect(sumOf(points, 'agent_memory.cache.lookups', { ...faq, 'agent_memory.cache.hit': false })).toBe(3);
  });

  it("records each event's delivery lag, and the group's lag when the metrics are collected", async () => {
    const publishing = await createAgentMemory({
      ...memoryConfig(target).config,
      prefix: uniquePrefix('otele'),
      sessions: { events: true },
      telemetry: { tracerProvider: o.tracerProvider, meterProvider: o.meterProvider },
    });
    try {
      const handled: string[] = [];
      const worker = publishing.events.consume('lagged', (event) => void handled.push(event.type), { blockMs: 50 });
      const chat = publishing.sessions.session({ userId: 'u', sessionId: 's' });
      for (let i = 0; i < 3; i++) await chat.append({ role: 'user', content: `m${i}` });
      for (let i = 0; i < 100 && handled.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
      expect(handled).toHaveLength(4); // session.created, then one per append
      const points = await o.points();
      const group = { 'agent_memory.events.group': 'lagged' };
      const lags = points.filter(
        (p) => p.name === 'agent_memory.events.delivery_lag' && p.attributes['agent_memory.events.group'] === 'lagged',
      );
      expect(new Set(lags.map((p) => p.attributes['agent_memory.events.type']))).toEqual(new Set(handled));
      expect(lags.reduce((n, p) => n + (p.value as { count: number }).count, 0)).toBe(4);
      expect(Math.max(...lags.map((p) => (p.value as { max: number }).max))).toBeLessThan(30); // seconds
      const gauge = points.find((p) => p.name === 'agent_memory.events.lag' && p.attributes['agent_memory.events.group'] === 'lagged');
      expect(gauge).toMatchObject({ attributes: group, value: 0 });
      await worker.stop();

      // One CONSUMER span per event handled, its attempts inside; a dead letter is an error.
      const processed = o.named('events.process').filter((s) => s.attributes['messaging.consumer.group.name'] === 'lagged');
      expect(processed.map((s) => s.attributes['agent_memory.events.type']).sort()).toEqual([...handled].sort());
      for (const span of processed) {
        expect(span.kind).toBe(SpanKind.CONSUMER);
        expect(span.attributes).toMatchObject({
          'messaging.system': 'redis',
          'messaging.operation.type': 'process',
          'agent_memory.events.attempts': 1,
        });
        expect(span.attributes['messaging.destination.partition.id']).toMatch(/^\d+$/);
        expect(span.attributes['db.operation.name']).toBeUndefined();
      }
      const poisoned = publishing.events.consume(
        'poisoned',
        (event) => {
          if (event.type === 'session.created') throw new Error('cannot');
        },
        { blockMs: 50, maxAttempts: 2 },
      );
      for (
        let i = 0;
        i < 100 && o.named('events.process').filter((s) => s.attributes['messaging.consumer.group.name'] === 'poisoned').length < 4;
        i++
      )
        await new Promise((r) => setTimeout(r, 20));
      await poisoned.stop();
      const dead = o
        .named('events.process')
        .filter((s) => s.attributes['messaging.consumer.group.name'] === 'poisoned' && s.status.code === SpanStatusCode.ERROR);
      expect(dead).toHaveLength(1);
      expect(dead[0]!.attributes).toMatchObject({
        'agent_memory.events.type': 'session.created',
        'agent_memory.events.attempts': 2,
        'error.type': 'DEAD_LETTERED',
      });
    } finally {
      await publishing.close();
    }
  });

  it('puts no content, key, query, tag, id or value in any attribute of any store', async () => {
    o.reset();
    const user = { tenant: 'TENANT-5d1e', userId: 'USER-a9c4' };
    const cache = memory.cache({ name: 'llm' });
    await cache.set('KEY-77b2 what is my password?', 'VALUE-0c6f hunter2', { tags: [memory.userTag(user)] });
    await cache.get('KEY-77b2 what is my password?');
    await cache.getOrCompute('KEY-3f3f', () => 'VALUE-9e9e');
    await cache.invalidateTag(memory.userTag(user));
    const facts = await memory.longTerm({
      namespace: 'private',
      embedder: new HashingEmbeddings(32),
      engine: 'flat',
      fields: { tags: 'tag' },
    });
    await facts.remember(user, { text: 'TEXT-4b4b my pin is 9911', metadata: { note: 'META-6a6a' }, tags: ['TAG-1c1c'] });
    await facts.recall(user, 'QUERY-8d8d pin', { filter: { field: 'tags', eq: 'TAG-1c1c' } });
    await memory.checkpoints({ tenant: 'TENANT-5d1e' }).get('THREAD-2e2e', '');
    const answers = await memory.semanticCache({ name: 'private', embedder: new HashingEmbeddings(32), engine: 'flat' });
    await answers.store('PROMPT-5c5c my card number', 'ANSWER-7e7e', { tenant: 'TENANT-5d1e', model: 'MODEL-1a1a' });
    await answers.lookup('PROMPT-5c5c my card number', { tenant: 'TENANT-5d1e', model: 'MODEL-1a1a' });
    await memory.forgetUser(user);
    expect(o.named('memory.forget_user')).toHaveLength(1);
    const values = everyAttributeValue(o.spans(), await o.points());
    expect(o.spans().length).toBeGreaterThanOrEqual(6);
    for (const secret of [
      'TENANT-5d1e',
      'USER-a9c4',
      'KEY-',
      'VALUE-',
      'hunter2',
      'TEXT-4b4b',
      '9911',
      'META-6a6a',
      'TAG-1c1c',
      'QUERY-8d8d',
      'THREAD-2e2e',
      'PROMPT-5c5c',
      'ANSWER-7e7e',
      'MODEL-1a1a',
    ]) {
      expect(values.filter((v) => v.includes(secret))).toEqual([]);
    }
  });
});
