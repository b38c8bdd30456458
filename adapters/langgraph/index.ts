// LangGraph adapters: the checkpointer (and the long-term store). They translate LangGraph's calls
// into the core's and never talk to Redis themselves.
export { AgentMemoryCheckpointer } from './checkpointer.js';
