// Long-term memory on the engines this machine runs (vector sets on Redis 8 and the cluster, flat
// everywhere), with the offline hashing embedder: recall by meaning, dedupe, filters, scoring,
// update, forget, expiry, and no leak between scopes however their ids look.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../src/connection/connect.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { DimensionMismatchError, InvalidArgumentError } from '../../src/errors.js';
import { Keyspace } from '../../src/keys.js';
import { LongTermMemory } from '../../src/memory/long-term-memory.js';
import { FlatIndex } from '../../src/vector/engines/flat.js';
import { VectorSetIndex } from '../../src/vector/engines/vectorset.js';
import { IndexDefinitionSchema, type IndexDefinition, type VectorIndex } from '../../src/vector/types.js';
import { connectTo, deletePrefix, targetsWithCluster, uniquePrefix } from '../harness/index.js';

const engines: [string, (c: RedisConnection, k: Keyspace, d: IndexDefinition) => VectorIndex][] = [
  ['flat', (c, k, d) => new FlatIndex(c, k, IndexDefinitionSchema.parse(d))],
  ['vectorset', (c, k, d) => new VectorSetIndex(c, k, IndexDefinitionSchema.parse(d))],
];

for (const target of targetsWithCluster()) {
  for (const [engine, make] of engines) {
    if (engine === 'vectorset' && target.name === 'redis7') continue;
    describe(`long-term memory: ${engine} on ${target.name}`, () => {
      let connection: RedisConnection;
      let prefix: string;
      let memory: LongTermMemory;
      const embedder = new HashingEmbeddings(128);
      const alice = { tenant: 'acme', userId: 'alice' };

      beforeAll(async () => {
        connection = await connectTo(target);
        prefix = uniquePrefix('l');
        const keyspace = new Keyspace(prefix);
        const index = make(connection, keyspace, {
          namespace: 'facts',
          dim: 128,
          fields: { tags: 'tag', lang: 'tag', importance: 'numeric' },
        });
        await index.ensure();
        memory = new LongTermMemory(index, embedder, keyspace);
      });
      afterAll(async () => {
        await deletePrefix(connection, prefix);
        await connection.close();
      });

      it('recalls by meaning (shared words) and returns the memory with its scores', async () => {
        await memory.rememberMany(alice, [
          { text: 'Alice prefers window seats on long flights', tags: ['travel'], metadata: { lang: 'en' } },
          { text: 'Alice is allergic to peanuts', tags: ['health'], importance: 0.9, metadata: { lang: 'en' } },
          { text: 'Alice a un chat qui s’appelle Minou', tags: ['pets'], metadata: { lang: 'fr' } },
        ]);
        const [top] = await memory.recall(alice, 'which seats does she prefer on flights?', { k: 1 });
        expect(top).toMatchObject({
          text: 'Alice prefers window seats on long flights',
          tags: ['travel'],
          metadata: { lang: 'en' },
          importance: 0.5,
        });
        expect(top!.similarity).toBeGreaterThan(0.5);
        expect(top!.score).toBe(top!.similarity);
        expect(top!.createdAt).toBeGreaterThan(Date.now() - 60_000);
      });

      it('merges a near-copy instead of inserting it, in a batch and against what is stored', async () => {
        const scope = { userId: 'dedupe' };
        const first = await memory.remember(scope, { text: 'Bob drinks his coffee black', tags: ['food'] });
        const again = await memory.remember(scope, { text: 'Bob drinks his coffee black!', tags: ['morning'], importance: 0.8 });
        expect(again).toEqual({ id: first.id, status: 'merged' });
        const batch = await memory.rememberMany(scope, [{ text: 'Bob lives in Lyon' }, { text: 'bob lives in lyon' }]);
        expect(batch[1]).toEqual({ id: batch[0]!.id, status: 'merged' });
        expect(await memory.count(scope)).toBe(2);
        expect(await memory.get(scope, first.id)).toMatchObject({
          text: 'Bob drinks his coffee black!',
          tags: ['food', 'morning'],
          importance: 0.8,
        });
      });

      it('writes a bulk load of more than one transaction holds, with progress, and refuses it without bulk', async () => {
        const scope = { userId: 'bulk' };
        const inputs = Array.from({ length: 1_200 }, (_, i) => ({ text: `bulk fact ${i}`, id: `f${i}` }));
        await expect(memory.rememberMany(scope, inputs)).rejects.toThrow(InvalidArgumentError);
        await expect(memory.rememberMany(scope, inputs.slice(0, 2), { onProgress: () => {} })).rejects.toThrow(/needs bulk/);
        expect(await memory.count(scope)).toBe(0);
        const seen: { written: number; total: number }[] = [];
        const results = await memory.rememberMany(scope, inputs, { bulk: true, onProgress: (p) => seen.push(p) });
        expect(results.map((r) => r.id)).toEqual(inputs.map((i) => i.id));
        expect(await memory.count(scope)).toBe(1_200);
        expect(seen.length).toBeGreaterThan(1);
        expect(seen.at(-1)).toEqual({ written: 1_200, total: 1_200 });
        expect(seen.map((p) => p.written)).toEqual([...seen.map((p) => p.written)].sort((a, b) => a - b));
        expect(await memory.get(scope, 'f777')).toMatchObject({ text: 'bulk fact 777' });
        // Deduplication still applies to a bulk load: a near-copy of a stored memory merges into it.
        const [again] = await memory.rememberMany(scope, [{ text: 'bulk fact 777' }], { bulk: true });
        expect(again).toEqual({ id: 'f777', status: 'merged' });
        expect(await memory.count(scope)).toBe(1_200);
      });

      it('filters on declared fields and tags, and refuses undeclared ones', async () => {
        const fr = await memory.recall(alice, 'Alice', { k: 10, filter: { field: 'lang', eq: 'fr' } });
        expect(fr.map((m) => m.text)).toEqual(['Alice a un chat qui s’appelle Minou']);
        const important = await memory.recall(alice, 'Alice', {
          k: 10,
          filter: {
            and: [
              { field: 'tags', in: ['health', 'travel'] },
              { field: 'importance', gte: 0.8 },
            ],
          },
        });
        expect(important.map((m) => m.text)).toEqual(['Alice is allergic to peanuts']);
        await expect(memory.recall(alice, 'x', { filter: { field: 'city', eq: 'Paris' } })).rejects.toThrow(
          /city is not a filterable field/,
        );
      });

      it('blended scoring lets importance outrank a slightly closer memory; minScore drops weak matches', async () => {
        const scope = { userId: 'blend' };
        await memory.rememberMany(scope, [
          { text: 'meeting notes about the budget review', importance: 0.05 },
          { text: 'budget review deadline is Friday', importance: 1 },
        ]);
        const bySimilarity = await memory.recall(scope, 'meeting notes budget review', { k: 2 });
        expect(bySimilarity[0]!.text).toBe('meeting notes about the budget review');
        const blended = await memory.recall(scope, 'meeting notes budget review', {
          k: 2,
          scoring: { similarity: 0.5, recency: 0, importance: 0.5 },
        });
        expect(blended[0]!.text).toBe('budget review deadline is Friday');
        expect(await memory.recall(scope, 'completely unrelated zebra xylophone', { minScore: 0.9 })).toEqual([]);
      });

      it('updates (re-embedding a new text) and forgets by id, by filter, and a whole scope', async () => {
        const scope = { userId: 'editor' };
        const [a, b, c] = await memory.rememberMany(scope, [
          { text: 'likes green tea' },
          { text: 'works at Contoso', metadata: { lang: 'en' } },
          { text: 'travaille le lundi', metadata: { lang: 'fr' } },
        ]);
        await memory.update(scope, a!.id, { text: 'likes jasmine tea' });
        expect((await memory.recall(scope, 'jasmine', { k: 1 }))[0]!.id).toBe(a!.id);
        expect(await memory.update(scope, 'missing-id', { text: 'x' })).toBeNull();
        expect(await memory.forget(scope, { filter: { field: 'lang', eq: 'fr' } })).toBe(1);
        expect(await memory.get(scope, c!.id)).toBeNull();
        expect(await memory.forget(scope, { ids: [b!.id] })).toBe(1);
        expect(await memory.forgetScope(scope)).toBe(1);
        expect(await memory.count(scope)).toBe(0);
      });

      it('counts recalls in each memory’s access stats, keeps them across updates, and never revives an expired item', async () => {
        const scope = { userId: 'access' };
        const { id } = await memory.remember(scope, { text: 'prefers aisle seats' });
        expect(await memory.get(scope, id)).toMatchObject({ accessCount: 0, lastAccessedAt: null });
        await memory.recall(scope, 'aisle seats', { k: 1, trackAccess: 'await' });
        await memory.recall(scope, 'aisle seats', { k: 1, trackAccess: 'await' });
        await memory.recall(scope, 'aisle seats', { k: 1, trackAccess: 'off' });
        const seen = await memory.get(scope, id);
        expect(seen).toMatchObject({ accessCount: 2 });
        expect(seen!.lastAccessedAt).toBeGreaterThan(Date.now() - 60_000);
        await memory.update(scope, id, { importance: 0.9 });
        expect(await memory.get(scope, id)).toMatchObject({ accessCount: 2, importance: 0.9 });
        const gone = await memory.remember(scope, { text: 'ephemeral gate number', ttlSeconds: 0.2 });
        await new Promise((r) => setTimeout(r, 300));
        await memory.index.touch({ tag: '{_:access}', token: Buffer.from('{_:access}').toString('hex') }, [gone.id]);
        expect(await memory.get(scope, gone.id)).toBeNull();
        const key = new Keyspace(prefix).vector('facts').scope('{_:access}').item(gone.id);
        expect(await connection.send(['EXISTS', key], { key })).toBe(0);
      });

      it('a recall that tracks access leaves the memory’s hash byte for byte as it was (stats live apart); forgetUser takes the stats too', async () => {
        const scope = { tenant: 'acme', userId: 'untouched' };
        const { id } = await memory.remember(scope, { text: 'keeps a spare key under the blue pot', tags: ['home'], ttlSeconds: 3600 });
        const keys = new Keyspace(prefix).vector('facts').scope('{acme:untouched}');
        const key = keys.item(id);
        const snapshot = async () => ({
          fields: await connection.send<unknown>(['HGETALL', key], { key, buffers: true }),
          expiresAt: await connection.send<number>(['PEXPIRETIME', key], { key }),
        });
        const before = await snapshot();
        for (let i = 0; i < 3; i++)
          expect((await memory.recall(scope, 'spare key blue pot', { k: 1, trackAccess: 'await' }))[0]?.id).toBe(id);
        expect(await snapshot()).toEqual(before);
        expect(await memory.get(scope, id)).toMatchObject({ accessCount: 3 });
        expect(await connection.send(['EXISTS', keys.accessCounts, keys.accessTimes], { key: keys.accessCounts })).toBe(2);
        expect(await memory.forgetUser(scope)).toBe(1);
        expect(await connection.send(['EXISTS', keys.accessCounts, keys.accessTimes, keys.ids, key], { key: keys.accessCounts })).toBe(0);
      });

      it('never returns an expired memory', async () => {
        const scope = { userId: 'expiring' };
        await memory.remember(scope, { text: 'temporary door code 4521', ttlSeconds: 0.3 });
        await memory.remember(scope, { text: 'permanent door color blue' });
        expect((await memory.recall(scope, 'door code', { k: 5 })).map((m) => m.text)).toContain('temporary door code 4521');
        await new Promise((r) => setTimeout(r, 500));
        expect((await memory.recall(scope, 'door code', { k: 5 })).map((m) => m.text)).toEqual(['permanent door color blue']);
        expect(await memory.count(scope)).toBe(1);
      });

      it('keeps adversarial scopes apart: nothing of one scope is recalled in another', async () => {
        const scopes = [
          { tenant: 'a', userId: 'b' },
          { tenant: 'a_b', userId: 'c' },
          { tenant: 'a', userId: 'b_c' },
          { userId: 'a' },
          { tenant: '_', userId: 'a-' },
          { tenant: 'a', userId: 'b', agentId: 'x' },
          { tenant: 'a', userId: 'b', agentId: 'y' },
          { userId: 'user@example.com' },
          { userId: 'USER@example.com' },
        ];
        for (const [i, scope] of scopes.entries())
          await memory.remember(scope, { text: `secret number ${i} belongs to scope ${i}`, id: `s${i}` });
        for (const [i, scope] of scopes.entries()) {
          const got = await memory.recall(scope, 'secret number belongs to scope', { k: 20 });
          expect(got.map((m) => m.id)).toEqual([`s${i}`]);
        }
        await expect(memory.recall({ userId: 'a:b' }, 'x')).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(memory.recall({ userId: 'a}' }, 'x')).rejects.toBeInstanceOf(InvalidArgumentError);
      });

      it('writes given vectors without embedding or merging (dedupe: false), and recalls by vector with the stored vectors', async () => {
        const scope = { userId: 'vectors' };
        const v = await embedder.embedDocuments(['red apples', 'red apples!']);
        const written = await memory.rememberMany(
          scope,
          [
            { id: 'a1', text: 'red apples' },
            { id: 'a2', text: 'red apples!', metadata: { n: null, deep: { x: [1, 'two'] } } },
          ],
          { dedupe: false, vectors: v },
        );
        expect(written).toEqual([
          { id: 'a1', status: 'inserted' },
          { id: 'a2', status: 'inserted' },
        ]);
        await memory.rememberMany(scope, [{ id: 'a1', text: 'green pears', metadata: { fresh: true } }], {
          dedupe: false,
          vectors: [await embedder.embedQuery('green pears')],
        });
        expect(await memory.count(scope)).toBe(2);
        expect(await memory.get(scope, 'a1')).toMatchObject({ text: 'green pears', metadata: { fresh: true } });
        const hits = await memory.recall(scope, v[1]!, { k: 2, withVectors: true });
        expect(hits.map((h) => h.id)).toEqual(['a2', 'a1']);
        expect(hits[0]!.metadata).toEqual({ n: null, deep: { x: [1, 'two'] } });
        expect(hits[0]!.vector!.reduce((s, x, i) => s + x * v[1]![i]!, 0)).toBeCloseTo(1, 4);
        expect((await memory.recall(scope, v[1]!, { k: 1 }))[0]).not.toHaveProperty('vector');
        await expect(memory.rememberMany(scope, [{ text: 'x' }], { vectors: [] })).rejects.toThrow(/has 0 vectors for 1 memories/);
        await expect(memory.rememberMany(scope, [{ text: 'x' }], { vectors: [[1, 2]] })).rejects.toBeInstanceOf(DimensionMismatchError);
        await expect(memory.recall(scope, [1, 2])).rejects.toBeInstanceOf(DimensionMismatchError);
      });

      it('an embedder of another dimension is a typed error', async () => {
        const wrong = new LongTermMemory(memory.index, new HashingEmbeddings(64), new Keyspace(prefix));
        await expect(wrong.remember(alice, { text: 'x' })).rejects.toBeInstanceOf(DimensionMismatchError);
        await expect(memory.remember(alice, { text: '' })).rejects.toThrow(/text: must not be empty/);
      });
    });
  }
}
