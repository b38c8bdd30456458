// The redisearch engine: one Redis Query Engine index per namespace over the shared item hashes, KNN and radius queries server-side.
// Never put a caller's string in a query: the scope is always ANDed in as a hex TAG token; filters come only from compileToRediSearch.
import { z } from 'zod';
import type { RedisArgument } from 'redis';
import type { RedisConnection } from '../../connection/connect.js';
import { InvalidArgumentError, RedisCommandError, UnsupportedServerError } from '../../errors.js';
import type { Keyspace } from '../../keys.js';
import { parseInput } from '../../validate.js';
import { ensureDefinition } from '../definition.js';
import { FilterSchema, compileToRediSearch, formatNumber, numField, parseFilter, tagField, type Filter } from '../filter.js';
import { TAG_SEPARATOR, bytesToVector, scoreFromDistance, toFloat32, vectorBytes } from '../items.js';
import { ScopeStoreIndex } from '../scope-store.js';
import type { Hit, Metric, QueryOptions, ResolvedIndexDefinition, Scope } from '../types.js';

/** The name a query yields the vector distance under (KNN `AS`, range `$YIELD_DISTANCE_AS`). */
export const DISTANCE_FIELD = '__score';

/** The TAG field holding an item's scope token; every query is ANDed with it. */
export const SCOPE_FIELD = '_scope';

/** HNSW EF_RUNTIME of an `exact` query: large enough to visit every candidate of a typical scope. */
export const EXACT_EF_RUNTIME = 4096;

/** The version suffix of the first physical index behind a namespace's alias. */
export const FIRST_INDEX_VERSION = 1;

const METRIC_NAME = { cosine: 'COSINE', ip: 'IP', l2: 'L2' } as const satisfies Record<Metric, string>;

/** The names of a namespace's index: the alias queries use, and the versioned index behind it. */
export interface RediSearchIndexNames {
  /** What queries name, e.g. `am:idx:memories`; a migration re-points it with FT.ALIASUPDATE. */
  alias: string;
  /** The physical index of a version, e.g. `am:idx:memories:v1`. */
  version(n: number): string;
}

/**
 * The index names of a namespace under a keyspace's prefix.
 *
 * @example indexNames(new Keyspace('am'), 'memories').alias // 'am:idx:memories'
 */
export function indexNames(keyspace: Keyspace, namespace: string): RediSearchIndexNames {
  const alias = `${keyspace.prefix}:idx:${namespace}`;
  return { alias, version: (n) => `${alias}:v${n}` };
}

/**
 * FT.CREATE arguments for a definition: hashes under `prefix`, the scope TAG, the float32 vector,
 * and each declared field as `t_<f>` TAG (separator `|`) or `n_<f>` NUMERIC. The payload `p` is
 * not indexed; FT.SEARCH RETURN reads it from the hash.
 *
 * @example buildCreateIndexArgs(def, 'am:idx:memories:v1', 'am:ltm:memories:')
 */
export function buildCreateIndexArgs(definition: ResolvedIndexDefinition, indexName: string, prefix: string): string[] {
  const vectorAttributes = ['TYPE', 'FLOAT32', 'DIM', String(definition.dim), 'DISTANCE_METRIC', METRIC_NAME[definition.metric]];
  if (definition.algorithm === 'hnsw') {
    vectorAttributes.push('M', String(definition.m), 'EF_CONSTRUCTION', String(definition.efConstruction), 'EF_RUNTIME', String(definition.efRuntime));
  }
  const args = ['FT.CREATE', indexName, 'ON', 'HASH', 'PREFIX', '1', prefix, 'SCHEMA', SCOPE_FIELD, 'TAG'];
  args.push('v', 'VECTOR', definition.algorithm.toUpperCase(), String(vectorAttributes.length), ...vectorAttributes);
  for (const [name, kind] of Object.entries(definition.fields)) {
    if (kind === 'tag') args.push(tagField(name), 'TAG', 'SEPARATOR', TAG_SEPARATOR);
    else args.push(numField(name), 'NUMERIC');
  }
  return args;
}

/** The pre-filter of every query: the scope's token, ANDed with the compiled filter if any. */
function scopedFilter(scopeToken: string, filter: Filter | undefined): string {
  if (!/^[0-9a-f]+$/.test(scopeToken)) throw new InvalidArgumentError('scope', [{ path: 'token', message: 'must be lowercase hex (build scopes with Keyspace.memoryScope)' }]);
  const scope = `@${SCOPE_FIELD}:{${scopeToken}}`;
  return filter ? `${scope} ${compileToRediSearch(filter)}` : scope;
}

/**
 * FT.SEARCH arguments for the `k` nearest items of one scope (DIALECT 2, pre-filtered), sorted by
 * distance. `ef` is the HNSW EF_RUNTIME; pass undefined for a FLAT index, which takes none.
 *
 * @example buildKnnSearchArgs('am:idx:memories', scope.token, { field: 'lang', eq: 'en' }, 5, 200, bytes)
 */
export function buildKnnSearchArgs(indexName: string, scopeToken: string, filter: Filter | undefined, k: number, ef: number | undefined, vector: Buffer, withVectors = false): RedisArgument[] {
  const efClause = ef === undefined ? '' : ' EF_RUNTIME $ef';
  const query = `(${scopedFilter(scopeToken, filter)})=>[KNN $k @v $vec${efClause} AS ${DISTANCE_FIELD}]`;
  const params: RedisArgument[] = ['k', String(k), 'vec', vector, ...(ef === undefined ? [] : ['ef', String(ef)])];
  return [
    'FT.SEARCH', indexName, query,
    'PARAMS', String(params.length), ...params,
    ...(withVectors ? ['RETURN', '3', 'p', DISTANCE_FIELD, 'v'] : ['RETURN', '2', 'p', DISTANCE_FIELD]),
    'SORTBY', DISTANCE_FIELD, 'ASC',
    'LIMIT', '0', String(k),
    'DIALECT', '2',
  ];
}

/**
 * FT.SEARCH arguments for every item of one scope within `radius` of a vector (VECTOR_RANGE, in
 * the metric's distance: cosine 1 − cos, IP 1 − dot, L2 squared), closest first, at most `limit`.
 *
 * @example buildRangeSearchArgs('am:idx:memories', scope.token, undefined, 0.2, bytes, 100)
 */
export function buildRangeSearchArgs(indexName: string, scopeToken: string, filter: Filter | undefined, radius: number, vector: Buffer, limit: number): RedisArgument[] {
  const range = `@v:[VECTOR_RANGE $radius $vec]=>{$YIELD_DISTANCE_AS: ${DISTANCE_FIELD}}`;
  const query = `(${range} ${scopedFilter(scopeToken, filter)})`;
  return [
    'FT.SEARCH', indexName, query,
    'PARAMS', '4', 'radius', formatNumber(radius), 'vec', vector,
    'RETURN', '2', 'p', DISTANCE_FIELD,
    'SORTBY', DISTANCE_FIELD, 'ASC',
    'LIMIT', '0', String(limit),
    'DIALECT', '2',
  ];
}

/** FT.ALIASADD (a new alias) or FT.ALIASUPDATE (re-point an alias, as a migration does). */
export function buildAliasArgs(mode: 'add' | 'update', alias: string, indexName: string): string[] {
  return [mode === 'add' ? 'FT.ALIASADD' : 'FT.ALIASUPDATE', alias, indexName];
}

/** FT.DROPINDEX without DD: the index goes, the item hashes (shared by every version) stay. */
export function buildDropIndexArgs(indexName: string): string[] {
  return ['FT.DROPINDEX', indexName];
}

// ——— Replies ———

const text = (value: unknown): string | null => {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
};

/** A RESP3 map (object or Map) or a RESP2 flat [k, v, k, v] array as entries; null otherwise. */
function entriesOf(value: unknown): [string, unknown][] | null {
  if (value instanceof Map) return [...value.entries()].map(([k, v]) => [String(text(k)), v]);
  if (Array.isArray(value)) {
    const out: [string, unknown][] = [];
    for (let i = 0; i + 1 < value.length; i += 2) out.push([String(text(value[i])), value[i + 1]]);
    return out;
  }
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) return Object.entries(value);
  return null;
}

const fieldOf = (entries: [string, unknown][] | null, name: string): unknown => entries?.find(([k]) => k === name)?.[1];

/** One result row as a hit; null when it is not an item or its document is gone (expired while read). */
function toHit(key: string | null, fields: [string, unknown][] | null, metric: Metric): Hit | null {
  if (key === null || fields === null) return null;
  const at = key.lastIndexOf(':i:');
  const payload = text(fieldOf(fields, 'p'));
  const distance = Number(text(fieldOf(fields, DISTANCE_FIELD)) ?? NaN);
  if (at < 0 || payload === null || Number.isNaN(distance)) return null;
  const hit: Hit = { id: key.slice(at + 3), score: scoreFromDistance(metric, distance), payload };
  const vector = fieldOf(fields, 'v');
  if (Buffer.isBuffer(vector)) hit.vector = Array.from(bytesToVector(vector));
  return hit;
}

/**
 * Hits of an FT.SEARCH reply that RETURNed `p` and the distance (and `v`, read as a Buffer, for
 * `withVectors`), in the server's order. Accepts the
 * RESP2 shape `[total, key, [field, value, …], …]` and the RESP3 map `{ total_results, results:
 * [{ id, extra_attributes: { … } }] }` (object or Map). Rows whose document expired (null fields)
 * are left out; distances become scores with `scoreFromDistance`.
 *
 * @example parseSearchReply([1, 'am:ltm:n:{t:u}:i:m1', ['p', '"x"', '__score', '0']], 'cosine') // [{ id: 'm1', score: 1, payload: '"x"' }]
 */
export function parseSearchReply(reply: unknown, metric: Metric): Hit[] {
  const hits: Hit[] = [];
  if (Array.isArray(reply)) {
    for (let i = 1; i + 1 < reply.length; i += 2) {
      const hit = toHit(text(reply[i]), entriesOf(reply[i + 1]), metric);
      if (hit) hits.push(hit);
    }
    return hits;
  }
  const results = fieldOf(entriesOf(reply), 'results');
  if (!Array.isArray(results)) return hits;
  for (const row of results) {
    const entries = entriesOf(row);
    const hit = toHit(text(fieldOf(entries, 'id')), entriesOf(fieldOf(entries, 'extra_attributes') ?? null), metric);
    if (hit) hits.push(hit);
  }
  return hits;
}

/**
 * The radius of a range query returning every item scoring at least `minScore` (the inverse of
 * `scoreFromDistance`): Infinity when every item does, null when none can.
 *
 * @example radiusForScore('cosine', 0.9) // 0.2 (cosine distance)
 */
export function radiusForScore(metric: Metric, minScore: number): number | null {
  if (metric === 'ip') return 1 - minScore;
  if (minScore > 1) return null; // cosine and L2 scores never exceed 1
  if (metric === 'cosine') return minScore <= 0 ? Infinity : 2 * (1 - minScore);
  return minScore <= 0 ? Infinity : (1 / minScore - 1) ** 2;
}

/** Options of {@link RediSearchIndex.queryWithin}. */
export const RangeQueryOptionsSchema = z
  .object({
    /** The lowest score (same scale as hits) an item may have to be returned. */
    minScore: z.number().refine(Number.isFinite, 'must be a finite number'),
    filter: FilterSchema.optional(),
    /** At most this many hits, closest first. Default 100. */
    limit: z.number().int().min(1).max(10_000).default(100),
  })
  .strict();
export type RangeQueryOptions = z.input<typeof RangeQueryOptionsSchema>;

// ——— The engine ———

const isUnknownIndex = (error: unknown) => error instanceof RedisCommandError && /unknown index name|no such index/i.test(error.message);
const isUnknownCommand = (error: unknown) => error instanceof RedisCommandError && /unknown command/i.test(error.message);
const isAlreadyExists = (error: unknown) => error instanceof RedisCommandError && /already exists/i.test(error.message);

/**
 * A VectorIndex on the Redis Query Engine: items are the same hashes as every engine's (see
 * ScopeStore), indexed by one FT index per namespace, queried with FT.SEARCH through an alias.
 *
 * @example const index = new RediSearchIndex(connection, new Keyspace('am'), IndexDefinitionSchema.parse({ namespace: 'memories', dim: 1536 }));
 */
export class RediSearchIndex extends ScopeStoreIndex {
  readonly engine = 'redisearch';
  readonly #names: RediSearchIndexNames;

  constructor(connection: RedisConnection, keyspace: Keyspace, definition: ResolvedIndexDefinition) {
    super(connection, keyspace, definition, { vectorInHash: true, vectorSet: false });
    this.#names = indexNames(keyspace, definition.namespace);
  }

  /** The alias every query of this index names. */
  get indexName(): string {
    return this.#names.alias;
  }

  async ensure(): Promise<void> {
    // Probe first, so that a server without the module never gets a definition claiming this engine.
    const exists = await this.#indexExists();
    await ensureDefinition(this.connection, this.definitionKey, this.definition, this.engine);
    if (exists) return;
    const physical = this.#names.version(FIRST_INDEX_VERSION);
    await this.#sendTolerating(buildCreateIndexArgs(this.definition, physical, this.namespacePrefix), isAlreadyExists);
    await this.#sendTolerating(buildAliasArgs('add', this.#names.alias, physical), isAlreadyExists);
  }

  async query(scope: Scope, vector: ArrayLike<number>, options: QueryOptions): Promise<Hit[]> {
    const bytes = vectorBytes(toFloat32(vector, this.definition.dim, 'query vector'));
    const k = Math.floor(options.k);
    if (k < 1) return [];
    const withVectors = options.withVectors === true;
    const args = buildKnnSearchArgs(this.#names.alias, scope.token, options.filter, k, this.#efRuntime(k, options), bytes, withVectors);
    // With vectors the reply carries raw float32 bytes: read it as Buffers (parseSearchReply decodes text fields).
    return parseSearchReply(await this.#send(args, withVectors), this.definition.metric);
  }

  /**
   * Every item of a scope scoring at least `minScore` (a VECTOR_RANGE query), closest first.
   *
   * @example await index.queryWithin(scope, vector, { minScore: 0.9, limit: 20 })
   */
  async queryWithin(scope: Scope, vector: ArrayLike<number>, options: RangeQueryOptions): Promise<Hit[]> {
    const { minScore, filter, limit } = parseInput(RangeQueryOptionsSchema, options, 'range query options');
    if (filter) parseFilter(filter, this.definition.fields);
    const radius = radiusForScore(this.definition.metric, minScore);
    if (radius === Infinity) return this.query(scope, vector, { k: limit, filter });
    const bytes = vectorBytes(toFloat32(vector, this.definition.dim, 'query vector'));
    if (radius === null) return [];
    const args = buildRangeSearchArgs(this.#names.alias, scope.token, filter, radius, bytes, limit);
    return parseSearchReply(await this.#send(args), this.definition.metric);
  }

  /** FLAT takes no EF_RUNTIME (it is exact); HNSW gets the query's, or a high one when exact. */
  #efRuntime(k: number, options: QueryOptions): number | undefined {
    if (this.definition.algorithm === 'flat') return undefined;
    const ef = options.exact ? EXACT_EF_RUNTIME : (options.ef ?? this.definition.efRuntime);
    return Math.max(ef, k);
  }

  async #indexExists(): Promise<boolean> {
    try {
      await this.#send(['FT.INFO', this.#names.alias]);
      return true;
    } catch (error) {
      if (isUnknownIndex(error)) return false;
      if (isUnknownCommand(error)) {
        throw new UnsupportedServerError(
          `the redisearch engine needs the Redis Query Engine (the search module: Redis Stack, Redis 8 with search, or Azure Managed Redis with RediSearch); ${this.connection.endpoint} does not know FT.INFO. Use the vectorset or flat engine.`,
        );
      }
      throw error;
    }
  }

  async #sendTolerating(args: readonly RedisArgument[], tolerated: (error: unknown) => boolean): Promise<void> {
    try {
      await this.#send(args);
    } catch (error) {
      if (!tolerated(error)) throw error; // another process created it first
    }
  }

  #send(args: readonly RedisArgument[], buffers = false): Promise<unknown> {
    return this.connection.send(args, { key: this.#names.alias, buffers });
  }
}
