// `redis-agent-memory/events`: the event backbone and what runs on it. The log and the extraction
// worker come from `createAgentMemory(...)` (`memory.events`, `memory.extraction(...)`), so they are
// types here; the offline extractor, the strategies and the schemas are values.
export { EVENT_TYPES, isUserEvent } from '../events/types.js';
export type {
  AgentEvent,
  AgentEventType,
  CacheInvalidatedEvent,
  ConsumeOptions,
  Consumer,
  DeadLetter,
  EventHandler,
  GroupStats,
  UserEvent,
  UserEventType,
} from '../events/types.js';
export type { EventLog, EventsConfig } from '../events/event-log.js';
export type { IdleSweeps } from '../events/idle.js';
export { BUILTIN_STRATEGIES, ExtractedMemorySchema, messageText } from '../extraction/extractor.js';
export type { BuiltinStrategy, ExtractedMemory, ExtractionInput, Extractor } from '../extraction/extractor.js';
export { rulesExtractor } from '../extraction/rules.js';
export { customStrategy, episodeStrategy, factsStrategy, preferencesStrategy } from '../extraction/strategies.js';
export type { CustomStrategyOptions, ExtractionStrategy } from '../extraction/strategies.js';
export type { ExtractionCounts, ExtractionReport, ExtractionWorker, ExtractionWorkerOptions } from '../extraction/worker.js';
