// Why a connection the library opens could not be made (or, reported through onError, was lost),
// as the library's error: credentials, TLS trust, a refused handshake, an unreachable server.
// Pure: it decides, never retries, and never puts a secret in a message.
import { ErrorReply, ReconnectStrategyError } from '@redis/client';
import { AgentMemoryError, ConnectionError, CredentialsError, InvalidArgumentError, RedisCommandError } from '../errors.js';
import { isCredentialsFailure, isTlsFailure, isUnavailableReply } from './failures.js';

/** What an owned connection knows of its own connecting, shared by its reconnect strategy and its errors. */
export interface ConnectState {
  ready: boolean;
  deadline: number;
  lastError: Error | undefined;
  /** Set while reconnecting fails on credentials; commands then fail with it instead of waiting. */
  credentialsFailure: CredentialsError | undefined;
  /** `redis[s]://host:port`, safe to log. */
  endpoint: string;
  /** The database selected at connect, if any. */
  database: number | undefined;
}

export function lastErrorSuffix(error: unknown): string {
  return error instanceof Error ? ` (last error: ${error.message})` : '';
}

/** Why a connection could not be made (or, for onError, was lost), as the library's error. */
export function translateConnectError(error: unknown, state: ConnectState, lastError: unknown): AgentMemoryError {
  if (error instanceof AgentMemoryError) return error;
  // The reconnect strategy gave up with one of these errors: that one says why.
  if (error instanceof ReconnectStrategyError && error.originalError instanceof AgentMemoryError) return error.originalError;
  if (lastError instanceof CredentialsError) return lastError;
  const endpoint = state.endpoint;
  if (isCredentialsFailure(error) || isCredentialsFailure(lastError)) {
    return new CredentialsError(
      `${endpoint} refused the credentials. Check the username and password or access key, or for a ` +
        'token that its identity may use this server (on Azure Managed Redis: an access policy assignment).',
      { cause: error },
    );
  }
  const tls = isTlsFailure(error) ? error : isTlsFailure(lastError) ? lastError : undefined;
  if (tls instanceof Error) {
    const code = (tls as Error & { code: string }).code;
    return new ConnectionError(
      `The TLS certificate of ${endpoint} was refused (${code}: ${tls.message}). ` +
        (code === 'ERR_TLS_CERT_ALTNAME_INVALID'
          ? 'It names another host: connect by the name on the certificate, or set tls.servername.'
          : 'Trust its CA with tls.ca (PEM), or check that the certificate is valid.'),
      { cause: tls },
    );
  }
  const refusal = error instanceof ErrorReply ? error : lastError instanceof ErrorReply ? lastError : undefined;
  if (refusal && /^ERR DB index is out of range/.test(refusal.message)) {
    return new InvalidArgumentError('connection config', [
      {
        path: 'database',
        message:
          `${endpoint} has no database ${state.database} (${refusal.message}). Pick one below its \`databases\` ` +
          'setting; Azure Managed Redis and Redis Cluster have only database 0',
      },
    ]);
  }
  if (refusal && !isUnavailableReply(refusal)) {
    return new RedisCommandError(`Could not connect to ${endpoint}: the server refused the handshake (${refusal.message})`, {
      cause: refusal,
    });
  }
  // A live connection that dropped (reported through onError) reconnects by itself.
  const what = state.ready ? `Lost the connection to ${endpoint}` : `Could not connect to ${endpoint}`;
  return new ConnectionError(`${what}${lastErrorSuffix(lastError ?? error)}${state.ready ? '; reconnecting' : ''}`, {
    cause: error,
  });
}
