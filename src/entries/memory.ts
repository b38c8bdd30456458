// `redis-agent-memory/memory`: long-term memory (remember / recall / forget) and its one filter
// language. `MemoryInputSchema` and `FilterSchema` are zod schemas an agent's tools can take as input
// (a "remember" tool, a filtered "recall" tool); engines and filter compilers stay internal.
export { MemoryInputSchema } from '../memory/long-term-memory.js';
export type {
  LongTermMemory,
  Memory,
  MemoryInput,
  MemoryWithAccess,
  MigrationProgress,
  Recalled,
  RecallOptions,
  RememberOptions,
  RememberResult,
} from '../memory/long-term-memory.js';
export { FilterSchema, MAX_TAG_BYTES } from '../vector/filter.js';
export type { Filter, FilterValue } from '../vector/filter.js';
export { isPartial } from '../vector/types.js';
export type {
  EnsureOptions,
  Hit,
  IndexDefinition,
  IndexingState,
  Metric,
  QueryOptions,
  ResolvedIndexDefinition,
  Scope,
  VectorIndex,
  VectorItem,
} from '../vector/types.js';
export type { EngineChoice } from '../vector/create.js';
export type { MemoryScopeRef } from '../keys.js';
export type { LongTermOptions } from '../agent-memory.js';
