// `redis-agent-memory/tiered`: two-tier retrieval. The retriever comes from
// `createAgentMemory(...)` (`memory.tiered(...)`), so it is a type here; the cold stores and the
// schemas are values. `pg` is loaded only when a PgVectorStore is given a connection string.
export { PgVectorStore, PgVectorStoreOptionsSchema } from '../tiered/pgvector.js';
export type { PgVectorStoreOptions } from '../tiered/pgvector.js';
export type { ColdChanges, ColdHit, ColdItem, ColdSearchOptions, ColdStore, ColdStoreDefinition } from '../tiered/cold-store.js';
export { HotPolicySchema, TieredOptionsSchema, TieredSearchOptionsSchema } from '../tiered/tiered.js';
export type {
  HotPolicy,
  RefreshProgress,
  RefreshReport,
  SyncReport,
  TieredHit,
  TieredOptions,
  TieredReason,
  TieredResult,
  TieredRetriever,
  TieredSearchOptions,
} from '../tiered/tiered.js';
