// `redis-agent-memory/checkpoint`: the per-thread checkpoint store under the LangGraph checkpointer
// (`createAgentMemory(...).checkpoints()`). Types only: nothing here is constructed by users.
export type {
  CheckpointInput,
  CheckpointQuery,
  CheckpointStore,
  CheckpointStoreOptions,
  StoredCheckpoint,
  StoredWrite,
  TypedValue,
  WriteInput,
} from '../checkpoint/checkpoint-store.js';
