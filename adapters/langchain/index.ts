// LangChain JS adapters. They translate LangChain shapes to the core's calls and back; they never
// talk to Redis themselves. The chat history, vector store, caches and key-value store follow.
export { toLangChainMessage, toMessageInput } from './messages.js';
