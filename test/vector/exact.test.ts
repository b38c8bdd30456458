// `exact: true` is exact on every engine, whatever the graph: on an HNSW index built as badly as the
// engines allow (tiny M, efConstruction and efRuntime), an exact query returns the true top k of
// the scope (brute force in the test), filtered or not. RediSearch runs it as ad-hoc brute force
// (its KNN clause is unit-tested in redisearch-replies.test.ts); here it runs with REDISEARCH_URL.
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../scripts/seeded-random.js';
import { similarity } from '../../src/vector/items.js';
import type { Scope, VectorIndex, VectorItem } from '../../src/vector/types.js';
import { enginesHere, useEngine } from './engines-here.js';

const DIM = 16;
const random = seededRandom(14);
const vector = () => Array.from({ length: DIM }, () => random() * 2 - 1);
const items: VectorItem[] = Array.from({ length: 800 }, (_, i) => ({
  id: `x${i}`,
  vector: vector(),
  tags: { half: [i % 2 ? 'odd' : 'even'] },
  payload: String(i),
}));
const queries = Array.from({ length: 5 }, vector);

/** The true top k by brute force, on the engines' score scale. */
function truth(query: number[], k: number, keep: (i: number) => boolean = () => true): string[] {
  const q = Float32Array.from(query);
  return items
    .map((item, i) => ({ id: item.id, i, score: similarity('cosine', q, Float32Array.from(item.vector as number[])) }))
    .filter((x) => keep(x.i))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((x) => x.id);
}

for (const here of enginesHere()) {
  describe(`exact queries on a poor HNSW graph: ${here.engine} on ${here.target.name}`, () => {
    const on = useEngine(here, 'ex');
    let index: VectorIndex;
    const scope: Scope = { tag: '{t:exact}', token: Buffer.from('{t:exact}').toString('hex') };
    beforeAll(async () => {
      if (on.skipped) return;
      index = on.make({ namespace: 'exact', dim: DIM, fields: { half: 'tag' }, algorithm: 'hnsw', m: 4, efConstruction: 4, efRuntime: 1 });
      await index.ensure();
      for (let i = 0; i < items.length; i += 200) await index.upsert(scope, items.slice(i, i + 200));
    });

    it('returns the true top 10 of the scope', async () => {
      for (const query of queries)
        expect((await index.query(scope, query, { k: 10, exact: true })).map((h) => h.id)).toEqual(truth(query, 10));
    });

    it('returns the true top 10 among the items a filter keeps', async () => {
      for (const query of queries) {
        const hits = await index.query(scope, query, { k: 10, exact: true, filter: { field: 'half', eq: 'odd' } });
        expect(hits.map((h) => h.id)).toEqual(truth(query, 10, (i) => i % 2 === 1));
      }
    });
  });
}
