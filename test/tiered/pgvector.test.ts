// The pgvector cold store against the harness's real PostgreSQL + pgvector 0.8: the table it makes
// and checks, scores on the library's scale for every metric, filters equal to the in-process
// predicate (property-based), filtered ANN that still returns k, and change tracking that never
// loses a change, even when transactions commit out of xid order. Each file uses its own tables.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { filterOver } from '../vector/filter-arbitrary.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ColdStoreError,
  DimensionMismatchError,
  IndexMismatchError,
  InvalidArgumentError,
  UnsupportedServerError,
} from '../../src/errors.js';
import type { ColdItem } from '../../src/tiered/cold-store.js';
import { type PgClientLike, type PgPoolLike, PgVectorStore, type PgVectorStoreOptions } from '../../src/tiered/pgvector.js';
import { compileToPredicate, parseFilter } from '../../src/vector/filter.js';
import { similarity } from '../../src/vector/items.js';
import type { Metric } from '../../src/vector/types.js';
import { postgresUrl } from '../harness/index.js';

const FIELDS = { lang: 'tag', year: 'numeric' } as const;
const suffix = randomBytes(4).toString('hex');
let pool: pg.Pool;
let tables = 0;
const made: string[] = [];

/** A store on a fresh table of this file. */
function store(options: Partial<PgVectorStoreOptions> = {}): PgVectorStore {
  const table = options.table ?? `cold_${suffix}_${tables++}`;
  made.push(table);
  return new PgVectorStore({ pool, dim: 4, fields: FIELDS, ...options, table });
}

/** The same pool, recording the statements sent through it and its connections (a real pool, not a stand-in). */
function countingPool(): { pool: PgPoolLike; sent: () => number; statements: string[] } {
  let sent = 0;
  const statements: string[] = [];
  const counted: PgPoolLike = {
    query: (text, values) => {
      sent++;
      statements.push(text);
      return pool.query(text, values) as never;
    },
    connect: async () => {
      sent++;
      const client = await pool.connect();
      return {
        query: (text: string, values?: unknown[]) => {
          statements.push(text);
          return client.query(text, values) as never;
        },
        release: (error?: Error | boolean) => client.release(error),
      };
    },
  };
  return { pool: counted, sent: () => sent, statements };
}

const rng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

beforeAll(() => {
  pool = new pg.Pool({ connectionString: postgresUrl(), max: 6 });
});
afterAll(async () => {
  for (const table of made) await pool.query(`DROP TABLE IF EXISTS "${table}", "${table}_deleted" CASCADE`);
  await pool.end();
});

describe('ensure', () => {
  it('creates the table, its indexes and triggers, idempotently and concurrently', async () => {
    const a = store();
    const b = new PgVectorStore({ pool, dim: 4, fields: FIELDS, table: a.options.table });
    await Promise.all([a.ensure(), b.ensure()]);
    await a.ensure();
    const { rows } = await pool.query(
      `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
        WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [a.options.table],
    );
    expect(rows.map((r) => `${r.attname} ${r.type}`)).toEqual([
      'id text',
      'embedding vector(4)',
      'lang text[]',
      'year double precision',
      'payload text',
      'updated_at timestamp with time zone',
      'change_xid xid8',
    ]);
    const { rows: indexes } = await pool.query('SELECT indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname', [
      a.options.table,
    ]);
    const defs = indexes.map((r) => r.indexdef as string).join('\n');
    expect(defs).toContain("USING hnsw (embedding vector_cosine_ops) WITH (m='16', ef_construction='64')");
    expect(defs).toContain('USING gin (lang)');
    expect(defs).toContain('(year DESC NULLS LAST, id)');
    const { rows: triggers } = await pool.query(
      'SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = to_regclass($1) AND NOT tgisinternal',
      [a.options.table],
    );
    expect(triggers[0].n).toBe(5);
  });

  it.each<[string, Partial<PgVectorStoreOptions>, RegExp]>([
    ['another dimension', { dim: 5 }, /embedding is vector\(4\), the store wants vector\(5\)/],
    ['another field set', { fields: { lang: 'tag' } }, /its fields are lang:tag, year:numeric, the store declares lang:tag/],
    [
      'another field kind',
      { fields: { lang: 'numeric', year: 'numeric' } },
      /its fields are lang:tag, year:numeric, the store declares lang:numeric, year:numeric/,
    ],
    ['another metric', { metric: 'l2' }, /hnsw index .* with vector_cosine_ops; the store wants hnsw with vector_l2_ops/],
    ['another index kind', { index: 'ivfflat' }, /has the hnsw index .*; the store wants ivfflat/],
  ])('an existing table with %s is an IndexMismatchError naming both', async (_name, other, message) => {
    const first = store();
    await first.ensure();
    const second = new PgVectorStore({ pool, dim: 4, fields: FIELDS, ...other, table: first.options.table });
    const error = await second.ensure().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IndexMismatchError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('options and input are checked before any SQL', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['neither pool nor connectionString', { dim: 4 }, 'give exactly one of pool and connectionString'],
    ['both', { dim: 4, connectionString: 'postgresql://x', pool: {} }, 'pool'],
    ['a hostile table name', { dim: 4, connectionString: 'postgresql://x', table: 'a"; DROP TABLE b; --' }, 'table'],
    ['a table name too long', { dim: 4, connectionString: 'postgresql://x', table: 'a'.repeat(49) }, 'at most 48'],
    ['a reserved field', { dim: 4, connectionString: 'postgresql://x', fields: { payload: 'tag' } }, 'is a column of the store itself'],
    ['too many dimensions for an index', { dim: 2001, connectionString: 'postgresql://x' }, 'at most 2000 dimensions'],
    ['an unknown option', { dim: 4, connectionString: 'postgresql://x', colour: 'red' }, 'colour'],
  ])('refuses %s', (_name, options, message) => {
    expect(() => new PgVectorStore(options as PgVectorStoreOptions)).toThrow(InvalidArgumentError);
    expect(() => new PgVectorStore(options as PgVectorStoreOptions)).toThrow(message);
  });

  it('refuses bad items, vectors, filters and watermarks without sending anything', async () => {
    const counted = countingPool();
    const s = new PgVectorStore({ pool: counted.pool, dim: 4, fields: FIELDS, table: `unused_${suffix}` });
    const item: ColdItem = { id: 'a', vector: [1, 0, 0, 0], payload: 'p' };
    await expect(s.upsert([{ ...item, vector: [1, 0, 0] }])).rejects.toThrow(DimensionMismatchError);
    await expect(s.upsert([item, { ...item, id: 'b', vector: [1, 0, 0, Number.NaN] }])).rejects.toThrow(DimensionMismatchError);
    await expect(s.upsert([{ ...item, tags: { colour: ['red'] } }])).rejects.toThrow(/tags.colour: key: is not a declared field/);
    await expect(s.upsert([{ ...item, tags: { lang: ['x'.repeat(2049)] } }])).rejects.toThrow(/at most 2048 UTF-8 bytes/);
    await expect(s.upsert([{ ...item, payload: 'a\u0000b' }])).rejects.toThrow(InvalidArgumentError);
    await expect(s.upsert([{ ...item, id: '' }])).rejects.toThrow(InvalidArgumentError);
    await expect(s.upsert([{ ...item, numbers: { year: Number.POSITIVE_INFINITY } }])).rejects.toThrow(InvalidArgumentError);
    await expect(s.search([1, 0, 0], { k: 1 })).rejects.toThrow(DimensionMismatchError);
    await expect(s.search([1, 0, 0, 0], { k: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(s.search([1, 0, 0, 0], { k: 1, filter: { field: 'colour', eq: 'red' } })).rejects.toThrow(
      /colour is not a filterable field/,
    );
    await expect(s.count({ field: 'lang', gt: 1 })).rejects.toThrow(InvalidArgumentError);
    await expect(s.newest(5, { by: 'lang' })).rejects.toThrow(/must be 'updatedAt' or a numeric field \(declared: year\)/);
    await expect(s.changedSince('not a watermark')).rejects.toThrow(/is not a watermark of this store/);
    await expect(s.changedSince(null, 0)).rejects.toThrow(InvalidArgumentError);
    expect(counted.sent()).toBe(0);
  });
});

describe('items', () => {
  let s: PgVectorStore;
  beforeAll(async () => {
    s = store();
    await s.ensure();
  });

  it('round-trips ids, vectors (float32, exactly), tags, numbers and payloads; get keeps the order asked', async () => {
    const items: ColdItem[] = [
      { id: 'a', vector: [0.1, -2.5, 1e-7, 3], tags: { lang: ['en', 'fr'] }, numbers: { year: 2020.5 }, payload: '{"t":"ä \' \\" ;"}' },
      { id: "b'; DROP TABLE x; --", vector: [1, 2, 3, 4], payload: '' },
      { id: 'c', vector: [4, 3, 2, 1], tags: { lang: [] }, numbers: { year: -0.25 }, payload: 'c' },
    ];
    const before = Date.now();
    await s.upsert(items);
    const got = await s.get(['c', 'missing', "b'; DROP TABLE x; --", 'a', 'x\u0000'], { withVectors: true });
    expect(got.map((i) => i?.id ?? null)).toEqual(['c', null, "b'; DROP TABLE x; --", 'a', null]);
    const a = got[3]!;
    expect(a.vector).toEqual(Array.from(Float32Array.from([0.1, -2.5, 1e-7, 3])));
    expect(a.tags).toEqual({ lang: ['en', 'fr'] });
    expect(a.numbers).toEqual({ year: 2020.5 });
    expect(a.payload).toBe('{"t":"ä \' \\" ;"}');
    expect(a.updatedAt).toBeGreaterThanOrEqual(before - 5000);
    expect(got[2]).toMatchObject({ payload: '' });
    expect(got[2]!.tags).toBeUndefined();
    expect(got[0]).toMatchObject({ tags: { lang: [] }, numbers: { year: -0.25 } });
    expect((await s.get(['a']))[0]!.vector).toBeUndefined();
  });

  it('replaces an id (the last of an id given twice wins), deletes, counts with filters', async () => {
    await s.upsert([
      { id: 'd', vector: [1, 1, 1, 1], tags: { lang: ['de'] }, payload: 'first' },
      { id: 'd', vector: [1, 1, 1, 2], tags: { lang: ['nl'] }, payload: 'second' },
    ]);
    expect((await s.get(['d']))[0]).toMatchObject({ payload: 'second', tags: { lang: ['nl'] } });
    expect(await s.count({ field: 'lang', eq: 'nl' })).toBe(1);
    expect(await s.count({ field: 'lang', ne: 'nl' })).toBe(3);
    expect(await s.delete(['d', 'nope', 'x\u0000'])).toBe(1);
    expect(await s.delete([])).toBe(0);
    expect(await s.count()).toBe(3);
  });

  it('newest: by updatedAt or a numeric field, descending, filtered, with vectors', async () => {
    const t = store();
    await t.ensure();
    for (const [i, year] of [2001, 2003, undefined, 2002].entries()) {
      await t.upsert([
        {
          id: `n${i}`,
          vector: [i + 1, 0, 0, 0],
          tags: { lang: [i % 2 ? 'en' : 'fr'] },
          ...(year ? { numbers: { year } } : {}),
          payload: '',
        },
      ]);
    }
    expect((await t.newest(3)).map((i) => i.id)).toEqual(['n3', 'n2', 'n1']);
    expect((await t.newest(10, { by: 'year' })).map((i) => i.id)).toEqual(['n1', 'n3', 'n0', 'n2']);
    const english = await t.newest(10, { by: 'year', filter: { field: 'lang', eq: 'en' } });
    expect(english.map((i) => i.id)).toEqual(['n1', 'n3']);
    expect(english[0]!.vector).toEqual([2, 0, 0, 0]);
  });
});

describe('scores on the library scale', () => {
  for (const metric of ['cosine', 'ip', 'l2'] as Metric[]) {
    for (const index of ['hnsw', 'ivfflat', 'none'] as const) {
      it(`${metric} with ${index}: scores equal similarity() in process, ordered by score then id`, async () => {
        const s = store({ metric, index, lists: 2, dim: 8, fields: {} });
        await s.ensure();
        const next = rng(metric.length * 7 + index.length);
        const vectors = Array.from({ length: 60 }, () => Array.from({ length: 8 }, () => Math.round((next() * 2 - 1) * 1000) / 100));
        vectors.push([...vectors[5]!]); // a tie: the lower id comes first
        await s.upsert(vectors.map((vector, i) => ({ id: `v${String(i).padStart(2, '0')}`, vector, payload: String(i) })));
        const query = vectors[5]!.map((x, i) => x + (i % 3) * 0.1);
        const q32 = Float32Array.from(query);
        const expected = vectors
          .map((v, i) => ({ id: `v${String(i).padStart(2, '0')}`, score: similarity(metric, q32, Float32Array.from(v)) }))
          .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
        for (const exact of [true, false]) {
          const hits = await s.search(query, { k: 10, exact, withVectors: true });
          expect(hits).toHaveLength(10);
          for (const hit of hits) {
            const i = Number(hit.id.slice(1));
            expect(Math.abs(hit.score - similarity(metric, q32, Float32Array.from(vectors[i]!)))).toBeLessThan(1e-6);
            expect(hit.payload).toBe(String(i));
            expect(hit.vector).toEqual(Array.from(Float32Array.from(vectors[i]!)));
          }
          if (exact) expect(hits.map((h) => h.id)).toEqual(expected.slice(0, 10).map((e) => e.id));
          for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score - 1e-12);
        }
      });
    }
  }

  it('a zero vector scores 0.5 on cosine, as in process', async () => {
    const s = store({ fields: {}, index: 'none' });
    await s.ensure();
    await s.upsert([{ id: 'z', vector: [0, 0, 0, 0], payload: '' }]);
    expect((await s.search([1, 0, 0, 0], { k: 1 }))[0]!.score).toBe(
      similarity('cosine', Float32Array.from([1, 0, 0, 0]), new Float32Array(4)),
    );
  });
});

describe('filters', () => {
  const LANGS = ['en', 'fr', '}', "' OR 1=1 --", 'ü', 'a,b', '{x}', 'NULL'];

  it('select exactly the rows the in-process predicate selects (property-based, every operator, missing fields)', async () => {
    const s = store({ index: 'none' });
    await s.ensure();
    const next = rng(42);
    const items: ColdItem[] = Array.from({ length: 40 }, (_, i) => {
      const item: ColdItem = { id: `r${i}`, vector: [1, i, 0, 1], payload: '' };
      const shape = i % 4; // 0: no tags at all, 1: empty tags, 2 and 3: some
      if (shape > 0) item.tags = { lang: shape === 1 ? [] : LANGS.filter(() => next() < 0.3) };
      if (next() < 0.7) item.numbers = { year: Math.floor(next() * 6) };
      return item;
    });
    await s.upsert(items);
    await fc.assert(
      fc.asyncProperty(filterOver(fc.constantFrom(...LANGS)), async (filter) => {
        parseFilter(filter, FIELDS);
        const keep = compileToPredicate(filter);
        const expected = items
          .filter((i) => keep({ tags: i.tags ?? {}, numbers: i.numbers ?? {} }))
          .map((i) => i.id)
          .sort();
        const found = (await s.search([1, 0, 0, 1], { k: 100, filter })).map((h) => h.id).sort();
        expect(found).toEqual(expected);
        expect(await s.count(filter)).toBe(expected.length);
      }),
      { numRuns: 150 },
    );
  });

  it('a filtered HNSW search returns k rows whenever k pass, however selective the filter', async () => {
    const s = store({ dim: 16, ef: 10, maxScanTuples: 500 });
    await s.ensure();
    const next = rng(7);
    const items: ColdItem[] = Array.from({ length: 3000 }, (_, i) => ({
      id: `h${i}`,
      vector: Array.from({ length: 16 }, () => next() * 2 - 1),
      tags: { lang: [i % 100 === 0 ? 'rare' : i % 1000 === 1 ? 'rarer' : i % 10 === 5 ? 'some' : 'common'] },
      numbers: { year: i },
      payload: '',
    }));
    await s.upsert(items);
    await pool.query(`ANALYZE "${s.options.table}"`);
    const query = Array.from({ length: 16 }, () => next() * 2 - 1);
    const exact = await s.search(query, { k: 10, filter: { field: 'lang', eq: 'rare' }, exact: true });
    const approximate = await s.search(query, { k: 10, filter: { field: 'lang', eq: 'rare' } });
    expect(exact).toHaveLength(10);
    expect(approximate).toHaveLength(10);
    expect(approximate.every((h) => Number(h.id.slice(1)) % 100 === 0)).toBe(true);
    // 3 rows pass: all of them, though the index scan stops at maxScanTuples.
    const rarer = await s.search(query, { k: 10, filter: { field: 'lang', eq: 'rarer' } });
    expect(rarer.map((h) => h.id).sort()).toEqual(['h1001', 'h1', 'h2001'].sort());
    // On 10% of the rows, with ef_search 10, the planner takes the HNSW index, and the iterative
    // scan itself finds the 10 (one search statement: no exact re-run) …
    const counted = countingPool();
    const iterative = new PgVectorStore({ pool: counted.pool, dim: 16, fields: FIELDS, ef: 10, table: s.options.table });
    const some = await iterative.search(query, { k: 10, filter: { field: 'lang', eq: 'some' } });
    expect(some.map((h) => Number(h.id.slice(1)) % 10)).toEqual(Array(10).fill(5));
    expect(counted.statements.filter((t) => t.includes('ORDER BY'))).toHaveLength(1);
    // … where the same index scan without iterative scans finds only what ef_search=10 reached.
    const plain = await pool.connect();
    try {
      await plain.query('BEGIN');
      await plain.query("SET LOCAL hnsw.ef_search = 10; SET LOCAL hnsw.iterative_scan = 'off'");
      const { rows: few } = await plain.query(
        `SELECT id FROM "${s.options.table}" WHERE lang && ARRAY['some'] ORDER BY embedding <=> $1::vector LIMIT 10`,
        [`[${query.join(',')}]`],
      );
      expect(few.length).toBeLessThan(10);
    } finally {
      await plain.query('ROLLBACK');
      plain.release();
    }
    const { rows } = await pool.query(`EXPLAIN SELECT id FROM "${s.options.table}" ORDER BY embedding <=> $1::vector LIMIT 10`, [
      `[${query.join(',')}]`,
    ]);
    expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('hnsw');
  });
});

describe('round trips', () => {
  it('a search is one statement once its connection holds the ANN settings; stores sharing a pool keep their own', async () => {
    const s = store({ dim: 4 });
    await s.ensure();
    await s.upsert(Array.from({ length: 20 }, (_, i) => ({ id: `r${i}`, vector: [i, 1, 0, 1], payload: '' })));
    const one = new pg.Pool({ connectionString: postgresUrl(), max: 1 });
    try {
      const statements: string[] = [];
      // Recording wrappers, one per connection, as pg.Pool hands out the same client object each time.
      const wrappers = new Map<pg.PoolClient, PgClientLike>();
      const counted: PgPoolLike = {
        query: (text, values) => one.query(text, values) as never,
        connect: async () => {
          const c = await one.connect();
          let wrapper = wrappers.get(c);
          if (!wrapper) {
            wrapper = {
              query: (text: string, values?: unknown[]) => {
                statements.push(text.includes('set_config') ? 'settings' : 'search');
                return c.query(text, values) as never;
              },
              release: (error?: Error | boolean) => c.release(error),
            };
            wrappers.set(c, wrapper);
          }
          return wrapper;
        },
      };
      const a = new PgVectorStore({ pool: counted, dim: 4, fields: FIELDS, ef: 10, table: s.options.table });
      const b = new PgVectorStore({ pool: counted, dim: 4, fields: FIELDS, ef: 50, table: s.options.table });
      const efNow = async () => (await one.query('SHOW hnsw.ef_search')).rows[0]!['hnsw.ef_search'];
      await a.search([1, 1, 0, 1], { k: 3 });
      await a.search([2, 1, 0, 1], { k: 3 });
      expect(statements).toEqual(['settings', 'search', 'search']);
      expect(await efNow()).toBe('10');
      await b.search([1, 1, 0, 1], { k: 3 });
      expect(await efNow()).toBe('50');
      await a.search([1, 1, 0, 1], { k: 3 });
      expect(await efNow()).toBe('10'); // a saw that b changed the connection's settings
      expect(statements).toEqual(['settings', 'search', 'search', 'settings', 'search', 'settings', 'search']);
    } finally {
      await one.end();
    }
  });
});

describe('changedSince', () => {
  const vector = [1, 0, 0, 0];
  const ids = (items: readonly { id: string }[]) => items.map((i) => i.id).sort();

  /** Every change from `watermark` on, page by page; returns the last watermark. */
  async function drain(s: PgVectorStore, watermark: string | null, limit = 1000) {
    const upserted: ColdItem[] = [];
    const deleted: string[] = [];
    let w = watermark;
    for (let pages = 0; ; pages++) {
      const c = await s.changedSince(w, limit);
      upserted.push(...c.upserted);
      deleted.push(...c.deleted);
      w = c.watermark;
      if (!c.more) return { upserted, deleted, watermark: w, pages: pages + 1 };
    }
  }

  it('upserts and deletes after a watermark, ours and plain SQL alike; the latest change of an id wins', async () => {
    const s = store();
    await s.ensure();
    await s.upsert(['a', 'b', 'c', 'd'].map((id) => ({ id, vector, payload: id })));
    const first = await drain(s, null);
    expect(ids(first.upserted)).toEqual(['a', 'b', 'c', 'd']);
    expect(first.upserted[0]!.vector).toEqual(vector);
    expect(first.deleted).toEqual([]);
    expect((await s.changedSince(first.watermark)).upserted).toEqual([]);

    await s.delete(['a']);
    await pool.query(`DELETE FROM "${s.options.table}" WHERE id = 'b'`);
    await pool.query(`UPDATE "${s.options.table}" SET payload = 'changed' WHERE id = 'c'`);
    await s.delete(['d']);
    await s.upsert([{ id: 'd', vector, payload: 'back' }]); // the upsert after the delete wins
    const second = await drain(s, first.watermark);
    expect(second.deleted.sort()).toEqual(['a', 'b']);
    expect(ids(second.upserted)).toEqual(['c', 'd']);
    expect(second.upserted.find((i) => i.id === 'c')!.payload).toBe('changed');

    await pool.query(`UPDATE "${s.options.table}" SET id = 'c2' WHERE id = 'c'`); // a new id: c is gone
    await pool.query(`TRUNCATE "${s.options.table}"`);
    const third = await drain(s, second.watermark);
    expect(third.deleted.sort()).toEqual(['c', 'c2', 'd']);
    expect(third.upserted).toEqual([]);
  });

  it('pages with limit and more, delivering every change once when nothing runs concurrently', async () => {
    const s = store();
    await s.ensure();
    await s.upsert(Array.from({ length: 23 }, (_, i) => ({ id: `p${String(i).padStart(2, '0')}`, vector, payload: '' })));
    await s.delete(['p03', 'p04']);
    const all = await drain(s, null, 5);
    expect(all.pages).toBe(5);
    expect(all.upserted).toHaveLength(21);
    expect(new Set(all.upserted.map((i) => i.id)).size).toBe(21);
    expect(all.deleted.sort()).toEqual(['p03', 'p04']);
    const exact = await s.changedSince(null, 23);
    expect(exact.more).toBe(false);
  });

  it('never skips a transaction that commits after one with a higher xid (paged or not)', async () => {
    const s = store();
    await s.ensure();
    const table = `"${s.options.table}"`;
    const early = await pool.connect();
    const late = await pool.connect();
    try {
      await early.query('BEGIN');
      await early.query(`INSERT INTO ${table} (id, embedding) VALUES ('low', '[1,0,0,0]')`);
      const low = BigInt((await early.query('SELECT pg_current_xact_id()::text AS x')).rows[0].x);
      await late.query('BEGIN');
      await late.query(`INSERT INTO ${table} (id, embedding) VALUES ('high', '[1,0,0,0]')`);
      const high = BigInt((await late.query('SELECT pg_current_xact_id()::text AS x')).rows[0].x);
      expect(low < high).toBe(true);
      await late.query('COMMIT');
      await s.upsert(Array.from({ length: 7 }, (_, i) => ({ id: `m${i}`, vector, payload: '' })));
      const from = await s.watermark();

      const before = await drain(s, null, 3);
      expect(ids(before.upserted)).toEqual(['high', 'm0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);

      await early.query(`DELETE FROM ${table} WHERE id = 'm0'`);
      await early.query('COMMIT'); // the lower xid commits last
      const after = await drain(s, before.watermark, 3);
      expect(ids(after.upserted)).toEqual(['low']);
      expect(after.deleted).toEqual(['m0']);
      // From a watermark taken while `low` ran: its changes come, the committed ones do not.
      const since = await drain(s, from);
      expect(ids(since.upserted)).toEqual(['low']);
      expect(since.deleted).toEqual(['m0']);
    } finally {
      await early.query('ROLLBACK').catch(() => {});
      await late.query('ROLLBACK').catch(() => {});
      early.release();
      late.release();
    }
  });

  it('loses nothing under concurrent writers committing in any order (random interleavings, paged reads between commits)', async () => {
    const s = store({ index: 'none' });
    await s.ensure();
    const table = `"${s.options.table}"`;
    const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    const state = new Map<string, boolean>(); // id → present, as the changes delivered say
    let watermark: string | null = null;
    const next = rng(99);
    try {
      for (let round = 0; round < 12; round++) {
        // Each transaction writes its own ids this round (no lock waits), ids move between writers.
        for (const [n, c] of clients.entries()) {
          await c.query('BEGIN');
          for (let j = 0; j < 3; j++) {
            const id = `w${((round + n) % 3) * 5 + Math.floor(next() * 5)}`;
            if (next() < 0.3) await c.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
            else
              await c.query(
                `INSERT INTO ${table} (id, embedding, payload) VALUES ($1, '[1,0,0,0]', $2) ON CONFLICT (id) DO UPDATE SET payload = EXCLUDED.payload`,
                [id, `${round}.${n}`],
              );
          }
        }
        for (const n of [0, 1, 2].sort(() => next() - 0.5)) {
          await clients[n]!.query('COMMIT');
          const c = await drain(s, watermark, 2);
          watermark = c.watermark;
          for (const id of c.deleted) state.set(id, false);
          for (const item of c.upserted) state.set(item.id, true);
        }
      }
      const { rows } = await pool.query(`SELECT id FROM ${table}`);
      // Applying every delivered change ends in the table's state: nothing was lost.
      expect(
        [...state]
          .filter(([, present]) => present)
          .map(([id]) => id)
          .sort(),
      ).toEqual(rows.map((r) => r.id as string).sort());
    } finally {
      for (const c of clients) {
        await c.query('ROLLBACK').catch(() => {});
        c.release();
      }
    }
  });

  it('purges old tombstones, and refuses a watermark older than the retention', async () => {
    const s = store();
    await s.ensure();
    await s.upsert([{ id: 'x', vector, payload: '' }]);
    await s.delete(['x']);
    expect(await s.purgeTombstones(3_600_000)).toBe(0);
    expect(await s.purgeTombstones(0)).toBe(1);
    const w = JSON.parse(Buffer.from(await s.watermark(), 'base64url').toString('utf8'));
    const old = Buffer.from(JSON.stringify({ ...w, at: w.at - 8 * 24 * 3_600_000 })).toString('base64url');
    await expect(s.changedSince(old)).rejects.toThrow(/older than the tombstone retention .* start again from null/);
  });
});

describe('errors', () => {
  it('an unreachable server is a transient ColdStoreError whose message holds no password', async () => {
    const s = new PgVectorStore({ connectionString: 'postgresql://user:s3cr3t-pw@127.0.0.1:1/db', dim: 4 });
    const error = await s.count().catch((e: unknown) => e);
    await s.close();
    expect(error).toBeInstanceOf(ColdStoreError);
    expect((error as ColdStoreError).transient).toBe(true);
    expect((error as ColdStoreError).code).toBe('COLD_STORE');
    expect((error as Error).message).not.toContain('s3cr3t');
    expect((error as Error).cause).toBeDefined();
  });

  it('a missing table is a ColdStoreError with its SQLSTATE and what to do, not transient', async () => {
    const s = store();
    const error = await s.search([1, 0, 0, 0], { k: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ColdStoreError);
    expect(error).toMatchObject({ sqlState: '42P01', transient: false });
    expect((error as Error).message).toMatch(/call ensure\(\)/);
  });

  it('a server where the vector extension cannot be created is an UnsupportedServerError with advice', async () => {
    const role = `am_plain_${suffix}`;
    const database = `am_novector_${suffix}`;
    await pool.query(`CREATE ROLE "${role}" LOGIN`);
    await pool.query(`CREATE DATABASE "${database}"`);
    const url = new URL(postgresUrl());
    url.username = role;
    url.pathname = `/${database}`;
    const s = new PgVectorStore({ connectionString: url.toString(), dim: 4 });
    try {
      const error = await s.ensure().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedServerError);
      expect((error as Error).message).toMatch(/no usable pgvector extension .*permission denied.*Install pgvector 0.8 or later/);
    } finally {
      await s.close();
      await pool.query(`DROP DATABASE "${database}" WITH (FORCE)`);
      await pool.query(`DROP ROLE "${role}"`);
    }
  });

  it('close() ends only a pool the store opened', async () => {
    const owned = new PgVectorStore({ connectionString: postgresUrl(), dim: 4, table: `cold_${suffix}_owned` });
    made.push(`cold_${suffix}_owned`);
    await owned.ensure();
    expect(await owned.count()).toBe(0);
    await owned.close();
    const s = store();
    await s.ensure();
    await s.close();
    expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });
});
