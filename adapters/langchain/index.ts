// LangChain JS adapters. They translate LangChain shapes to the core's calls and back; they never
// talk to Redis themselves.
export { AgentMemoryChatHistory } from './chat-history.js';
export type { ChatHistoryOptions } from './chat-history.js';
export { toLangChainMessage, toMessageInput } from './messages.js';
export { AgentMemoryVectorStore } from './vector-store.js';
export type { AgentMemoryVectorStoreOptions } from './vector-store.js';
export { AgentMemoryLlmCache, AgentMemorySemanticLlmCache } from './llm-cache.js';
export type { AgentMemoryLlmCacheOptions, AgentMemorySemanticLlmCacheOptions } from './llm-cache.js';
export { AgentMemoryKeyValueStore } from './key-value-store.js';
export type { AgentMemoryKeyValueStoreOptions } from './key-value-store.js';
export {
  exportToRedisChatMessageHistory,
  importRedisChatMessageHistory,
  importRedisVectorStore,
  parseRedisVectorStoreHash,
  unescapeRedisVectorStoreMetadata,
} from './langchain-redis.js';
export type { ChatMigrationMemory, ParsedVectorStoreHash, RedisVectorStoreLayout } from './langchain-redis.js';
export { chatModelExtractor, DEFAULT_EXTRACTION_PROMPT, extractionPrompt, ModelReplySchema } from './extractor.js';
export type { ChatModelExtractorOptions } from './extractor.js';
export { langChainTokenCounter } from './token-counter.js';
export type { LangChainTokenCounterOptions, TokenCountingModel } from './token-counter.js';
export { AgentMemoryTieredRetriever, payloadDocument } from './tiered-retriever.js';
export type { AgentMemoryTieredRetrieverOptions } from './tiered-retriever.js';
