// LangChain JS adapters (chat history, vector store, LLM caches, key-value store). They arrive with
// their own issue; this entry point exists so that `redis-agent-memory/langchain` resolves today.
export const LANGCHAIN_ADAPTERS_AVAILABLE = false as const;
