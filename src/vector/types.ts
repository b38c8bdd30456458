// The small interface every vector engine implements (redisearch, vectorset, flat), and the shapes
// it takes and returns. Callers never see an engine's commands; one conformance suite
// (test/vector/conformance.ts) holds every engine to the same behaviour.
import { z } from 'zod';
import type { RedisConnection } from '../connection/connect.js';
import { FieldNameSchema, type Filter } from './filter.js';

const MetricSchema = z.enum(['cosine', 'ip', 'l2']);
export type Metric = z.infer<typeof MetricSchema>;

/** What an index holds; stored with the index, and a mismatch on reopening is a typed error. */
export const IndexDefinitionSchema = z
  .object({
    /** The namespace: part of every key and of the RediSearch index name. */
    namespace: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'may contain only letters, digits, _ and - (1 to 64)'),
    dim: z.number().int().min(1).max(32_768),
    metric: MetricSchema.default('cosine'),
    /** Filterable metadata fields and their kind. */
    fields: z.record(FieldNameSchema, z.enum(['tag', 'numeric'])).default({}),
    /** RediSearch: `hnsw` (default) or `flat` (exact). */
    algorithm: z.enum(['hnsw', 'flat']).default('hnsw'),
    /** HNSW graph degree (RediSearch M, vector sets M). Default 16. */
    m: z.number().int().min(2).max(512).default(16),
    /** HNSW build effort. Default 200. */
    efConstruction: z.number().int().min(1).max(4096).default(200),
    /** HNSW query effort (RediSearch EF_RUNTIME, vector sets EF). Default 200. */
    efRuntime: z.number().int().min(1).max(4096).default(200),
    /** Vector sets: `noquant` (float32, default), `q8` (int8) or `bin`. */
    quantization: z.enum(['noquant', 'q8', 'bin']).default('noquant'),
  })
  .strict();
export type IndexDefinition = z.input<typeof IndexDefinitionSchema>;
export type ResolvedIndexDefinition = z.output<typeof IndexDefinitionSchema>;

/** One item to store: its vector, filterable values, and an opaque payload returned with hits. */
export interface VectorItem {
  id: string;
  vector: ArrayLike<number>;
  tags?: Record<string, readonly string[]>;
  numbers?: Record<string, number>;
  payload: string;
  /** Absolute expiry in ms since the epoch; the item is never returned after it. */
  expiresAt?: number | undefined;
}

export interface QueryOptions {
  k: number;
  filter?: Filter | undefined;
  /**
   * Exact search: every item of the scope (that passes the filter) is scored. Vector sets: TRUTH;
   * RediSearch: FLAT is always exact, HNSW runs the KNN as ad-hoc brute force over the scope; flat
   * is always exact. Costs a scan of the scope.
   */
  exact?: boolean | undefined;
  /**
   * RediSearch: when the server's query time limit cuts the query short, return what it found
   * (the array is then marked, see {@link isPartial}) instead of throwing QueryTimeoutError.
   * Default false. Never set it where a missing hit changes a decision (deduplication, a cache).
   */
  allowPartial?: boolean | undefined;
  /** HNSW search effort for this query. */
  ef?: number | undefined;
  /** Return each hit's stored vector too (for maximal marginal relevance and re-ranking). */
  withVectors?: boolean | undefined;
}

/** Progress of a bulk write, reported after each chunk. */
export interface BulkProgress {
  /** Items written so far (live, whole). */
  written: number;
  /** Items in the call. */
  total: number;
}

/** Options of {@link VectorIndex.upsertMany}. */
export const BulkUpsertOptionsSchema = z
  .object({
    /** Items per pipelined chunk; progress is reported, and a failure surfaces, per chunk. Default 500. */
    chunkSize: z.number().int().min(1).max(10_000).default(500),
    /** Called after each chunk with the items written so far. */
    onProgress: z.custom<(progress: BulkProgress) => void>((v) => typeof v === 'function').optional(),
  })
  .strict();
export type BulkUpsertOptions = z.input<typeof BulkUpsertOptionsSchema>;
export type ResolvedBulkOptions = z.output<typeof BulkUpsertOptionsSchema>;

export interface Hit {
  id: string;
  /** Similarity in [0, 1] for cosine (1 identical), higher is closer for every metric. */
  score: number;
  payload: string;
  /** The stored vector, when the query asked `withVectors` (vector sets: as VEMB returns it, quantization applied). */
  vector?: number[];
}

const partialAnswers = new WeakSet<readonly Hit[]>();

/** Marks hits as a partial answer (the engine stopped early); returns them. */
export function markPartial<T extends readonly Hit[]>(hits: T): T {
  partialAnswers.add(hits);
  return hits;
}

/**
 * True when a query's hits are a partial answer: asked with `allowPartial`, the server's time
 * limit stopped the query early, so better items may exist than those returned.
 *
 * @example const hits = await index.query(scope, v, { k: 5, allowPartial: true }); if (isPartial(hits)) log('partial');
 */
export const isPartial = (hits: readonly Hit[]): boolean => partialAnswers.has(hits);

/** How `ensure()` treats an index still being built over existing keys (RediSearch). */
export interface EnsureOptions {
  /**
   * Wait until the index covers the keys that existed before it (FT.INFO `indexing` 0,
   * `percent_indexed` 1). Default true; false returns at once (read the state with the engine's
   * `indexingState()`).
   */
  waitForIndexing?: boolean | undefined;
  /** The longest wait, in ms, before IndexBuildingError. Default 60 000. */
  indexingDeadlineMs?: number | undefined;
  /** Called with each state read while waiting. */
  onIndexingProgress?: ((state: IndexingState) => void) | undefined;
}

/** How far an index is built over the keys that existed before it. */
export interface IndexingState {
  /** True while the server is still indexing existing keys. */
  indexing: boolean;
  /** 0 to 1; 1 when every existing key is indexed. */
  percentIndexed: number;
  /** Documents indexed so far. */
  numDocs: number;
  /** Keys the server could not index (a vector of another dimension, for one). */
  failures: number;
}

/** Whose items: the library builds it from tenant/user/agent; it is always applied, never optional. */
export interface Scope {
  /** Hash tag of the scope, e.g. `{acme:alice:support}`. */
  tag: string;
  /** The scope as an opaque, query-safe token (hex). */
  token: string;
}

export interface VectorIndex {
  readonly engine: 'redisearch' | 'vectorset' | 'flat';
  readonly definition: ResolvedIndexDefinition;
  /** The connection the index works on. */
  readonly connection: RedisConnection;
  /**
   * Creates the index or checks the stored definition; a mismatch is a typed error naming both.
   * RediSearch also waits, by default, until an index built over existing keys covers them.
   */
  ensure(options?: EnsureOptions): Promise<void>;
  /** Writes items (replacing same ids) in one MULTI: all of them or none. For a few items at a time; many go through {@link upsertMany}. */
  upsert(scope: Scope, items: readonly VectorItem[]): Promise<void>;
  /**
   * Writes many items (imports, migrations, rememberMany): pipelined in chunks with progress, the
   * engine's indexing (vector sets: VADD; RediSearch: the HSET) outside MULTI, so the server
   * serves other clients between items instead of holding them for a whole batch. Each item is whole or absent: no reader ever sees it half-written (a replaced
   * item is absent for a moment, between its old and new version). The call as a whole is not
   * atomic: if it fails, items of earlier chunks (and the others of the failing chunk) are
   * written, later ones are not; writing the same items again is safe. Returns once every item is live.
   *
   * @example await index.upsertMany(scope, items, { onProgress: ({ written, total }) => log(`${written}/${total}`) });
   */
  upsertMany(scope: Scope, items: readonly VectorItem[], options?: BulkUpsertOptions): Promise<void>;
  query(scope: Scope, vector: ArrayLike<number>, options: QueryOptions): Promise<Hit[]>;
  /** Payloads of the given ids (null for items that are not live: missing, expired, or outside the membership rule of scope-store.ts). */
  get(scope: Scope, ids: readonly string[]): Promise<(string | null)[]>;
  /** Counts an access to each item that still exists. */
  touch(scope: Scope, ids: readonly string[]): Promise<void>;
  /** Access count and last-access time of items (null for missing ones). */
  accessStats(scope: Scope, ids: readonly string[]): Promise<({ count: number; lastAt: number | null } | null)[]>;
  /** Moves the expiry of items (absolute ms; null: never expire). Missing items are left absent. */
  expire(scope: Scope, ids: readonly string[], expiresAt: number | null): Promise<void>;
  /** Ids in the scope matching a filter (every id without one), at most `limit`. */
  ids(scope: Scope, filter?: Filter, limit?: number): Promise<string[]>;
  delete(scope: Scope, ids: readonly string[]): Promise<number>;
  count(scope: Scope): Promise<number>;
  /** Deletes every item of a scope. */
  dropScope(scope: Scope): Promise<number>;
  /**
   * Removes what the engine created for the namespace besides items (RediSearch: its FT index)
   * and the stored definition. Items are not touched: drop their scopes first.
   */
  dropIndex(): Promise<void>;
}
