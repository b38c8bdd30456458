// The small interface every vector engine implements (redisearch, vectorset, flat), and the shapes
// it takes and returns. Callers never see an engine's commands; one conformance suite
// (test/vector/conformance.ts) holds every engine to the same behaviour.
import { z } from 'zod';
import type { RedisConnection } from '../connection/connect.js';
import { FieldNameSchema, type FieldKind, type Filter } from './filter.js';

export const MetricSchema = z.enum(['cosine', 'ip', 'l2']);
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
  /** Exact search where the engine can (vector sets: TRUTH; RediSearch FLAT is always exact). */
  exact?: boolean | undefined;
  /** HNSW search effort for this query. */
  ef?: number | undefined;
  /** Return each hit's stored vector too (for maximal marginal relevance and re-ranking). */
  withVectors?: boolean | undefined;
}

export interface Hit {
  id: string;
  /** Similarity in [0, 1] for cosine (1 identical), higher is closer for every metric. */
  score: number;
  payload: string;
  /** The stored vector, when the query asked `withVectors` (vector sets: as VEMB returns it, quantization applied). */
  vector?: number[];
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
  /** Creates the index or checks the stored definition; a mismatch is a typed error naming both. */
  ensure(): Promise<void>;
  upsert(scope: Scope, items: readonly VectorItem[]): Promise<void>;
  query(scope: Scope, vector: ArrayLike<number>, options: QueryOptions): Promise<Hit[]>;
  /** Payloads of the given ids (null for missing or expired ones). */
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
}

export type FieldKinds = Record<string, FieldKind>;
