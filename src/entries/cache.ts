// `redis-agent-memory/cache`: the caches the factory makes (`cache`, `embeddingCache`, `llmCache`,
// `semanticCache`), as types; ComputeFailedError is a value because callers of getOrCompute catch it.
export { ComputeFailedError } from '../cache/cache.js';
export type { Cache, CacheStats } from '../cache/cache.js';
export type { CacheOptions, WriteOptions as CacheWriteOptions } from '../cache/options.js';
export type { EmbeddingCache } from '../cache/embedding-cache.js';
export type { LlmCache, LlmRequest } from '../cache/llm-cache.js';
export type { SemanticCache, SemanticCallOptions, SemanticLookup } from '../cache/semantic-cache.js';
export type { SemanticCacheOptions } from '../agent-memory.js';
