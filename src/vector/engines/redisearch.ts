// The redisearch engine: one Redis Query Engine index per namespace over the shared item hashes, KNN and radius queries server-side.
// Never put a caller's string in a query: the scope is always ANDed in as a hex TAG token; filters come only from compileToRediSearch.
import { z } from 'zod';
import type { RedisArgument } from '@redis/client';
import type { RedisConnection } from '../../connection/connect.js';
import { IndexBuildingError, InvalidArgumentError, QueryTimeoutError, RedisCommandError, UnsupportedServerError } from '../../errors.js';
import type { Keyspace } from '../../keys.js';
import { parseInput } from '../../validate.js';
import { dropDefinition, ensureDefinition } from '../definition.js';
import { FilterSchema, compileToRediSearch, formatNumber, numField, parseFilter, tagField, type Filter } from '../filter.js';
import { TAG_SEPARATOR, bytesToVector, scoreFromDistance, toFloat32, vectorBytes } from '../items.js';
import { ScopeStoreIndex } from '../scope-store.js';
import { markPartial, type EnsureOptions, type Hit, type IndexingState, type Metric, type QueryOptions, type ResolvedIndexDefinition, type Scope } from '../types.js';

/** The name a query yields the vector distance under (KNN `AS`, range `$YIELD_DISTANCE_AS`). */
export const DISTANCE_FIELD = '__score';

/** The TAG field holding an item's scope token; every query is ANDed with it. */
export const SCOPE_FIELD = '_scope';

/**
 * What an `exact` query on HNSW asks instead of an EF_RUNTIME: the KNN runs as ad-hoc brute force
 * (HYBRID_POLICY ADHOC_BF), scoring every item that passes the scope and filter, however many.
 */
export const EXACT = 'exact';

/** The warning (RESP3 `warning`) or error (ON_TIMEOUT FAIL) of a query the server's time limit stopped. */
export const TIMEOUT_WARNING = 'Timeout limit was reached';

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
 * distance. `ef` is the HNSW EF_RUNTIME; `'exact'` scores every candidate (HYBRID_POLICY
 * ADHOC_BF, no EF_RUNTIME); undefined for a FLAT index, which takes neither.
 *
 * @example buildKnnSearchArgs('am:idx:memories', scope.token, { field: 'lang', eq: 'en' }, 5, 200, bytes)
 */
export function buildKnnSearchArgs(indexName: string, scopeToken: string, filter: Filter | undefined, k: number, ef: number | typeof EXACT | undefined, vector: Buffer, withVectors = false): RedisArgument[] {
  const efClause = ef === undefined ? '' : ef === EXACT ? ' HYBRID_POLICY ADHOC_BF' : ' EF_RUNTIME $ef';
  const query = `(${scopedFilter(scopeToken, filter)})=>[KNN $k @v $vec${efClause} AS ${DISTANCE_FIELD}]`;
  const params: RedisArgument[] = ['k', String(k), 'vec', vector, ...(typeof ef === 'number' ? ['ef', String(ef)] : [])];
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

/** FT.ALIASDEL: the alias goes, the index it named stays. */
export function buildAliasDelArgs(alias: string): string[] {
  return ['FT.ALIASDEL', alias];
}

/**
 * The commands that remove a namespace's index: its alias, then the physical index the alias
 * named (`current`, from FT.INFO's `index_name`) and the first version, each once. Only names of
 * this namespace (`<alias>:v<n>`) are dropped, never another index an alias was pointed at.
 *
 * @example buildDropNamespaceCommands(indexNames(new Keyspace('am'), 'm'), 'am:idx:m:v2') // ALIASDEL, DROPINDEX v2, DROPINDEX v1
 */
export function buildDropNamespaceCommands(names: RediSearchIndexNames, current: string | null): string[][] {
  const ours = (name: string) => name.startsWith(`${names.alias}:v`) && /^\d+$/.test(name.slice(names.alias.length + 2));
  const physical = [...new Set([current, names.version(FIRST_INDEX_VERSION)])].filter((n): n is string => n !== null && ours(n));
  return [buildAliasDelArgs(names.alias), ...physical.map(buildDropIndexArgs)];
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
 * What an FT.SEARCH reply says besides its rows: the RESP3 map's `warning` array (RediSearch
 * reports a query its time limit stopped under the `return` policy as `Timeout limit was reached`
 * there, with the rows found so far). A RESP2 reply carries no warnings: the library's connections
 * speak RESP3, and a RESP2 reply reads as complete.
 *
 * @example searchWarnings({ total_results: 0, results: [], warning: ['Timeout limit was reached'] }) // ['Timeout limit was reached']
 */
export function searchWarnings(reply: unknown): string[] {
  if (Array.isArray(reply)) return [];
  const entries = entriesOf(reply);
  const warning = fieldOf(entries, 'warning') ?? fieldOf(entries, 'warnings');
  if (!Array.isArray(warning)) return warning === undefined || warning === null ? [] : [String(text(warning))].filter((w) => w !== 'null');
  return warning.map((w) => text(w)).filter((w): w is string => w !== null && w !== '');
}

/** True for a reply warning or error message of a query the server's time limit stopped. */
export const isTimeoutMessage = (message: string): boolean => /timeout limit was reached/i.test(message);

/**
 * The hits of an FT.SEARCH reply, or QueryTimeoutError when the server's time limit stopped the
 * query (its rows may be missing better items), unless `allowPartial`: then the hits come back
 * marked partial (see isPartial).
 *
 * @example searchOutcome(reply, 'cosine', { allowPartial: false, index: 'am:idx:memories' })
 */
export function searchOutcome(reply: unknown, metric: Metric, options: { allowPartial: boolean; index: string }): Hit[] {
  const hits = parseSearchReply(reply, metric);
  const timedOut = searchWarnings(reply).some(isTimeoutMessage);
  if (!timedOut) return hits;
  if (options.allowPartial) return markPartial(hits);
  throw new QueryTimeoutError(
    `the RediSearch query on ${options.index} reached the server's time limit (search-timeout) and returned ${hits.length === 0 ? 'no results' : `only ${hits.length} result(s) found so far`}: it is not read as an answer. Retry, raise search-timeout, or ask fewer results.`,
  );
}

/** FT.INFO's indexing progress, from a RESP2 flat array or a RESP3 map (numbers as numbers or strings). */
export function parseIndexingState(reply: unknown): IndexingState {
  const entries = entriesOf(reply);
  const num = (name: string, fallback: number): number => {
    const raw = fieldOf(entries, name);
    const value = typeof raw === 'boolean' ? Number(raw) : Number(text(raw) ?? NaN);
    return Number.isFinite(value) ? value : fallback;
  };
  const indexing = num('indexing', 0) !== 0;
  return { indexing, percentIndexed: num('percent_indexed', indexing ? 0 : 1), numDocs: num('num_docs', 0), failures: num('hash_indexing_failures', 0) };
}

/** True when an index covers every key that existed before it: queries see all of them. */
export const isIndexReady = (state: IndexingState): boolean => !state.indexing && state.percentIndexed >= 1;

/**
 * Reads the indexing state until the index is ready (returns the last state), calling
 * `onProgress` with each state read, and throws IndexBuildingError once `deadlineMs` has passed.
 * Polls every 50 ms at first, backing off to once a second.
 *
 * @example await waitForIndexing(() => index.indexingState(), { deadlineMs: 60_000, name: 'am:idx:memories' })
 */
export async function waitForIndexing(
  read: () => Promise<IndexingState>,
  options: { deadlineMs: number; name: string; first?: IndexingState | undefined; onProgress?: ((state: IndexingState) => void) | undefined; sleep?: (ms: number) => Promise<void>; now?: () => number },
): Promise<IndexingState> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + options.deadlineMs;
  let state = options.first ?? (await read());
  for (let attempt = 0; ; attempt++) {
    options.onProgress?.(state);
    if (isIndexReady(state)) return state;
    const left = deadline - now();
    if (left <= 0) {
      throw new IndexBuildingError(
        `index ${options.name} is still being built over existing keys (${(state.percentIndexed * 100).toFixed(1)}% indexed, ${state.numDocs} documents) after ${options.deadlineMs} ms: queries would miss the rest. It keeps building on the server; retry later, or allow a longer indexingDeadlineMs.`,
      );
    }
    await sleep(Math.min(left, 50 * 2 ** Math.min(attempt, 5), 1000));
    state = await read();
  }
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

/** Options of {@link RediSearchIndex.ensure} (see EnsureOptions). */
export const EnsureOptionsSchema = z
  .object({
    waitForIndexing: z.boolean().default(true),
    indexingDeadlineMs: z.number().int().min(0).max(86_400_000).default(60_000),
    onIndexingProgress: z.custom<(state: IndexingState) => void>((v) => typeof v === 'function', 'must be a function').optional(),
  })
  .strict();

// ——— The engine ———

const isUnknownIndex = (error: unknown) => error instanceof RedisCommandError && /unknown index name|no such index/i.test(error.message);
const isUnknownCommand = (error: unknown) => error instanceof RedisCommandError && /unknown command/i.test(error.message);
const isAlreadyExists = (error: unknown) => error instanceof RedisCommandError && /already exists/i.test(error.message);
const isUnknownAlias = (error: unknown) => error instanceof RedisCommandError && /alias does not exist|unknown index name|no such index/i.test(error.message);

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

  /**
   * Creates the index (and its alias) or checks the stored definition; then, unless told not to,
   * waits until an index built over keys that existed before it covers them (FT.INFO), so that
   * the first queries do not read "nothing" while the server is still indexing.
   */
  async ensure(options: EnsureOptions = {}): Promise<void> {
    const o = parseInput(EnsureOptionsSchema, options, 'ensure options');
    // Probe first, so that a server without the module never gets a definition claiming this engine.
    const info = await this.#info();
    await ensureDefinition(this.connection, this.definitionKey, this.definition, this.engine);
    if (info === null) {
      const physical = this.#names.version(FIRST_INDEX_VERSION);
      await this.#sendTolerating(buildCreateIndexArgs(this.definition, physical, this.namespacePrefix), isAlreadyExists);
      await this.#sendTolerating(buildAliasArgs('add', this.#names.alias, physical), isAlreadyExists);
    }
    if (!o.waitForIndexing) return;
    await waitForIndexing(() => this.indexingState(), {
      deadlineMs: o.indexingDeadlineMs,
      name: this.#names.alias,
      first: info === null ? undefined : parseIndexingState(info),
      onProgress: o.onIndexingProgress,
    });
  }

  /** How far the index is built over the keys that existed before it (FT.INFO). */
  async indexingState(): Promise<IndexingState> {
    return parseIndexingState(await this.#send(['FT.INFO', this.#names.alias]));
  }

  /**
   * Drops the namespace's alias and index (FT.ALIASDEL, FT.DROPINDEX without DD: items are left
   * for dropScope) and its stored definition. Only names this library gave: the alias and its
   * `:v<n>` versions. Already gone is fine. On a cluster FT.* go to any node (the coordinator
   * broadcasts them).
   */
  override async dropIndex(): Promise<void> {
    const info = await this.#info().catch((error: unknown) => {
      if (error instanceof UnsupportedServerError) return null;
      throw error;
    });
    const current = info === null ? null : text(fieldOf(entriesOf(info), 'index_name'));
    for (const command of buildDropNamespaceCommands(this.#names, current)) await this.#sendTolerating(command, isUnknownAlias);
    await dropDefinition(this.connection, this.definitionKey);
  }

  async query(scope: Scope, vector: ArrayLike<number>, options: QueryOptions): Promise<Hit[]> {
    const bytes = vectorBytes(toFloat32(vector, this.definition.dim, 'query vector'));
    const k = Math.floor(options.k);
    if (k < 1) return [];
    const withVectors = options.withVectors === true;
    const args = buildKnnSearchArgs(this.#names.alias, scope.token, options.filter, k, this.#efRuntime(k, options), bytes, withVectors);
    // With vectors the reply carries raw float32 bytes: read it as Buffers (parseSearchReply decodes text fields).
    return this.store.keepLive(scope, await this.#search(args, withVectors, options.allowPartial === true));
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
    return this.store.keepLive(scope, await this.#search(args, false, false));
  }

  /** FLAT takes no EF_RUNTIME (it is exact); HNSW gets the query's, or brute force when exact. */
  #efRuntime(k: number, options: QueryOptions): number | typeof EXACT | undefined {
    if (this.definition.algorithm === 'flat') return undefined;
    if (options.exact) return EXACT;
    return Math.max(options.ef ?? this.definition.efRuntime, k);
  }

  /** Runs an FT.SEARCH; a query the server's time limit stopped is QueryTimeoutError (policy `return` or `fail`). */
  async #search(args: readonly RedisArgument[], buffers: boolean, allowPartial: boolean): Promise<Hit[]> {
    let reply: unknown;
    try {
      reply = await this.#send(args, buffers);
    } catch (error) {
      if (error instanceof RedisCommandError && isTimeoutMessage(error.message)) {
        throw new QueryTimeoutError(`the RediSearch query on ${this.#names.alias} reached the server's time limit (search-timeout, policy fail). Retry, raise search-timeout, or ask fewer results.`, { cause: error });
      }
      throw error;
    }
    return searchOutcome(reply, this.definition.metric, { allowPartial, index: this.#names.alias });
  }

  /** FT.INFO of the alias; null when there is no such index. */
  async #info(): Promise<unknown> {
    try {
      return (await this.#send(['FT.INFO', this.#names.alias])) ?? {};
    } catch (error) {
      if (isUnknownIndex(error)) return null;
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
