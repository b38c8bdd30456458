// LangGraph adapters (checkpointer, long-term store). They arrive with their own issue; this entry
// point exists so that `redis-agent-memory/langgraph` resolves today.
export const LANGGRAPH_ADAPTERS_AVAILABLE = false as const;
