// How a node-redis failure becomes the library's error: every error class node-redis throws, socket
// errors, each kind of error reply, and anything else. Pure: it decides, never retries, and never
// puts a secret in a message (replies and socket errors carry none; credentials never reach here).
import {
  AbortError,
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  MaxCommandRedirectionsError,
  MultiErrorReply,
  ReconnectStrategyError,
  RootNodesUnavailableError,
  ScanIteratorInterruptedError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError as NodeRedisTimeoutError,
  WatchError,
} from '@redis/client';
import {
  AgentMemoryError,
  ConflictError,
  ConnectionError,
  CredentialsError,
  OutOfMemoryError,
  RedisCommandError,
  ServerUnavailableError,
  TimeoutError,
} from '../errors.js';

/**
 * Replies of a server that is up but cannot serve this moment. Each is given before the command
 * runs (while loading, during a failover or slot migration, while a script holds the server), so a
 * retry can never apply a write twice. `BUSYKEY` and `BUSYGROUP` are other replies: `\b` keeps them out.
 */
const UNAVAILABLE = /^(LOADING|BUSY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY)\b/;

/** What each unavailable reply means, and when it passes. */
const UNAVAILABLE_ADVICE: Record<string, string> = {
  LOADING: 'The server is loading its data set (after a restart or failover) and serves again once it is loaded.',
  BUSY: 'A script or function is running on the server; it serves again when that ends (SCRIPT KILL or FUNCTION KILL stops one).',
  CLUSTERDOWN: 'The cluster has slots without a reachable master (a failover in progress, or a node down).',
  TRYAGAIN: 'The keys are on a slot being migrated between nodes.',
  MASTERDOWN: 'The replica lost the link to its master.',
  READONLY:
    "The connection reached a replica: the endpoint failed over (its address now names the new primary) or it is a replica's address. " +
    'The library reconnects (to re-resolve the address) and retries; if this persists, point it at the primary.',
};

const OOM = /^OOM\b/;

/** An aborted transaction's reply names the reply that aborted it: that is the one that counts. */
const replyOf = (error: ErrorReply): string => error.message.replace(/^EXECABORT Transaction discarded because of: /, '');

/**
 * True for an error reply that means "not now, and nothing was done" (LOADING, BUSY, CLUSTERDOWN,
 * TRYAGAIN, MASTERDOWN, and READONLY: a write refused by a replica, before it ran, a script's too
 * since its first write is the one refused): the command may be sent again unchanged. Never true for the failures of
 * commands inside an EXEC that ran (MultiErrorReply): their neighbours did run.
 */
export function isUnavailableReply(error: unknown): boolean {
  return error instanceof ErrorReply && !(error instanceof MultiErrorReply) && UNAVAILABLE.test(replyOf(error));
}

/** True for a write refused by a replica (READONLY): this connection is on a node that is no longer the primary. */
export function isReplicaReply(error: unknown): boolean {
  return error instanceof ErrorReply && !(error instanceof MultiErrorReply) && /^READONLY\b/.test(replyOf(error));
}

/** True for a refusal of the credentials or of a permission (WRONGPASS, NOAUTH, NOPERM). */
export function isCredentialsFailure(error: unknown): boolean {
  return error instanceof CredentialsError || (error instanceof ErrorReply && /^(WRONGPASS|NOAUTH|NOPERM)\b/.test(replyOf(error)));
}

/** Node's codes for a server certificate it does not trust or that names another host. */
const TLS_TRUST_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
};

export function isTlsFailure(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && TLS_TRUST_CODES.has(code);
}

/**
 * An error of Node's socket or TLS layer (ECONNRESET, EPIPE, ECONNREFUSED, ETIMEDOUT, ENOTFOUND,
 * a certificate code…): node-redis hands these on as they are. Recognised by their `code`, which
 * every one of them has and no node-redis or library error does.
 */
function isSocketError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && !(error instanceof AgentMemoryError) && codeOf(error) !== undefined;
}

/** What a retried command went through before its deadline ran out. */
export interface RetryHistory {
  /** The command deadline (commandTimeoutMs). */
  waitedMs: number;
  attempts: number;
}

/** The failure of a command whose every attempt within its deadline met an unavailable reply. */
export function unavailableError(error: ErrorReply, command: string, history?: RetryHistory): ServerUnavailableError {
  const reply = replyOf(error);
  const name = UNAVAILABLE.exec(reply)?.[1] ?? reply.split(' ')[0]!;
  const replied = history
    ? `kept replying ${name} for ${history.waitedMs} ms (commandTimeoutMs; ${history.attempts} attempt${history.attempts === 1 ? '' : 's'})`
    : `replied ${name}`;
  return new ServerUnavailableError(
    `${command} did not run: the server ${replied} ("${reply}"). ${UNAVAILABLE_ADVICE[name] ?? ''} ` +
      'Nothing was executed; retry later' +
      (history ? ', or raise commandTimeoutMs to wait longer.' : '.'),
    { cause: error },
  );
}

/**
 * Maps a node-redis failure of one command onto the library's errors. Every input gives an
 * AgentMemoryError, with the original as its `cause`: an unknown error too, never returned raw.
 * `commands` names the commands of a transaction, to say which of them failed.
 */
export function translateError(error: unknown, command: string, context: { commands?: readonly string[] } = {}): AgentMemoryError {
  if (error instanceof AgentMemoryError) return error;
  // A reconnect strategy that gave up with a library error (credentials, TLS): that error is the news.
  if (error instanceof ReconnectStrategyError && error.originalError instanceof AgentMemoryError) return error.originalError;
  const cause = { cause: error };
  if (error instanceof NodeRedisTimeoutError || error instanceof SocketTimeoutError || error instanceof ConnectionTimeoutError) {
    return new TimeoutError(`${command} timed out in the client (${error.message})`, cause);
  }
  if (error instanceof ClientClosedError) {
    return new ConnectionError('The connection is closed; create a new one', cause);
  }
  if (error instanceof ClientOfflineError) {
    return new ConnectionError(`${command} was not sent: the connection to Redis is down (${error.message})`, cause);
  }
  if (
    error instanceof SocketClosedUnexpectedlyError ||
    error instanceof DisconnectsClientError ||
    error instanceof AbortError ||
    error instanceof ReconnectStrategyError ||
    error instanceof RootNodesUnavailableError ||
    error instanceof ScanIteratorInterruptedError
  ) {
    // The command may have reached the server before the connection went: it may or may not have run.
    return new ConnectionError(
      `${command} failed: the connection to Redis was lost or dropped by the client (${error.message}); it may or may not have run`,
      cause,
    );
  }
  if (isSocketError(error)) {
    return new ConnectionError(
      `${command} failed: the connection to Redis was lost (${error.code}: ${error.message}); it may or may not have run`,
      cause,
    );
  }
  if (error instanceof MaxCommandRedirectionsError) {
    return new ServerUnavailableError(
      `${command} did not run: the cluster kept redirecting it (${error.message}), as while slots move between nodes. Retry later.`,
      cause,
    );
  }
  if (error instanceof WatchError) {
    return new ConflictError(`${command} was not applied: a watched key changed first (${error.message}). Reload and retry.`, cause);
  }
  if (error instanceof MultiErrorReply) return transactionFailure(error, command, context.commands);
  if (isCredentialsFailure(error)) {
    return new CredentialsError(
      `Redis refused ${command}: ${(error as Error).message}. Check the user's ACL rules or access policy.`,
      cause,
    );
  }
  if (error instanceof ErrorReply) {
    if (OOM.test(replyOf(error))) {
      return new OutOfMemoryError(
        `Redis refused ${command}: it is at its maxmemory limit ("${replyOf(error)}"). Nothing was written; reads ` +
          'still work. Raise maxmemory (on Azure Managed Redis, scale to a larger size), or set a maxmemory-policy ' +
          'that evicts (allkeys-lru, or volatile-lru to evict only keys with a TTL) instead of noeviction.',
        cause,
      );
    }
    if (isUnavailableReply(error)) return unavailableError(error, command);
    return new RedisCommandError(`Redis rejected ${command}: ${error.message}`, cause);
  }
  if (error instanceof Error) return new RedisCommandError(`${command} failed: ${error.name}: ${error.message}`, cause);
  return new RedisCommandError(`${command} failed: ${String(error)}`, cause);
}

/** EXEC ran the transaction, and some of its commands failed: the others did run. */
function transactionFailure(error: MultiErrorReply, command: string, names: readonly string[] | undefined): RedisCommandError {
  const indexes = Array.isArray(error.errorIndexes) ? error.errorIndexes : [];
  const failed = indexes.map((i) => {
    const reply = error.replies[i];
    const message = reply instanceof Error ? reply.message : String(reply);
    return `${names?.[i] ?? `command ${i + 1}`} (#${i + 1}): ${message}`;
  });
  const total = names ? ` of ${names.length}` : '';
  return new RedisCommandError(
    `${command} ran, but ${failed.length}${total} of its commands failed: ${failed.join('; ')}; the others ran`,
    { cause: error },
  );
}
