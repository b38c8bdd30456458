// The harness's PostgreSQL: reachable, pgvector usable at once (HNSW with cosine ops, `<=>` order).
// What the cold-tier suites build on; a table of its own per run, dropped afterwards.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, postgresUrl, uniquePrefix } from './index.js';

describe('harness PostgreSQL with pgvector', () => {
  const table = uniquePrefix('pgv');
  let client: pg.Client;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: postgresUrl() });
    await client.connect();
  });

  afterAll(async () => {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  });

  it('reports a PostgreSQL version', () => {
    expect(harness().postgres?.version).toMatch(/^\d+(\.\d+)?/);
  });

  it('orders by cosine distance through an HNSW index', async () => {
    await client.query('CREATE EXTENSION IF NOT EXISTS vector');
    await client.query(`CREATE TABLE ${table} (id text PRIMARY KEY, embedding vector(3) NOT NULL)`);
    await client.query(`CREATE INDEX ON ${table} USING hnsw (embedding vector_cosine_ops)`);
    await client.query(`INSERT INTO ${table} VALUES ('x', '[1,0,0]'), ('xy', '[1,1,0]'), ('y', '[0,1,0]'), ('-x', '[-1,0,0]')`);
    // Index scans only: the ordering below comes from the HNSW index, not a sort of the table.
    await client.query('SET enable_seqscan = off');
    const plan = await client.query(`EXPLAIN SELECT id FROM ${table} ORDER BY embedding <=> '[1,0.1,0]' LIMIT 4`);
    expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Scan using .* on /);
    const { rows } = await client.query<{ id: string; distance: number }>(
      `SELECT id, embedding <=> '[1,0.1,0]' AS distance FROM ${table} ORDER BY embedding <=> '[1,0.1,0]' LIMIT 4`,
    );
    expect(rows.map((r) => r.id)).toEqual(['x', 'xy', 'y', '-x']);
    expect(rows[0]!.distance).toBeCloseTo(1 - 1 / Math.sqrt(1.01), 6);
    expect(rows[3]!.distance).toBeCloseTo(1 + 1 / Math.sqrt(1.01), 6);
  });
});
