// The cold tier on PostgreSQL + pgvector (through `pg`): one table of items, an HNSW or IVFFlat
// index whose operator class matches the metric, triggers that track every change (ours or any
// other program's) by transaction id, and searches on the library's score scale. It must never
// build SQL from a value (every value is a bound parameter) nor put a connection string in an error.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  AgentMemoryError,
  ColdStoreError,
  IndexMismatchError,
  InvalidArgumentError,
  MissingDependencyError,
  UnsupportedServerError,
} from '../errors.js';
import { jsonRecordSchema, parseInput } from '../validate.js';
import { FieldNameSchema, type FieldSchema, type Filter, tagValueProblem } from '../vector/filter.js';
import { similarity, toFloat32 } from '../vector/items.js';
import type { Metric } from '../vector/types.js';
import type { ColdChanges, ColdHit, ColdItem, ColdSearchOptions, ColdStore, ColdStoreDefinition } from './cold-store.js';
import { compileFilterToSql, identifierProblem, quoteIdentifier, type SqlCondition } from './pg-filter.js';

/** What the store needs of a query answer (a `pg` QueryResult has it). */
export interface PgQueryResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}

/** A connection of a pool, as `pg.PoolClient` is: queries, then `release()` (with an error: discard it). */
export interface PgClientLike {
  query(text: string, values?: unknown[]): Promise<PgQueryResult>;
  release(error?: Error | boolean): void;
}

/** What the store needs of a pool: `pg.Pool` has it (and so do most wrappers of it). */
export interface PgPoolLike {
  query(text: string, values?: unknown[]): Promise<PgQueryResult>;
  connect(): Promise<PgClientLike>;
}

/**
 * The ANN settings each pooled connection holds (session level), so a search is one statement.
 * One map for every store of the process: stores sharing a pool see each other's settings.
 */
const annSettings = new WeakMap<PgClientLike, string>();

/** Columns the store owns; a field may not take one of these names. */
const RESERVED_COLUMNS = ['id', 'embedding', 'payload', 'updated_at', 'change_xid'] as const;

/** Room for `<table>_deleted` and the store's function, trigger and index names in 63 bytes. */
const MAX_TABLE_LENGTH = 48;

const identifier = (max: number) =>
  z.string().superRefine((name, ctx) => {
    const problem = identifierProblem(name) ?? (name.length > max ? `must be at most ${max} characters` : null);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const FieldColumnSchema = FieldNameSchema.superRefine((name, ctx) => {
  if (name.length > 63) ctx.addIssue({ code: 'custom', message: 'must be at most 63 characters (a PostgreSQL column name)' });
  if ((RESERVED_COLUMNS as readonly string[]).includes(name))
    ctx.addIssue({ code: 'custom', message: `is a column of the store itself (${RESERVED_COLUMNS.join(', ')})` });
});

const PoolSchema = z.custom<PgPoolLike>(
  (v) =>
    typeof v === 'object' && v !== null && typeof (v as PgPoolLike).query === 'function' && typeof (v as PgPoolLike).connect === 'function',
  'must be a pg.Pool (an object with query() and connect())',
);

/** Options of {@link PgVectorStore}; defaults are here. */
export const PgVectorStoreOptionsSchema = z
  .object({
    /** Your `pg.Pool` (or one like it); the store never ends it. Give this or `connectionString`. */
    pool: PoolSchema.optional(),
    /** A PostgreSQL URL: the store opens (and `close()` ends) its own `pg` pool. */
    connectionString: z.string().min(1).optional(),
    /** Connections of the store's own pool. Default 10. */
    maxConnections: z.number().int().min(1).max(1000).default(10),
    schema: identifier(63).default('public'),
    /** The items table; the store also makes `<table>_deleted` (tombstones). Default `am_items`. */
    table: identifier(MAX_TABLE_LENGTH).default('am_items'),
    /** Dimensions of the vectors (at most 2,000 with an index: pgvector's limit for `vector`). */
    dim: z.number().int().min(1).max(16_000),
    metric: z.enum(['cosine', 'ip', 'l2']).default('cosine'),
    /** Filterable fields: a tag field is a `text[]` column (GIN index), a numeric one `double precision` (btree). */
    fields: jsonRecordSchema(FieldColumnSchema, z.enum(['tag', 'numeric'])).default({}),
    /**
     * The ANN index: `hnsw` (default), `ivfflat` (build it after loading: it learns its lists from
     * the rows) or `none`. ensure() builds a missing one over the rows there: to load many rows,
     * open with `none`, load, then ensure() with `hnsw` (one build is several times faster than
     * keeping the graph up to date row by row).
     */
    index: z.enum(['hnsw', 'ivfflat', 'none']).default('hnsw'),
    /** HNSW graph degree. Default 16. */
    m: z.number().int().min(2).max(100).default(16),
    /** HNSW build effort, at least 2·m. Default 64. */
    efConstruction: z.number().int().min(4).max(1000).default(64),
    /** IVFFlat lists. Default 100. */
    lists: z.number().int().min(1).max(32_768).default(100),
    /** HNSW search effort (`hnsw.ef_search`) when a search does not say; raised to k when k is larger. Default 100. */
    ef: z.number().int().min(1).max(1000).default(100),
    /** IVFFlat lists probed per search (`ivfflat.probes`). Default 10. */
    probes: z.number().int().min(1).max(32_768).default(10),
    /**
     * HNSW iterative scans stop after this many tuples (`hnsw.max_scan_tuples`); a filtered search
     * that found fewer than k by then is answered exactly instead. Default 20,000.
     */
    maxScanTuples: z.number().int().min(1).max(100_000_000).default(20_000),
    /**
     * How long tombstones of deleted rows are kept (see {@link PgVectorStore.purgeTombstones}); a
     * watermark older than this is refused, since deletes after it may be gone. Default 7 days.
     */
    tombstoneRetentionMs: z
      .number()
      .int()
      .min(60_000)
      .default(7 * 24 * 3_600_000),
  })
  .strict()
  .superRefine((o, ctx) => {
    if ((o.pool === undefined) === (o.connectionString === undefined))
      ctx.addIssue({ code: 'custom', path: ['pool'], message: 'give exactly one of pool and connectionString' });
    if (o.index !== 'none' && o.dim > 2000)
      ctx.addIssue({
        code: 'custom',
        path: ['dim'],
        message: `pgvector indexes vectors of at most 2000 dimensions; use index: 'none' for ${o.dim}`,
      });
    if (o.efConstruction < 2 * o.m)
      ctx.addIssue({ code: 'custom', path: ['efConstruction'], message: `must be at least 2·m (${2 * o.m})` });
  });
export type PgVectorStoreOptions = z.input<typeof PgVectorStoreOptionsSchema>;
type ResolvedOptions = z.output<typeof PgVectorStoreOptionsSchema>;

/** pgvector's distance operator and index operator class of each metric. */
const METRIC_SQL: Record<Metric, { operator: string; opclass: string }> = {
  cosine: { operator: '<=>', opclass: 'vector_cosine_ops' },
  ip: { operator: '<#>', opclass: 'vector_ip_ops' },
  l2: { operator: '<->', opclass: 'vector_l2_ops' },
};

/** A vector in pgvector's text form, float32 values printed exactly (so the server holds what `similarity` scores). */
const vectorText = (vector: Float32Array): string => `[${Array.from(vector).join(',')}]`;

/**
 * A vector from pgvector's text form: it prints each float32 in the fewest digits that read back
 * as it (`5.43`), so each is rounded to float32 again: the values the hot tier's engines return.
 */
const parseVector = (text: string): number[] => (JSON.parse(text) as number[]).map(Math.fround);

/** A name `<table>_<suffix>` within PostgreSQL's 63 bytes (a digest of the suffix when it would not fit). */
function objectName(table: string, suffix: string): string {
  const name = `${table}_${suffix}`;
  return name.length <= 63 ? name : `${table}_${createHash('sha256').update(suffix).digest('hex').slice(0, 12)}`;
}

const ItemIdSchema = z
  .string()
  .min(1)
  .max(1024)
  .refine((id) => !id.includes('\u0000'), 'must not contain U+0000 (PostgreSQL text cannot hold it)');
const IdsSchema = z.array(z.string()).max(100_000);
const SearchOptionsSchema = z
  .object({
    k: z.number().int().min(1).max(10_000),
    filter: z.unknown().optional(),
    exact: z.boolean().optional(),
    ef: z.number().int().min(1).max(1000).optional(),
    withVectors: z.boolean().optional(),
  })
  .strict();
const NewestSchema = z
  .object({ n: z.number().int().min(1).max(1_000_000), by: z.string().optional(), filter: z.unknown().optional() })
  .strict();
const LimitSchema = z.number().int().min(1).max(100_000);

/**
 * A watermark: the snapshot of the call that made it, the last change it delivered when it
 * stopped at its limit (`after`), the lowest transaction id that may still have undelivered
 * changes (`floor`), and when it was made (server clock, ms).
 */
const WatermarkSchema = z
  .object({
    v: z.literal(1),
    floor: z.string().regex(/^\d{1,20}$/),
    snapshot: z.string().regex(/^\d{1,20}:\d{1,20}:(\d{1,20}(,\d{1,20})*)?$/),
    after: z.tuple([z.string().regex(/^\d{1,20}$/), z.string()]).optional(),
    at: z.number(),
  })
  .strict();
type Watermark = z.output<typeof WatermarkSchema>;

const encodeWatermark = (w: Watermark): string => Buffer.from(JSON.stringify(w), 'utf8').toString('base64url');

function decodeWatermark(text: unknown): Watermark {
  const given = parseInput(z.string().min(1).max(1_000_000), text, 'watermark');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(given, 'base64url').toString('utf8'));
  } catch {
    json = null;
  }
  const parsed = WatermarkSchema.safeParse(json);
  if (!parsed.success)
    throw new InvalidArgumentError('watermark', [
      { path: '', message: 'is not a watermark of this store (pass back what changedSince or watermark returned, or null)' },
    ]);
  return parsed.data;
}

/** SQLSTATE classes and codes whose failure may pass by itself. */
const TRANSIENT_SQLSTATE = /^(08|53|57|58030|40001|40P01)/;
/** Node socket errors, and pg's own connection failures (which carry no code). */
const TRANSIENT_SOCKET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
const TRANSIENT_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection timeout/i;

/**
 * Any failure of `pg` as a ColdStoreError: what the store was doing, the server's message (never
 * its DETAIL, which may quote values), with the connection string and password cut out.
 */
function coldStoreError(error: unknown, doing: string, secrets: readonly string[]): ColdStoreError {
  if (error instanceof ColdStoreError) return error;
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const sqlState = code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  let message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(error);
  for (const secret of secrets) if (secret.length > 0) message = message.split(secret).join('***');
  message = message.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
  const transient =
    (sqlState !== undefined && TRANSIENT_SQLSTATE.test(sqlState)) ||
    (code !== undefined && TRANSIENT_SOCKET.has(code)) ||
    TRANSIENT_MESSAGE.test(message);
  const advice = sqlState === '42P01' ? ' (call ensure() to create the table)' : '';
  return new ColdStoreError(`pgvector cold store: ${doing} failed: ${message}${sqlState ? ` [SQLSTATE ${sqlState}]` : ''}${advice}`, {
    cause: error,
    transient,
    sqlState,
  });
}

/** A row as the store selects it (see #columns). */
type ItemRow = Record<string, unknown> & { id: string; payload: string; _updated_ms: number; _embedding?: string };

/**
 * The pgvector cold store: implements {@link ColdStore} on a table `<schema>.<table>` with one
 * column per declared field. Searches answer in the library's score scale and filter language;
 * `changedSince` tracks changes by transaction id, so a transaction that commits late is never
 * skipped (a change may come twice, never zero times).
 *
 * @example const cold = new PgVectorStore({ connectionString: process.env.DATABASE_URL, dim: 384, fields: { lang: 'tag' } }); await cold.ensure();
 */
export class PgVectorStore implements ColdStore {
  readonly kind = 'pgvector';
  readonly definition: ColdStoreDefinition;
  readonly options: Readonly<Omit<ResolvedOptions, 'pool' | 'connectionString'>>;
  readonly #given: PgPoolLike | undefined;
  readonly #connectionString: string | undefined;
  #owned: Promise<PgPoolLike & { end(): Promise<void> }> | undefined;
  readonly #secrets: string[];
  readonly #fields: FieldSchema;
  readonly #table: string;
  readonly #tombstones: string;
  readonly #distance: (param: string) => string;
  readonly #columns: string;
  readonly #itemSchema: ReturnType<typeof itemSchemaOf>;

  constructor(options: PgVectorStoreOptions) {
    const o = parseInput(PgVectorStoreOptionsSchema, options, 'pgvector store options');
    const { pool, connectionString, ...rest } = o;
    this.options = rest;
    this.#given = pool;
    this.#connectionString = connectionString;
    this.#secrets = connectionString ? [connectionString, ...passwordOf(connectionString)] : [];
    this.#fields = { ...o.fields };
    this.#itemSchema = itemSchemaOf(this.#fields);
    this.definition = { dim: o.dim, metric: o.metric, fields: { ...o.fields } };
    this.#table = `${quoteIdentifier(o.schema)}.${quoteIdentifier(o.table)}`;
    this.#tombstones = `${quoteIdentifier(o.schema)}.${quoteIdentifier(`${o.table}_deleted`)}`;
    const operator = METRIC_SQL[o.metric].operator;
    this.#distance = (param) => `embedding ${operator} ${param}::vector`;
    this.#columns = [
      'id',
      'payload',
      '(extract(epoch FROM updated_at) * 1000)::float8 AS _updated_ms',
      ...Object.keys(o.fields).map(quoteIdentifier),
    ].join(', ');
  }

  /**
   * Creates what the store needs, idempotently (concurrent callers wait for each other): the
   * `vector` extension (0.8 or later), the table, its indexes and change-tracking triggers, and
   * the tombstone table. An existing table is checked against the definition from the catalog:
   * another dimension, field set or index metric is an IndexMismatchError naming both.
   *
   * @example await cold.ensure();
   */
  async ensure(): Promise<void> {
    await this.#ensureExtension();
    await this.#transaction('ensure', 'READ COMMITTED', async (q) => {
      const o = this.options;
      await q('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`redis-agent-memory:${o.schema}.${o.table}`]);
      const { rows: columns } = await q(
        `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
          WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [this.#table],
      );
      if (columns.length > 0) this.#checkColumns(columns as { name: string; type: string }[]);
      else await q(this.#createTableSql());
      await q(
        `CREATE TABLE IF NOT EXISTS ${this.#tombstones} (id text PRIMARY KEY, change_xid xid8 NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`,
      );
      for (const sql of this.#indexSql()) await q(sql);
      await this.#ensureAnnIndex(q);
      for (const sql of this.#functionSql()) await q(sql);
      const { rows: triggers } = await q('SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass($1) AND NOT tgisinternal', [
        this.#table,
      ]);
      const present = new Set(triggers.map((t) => t['tgname'] as string));
      for (const [name, sql] of this.#triggerSql()) if (!present.has(name)) await q(sql);
    });
  }

  /**
   * Top k by similarity among the rows that pass the filter, ties broken by id. With an index,
   * an approximate search with pgvector's iterative scans (so a filter does not starve it); when
   * that finds fewer than k, the same search again exactly, so k rows come back whenever k pass.
   * PostgreSQL picks and orders the rows by its (float32) distance; each score is then
   * `similarity()` of the query and the stored vector, computed here as the flat engine does, so a
   * cold score equals a hot one to the last bit, and ties (and near-ties) are ordered by id.
   *
   * @example const hits = await cold.search(queryVector, { k: 5, filter: { field: 'lang', eq: 'en' } });
   */
  async search(vector: ArrayLike<number>, options: ColdSearchOptions): Promise<ColdHit[]> {
    const o = parseInput(SearchOptionsSchema, options, 'cold search options');
    const query = toFloat32(vector, this.options.dim, 'query vector');
    const where = o.filter === undefined ? null : compileFilterToSql(o.filter, this.#fields, 3);
    const select = `SELECT id, payload, ${this.#distance('$1')} AS _distance, embedding::text AS _embedding FROM ${this.#table}${
      where ? ` WHERE ${where.sql}` : ''
    }`;
    const params = [vectorText(query), o.k, ...(where?.params ?? [])];
    const exactSql = `${select} ORDER BY _distance, id LIMIT $2`;
    const exact = () =>
      this.#transaction('search', 'READ COMMITTED', async (q) => {
        await q("SELECT set_config('enable_indexscan', 'off', true)");
        return (await q(exactSql, params)).rows;
      });
    let rows: Record<string, unknown>[];
    if (o.exact || this.options.index === 'none') rows = await exact();
    else {
      // The index orders by distance alone; ties and relaxed order are sorted outside it. One
      // statement, one round trip: the ANN settings live on the connection (set once per value).
      const approximate = await this.#annQuery(
        `WITH nearest AS MATERIALIZED (${select} ORDER BY _distance LIMIT $2) SELECT * FROM nearest ORDER BY _distance, id`,
        params,
        o.ef ?? this.options.ef,
        o.k,
      );
      rows = approximate.length < o.k ? await exact() : approximate;
    }
    const hits = rows.map((r) => {
      const stored = parseVector(r['_embedding'] as string);
      const hit: ColdHit = {
        id: r['id'] as string,
        score: similarity(this.options.metric, query, Float32Array.from(stored)),
        payload: r['payload'] as string,
      };
      if (o.withVectors) hit.vector = stored;
      return hit;
    });
    return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Items by id, in the order asked; null for an id that is not there.
   *
   * @example const [a, b] = await cold.get(['a', 'b'], { withVectors: true });
   */
  async get(ids: readonly string[], options: { withVectors?: boolean } = {}): Promise<(ColdItem | null)[]> {
    const asked = parseInput(IdsSchema, ids, 'ids');
    const withVectors = parseInput(z.boolean().optional(), options.withVectors, 'withVectors') === true;
    if (asked.length === 0) return [];
    const { rows } = await this.#query(
      'get',
      `SELECT ${this.#columns}${withVectors ? ', embedding::text AS _embedding' : ''} FROM ${this.#table} WHERE id = ANY($1::text[])`,
      [storableIds(asked)],
    );
    const byId = new Map(rows.map((r) => [r['id'] as string, this.#item(r as ItemRow)]));
    return asked.map((id) => byId.get(id) ?? null);
  }

  /**
   * The newest n items that pass the filter, with their vectors: by `updatedAt` (the default) or
   * by a declared numeric field, descending (rows without it last), ties by id.
   *
   * @example const recent = await cold.newest(5000, { by: 'publishedAt', filter: { field: 'tenant', eq: 'acme' } });
   */
  async newest(n: number, options: { by?: string | undefined; filter?: Filter | undefined } = {}): Promise<ColdItem[]> {
    const o = parseInput(NewestSchema, { n, ...options }, 'newest options');
    const by = o.by ?? 'updatedAt';
    if (by !== 'updatedAt' && this.#fields[by] !== 'numeric')
      throw new InvalidArgumentError('newest options', [
        { path: 'by', message: `must be 'updatedAt' or a numeric field (declared: ${numericFields(this.#fields).join(', ') || 'none'})` },
      ]);
    const where = o.filter === undefined ? null : compileFilterToSql(o.filter, this.#fields, 2);
    const order = by === 'updatedAt' ? 'updated_at DESC' : `${quoteIdentifier(by)} DESC NULLS LAST`;
    const { rows } = await this.#query(
      'newest',
      `SELECT ${this.#columns}, embedding::text AS _embedding FROM ${this.#table}${where ? ` WHERE ${where.sql}` : ''} ORDER BY ${order}, id LIMIT $1`,
      [o.n, ...(where?.params ?? [])],
    );
    return rows.map((r) => this.#item(r as ItemRow));
  }

  /**
   * The watermark of now, reading no change: changes committed before the call are at or below
   * it (`changedSince` from it returns only later ones, and perhaps a few earlier ones again).
   *
   * @example const from = await cold.watermark(); const items = await cold.newest(2000); await cold.changedSince(from);
   */
  async watermark(): Promise<string> {
    const { rows } = await this.#query(
      'watermark',
      `SELECT pg_current_snapshot()::text AS snapshot, pg_snapshot_xmin(pg_current_snapshot())::text AS xmin,
              (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS at`,
      [],
    );
    const r = rows[0]!;
    return encodeWatermark({ v: 1, floor: r['xmin'] as string, snapshot: r['snapshot'] as string, at: Number(r['at']) });
  }

  /**
   * Rows written and deleted after a watermark (null: from the beginning), at most `limit` (default
   * 1,000) in transaction-id order, with their vectors; the latest change of an id wins (an upsert
   * after a delete comes as an upsert). Changes are read in one snapshot: whatever committed
   * before it and was not delivered is in this answer or the next pages (`more`), and whatever
   * was still running is delivered by a later call. A change may be delivered twice.
   *
   * @example let w = null; do { const c = await cold.changedSince(w, 500); apply(c); w = c.watermark; } while (c.more);
   */
  async changedSince(watermark: string | null, limit = 1000): Promise<ColdChanges> {
    const from = watermark === null ? null : decodeWatermark(watermark);
    const max = parseInput(LimitSchema, limit, 'limit');
    return this.#transaction('changedSince', 'REPEATABLE READ READ ONLY', async (q) => {
      const { rows: now } = await q(
        `SELECT pg_current_snapshot()::text AS snapshot, pg_snapshot_xmin(pg_current_snapshot())::text AS xmin,
                (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS at`,
      );
      const snapshot = now[0]!['snapshot'] as string;
      const xmin = now[0]!['xmin'] as string;
      const at = Number(now[0]!['at']);
      if (from && at - from.at > this.options.tombstoneRetentionMs)
        throw new InvalidArgumentError('watermark', [
          {
            path: '',
            message: `is older than the tombstone retention (${this.options.tombstoneRetentionMs} ms): deletes after it may have been purged; start again from null (a full resync)`,
          },
        ]);
      // Not yet delivered: not visible to the last call's snapshot, or visible but after where it stopped.
      const pending = `change_xid >= $1::xid8 AND NOT COALESCE(pg_visible_in_snapshot(change_xid, $2::pg_snapshot)
        AND ($3::xid8 IS NULL OR (change_xid, id) <= ($3::xid8, $4::text)), false)`;
      const { rows } = await q(
        `WITH changes AS (
           SELECT id, change_xid, false AS _deleted FROM ${this.#table} WHERE ${pending}
           UNION ALL
           SELECT id, change_xid, true AS _deleted FROM ${this.#tombstones} WHERE ${pending}
           ORDER BY change_xid, id LIMIT $5
         )
         SELECT c.change_xid::text AS _xid, c._deleted, c.id, t.payload, (extract(epoch FROM t.updated_at) * 1000)::float8 AS _updated_ms,
                ${Object.keys(this.#fields)
                  .map((f) => `t.${quoteIdentifier(f)}`)
                  .join(', ')}${Object.keys(this.#fields).length > 0 ? ',' : ''} t.embedding::text AS _embedding
           FROM changes c LEFT JOIN ${this.#table} t ON NOT c._deleted AND t.id = c.id
          ORDER BY c.change_xid, c.id`,
        [from?.floor ?? '0', from?.snapshot ?? null, from?.after?.[0] ?? null, from?.after?.[1] ?? null, max + 1],
      );
      const more = rows.length > max;
      const page = more ? rows.slice(0, max) : rows;
      const upserted: ColdItem[] = [];
      const deleted: string[] = [];
      for (const r of page) {
        if (r['_deleted'] === true) deleted.push(r['id'] as string);
        else upserted.push(this.#item(r as ItemRow));
      }
      let next: Watermark = { v: 1, floor: xmin, snapshot, at };
      if (more) {
        const last = page.at(-1)!;
        const lastXid = last['_xid'] as string;
        // Below the floor every change is delivered: visible now and before where this page stopped.
        next = { ...next, floor: BigInt(lastXid) < BigInt(xmin) ? lastXid : xmin, after: [lastXid, last['id'] as string] };
      }
      return { upserted, deleted, watermark: encodeWatermark(next), more };
    });
  }

  /**
   * Writes items in one transaction, replacing rows of the same ids (the last of an id given
   * twice wins). Checked before anything is sent: dimensions (DimensionMismatchError), declared
   * fields, tag values as every engine limits them, no U+0000 in text.
   *
   * @example await cold.upsert([{ id: 'a', vector: [0.1, 0.2], tags: { lang: ['en'] }, payload: '{"text":"…"}' }]);
   */
  async upsert(items: readonly ColdItem[]): Promise<void> {
    const rows = [
      ...new Map(
        parseInput(z.array(z.unknown()), items, 'items').map((item, i) => {
          const row = this.#row(item, i);
          return [row[0] as string, row] as const;
        }),
      ).values(),
    ];
    if (rows.length === 0) return;
    const fieldNames = Object.keys(this.#fields);
    const casts = ['text', 'vector', 'text', ...fieldNames.map((f) => (this.#fields[f] === 'tag' ? 'text[]' : 'double precision'))];
    const columns = ['id', 'embedding', 'payload', ...fieldNames.map(quoteIdentifier)];
    const perChunk = Math.max(1, Math.min(1000, Math.floor(60_000 / casts.length)));
    const updates = columns
      .slice(1)
      .map((c) => `${c} = EXCLUDED.${c}`)
      .join(', ');
    await this.#transaction('upsert', 'READ COMMITTED', async (q) => {
      for (let start = 0; start < rows.length; start += perChunk) {
        const chunk = rows.slice(start, start + perChunk);
        const values = chunk.map((_, r) => `(${casts.map((cast, c) => `$${r * casts.length + c + 1}::${cast}`).join(', ')})`).join(', ');
        await q(
          `INSERT INTO ${this.#table} (${columns.join(', ')}) VALUES ${values} ON CONFLICT (id) DO UPDATE SET ${updates}`,
          chunk.flat(),
        );
      }
    });
  }

  /**
   * Deletes items by id; returns how many existed. Each leaves a tombstone for `changedSince`
   * (so do deletes by any other program: a trigger writes them).
   *
   * @example const removed = await cold.delete(['a', 'b']);
   */
  async delete(ids: readonly string[]): Promise<number> {
    const asked = parseInput(IdsSchema, ids, 'ids');
    if (asked.length === 0) return 0;
    const result = await this.#query('delete', `DELETE FROM ${this.#table} WHERE id = ANY($1::text[])`, [storableIds(asked)]);
    return result.rowCount ?? 0;
  }

  /**
   * How many items pass the filter (all, without one).
   *
   * @example const english = await cold.count({ field: 'lang', eq: 'en' });
   */
  async count(filter?: Filter): Promise<number> {
    const where: SqlCondition | null = filter === undefined ? null : compileFilterToSql(filter, this.#fields, 1);
    const { rows } = await this.#query(
      'count',
      `SELECT count(*)::text AS n FROM ${this.#table}${where ? ` WHERE ${where.sql}` : ''}`,
      where?.params ?? [],
    );
    return Number(rows[0]!['n']);
  }

  /**
   * Removes tombstones older than `olderThanMs` (default: the store's `tombstoneRetentionMs`);
   * returns how many. Run it now and then (the refresh job is a good place); a consumer whose
   * watermark is older than the retention is told to resync instead of missing a delete.
   *
   * @example const purged = await cold.purgeTombstones();
   */
  async purgeTombstones(olderThanMs: number = this.options.tombstoneRetentionMs): Promise<number> {
    const age = parseInput(z.number().int().min(0), olderThanMs, 'olderThanMs');
    const result = await this.#query(
      'purgeTombstones',
      `DELETE FROM ${this.#tombstones} WHERE at < clock_timestamp() - make_interval(secs => $1::float8 / 1000)`,
      [age],
    );
    return result.rowCount ?? 0;
  }

  /**
   * Ends the store's own pool (a pool you gave it stays open).
   *
   * @example await cold.close();
   */
  async close(): Promise<void> {
    const owned = this.#owned;
    this.#owned = undefined;
    if (owned) await (await owned.catch(() => null))?.end();
  }

  // ——— internals ———

  async #pool(): Promise<PgPoolLike> {
    if (this.#given) return this.#given;
    this.#owned ??= (async () => {
      let pg: typeof import('pg');
      try {
        pg = await import('pg');
      } catch (error) {
        throw new MissingDependencyError(
          'pg',
          'PgVectorStore with a connectionString needs the pg package (an optional peer dependency of redis-agent-memory): npm install pg',
          {
            cause: error,
          },
        );
      }
      const Pool = (pg as unknown as { default?: typeof pg }).default?.Pool ?? pg.Pool;
      const pool = new Pool({ connectionString: this.#connectionString, max: this.options.maxConnections });
      // An idle connection's failure surfaces on the next query; unhandled it would end the process.
      pool.on('error', () => {});
      return pool as unknown as PgPoolLike & { end(): Promise<void> };
    })();
    return this.#owned;
  }

  async #query(doing: string, sql: string, params: unknown[]): Promise<PgQueryResult> {
    try {
      return await (await this.#pool()).query(sql, params);
    } catch (error) {
      throw this.#failure(error, doing);
    }
  }

  /** The library's own errors pass as they are; anything from `pg` becomes a ColdStoreError. */
  #failure(error: unknown, doing: string): Error {
    return error instanceof AgentMemoryError ? error : coldStoreError(error, doing, this.#secrets);
  }

  /** Runs `work` in one transaction on one connection of the pool; rolls back on any failure. */
  /**
   * Runs an ANN search on a pooled connection whose session holds the ANN settings it needs
   * (pgvector reads them when the scan starts): set with one statement the first time a
   * connection is used with these values, then the search alone, one round trip. A connection
   * of a pool you gave keeps them (they affect only pgvector scans); if your own code sets
   * `hnsw.*` or `ivfflat.*` on those connections, give the store a pool of its own.
   */
  async #annQuery(sql: string, params: unknown[], ef: number, k: number): Promise<Record<string, unknown>[]> {
    const [settingsSql, settingsParams] =
      this.options.index === 'hnsw'
        ? [
            "SELECT set_config('hnsw.ef_search', $1, false), set_config('hnsw.iterative_scan', 'strict_order', false), set_config('hnsw.max_scan_tuples', $2, false)",
            [String(Math.min(1000, Math.max(ef, k))), String(this.options.maxScanTuples)],
          ]
        : [
            "SELECT set_config('ivfflat.probes', $1, false), set_config('ivfflat.iterative_scan', 'relaxed_order', false)",
            [String(Math.min(this.options.lists, this.options.probes))],
          ];
    return this.#onClient('search', async (client, discard) => {
      const wanted = `${this.options.index} ${settingsParams.join(' ')}`;
      try {
        if (annSettings.get(client) !== wanted) {
          await client.query(settingsSql, settingsParams);
          annSettings.set(client, wanted);
        }
        return (await client.query(sql, params)).rows;
      } catch (error) {
        discard(error as Error); // its settings are unknown now: the pool must not reuse it
        throw error;
      }
    });
  }

  async #transaction<T>(
    doing: string,
    mode: string,
    work: (q: (sql: string, params?: unknown[]) => Promise<PgQueryResult>) => Promise<T>,
  ): Promise<T> {
    return this.#onClient(doing, async (client, discard) => {
      try {
        await client.query(`BEGIN ISOLATION LEVEL ${mode}`);
        const result = await work((sql, params) => client.query(sql, params));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(discard); // the connection is gone or unusable: the pool must not reuse it
        throw error;
      }
    });
  }

  /**
   * Runs `work` on a connection of the pool, returned to it afterwards (discarded when `work`
   * called `discard`); every failure leaves as the store's error (see #failure).
   */
  async #onClient<T>(doing: string, work: (client: PgClientLike, discard: (error: Error) => void) => Promise<T>): Promise<T> {
    let client: PgClientLike;
    try {
      client = await (await this.#pool()).connect();
    } catch (error) {
      throw this.#failure(error, doing);
    }
    let broken: Error | undefined;
    try {
      return await work(client, (error) => {
        broken = error;
      });
    } catch (error) {
      throw this.#failure(error, doing);
    } finally {
      client.release(broken ?? false);
    }
  }

  async #ensureExtension(): Promise<void> {
    const installed = async () =>
      ((await this.#query('ensure', "SELECT extversion FROM pg_extension WHERE extname = 'vector'", [])).rows[0]?.['extversion'] as
        | string
        | undefined) ?? null;
    let version = await installed();
    if (version === null) {
      try {
        await (await this.#pool()).query('CREATE EXTENSION IF NOT EXISTS vector');
      } catch (error) {
        const failure = coldStoreError(error, 'CREATE EXTENSION vector', this.#secrets);
        if (failure.transient) throw failure;
        throw new UnsupportedServerError(
          `PostgreSQL has no usable pgvector extension (${failure.message.replace(/^pgvector cold store: /, '')}). Install pgvector 0.8 or later on the server (Debian/Ubuntu: the postgresql-<version>-pgvector package; from source: github.com/pgvector/pgvector), then CREATE EXTENSION vector as a role allowed to (or let ensure() do it).`,
        );
      }
      version = await installed();
    }
    const [major = 0, minor = 0] = (version ?? '0.0').split('.').map(Number);
    if (major === 0 && minor < 8)
      throw new UnsupportedServerError(
        `pgvector ${version} is installed; the cold store needs 0.8.0 or later (iterative index scans keep filtered searches complete): install it on the server, then ALTER EXTENSION vector UPDATE`,
      );
  }

  #checkColumns(columns: readonly { name: string; type: string }[]): void {
    const o = this.options;
    const found = new Map(columns.map((c) => [c.name, c.type]));
    const foundFields: Record<string, string> = {};
    for (const { name, type } of columns) {
      if ((RESERVED_COLUMNS as readonly string[]).includes(name)) continue;
      if (type === 'text[]') foundFields[name] = 'tag';
      else if (type === 'double precision') foundFields[name] = 'numeric';
    }
    const describe = (fields: Record<string, string>) =>
      Object.entries(fields)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([n, k]) => `${n}:${k}`)
        .join(', ') || 'none';
    const problems: string[] = [];
    const embedding = found.get('embedding');
    if (embedding !== `vector(${o.dim})`) problems.push(`embedding is ${embedding ?? 'missing'}, the store wants vector(${o.dim})`);
    for (const [name, type] of [
      ['id', 'text'],
      ['payload', 'text'],
      ['updated_at', 'timestamp with time zone'],
      ['change_xid', 'xid8'],
    ] as const)
      if (found.get(name) !== type) problems.push(`${name} is ${found.get(name) ?? 'missing'}, the store wants ${type}`);
    if (describe(foundFields) !== describe(o.fields))
      problems.push(`its fields are ${describe(foundFields)}, the store declares ${describe(o.fields)}`);
    if (problems.length > 0)
      throw new IndexMismatchError(
        `the table ${o.schema}.${o.table} exists with another definition: ${problems.join('; ')}. Use another table, or migrate this one (ALTER TABLE) to match.`,
      );
  }

  #createTableSql(): string {
    const fieldColumns = Object.entries(this.#fields).map(
      ([name, kind]) => `${quoteIdentifier(name)} ${kind === 'tag' ? 'text[]' : 'double precision'}`,
    );
    return `CREATE TABLE IF NOT EXISTS ${this.#table} (
      id text PRIMARY KEY,
      embedding vector(${this.options.dim}) NOT NULL,
      ${fieldColumns.map((c) => `${c},`).join('\n      ')}
      payload text NOT NULL DEFAULT '',
      updated_at timestamptz NOT NULL DEFAULT now(),
      change_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
    )`;
  }

  #indexSql(): string[] {
    const { schema, table } = this.options;
    const on = (suffix: string) => `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(objectName(table, suffix))}`;
    const fieldIndexes = Object.entries(this.#fields).map(([name, kind]) =>
      kind === 'tag'
        ? `${on(`${name}_gin`)} ON ${this.#table} USING gin (${quoteIdentifier(name)})`
        : `${on(`${name}_btree`)} ON ${this.#table} (${quoteIdentifier(name)} DESC NULLS LAST, id)`,
    );
    return [
      `${on('change_idx')} ON ${this.#table} (change_xid, id)`,
      `${on('updated_idx')} ON ${this.#table} (updated_at DESC, id)`,
      `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(objectName(`${table}_deleted`, 'change_idx'))} ON ${quoteIdentifier(schema)}.${quoteIdentifier(`${table}_deleted`)} (change_xid, id)`,
      ...fieldIndexes,
    ];
  }

  /** The ANN index on `embedding`: an existing one must match the metric and kind; a missing one is built. */
  async #ensureAnnIndex(q: (sql: string, params?: unknown[]) => Promise<PgQueryResult>): Promise<void> {
    const o = this.options;
    if (o.index === 'none') return;
    const { rows } = await q(
      `SELECT ic.relname AS name, am.amname AS method, opc.opcname AS opclass
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
         JOIN pg_opclass opc ON opc.oid = i.indclass[0]
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = to_regclass($1) AND a.attname = 'embedding' AND am.amname IN ('hnsw', 'ivfflat')`,
      [this.#table],
    );
    const wanted = METRIC_SQL[o.metric].opclass;
    const other = rows.find((r) => r['method'] !== o.index || r['opclass'] !== wanted);
    if (other)
      throw new IndexMismatchError(
        `the table ${o.schema}.${o.table} has the ${other['method']} index ${other['name']} with ${other['opclass']}; the store wants ${o.index} with ${wanted} (metric ${o.metric}). Drop that index, or open the store with its metric and index.`,
      );
    if (rows.length > 0) return;
    const settings = o.index === 'hnsw' ? `m = ${o.m}, ef_construction = ${o.efConstruction}` : `lists = ${o.lists}`;
    await q(
      `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(objectName(o.table, `embedding_${o.index}`))} ON ${this.#table} USING ${o.index} (embedding ${wanted}) WITH (${settings})`,
    );
  }

  /**
   * The trigger functions. `stamp` (before each row written): the change's transaction id and
   * time. `track` (after each statement): a delete leaves a tombstone, an insert (or an update that
   * gives a row a new id) removes the tombstone of its id, so an id is in the table or among the
   * tombstones, never both, and the latest change of an id is the only one recorded. A TRUNCATE
   * tombstones every row first.
   */
  #functionSql(): string[] {
    const { schema, table } = this.options;
    const fn = (name: string) => `${quoteIdentifier(schema)}.${quoteIdentifier(objectName(table, name))}`;
    const tomb = this.#tombstones;
    const bury = (source: string) =>
      `INSERT INTO ${tomb} (id, change_xid, at) SELECT id, pg_current_xact_id(), clock_timestamp() FROM ${source}
         ON CONFLICT (id) DO UPDATE SET change_xid = EXCLUDED.change_xid, at = EXCLUDED.at;`;
    return [
      `CREATE OR REPLACE FUNCTION ${fn('am_stamp')}() RETURNS trigger LANGUAGE plpgsql AS $body$
       BEGIN
         NEW.change_xid := pg_current_xact_id();
         NEW.updated_at := now();
         RETURN NEW;
       END $body$`,
      `CREATE OR REPLACE FUNCTION ${fn('am_track')}() RETURNS trigger LANGUAGE plpgsql AS $body$
       BEGIN
         IF TG_OP = 'INSERT' THEN
           DELETE FROM ${tomb} d USING am_new n WHERE d.id = n.id;
         ELSIF TG_OP = 'UPDATE' THEN
           ${bury('am_old o WHERE NOT EXISTS (SELECT 1 FROM am_new n WHERE n.id = o.id)')}
           DELETE FROM ${tomb} d USING am_new n WHERE d.id = n.id AND NOT EXISTS (SELECT 1 FROM am_old o WHERE o.id = n.id);
         ELSIF TG_OP = 'DELETE' THEN
           ${bury('am_old')}
         ELSIF TG_OP = 'TRUNCATE' THEN
           ${bury(this.#table)}
         END IF;
         RETURN NULL;
       END $body$`,
    ];
  }

  #triggerSql(): [string, string][] {
    const { schema, table } = this.options;
    const fn = (name: string) => `${quoteIdentifier(schema)}.${quoteIdentifier(objectName(table, name))}()`;
    const trigger = (suffix: string, body: string): [string, string] => {
      const name = objectName(table, suffix);
      return [name, `CREATE TRIGGER ${quoteIdentifier(name)} ${body}`];
    };
    return [
      trigger('am_stamp', `BEFORE INSERT OR UPDATE ON ${this.#table} FOR EACH ROW EXECUTE FUNCTION ${fn('am_stamp')}`),
      trigger(
        'am_inserted',
        `AFTER INSERT ON ${this.#table} REFERENCING NEW TABLE AS am_new FOR EACH STATEMENT EXECUTE FUNCTION ${fn('am_track')}`,
      ),
      trigger(
        'am_updated',
        `AFTER UPDATE ON ${this.#table} REFERENCING OLD TABLE AS am_old NEW TABLE AS am_new FOR EACH STATEMENT EXECUTE FUNCTION ${fn('am_track')}`,
      ),
      trigger(
        'am_deleted',
        `AFTER DELETE ON ${this.#table} REFERENCING OLD TABLE AS am_old FOR EACH STATEMENT EXECUTE FUNCTION ${fn('am_track')}`,
      ),
      trigger('am_truncated', `BEFORE TRUNCATE ON ${this.#table} FOR EACH STATEMENT EXECUTE FUNCTION ${fn('am_track')}`),
    ];
  }

  /** One item as the bound values of its row (id, vector, payload, fields), checked. */
  #row(input: unknown, index: number): unknown[] {
    const what = `items.${index}`;
    const item = parseInput(this.#itemSchema, input, what);
    const vector = toFloat32(item.vector, this.options.dim, `vector of item ${item.id}`);
    const values: unknown[] = [item.id, vectorText(vector), item.payload];
    for (const [name, kind] of Object.entries(this.#fields)) {
      if (kind === 'numeric') {
        values.push(item.numbers?.[name] ?? null);
        continue;
      }
      const tags = item.tags?.[name];
      if (tags === undefined) {
        values.push(null);
        continue;
      }
      tags.forEach((tag, i) => {
        const problem =
          tag === ''
            ? null
            : (tagValueProblem(tag) ?? (tag.includes('\u0000') ? 'must not contain U+0000 (PostgreSQL text cannot hold it)' : null));
        if (problem) throw new InvalidArgumentError(what, [{ path: `tags.${name}.${i}`, message: problem }]);
      });
      // Empty values are not indexed on any engine: no filter can ask for one.
      values.push(tags.filter((t) => t !== ''));
    }
    return values;
  }

  #item(r: ItemRow): ColdItem {
    const item: ColdItem = { id: r.id, payload: r.payload, updatedAt: Math.floor(Number(r._updated_ms)) };
    for (const [name, kind] of Object.entries(this.#fields)) {
      const v = r[name];
      if (v === null || v === undefined) continue;
      if (kind === 'tag') item.tags = { ...item.tags, [name]: v as string[] };
      else item.numbers = { ...item.numbers, [name]: Number(v) };
    }
    if (typeof r._embedding === 'string') item.vector = parseVector(r._embedding);
    return item;
  }
}

const numericFields = (fields: FieldSchema): string[] => Object.keys(fields).filter((f) => fields[f] === 'numeric');

/** Ids PostgreSQL text can hold (one with U+0000 cannot be stored, so it is not there). */
const storableIds = (ids: readonly string[]): string[] => ids.filter((id) => !id.includes('\u0000'));

/** The password of a connection string (raw and decoded), to cut out of messages. */
function passwordOf(connectionString: string): string[] {
  try {
    const url = new URL(connectionString);
    return url.password ? [url.password, decodeURIComponent(url.password)] : [];
  } catch {
    return [];
  }
}

/** What an item must look like for a store with these fields. */
function itemSchemaOf(fields: FieldSchema) {
  const tagNames = Object.keys(fields).filter((f) => fields[f] === 'tag');
  const numberNames = numericFields(fields);
  const known = (names: string[]) =>
    z
      .string()
      .refine((n) => names.includes(n), { message: `is not a declared field of that kind (declared: ${names.join(', ') || 'none'})` });
  return z
    .object({
      id: ItemIdSchema,
      vector: z.custom<ArrayLike<number>>((v) => Array.isArray(v) || ArrayBuffer.isView(v), 'must be an array of numbers'),
      tags: jsonRecordSchema(known(tagNames), z.array(z.string()).max(1000)).optional(),
      numbers: jsonRecordSchema(known(numberNames), z.number().refine(Number.isFinite, 'must be a finite number')).optional(),
      payload: z.string().refine((p) => !p.includes('\u0000'), 'must not contain U+0000 (PostgreSQL text cannot hold it)'),
      updatedAt: z.number().optional(),
    })
    .strict();
}
