// LangChain JS adapters. They translate LangChain shapes to the core's calls and back; they never
// talk to Redis themselves. The vector store, caches and key-value store follow.
export { AgentMemoryChatHistory } from './chat-history.js';
export type { ChatHistoryOptions } from './chat-history.js';
export { toLangChainMessage, toMessageInput } from './messages.js';
