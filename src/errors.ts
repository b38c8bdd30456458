// The one error hierarchy of the library: every error it throws is an AgentMemoryError with a code.
// Messages say what went wrong and what to do; they never carry a password, key or token.

/** Every code an {@link AgentMemoryError} can carry. Switch on `error.code`, not on the message. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'CONNECTION_FAILED'
  | 'TIMEOUT'
  | 'CONFLICT'
  | 'UNSUPPORTED_SERVER'
  | 'DIMENSION_MISMATCH'
  | 'INDEX_MISMATCH'
  | 'CREDENTIALS'
  | 'COMPUTE_FAILED'
  | 'OUT_OF_MEMORY'
  | 'SERVER_UNAVAILABLE'
  | 'QUERY_TIMEOUT'
  | 'INDEX_BUILDING'
  | 'REDIS_ERROR'
  | 'COLD_STORE'
  | 'MISSING_DEPENDENCY';

/**
 * Codes of failures that may pass by themselves: the same call, retried later unchanged, can
 * succeed. Every other code needs a change (of input, config, server or data) first.
 */
const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CONNECTION_FAILED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'SERVER_UNAVAILABLE',
  'QUERY_TIMEOUT',
  'INDEX_BUILDING',
]);

/** Base class of every error the library throws. */
export class AgentMemoryError extends Error {
  readonly code: ErrorCode;
  /** True when the same call may succeed if retried later unchanged (see the README's error table). */
  readonly transient: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.transient = TRANSIENT_CODES.has(code);
  }
}

/** One problem found in an input: where (a dotted path into the input) and why. */
export interface InputIssue {
  path: string;
  message: string;
}

/** An input failed validation. Nothing was sent to Redis. `issues` lists every problem found. */
export class InvalidArgumentError extends AgentMemoryError {
  readonly issues: readonly InputIssue[];

  constructor(what: string, issues: readonly InputIssue[]) {
    const listed = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super('INVALID_ARGUMENT', `Invalid ${what}: ${listed}`);
    this.issues = issues;
  }
}

/** The server could not be reached, or the connection was lost and could not be restored. */
export class ConnectionError extends AgentMemoryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONNECTION_FAILED', message, options);
  }
}

/** A command or a connection attempt took longer than the configured limit. */
export class TimeoutError extends AgentMemoryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TIMEOUT', message, options);
  }
}

/** A compare-and-set lost a race: reload and retry. */
export class ConflictError extends AgentMemoryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFLICT', message, options);
  }
}

/** The server lacks a version or capability the operation needs. */
export class UnsupportedServerError extends AgentMemoryError {
  constructor(message: string) {
    super('UNSUPPORTED_SERVER', message);
  }
}

/** The server refused the credentials, or the identity lacks a permission (ACL / access policy). */
export class CredentialsError extends AgentMemoryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CREDENTIALS', message, options);
  }
}

/** A vector's dimension differs from the index's (or the embedder's from the index's). */
export class DimensionMismatchError extends AgentMemoryError {
  constructor(message: string) {
    super('DIMENSION_MISMATCH', message);
  }
}

/** An embedder returned something that is not one vector of the expected shape per text. */
export class EmbeddingShapeError extends DimensionMismatchError {}

/** An index exists with another definition (metric, engine, fields…): the message names both. */
export class IndexMismatchError extends AgentMemoryError {
  constructor(message: string) {
    super('INDEX_MISMATCH', message);
  }
}

/**
 * Redis refused a write because it is at `maxmemory` (noeviction, or nothing left to evict).
 * Nothing of the operation was written. Reads still work.
 */
export class OutOfMemoryError extends AgentMemoryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('OUT_OF_MEMORY', message, options);
  }
}

/**
 * The server is up but cannot serve yet (LOADING its data set, BUSY running a script, CLUSTERDOWN,
 * TRYAGAIN, MASTERDOWN) and did not recover within the command deadline; the library already
 * retried until then. The command was not executed.
 */
export class ServerUnavailableError extends AgentMemoryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SERVER_UNAVAILABLE', message, options);
  }
}

/**
 * The server's query engine stopped a query at its own time limit (RediSearch `TIMEOUT`, 500 ms by
 * default) and answered with partial or no results. Nothing is read as a miss or an empty recall:
 * retry, raise the server's `search-timeout`, or narrow the query (smaller `k`, a filter).
 */
export class QueryTimeoutError extends AgentMemoryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('QUERY_TIMEOUT', message, options);
  }
}

/**
 * An index is still being built over keys that existed before it (RediSearch background
 * indexing) and was not complete within the wait the caller allowed. The index keeps building on
 * the server; the same call succeeds once it is done.
 */
export class IndexBuildingError extends AgentMemoryError {
  constructor(message: string) {
    super('INDEX_BUILDING', message);
  }
}

/**
 * A feature needs an optional peer package that is not installed (`packageName`); the message
 * says what to install. Nothing was sent to Redis.
 */
export class MissingDependencyError extends AgentMemoryError {
  /** The npm package to install, e.g. `js-tiktoken`. */
  readonly packageName: string;

  constructor(packageName: string, message: string, options?: { cause?: unknown }) {
    super('MISSING_DEPENDENCY', message, options);
    this.packageName = packageName;
  }
}

/** Redis answered a command with an error the library did not expect. */
export class RedisCommandError extends AgentMemoryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('REDIS_ERROR', message, options);
  }
}

/**
 * The cold tier's database (PostgreSQL for the pgvector store) failed a call: `sqlState` is its
 * SQLSTATE when it answered with one, `cause` the driver's error. `transient` is true when the
 * connection failed, was lost or timed out, the server is shutting down or out of resources, or a
 * transaction lost a serialization race or a deadlock: the same call may succeed later unchanged.
 * The message never holds the connection string or a password.
 */
export class ColdStoreError extends AgentMemoryError {
  override readonly transient: boolean;
  /** The server's SQLSTATE (`42P01`, `08006`, …), when it sent one. */
  readonly sqlState: string | undefined;

  constructor(message: string, options?: { cause?: unknown; transient?: boolean; sqlState?: string | undefined }) {
    super('COLD_STORE', message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.transient = options?.transient === true;
    this.sqlState = options?.sqlState;
  }
}
