// The library's front door (`redis-agent-memory`): the factory, its config schema, the errors, the
// doctor's report formatter, and the TYPES of everything the factory hands out. Capabilities have
// their own entries (src/entries/*.ts: /sessions, /memory, /cache, ...). Every runtime name here is a
// decision that test/package.test.ts pins; engines, compilers, parsers and key builders stay internal.
export { AgentMemoryConfigSchema, createAgentMemory } from './agent-memory.js';
export type { AgentMemory, AgentMemoryConfig, LongTermOptions, SemanticCacheOptions, TieredRetrieverOptions } from './agent-memory.js';
export {
  AgentMemoryError,
  ColdStoreError,
  ConflictError,
  ConnectionError,
  CredentialsError,
  DimensionMismatchError,
  EmbeddingShapeError,
  IndexBuildingError,
  IndexMismatchError,
  InvalidArgumentError,
  MissingDependencyError,
  OutOfMemoryError,
  QueryTimeoutError,
  RedisCommandError,
  ServerUnavailableError,
  TimeoutError,
  UnsupportedServerError,
} from './errors.js';
export type { ErrorCode, InputIssue } from './errors.js';
// `memory.doctor()` returns a report; this is how the quickstart prints it.
export { formatDoctorReport } from './connection/doctor.js';
export type { DoctorReport, Finding, Severity } from './connection/doctor.js';
export type { ConnectionHealth, HealthOptions, HealthReport } from './connection/health.js';
export type { ConnectionPurpose, ConnectionRole } from './connection/connection.js';
export type { AccessTokenLike, AuthConfig, ConnectionConfig, TlsConfig, TokenCredentialLike } from './connection/config.js';
export type { ModuleInfo, ServerCapabilities } from './connection/capabilities.js';
// Reachable as `memory.connection` and `memory.keys`: types only (built by the factory, never by users).
export type { CommandRoute, RedisConnection } from './connection/connect.js';
export type { Keyspace, MemoryScopeRef, UserScope } from './keys.js';
// The `telemetry` option's shapes and `memory.connection.telemetry` (docs/observability.md): types only.
export type { MeterProviderLike, Operation, SpanLike, Telemetry, TelemetryOption, TracerProviderLike } from './observe/telemetry.js';
// What the factory hands out, as types (their capability entries hold the values users need).
export type * from './entries/sessions.js';
export type * from './entries/memory.js';
export type * from './entries/embeddings.js';
export type * from './entries/cache.js';
export type * from './entries/checkpoint.js';
export type * from './entries/store.js';
export type * from './entries/events.js';
export type * from './entries/tiered.js';
