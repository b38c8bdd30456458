// The conformance suite every VectorIndex engine must pass (as LangGraph's checkpoint-validation
// does for savers): the same data, the same questions, the same answers. Call it from a test file
// with a factory that builds the engine on a connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../src/connection/connect.js';
import { DimensionMismatchError, IndexMismatchError, InvalidArgumentError } from '../../src/errors.js';
import { Keyspace } from '../../src/keys.js';
import { parseFilter, type Filter } from '../../src/vector/filter.js';
import { IndexDefinitionSchema, type IndexDefinition, type Scope, type VectorIndex, type VectorItem } from '../../src/vector/types.js';
import { connectTo, deletePrefix, uniquePrefix, type RedisTarget } from '../harness/index.js';

export type MakeIndex = (connection: RedisConnection, keyspace: Keyspace, definition: IndexDefinition) => VectorIndex;

export const FIELDS = { lang: 'tag', topic: 'tag', year: 'numeric', score: 'numeric' } as const;

/** A deterministic vector for an integer: points spread on the sphere, near integers near each other. */
export function vectorOf(n: number, dim = 8): number[] {
  return Array.from({ length: dim }, (_, i) => Math.sin(n * 0.37 + i * 1.3) + (i === n % dim ? 0.5 : 0));
}

/** 40 items with varied, partly missing, partly hostile metadata. */
export function dataset(): VectorItem[] {
  const hostile = ['}', '|', '@', '"', '\\', 'a b', 'ünï', '*', '-x', "'", '\\"', 'x\\'];
  return Array.from({ length: 40 }, (_, i) => ({
    id: `m${i}`,
    vector: vectorOf(i),
    tags: {
      lang: [i % 3 === 0 ? 'en' : i % 3 === 1 ? 'fr' : hostile[i % hostile.length]!],
      ...(i % 4 === 0 ? {} : { topic: ['billing', i % 2 ? 'refund' : 'ship'] }),
    },
    numbers: { year: 2000 + i, ...(i % 5 === 0 ? {} : { score: (i % 7) / 2 }) },
    payload: JSON.stringify({ text: `memory ${i}` }),
  }));
}

export function runConformance(
  engineName: string,
  target: RedisTarget,
  makeIndex: MakeIndex,
  options: { exactQueries?: boolean } = {},
): void {
  describe(`VectorIndex conformance: ${engineName} on ${target.name}`, () => {
    let connection: RedisConnection;
    let keyspace: Keyspace;
    let prefix: string;
    let index: VectorIndex;
    const scopeA: Scope = { tag: '{t:alice}', token: Buffer.from('{t:alice}').toString('hex') };
    const scopeB: Scope = { tag: '{t:bob}', token: Buffer.from('{t:bob}').toString('hex') };
    const definition: IndexDefinition = { namespace: 'conf', dim: 8, metric: 'cosine', fields: { ...FIELDS }, algorithm: 'flat' };

    beforeAll(async () => {
      connection = await connectTo(target);
      prefix = uniquePrefix('v');
      keyspace = new Keyspace(prefix);
      index = makeIndex(connection, keyspace, definition);
      await index.ensure();
      await index.upsert(scopeA, dataset());
      await index.upsert(scopeB, [{ id: 'b0', vector: vectorOf(0), tags: { lang: ['en'] }, numbers: { year: 2010 }, payload: '"bob"' }]);
    });
    afterAll(async () => {
      await index.dropScope(scopeA);
      await index.dropScope(scopeB);
      await deletePrefix(connection, prefix);
      await connection.close();
    });

    const exact = { exact: options.exactQueries ?? true };

    it('finds the nearest items first, with scores in [0, 1] for cosine', async () => {
      const hits = await index.query(scopeA, vectorOf(7), { k: 5, ...exact });
      expect(hits).toHaveLength(5);
      expect(hits[0]).toMatchObject({ id: 'm7', payload: JSON.stringify({ text: 'memory 7' }) });
      expect(hits[0]!.score).toBeCloseTo(1, 4);
      for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score + 1e-6);
      for (const h of hits) {
        expect(h.score).toBeGreaterThanOrEqual(0);
        expect(h.score).toBeLessThanOrEqual(1.000001);
      }
    });

    it('never returns another scope’s items', async () => {
      const hits = await index.query(scopeA, vectorOf(0), { k: 50, ...exact });
      expect(hits.map((h) => h.id)).not.toContain('b0');
      expect(hits).toHaveLength(40);
      expect((await index.query(scopeB, vectorOf(0), { k: 50, ...exact })).map((h) => h.id)).toEqual(['b0']);
      expect(await index.count(scopeA)).toBe(40);
      expect(await index.count(scopeB)).toBe(1);
    });

    const filters: [string, Filter, (i: number) => boolean][] = [
      ['tag equals', { field: 'lang', eq: 'en' }, (i) => i % 3 === 0],
      ['tag any-of', { field: 'topic', in: ['refund', 'nothing'] }, (i) => i % 4 !== 0 && i % 2 === 1],
      ['hostile tag value "}"', { field: 'lang', eq: '}' }, (i) => i % 3 === 2 && i % 12 === 0],
      [
        'hostile tag value with quote and backslash',
        { field: 'lang', in: ['\\"', 'x\\', '"'] },
        (i) => i % 3 === 2 && [3, 10, 11].includes(i % 12),
      ],
      ['numeric range', { field: 'year', gte: 2010, lt: 2020 }, (i) => i >= 10 && i < 20],
      ['numeric equals', { field: 'year', eq: 2005 }, (i) => i === 5],
      ['range on a field some items lack', { field: 'score', gt: 1 }, (i) => i % 5 !== 0 && (i % 7) / 2 > 1],
      ['not on a field some items lack', { not: { field: 'score', gt: 1 } }, (i) => !(i % 5 !== 0 && (i % 7) / 2 > 1)],
      [
        'and / or / not',
        {
          and: [
            {
              or: [
                { field: 'lang', eq: 'en' },
                { field: 'lang', eq: 'fr' },
              ],
            },
            { not: { field: 'year', lt: 2020 } },
          ],
        },
        (i) => i % 3 !== 2 && i >= 20,
      ],
      ['matches nothing', { field: 'lang', eq: 'klingon' }, () => false],
      ['tag not equal (items without the field match)', { field: 'topic', ne: 'refund' }, (i) => !(i % 4 !== 0 && i % 2 === 1)],
      ['tag none-of', { field: 'lang', nin: ['en', 'fr'] }, (i) => i % 3 === 2],
      ['numeric any-of', { field: 'year', in: [2001, 2005, 2077] }, (i) => i === 1 || i === 5],
      ['numeric not equal on a field some items lack', { field: 'score', ne: 1 }, (i) => !(i % 5 !== 0 && (i % 7) / 2 === 1)],
      ['numeric none-of', { field: 'year', nin: [2000, 2039] }, (i) => i !== 0 && i !== 39],
    ];
    for (const [what, filter, expected] of filters) {
      it(`filters: ${what}`, async () => {
        parseFilter(filter, FIELDS);
        const hits = await index.query(scopeA, vectorOf(3), { k: 40, filter, ...exact });
        const want = Array.from({ length: 40 }, (_, i) => i)
          .filter(expected)
          .map((i) => `m${i}`)
          .sort();
        expect(hits.map((h) => h.id).sort()).toEqual(want);
        expect((await index.ids(scopeA, filter)).sort()).toEqual(want);
      });
    }

    it('returns each hit’s stored vector when asked withVectors, and none otherwise', async () => {
      const hits = await index.query(scopeA, vectorOf(7), { k: 3, withVectors: true, ...exact });
      expect(hits[0]!.id).toBe('m7');
      for (const hit of hits) {
        const stored = vectorOf(Number(hit.id.slice(1)));
        expect(hit.vector).toHaveLength(8);
        // Same direction as the stored vector (vector sets return it as VEMB does, quantization applied).
        const dot = hit.vector!.reduce((s, x, i) => s + x * stored[i]!, 0);
        const norm = Math.hypot(...hit.vector!) * Math.hypot(...stored);
        expect(dot / norm).toBeCloseTo(1, 3);
      }
      const filtered = await index.query(scopeA, vectorOf(3), { k: 2, filter: { field: 'lang', eq: 'en' }, withVectors: true, ...exact });
      expect(filtered.every((h) => h.vector?.length === 8)).toBe(true);
      expect((await index.query(scopeA, vectorOf(7), { k: 1, ...exact }))[0]!.vector).toBeUndefined();
    });

    it('gets payloads by id, null for missing ones', async () => {
      expect(await index.get(scopeA, ['m1', 'nope', 'm2'])).toEqual([
        JSON.stringify({ text: 'memory 1' }),
        null,
        JSON.stringify({ text: 'memory 2' }),
      ]);
    });

    it('upserts in place, deletes, and forgets expired items', async () => {
      await index.upsert(scopeA, [
        { id: 'm1', vector: vectorOf(100), tags: { lang: ['de'] }, numbers: { year: 1999 }, payload: '"moved"' },
      ]);
      expect((await index.query(scopeA, vectorOf(100), { k: 1, ...exact }))[0]).toMatchObject({ id: 'm1', payload: '"moved"' });
      expect(await index.ids(scopeA, { field: 'lang', eq: 'fr' })).not.toContain('m1');
      expect(await index.count(scopeA)).toBe(40);
      expect(await index.delete(scopeA, ['m1', 'm2', 'missing'])).toBe(2);
      expect(await index.count(scopeA)).toBe(38);
      await index.upsert(scopeA, [{ id: 'short', vector: vectorOf(200), tags: {}, payload: '"soon gone"', expiresAt: Date.now() + 300 }]);
      expect((await index.query(scopeA, vectorOf(200), { k: 1, ...exact }))[0]?.id).toBe('short');
      await new Promise((r) => setTimeout(r, 500));
      expect((await index.query(scopeA, vectorOf(200), { k: 3, ...exact })).map((h) => h.id)).not.toContain('short');
      expect(await index.get(scopeA, ['short'])).toEqual([null]);
      expect(await index.count(scopeA)).toBe(38);
    });

    it('upsertMany: writes many items chunk by chunk with progress, each item whole, replaces in place, keeps expiries', async () => {
      const scopeC: Scope = { tag: '{t:carol}', token: Buffer.from('{t:carol}').toString('hex') };
      const items = dataset().map((item, i) => ({ ...item, id: `c${i}` }));
      const progress: [number, number][] = [];
      await index.upsertMany(scopeC, items, { chunkSize: 15, onProgress: (p) => progress.push([p.written, p.total]) });
      expect(progress).toEqual([
        [15, 40],
        [30, 40],
        [40, 40],
      ]);
      expect(await index.count(scopeC)).toBe(40);
      const hits = await index.query(scopeC, vectorOf(7), { k: 3, ...exact });
      expect(hits[0]).toMatchObject({ id: 'c7', payload: JSON.stringify({ text: 'memory 7' }) });
      expect((await index.ids(scopeC, { field: 'lang', eq: 'en' })).sort()).toEqual(
        items
          .filter((_, i) => i % 3 === 0)
          .map((it) => it.id)
          .sort(),
      );
      // No item keeps the staging expiry: without expiresAt its hash never expires.
      const item0 = keyspace.vector('conf').scope(scopeC.tag).item('c0');
      expect(await connection.send<number>(['PTTL', item0], { key: item0 })).toBe(-1);
      await index.upsertMany(scopeC, [
        { id: 'c1', vector: vectorOf(300), tags: { lang: ['de'] }, numbers: { year: 1999 }, payload: '"moved"' },
        { id: 'c40', vector: vectorOf(301), payload: '"brief"', expiresAt: Date.now() + 300 },
      ]);
      expect((await index.query(scopeC, vectorOf(300), { k: 1, ...exact }))[0]).toMatchObject({ id: 'c1', payload: '"moved"' });
      expect(await index.ids(scopeC, { field: 'lang', eq: 'fr' })).not.toContain('c1');
      expect(await index.ids(scopeC, { field: 'year', eq: 1999 })).toEqual(['c1']);
      expect(await index.count(scopeC)).toBe(41);
      await new Promise((r) => setTimeout(r, 500));
      expect(await index.get(scopeC, ['c40', 'c2'])).toEqual([null, JSON.stringify({ text: 'memory 2' })]);
      expect(await index.count(scopeC)).toBe(40);
      // Refused before anything is sent: a wrong dimension, bad options; an empty call does nothing.
      await expect(index.upsertMany(scopeC, [{ id: 'c2', vector: [1], payload: '""' }])).rejects.toBeInstanceOf(DimensionMismatchError);
      await expect(index.upsertMany(scopeC, items, { chunkSize: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
      await index.upsertMany(scopeC, []);
      expect(await index.get(scopeC, ['c2'])).toEqual([JSON.stringify({ text: 'memory 2' })]);
      expect(await index.dropScope(scopeC)).toBe(40);
    });

    it('upsertMany: a staged item (hash written, writer gone before it became a member) is no reader’s, and expires by itself', async () => {
      const scopeD: Scope = { tag: '{t:dave}', token: Buffer.from('{t:dave}').toString('hex') };
      await index.upsertMany(scopeD, [{ id: 'd0', vector: vectorOf(1), payload: '"kept"' }]);
      // What a writer that died after staging leaves: the item's hash with a staging expiry, in no membership.
      const keys = keyspace.vector('conf').scope(scopeD.tag);
      await connection.send(['HSET', keys.item('d1'), 'p', '"staged"', '_scope', scopeD.token, 'v', Buffer.alloc(32)], { key: keys.ids });
      await connection.send(['PEXPIRE', keys.item('d1'), '60000'], { key: keys.ids });
      expect(await index.count(scopeD)).toBe(1);
      expect(await index.ids(scopeD)).toEqual(['d0']);
      expect(await index.get(scopeD, ['d1'])).toEqual([null]);
      expect((await index.query(scopeD, vectorOf(1), { k: 5, ...exact })).map((h) => h.id)).toEqual(['d0']);
      // Readers leave it to its expiry (a scan never deletes a hash no membership names).
      expect(await connection.send<number>(['PTTL', keys.item('d1')], { key: keys.ids })).toBeGreaterThan(0);
      await index.dropScope(scopeD);
    });

    it('refuses a vector of the wrong dimension, and a reopened index with another definition', async () => {
      await expect(index.query(scopeA, [1, 2, 3], { k: 1 })).rejects.toBeInstanceOf(DimensionMismatchError);
      await expect(index.upsert(scopeA, [{ id: 'bad', vector: [1], payload: '""' }])).rejects.toBeInstanceOf(DimensionMismatchError);
      const other = makeIndex(connection, keyspace, { ...definition, dim: 16 });
      await expect(other.ensure()).rejects.toThrow(/stores 8-dimensional vectors; this one has 16/);
      const fields = makeIndex(connection, keyspace, { ...definition, fields: { lang: 'tag' } });
      await expect(fields.ensure()).rejects.toBeInstanceOf(IndexMismatchError);
      expect(() => parseFilter({ field: 'nope', eq: 'x' }, FIELDS)).toThrow(InvalidArgumentError);
      expect(() => parseFilter({ field: 'year', eq: 'x' }, FIELDS)).toThrow(/year is a numeric field/);
      expect(IndexDefinitionSchema.parse(definition).m).toBe(16);
    });
  });
}
