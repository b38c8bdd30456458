// The two-tier retriever on real servers: the harness's PostgreSQL + pgvector as the cold store,
// and the hot tier on every Redis here (vector sets on Redis 8 and the cluster, flat on Redis 7).
// The hit rule as documented, tiered answers equal to cold-only ones, refreshes that never show a
// half-built hot set, cold deletes gone within the bound, tenants kept apart on both tiers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../scripts/seeded-random.js';
import { createAgentMemory, type AgentMemory } from '../../src/agent-memory.js';
import { ConflictError, InvalidArgumentError } from '../../src/errors.js';
import type { ColdItem } from '../../src/tiered/cold-store.js';
import { PgVectorStore } from '../../src/tiered/pgvector.js';
import { deletePrefix, memoryConfig, postgresUrl, targetsWithCluster, uniquePrefix } from '../harness/index.js';

const DIM = 16;
const random = seededRandom(18);
const randomVector = (): number[] => Array.from({ length: DIM }, () => random() * 2 - 1);
/** A vector close to `v` (cosine about 0.99). */
const near = (v: readonly number[], by = 0.05): number[] => v.map((x) => x + (random() * 2 - 1) * by);

const FIELDS = { tenant: 'tag', lang: 'tag', price: 'numeric', secret: 'tag' } as const;

function items(count: number, from = 0, tenant = (i: number) => (i % 2 === 0 ? 'acme' : 'globex')): ColdItem[] {
  return Array.from({ length: count }, (_, n) => {
    const i = from + n;
    const t = tenant(i);
    return {
      id: `item-${i}`,
      vector: randomVector(),
      tags: { tenant: [t], lang: [i % 3 === 0 ? 'fr' : 'en'], secret: ['s'] },
      numbers: { price: i % 50 },
      payload: JSON.stringify({ i, tenant: t }),
    };
  });
}

for (const target of targetsWithCluster()) {
  describe(`tiered retrieval on ${target.name}`, () => {
    let memory: AgentMemory;
    let release: () => Promise<void>;
    let prefix: string;
    const colds: PgVectorStore[] = [];
    const engine = target.name === 'redis7' ? ('flat' as const) : ('vectorset' as const);

    /** A cold store of its own (a table per test) holding `rows`, and a retriever over it. */
    async function setUp(rows: ColdItem[], options: Partial<Parameters<AgentMemory['tiered']>[0]> = {}) {
      const table = `t_${uniquePrefix('x')}`;
      const cold = new PgVectorStore({ connectionString: postgresUrl(), table, dim: DIM, fields: FIELDS });
      colds.push(cold);
      await cold.ensure();
      await cold.upsert(rows);
      const tiered = await memory.tiered({
        name: table.replace(/_/g, '-'),
        cold,
        engine,
        hotFields: ['tenant', 'lang', 'price'],
        ...options,
      });
      return { cold, tiered };
    }

    beforeAll(async () => {
      prefix = uniquePrefix('tier');
      const connection = memoryConfig(target);
      release = connection.release;
      memory = await createAgentMemory({ ...connection.config, prefix });
    });
    afterAll(async () => {
      await deletePrefix(memory.connection, prefix);
      await memory.close();
      await release();
      await Promise.all(colds.map((c) => c.close()));
    });

    it('answers from the hot tier by the documented rule, and says why when it goes cold', async () => {
      const rows = items(60);
      const hotIds = rows.slice(0, 20).map((r) => r.id);
      const { cold, tiered } = await setUp(rows, { policy: { kind: 'explicit', ids: hotIds }, hit: { minScore: 0.95, minHits: 1 } });

      const before = await tiered.search(rows[0]!.vector!, { k: 3 });
      expect(before).toMatchObject({ tier: 'cold', reason: 'no-hot-set', version: null });
      expect(before.hits[0]!.id).toBe('item-0');

      const { version, count } = await tiered.refresh();
      expect(count).toBe(20);
      const hit = await tiered.search(near(rows[5]!.vector!, 0.01), { k: 3 });
      expect(hit).toMatchObject({ tier: 'hot', reason: 'hot-hit', version, coldMs: 0 });
      expect(hit.hits[0]!.id).toBe('item-5');
      expect(hit.hits.every((h) => hotIds.includes(h.id))).toBe(true);

      // Close to an item that is only cold: no hot result reaches 0.95, so the cold store answers.
      const miss = await tiered.search(near(rows[40]!.vector!, 0.01), { k: 3 });
      expect(miss).toMatchObject({ tier: 'cold', reason: 'too-few-hot-results', version });
      expect(miss.hits[0]!.id).toBe('item-40');
      expect(miss.hotMs).toBeGreaterThan(0);

      // A field the hot tier does not index: it cannot answer completely, so cold, without asking it.
      const uncovered = await tiered.search(rows[5]!.vector!, { k: 3, filter: { field: 'secret', eq: 's' } });
      expect(uncovered).toMatchObject({ tier: 'cold', reason: 'filter-not-covered', hotMs: 0 });
      expect(uncovered.hits[0]!.id).toBe('item-5');

      // minHits defaults to k: three hot results at 0.95 are needed and only one is that close.
      const strict = await memory.tiered({
        name: tiered.name,
        cold,
        engine,
        hotFields: ['tenant', 'lang', 'price'],
        hit: { minScore: 0.95 },
      });
      expect((await strict.search(near(rows[5]!.vector!, 0.01), { k: 3 })).reason).toBe('too-few-hot-results');
      expect((await strict.search(near(rows[5]!.vector!, 0.01), { k: 1 })).tier).toBe('hot');
      await expect(tiered.search(rows[0]!.vector!, { k: 1, filter: { field: 'nope', eq: 'x' } })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    });

    it('gives, whenever the hot tier answers, the ids and scores a cold-only search gives for the items in both', async () => {
      const rows = items(200);
      const { tiered } = await setUp(rows, { policy: { kind: 'explicit', ids: rows.slice(0, 120).map((r) => r.id) } });
      await tiered.refresh();
      let compared = 0;
      for (let q = 0; q < 25; q++) {
        const query = q % 2 === 0 ? near(rows[q * 4]!.vector!, 0.2) : randomVector();
        const filter = q % 3 === 0 ? { field: 'lang', eq: 'en' } : q % 3 === 1 ? { field: 'price', lt: 25 } : undefined;
        const auto = await tiered.search(query, { k: 5, filter });
        const cold = await tiered.search(query, { k: 5, filter, tier: 'cold' });
        if (auto.tier !== 'hot') continue;
        compared++;
        const coldIds = new Set(cold.hits.map((h) => h.id));
        const inBoth = auto.hits.filter((h) => coldIds.has(h.id));
        const coldInBoth = cold.hits.filter((h) => inBoth.some((b) => b.id === h.id));
        expect(inBoth.map((h) => h.id)).toEqual(coldInBoth.map((h) => h.id));
        for (const [i, h] of inBoth.entries()) expect(h.score).toBeCloseTo(coldInBoth[i]!.score, 5);
        for (const h of auto.hits) expect(h.payload).toBe(rows.find((r) => r.id === h.id)!.payload);
      }
      expect(compared).toBeGreaterThan(10);
    });

    it('never answers from a half-built hot set while a refresh replaces it under searches', async () => {
      const first = items(300, 0, () => 'acme');
      const { cold, tiered } = await setUp(first, { policy: { kind: 'most-recent' }, size: 300, versionCheckMs: 10, retireAfterMs: 2000 });
      await tiered.refresh();
      const newer = items(300, 300, () => 'acme');
      await cold.upsert(newer);
      const older = new Set(first.map((r) => r.id));
      const fresh = new Set(newer.map((r) => r.id));
      let searching = true;
      const seen = { old: 0, new: 0 };
      const searches = (async () => {
        while (searching) {
          const { hits, tier } = await tiered.search(randomVector(), { k: 10, tier: 'hot' });
          expect(tier).toBe('hot');
          expect(hits).toHaveLength(10); // a set being built would have fewer items to offer
          const inOld = hits.filter((h) => older.has(h.id)).length;
          const inNew = hits.filter((h) => fresh.has(h.id)).length;
          expect([inOld, inNew].sort()).toEqual([0, 10]); // all from one set, never a mix
          if (inOld === 10) seen.old++;
          else seen.new++;
        }
      })();
      const report = await tiered.refresh({ onProgress: () => undefined });
      await new Promise((resolve) => setTimeout(resolve, 100));
      searching = false;
      await searches;
      expect(report.count).toBe(300);
      expect(seen.old).toBeGreaterThan(0);
      expect(seen.new).toBeGreaterThan(0);
      expect((await tiered.stats()).hotItems).toBe(300);
    });

    it('drops a cold delete from hot answers at the next sync, within syncEveryMs while started', async () => {
      const rows = items(40);
      const { cold, tiered } = await setUp(rows, {
        policy: { kind: 'explicit', ids: rows.map((r) => r.id) },
        hit: { minScore: 0.9, minHits: 1 },
      });
      await tiered.refresh();
      const q = near(rows[7]!.vector!, 0.01);
      expect((await tiered.search(q, { k: 1 })).hits[0]!.id).toBe('item-7');

      await cold.delete(['item-7']);
      expect((await tiered.sync()).deleted).toBe(1);
      const after = await tiered.search(q, { k: 1, tier: 'hot' });
      expect(after.hits.map((h) => h.id)).not.toContain('item-7');

      // A changed row that is hot is rewritten in the hot tier; with a syncer running, a delete goes within the bound.
      await cold.upsert([{ ...rows[9]!, payload: '{"changed":true}' }]);
      tiered.start({ syncEveryMs: 100 });
      await cold.delete(['item-11']);
      const deletedAt = Date.now();
      const q11 = near(rows[11]!.vector!, 0.01);
      const served = async () => (await tiered.search(q11, { k: 1, tier: 'hot' })).hits[0]?.id === 'item-11';
      while ((await served()) && Date.now() - deletedAt < 10_000) await new Promise((r) => setTimeout(r, 20));
      // The bound is syncEveryMs plus one sync's duration; a loaded 2-core machine stretches the latter.
      expect(Date.now() - deletedAt).toBeLessThan(100 + 5000);
      const nine = await tiered.search(rows[9]!.vector!, { k: 1, tier: 'hot' });
      expect(nine.hits[0]).toMatchObject({ id: 'item-9', payload: '{"changed":true}' });
      await tiered.close();
    });

    it('keeps tenants apart on both tiers, and refuses a search without one', async () => {
      const rows = items(80);
      const { tiered } = await setUp(rows, {
        tenantField: 'tenant',
        policy: { kind: 'explicit', ids: rows.slice(0, 40).map((r) => r.id) },
        hit: { minScore: 0.95, minHits: 1 },
      });
      await tiered.refresh();
      await expect(tiered.search(rows[0]!.vector!, { k: 3 })).rejects.toBeInstanceOf(InvalidArgumentError);
      for (const tier of ['auto', 'hot', 'cold'] as const) {
        for (const [i, row] of rows.entries()) {
          if (i % 7 !== 0) continue;
          // Ask as the other tenant, with the row's own vector: its owner's item must never come back.
          const other = JSON.parse(row.payload).tenant === 'acme' ? 'globex' : 'acme';
          const { hits } = await tiered.search(row.vector!, {
            k: 5,
            tenant: other,
            tier,
            filter: {
              or: [
                { field: 'tenant', eq: 'acme' },
                { field: 'tenant', eq: 'globex' },
              ],
            },
          });
          expect(hits.length).toBeGreaterThan(0);
          for (const h of hits) expect(JSON.parse(h.payload).tenant).toBe(other);
        }
      }
    });

    it('makes the most asked items hot, copies cold answers back when asked, and lets one refresh run at a time', async () => {
      const rows = items(50);
      const { cold, tiered } = await setUp(rows, { size: 5, writeBack: false, hit: { minScore: 0.95, minHits: 1 } });
      for (let round = 0; round < 3; round++)
        for (const i of [3, 8, 13, 21, 34]) await tiered.search(near(rows[i]!.vector!, 0.01), { k: 1 });
      await tiered.search(near(rows[40]!.vector!, 0.01), { k: 1 });
      // An answer (at minScore) counts one ask, the other results of its search 1/k each.
      const { hits } = await tiered.search(near(rows[47]!.vector!, 0.01), { k: 3 });
      await new Promise((r) => setTimeout(r, 400)); // the background flush
      const asks = memory.keys.tiered(tiered.name).asks;
      const scoreOf = async (id: string) => Number(await memory.connection.send<string>(['ZSCORE', asks, id], { key: asks }));
      expect(hits[0]!.id).toBe('item-47');
      expect(await scoreOf('item-47')).toBeCloseTo(1, 3);
      const earlier = (id: string) => ([3, 8, 13, 21, 34].some((i) => id === `item-${i}`) ? 3 : id === 'item-40' ? 1 : 0);
      for (const h of hits.slice(1)) expect(await scoreOf(h.id)).toBeCloseTo(earlier(h.id) + 1 / 3, 3);
      const [a, b] = await Promise.allSettled([tiered.refresh(), tiered.refresh()]);
      expect([a.status, b.status].sort()).toEqual(['fulfilled', 'rejected']);
      expect(((a.status === 'rejected' ? a : b) as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
      for (const i of [3, 8, 13, 21, 34]) expect((await tiered.search(near(rows[i]!.vector!, 0.01), { k: 1 })).tier).toBe('hot');
      expect((await tiered.search(near(rows[40]!.vector!, 0.01), { k: 1 })).tier).toBe('cold');

      const back = await memory.tiered({
        name: tiered.name,
        cold,
        engine,
        hotFields: ['tenant', 'lang', 'price'],
        writeBack: true,
        hit: { minScore: 0.95, minHits: 1 },
      });
      expect((await back.search(near(rows[45]!.vector!, 0.01), { k: 1 })).tier).toBe('cold');
      let tier = 'cold';
      for (let i = 0; i < 50 && tier === 'cold'; i++) {
        await new Promise((r) => setTimeout(r, 20));
        tier = (await back.search(near(rows[45]!.vector!, 0.01), { k: 1 })).tier;
      }
      expect(tier).toBe('hot');
    });

    it('goes cold, never wrong, when Redis loses the hot set or its bookkeeping', async () => {
      const rows = items(30);
      const { tiered } = await setUp(rows, {
        policy: { kind: 'explicit', ids: rows.map((r) => r.id) },
        hit: { minScore: 0.95, minHits: 1 },
        versionCheckMs: 10,
        retireAfterMs: 100,
      });
      await tiered.refresh();
      const q = near(rows[2]!.vector!, 0.01);
      expect((await tiered.search(q, { k: 1 })).tier).toBe('hot');
      const keys = memory.keys.tiered(tiered.name);
      await memory.connection.send(['DEL', keys.meta], { key: keys.meta });
      await new Promise((r) => setTimeout(r, 20));
      const lost = await tiered.search(q, { k: 1 });
      expect(lost).toMatchObject({ tier: 'cold', reason: 'no-hot-set' });
      expect(lost.hits[0]!.id).toBe('item-2');
      const again = await tiered.refresh();
      expect(again.count).toBe(30);
      expect((await tiered.search(q, { k: 1 })).tier).toBe('hot');
    });
  });
}
