// LangGraph adapters: the long-term store (`AgentMemoryStore`, a BaseStore). They translate
// LangGraph calls into the core's and never talk to Redis themselves.
export { AgentMemoryStore } from './store.js';
export type {
  AgentMemoryGetOperation,
  AgentMemoryPutOperation,
  AgentMemorySearchOperation,
  AgentMemoryStoreIndexConfig,
  AgentMemoryStoreOptions,
  AgentMemoryStoreTtlConfig,
  EmbedTexts,
} from './store.js';
