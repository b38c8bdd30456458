// A scope is several keys (item hashes, the id set, on vectorset the vector set, the access
// stats), and Redis evicts key by key. Whichever one key is lost, query, get, count, ids and
// delete agree on one membership rule per engine (see scope-store.ts), and access tracking never
// writes to an item hash (on RediSearch that would re-index the document, vector included).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RedisConnection } from '../../src/connection/connect.js';
import { Keyspace, vectorScope, type VectorKeys } from '../../src/keys.js';
import { FlatIndex } from '../../src/vector/engines/flat.js';
import { VectorSetIndex } from '../../src/vector/engines/vectorset.js';
import { IndexDefinitionSchema, isPartial, markPartial, type Hit, type Scope, type VectorIndex } from '../../src/vector/types.js';
import { connectTo, deletePrefix, scanKeys, targetsWithCluster, uniquePrefix } from '../harness/index.js';
import { vectorOf } from './conformance.js';

const ENGINES = [
  ['flat', FlatIndex],
  ['vectorset', VectorSetIndex],
] as const;

/** The flat engine with the id-set filter an index-backed engine (RediSearch) applies to its hits. */
class LiveHits extends FlatIndex {
  keepLive(scope: Scope, hits: Hit[]): Promise<Hit[]> {
    return this.store.keepLive(scope, hits);
  }
}

for (const target of targetsWithCluster()) {
  for (const [engine, Make] of ENGINES) {
    if (engine === 'vectorset' && target.name === 'redis7') continue;
    describe(`scope keys: ${engine} on ${target.name}`, () => {
      let connection: RedisConnection;
      let prefix: string;
      let keyspace: Keyspace;
      let index: VectorIndex;
      let n = 0;
      const definition = IndexDefinitionSchema.parse({ namespace: 'sk', dim: 8, fields: { lang: 'tag' } });

      beforeAll(async () => {
        connection = await connectTo(target);
        prefix = uniquePrefix('vk');
        keyspace = new Keyspace(prefix);
        index = new Make(connection, keyspace, definition);
        await index.ensure();
      });
      afterAll(async () => {
        await deletePrefix(connection, prefix);
        await connection.close();
      });

      /** A fresh scope holding items i0…i(count-1). */
      async function populated(count = 6): Promise<{ scope: Scope; keys: VectorKeys; ids: string[] }> {
        const scope = vectorScope(`{t:u${n++}}`);
        const ids = Array.from({ length: count }, (_, i) => `i${i}`);
        await index.upsert(
          scope,
          ids.map((id, i) => ({ id, vector: vectorOf(i), tags: { lang: [i % 2 ? 'fr' : 'en'] }, payload: JSON.stringify({ id }) })),
        );
        return { scope, keys: keyspace.vector('sk').scope(scope.tag), ids };
      }
      const del = (key: string) => connection.send(['UNLINK', key], { key });
      const exists = (key: string) => connection.send<number>(['EXISTS', key], { key });

      /** What every reader says is in the scope, each sorted. */
      async function views(scope: Scope, known: string[]) {
        const queried = (await index.query(scope, vectorOf(0), { k: 1000, exact: true })).map((h) => h.id).sort();
        const payloads = await index.get(scope, known);
        const got = known.filter((_, i) => payloads[i] !== null).sort();
        const stats = await index.accessStats(scope, known);
        const withStats = known.filter((_, i) => stats[i] !== null).sort();
        const listed = (await index.ids(scope)).sort();
        const count = await index.count(scope);
        return { queried, got, withStats, listed, count };
      }
      function expectAgreement(v: Awaited<ReturnType<typeof views>>, want: string[]) {
        expect({ queried: v.queried, got: v.got, withStats: v.withStats, listed: v.listed, count: v.count }).toEqual({
          queried: want,
          got: want,
          withStats: want,
          listed: want,
          count: want.length,
        });
      }

      it('losing the id set: every reader agrees (vectorset: the vector set rebuilds it; flat: the items are gone)', async () => {
        const { scope, keys, ids } = await populated();
        await del(keys.ids);
        const want = engine === 'vectorset' ? ids : [];
        expectAgreement(await views(scope, ids), want);
        if (engine === 'vectorset') expect(await connection.send<number>(['SCARD', keys.ids], { key: keys.ids })).toBe(ids.length);
        // A write after the loss neither revives (flat) nor hides (vectorset) the others.
        await index.upsert(scope, [{ id: 'late', vector: vectorOf(50), payload: '"late"' }]);
        expectAgreement(await views(scope, [...ids, 'late']), [...want, 'late'].sort());
        const filtered = (await index.ids(scope, { field: 'lang', eq: 'en' })).sort();
        expect(filtered).toEqual(engine === 'vectorset' ? ['i0', 'i2', 'i4'] : []);
        expect(await index.delete(scope, ['i1', 'late'])).toBe(engine === 'vectorset' ? 2 : 1);
      });

      it.skipIf(engine !== 'vectorset')(
        'losing the vector set: the vectors are gone, so are the items (purged by the first reader that notices)',
        async () => {
          const { scope, keys, ids } = await populated();
          await index.touch(scope, ['i0']);
          await del(keys.vectorSet);
          expectAgreement(await views(scope, ids), []);
          for (const id of ids) expect(await exists(keys.item(id))).toBe(0);
          expect(await exists(keys.ids)).toBe(0);
          expect(await exists(keys.accessCounts)).toBe(0);
          expect(await exists(keys.accessTimes)).toBe(0);
          // A write after the loss (before anyone noticed) does not bring the old items back either.
          const again = await populated(3);
          await del(again.keys.vectorSet);
          await index.upsert(again.scope, [{ id: 'late', vector: vectorOf(50), payload: '"late"' }]);
          expectAgreement(await views(again.scope, [...again.ids, 'late']), ['late']);
          expect(await index.delete(again.scope, ['i0', 'late'])).toBe(1);
        },
      );

      it.skipIf(engine !== 'vectorset')('a query alone (recall) purges a scope whose vector set is gone, in the background', async () => {
        const { scope, keys, ids } = await populated();
        await del(keys.vectorSet);
        expect(await index.query(scope, vectorOf(0), { k: 10 })).toEqual([]);
        await vi.waitFor(async () => expect(await exists(keys.ids)).toBe(0));
        for (const id of ids) expect(await exists(keys.item(id))).toBe(0);
      });

      it.skipIf(engine !== 'vectorset')(
        'a query skips hits whose item expired, still returns k live ones, and purges the dead in the background',
        async () => {
          const { scope, keys } = await populated(30);
          // The eight items nearest the query expire; they stay members until something purges them.
          const near = (await index.query(scope, vectorOf(0), { k: 8, exact: true })).map((h) => h.id);
          await index.expire(scope, near, Date.now() + 50);
          await new Promise((r) => setTimeout(r, 120));
          expect(await connection.send<number>(['VCARD', keys.vectorSet], { key: keys.vectorSet })).toBe(30);
          for (const exactly of [true, false]) {
            const hits = await index.query(scope, vectorOf(0), { k: 10, exact: exactly });
            expect(hits).toHaveLength(10);
            expect(hits.filter((h) => near.includes(h.id))).toEqual([]);
          }
          await vi.waitFor(async () => expect(await connection.send<number>(['VCARD', keys.vectorSet], { key: keys.vectorSet })).toBe(22));
          for (const id of near) expect(await connection.send<number>(['SISMEMBER', keys.ids, id], { key: keys.ids })).toBe(0);
        },
      );

      it.skipIf(engine !== 'flat')(
        'keepLive (for engines querying an index that does not know the id set) drops hits the id set lost, a partial answer stays marked',
        async () => {
          const { scope, keys } = await populated(3);
          await connection.send(['SREM', keys.ids, 'i1'], { key: keys.ids });
          const live = new LiveHits(connection, keyspace, definition);
          const hits = ['i0', 'i1', 'i2'].map((id) => ({ id, score: 1, payload: '""' }));
          expect((await live.keepLive(scope, hits)).map((h) => h.id)).toEqual(['i0', 'i2']);
          const partial = await live.keepLive(scope, markPartial(hits.slice(1)));
          expect([partial.map((h) => h.id), isPartial(partial)]).toEqual([['i2'], true]);
          expect(await live.keepLive(scope, [])).toEqual([]);
        },
      );

      it('losing one item hash: that item is gone for every reader, the rest stay', async () => {
        const { scope, keys, ids } = await populated();
        await index.touch(scope, ['i0', 'i1']);
        await del(keys.item('i0'));
        expectAgreement(await views(scope, ids), ids.slice(1));
        expect(await connection.send<number>(['SISMEMBER', keys.ids, 'i0'], { key: keys.ids })).toBe(0);
        expect(await connection.send(['ZSCORE', keys.accessCounts, 'i0'], { key: keys.accessCounts })).toBeNull();
        expect((await index.accessStats(scope, ['i1']))[0]!.count).toBe(1);
      });

      it('touching items never writes their hashes, byte for byte, TTL included; counts and times still add up', async () => {
        const { scope, keys } = await populated(3);
        await index.expire(scope, ['i1'], Date.now() + 600_000);
        const snapshot = () =>
          Promise.all(
            ['i0', 'i1', 'i2'].map(async (id) => ({
              fields: await connection.send<unknown>(['HGETALL', keys.item(id)], { key: keys.item(id), buffers: true }),
              ttl: await connection.send<number>(['PEXPIRETIME', keys.item(id)], { key: keys.item(id) }),
            })),
          );
        const before = await snapshot();
        const at = Date.now();
        await index.touch(scope, ['i0', 'i1']);
        await index.touch(scope, ['i0', 'missing']);
        expect(await snapshot()).toEqual(before);
        const [s0, s1, s2, missing] = await index.accessStats(scope, ['i0', 'i1', 'i2', 'missing']);
        expect(s0!.count).toBe(2);
        expect(s1!.count).toBe(1);
        expect(s0!.lastAt).toBeGreaterThanOrEqual(at);
        expect(s2).toEqual({ count: 0, lastAt: null });
        expect(missing).toBeNull();
        expect(await exists(keys.accessCounts)).toBe(1);
      });

      it('access stats go with their item: delete, expiry, dropScope; losing them only resets counts', async () => {
        const { scope, keys } = await populated(3);
        await index.upsert(scope, [{ id: 'brief', vector: vectorOf(9), payload: '"brief"', expiresAt: Date.now() + 150 }]);
        await index.touch(scope, ['i0', 'i1', 'i2', 'brief']);
        const statsOf = async (id: string) => connection.send(['ZSCORE', keys.accessCounts, id], { key: keys.accessCounts });
        expect(await index.delete(scope, ['i2'])).toBe(1);
        expect(await statsOf('i2')).toBeNull();
        await new Promise((r) => setTimeout(r, 250));
        expect(await index.count(scope)).toBe(2);
        expect(await statsOf('brief')).toBeNull();
        await del(keys.accessCounts);
        expect((await index.accessStats(scope, ['i0']))[0]).toEqual({ count: 0, lastAt: null });
        await index.touch(scope, ['i0']);
        expect((await index.accessStats(scope, ['i0']))[0]!.count).toBe(1);
        expect(await index.dropScope(scope)).toBe(2);
        expect(await scanKeys(connection, `${keyspace.vector('sk').namespacePrefix}${scope.tag}*`)).toEqual([]);
      });

      it('an expired item’s stats do not outlive it when nothing scans the scope (touches sweep a sample)', async () => {
        const { scope, keys } = await populated(1);
        const brief = Array.from({ length: 20 }, (_, i) => ({
          id: `b${i}`,
          vector: vectorOf(100 + i),
          payload: '"b"',
          expiresAt: Date.now() + 100,
        }));
        await index.upsert(scope, brief);
        await index.touch(
          scope,
          brief.map((b) => b.id),
        );
        await new Promise((r) => setTimeout(r, 200));
        for (let i = 0; i < 200; i++) await index.touch(scope, ['i0']);
        expect(await connection.send<number>(['ZCARD', keys.accessCounts], { key: keys.accessCounts })).toBe(1);
        expect(await connection.send<number>(['ZCARD', keys.accessTimes], { key: keys.accessTimes })).toBe(1);
      });
    });
  }
}
