// LangGraph adapters: the checkpointer (`AgentMemoryCheckpointer`) and the long-term store
// (`AgentMemoryStore`). They translate LangGraph's calls into the core's and never talk to Redis themselves.
export { AgentMemoryCheckpointer } from './checkpointer.js';
export type { CheckpointerFactoryOptions } from './checkpointer.js';
export type { OpenFrom } from './open-memory.js';
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
