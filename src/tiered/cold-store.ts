// The small interface a cold tier implements under the two-tier retriever (tiered.ts): the
// durable store that holds every item (PostgreSQL + pgvector first, see pgvector.ts; Cosmos DB or
// Azure AI Search can implement it later). It speaks the library's filter language and score scale,
// so a cold answer and a hot answer about the same items agree in ids, scores and order.
import type { Filter } from '../vector/filter.js';
import type { Metric } from '../vector/types.js';

/** What a cold store holds: the same shape as the hot tier's items (src/vector/types.ts VectorItem). */
export interface ColdItem {
  id: string;
  /** Returned when asked `withVectors` (the refresh and write-back need it; searches rarely do). */
  vector?: number[];
  /** Tag fields: name → values (a missing field matches no `eq`/`in`). */
  tags?: Record<string, readonly string[]>;
  /** Numeric fields: name → value. */
  numbers?: Record<string, number>;
  /** Opaque content returned with hits (a JSON document, a text). */
  payload: string;
  /** When the row last changed, ms since the epoch, as the cold store's clock has it. */
  updatedAt?: number;
}

/** One item of a cold search: the library's score scale (src/vector/items.ts `similarity`), higher is closer. */
export interface ColdHit {
  id: string;
  score: number;
  payload: string;
  /** The stored vector, when the search asked `withVectors`. */
  vector?: number[];
}

export interface ColdSearchOptions {
  k: number;
  /** The library's filter language (src/vector/filter.ts), over the store's declared fields. */
  filter?: Filter | undefined;
  /** Exact search: every row that passes the filter is scored (no ANN index). Default false. */
  exact?: boolean | undefined;
  /** ANN search effort (pgvector HNSW `ef_search`). */
  ef?: number | undefined;
  withVectors?: boolean | undefined;
}

/**
 * What changed after a watermark: rows written or deleted since, in commit order as far as the
 * store can tell. Feeding `watermark` back returns the next changes; a change may come back twice
 * (never zero times), so applying changes must be idempotent.
 */
export interface ColdChanges {
  upserted: ColdItem[];
  /** Ids deleted since the watermark (whether or not they were ever seen). */
  deleted: string[];
  /** Opaque; pass it to the next call. */
  watermark: string;
  /** True when more changes are waiting (the call stopped at its limit). */
  more: boolean;
}

export interface ColdStoreDefinition {
  dim: number;
  metric: Metric;
  /** Filterable fields and their kind, as a vector index declares them. */
  fields: Record<string, 'tag' | 'numeric'>;
}

export interface ColdStore {
  /** `pgvector`, or the name of another implementation. */
  readonly kind: string;
  readonly definition: ColdStoreDefinition;
  /** Creates the table/index (or checks it); a mismatch with `definition` is an IndexMismatchError. */
  ensure(): Promise<void>;
  /** Top k by similarity among the items that pass the filter; ties broken by id. */
  search(vector: ArrayLike<number>, options: ColdSearchOptions): Promise<ColdHit[]>;
  /** Items by id, in the order asked (null for missing ones). */
  get(ids: readonly string[], options?: { withVectors?: boolean }): Promise<(ColdItem | null)[]>;
  /** The newest items, by `updatedAt` or by a numeric field, that pass the filter (with vectors). */
  newest(n: number, options?: { by?: string | undefined; filter?: Filter | undefined }): Promise<ColdItem[]>;
  /**
   * The watermark of now, without reading any change: every change committed before the call is
   * at or below it. A refresh takes it before reading the items it copies, then syncs from it.
   */
  watermark(): Promise<string>;
  /** Changes after a watermark (null: from the beginning), at most `limit` rows (with vectors). */
  changedSince(watermark: string | null, limit?: number): Promise<ColdChanges>;
  /** Writes items (replacing same ids) in one transaction. */
  upsert(items: readonly ColdItem[]): Promise<void>;
  /** Deletes items; returns how many existed. */
  delete(ids: readonly string[]): Promise<number>;
  count(filter?: Filter): Promise<number>;
  /** Releases what the store opened itself (a pool it was given stays open). */
  close(): Promise<void>;
}
