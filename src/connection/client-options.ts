// How the library builds the node-redis client it owns from a validated config: RESP3, the
// command timeout, TLS, credentials through one provider view, and a reconnect strategy that
// fails fast on what retrying cannot fix. It builds; opening and closing are open.ts's.
import { ErrorReply, createClient, createCluster, type RedisClientOptions } from '@redis/client';
import { ConnectionError, type CredentialsError } from '../errors.js';
import { backoffDelay } from './backoff.js';
import { definedOnly } from '../defined.js';
import type { ResolvedConnectionConfig } from './config.js';
import type { ProviderView } from './credentials.js';
import type { Endpoint } from './endpoint.js';
import { isCredentialsFailure, isTlsFailure, isUnavailableReply } from './failures.js';
import { lastErrorSuffix, translateConnectError, type ConnectState } from './connect-failures.js';
import type { ClusterClient, SingleClient } from './connection.js';

function socketOptions(config: ResolvedConnectionConfig, endpoint: Endpoint, state: ConnectState) {
  return {
    connectTimeout: config.connectTimeoutMs,
    reconnectStrategy: reconnectStrategy(config, state),
    ...(endpoint.tls ? { tls: true as const, ...definedOnly(endpoint.tls) } : {}),
  };
}

function reconnectStrategy(config: ResolvedConnectionConfig, state: ConnectState) {
  const { initialDelayMs, maxDelayMs, maxAttempts } = config.reconnect;
  return (retries: number, cause: Error): number | Error => {
    if (isCredentialsFailure(cause)) {
      const failure = translateConnectError(cause, state, cause) as CredentialsError;
      // The first connection fails fast. A live one keeps trying (a token may come back), and
      // meanwhile its commands fail at once with this error instead of waiting for a timeout.
      if (!state.ready) return failure;
      state.credentialsFailure = failure;
    } else if (!state.ready && (isTlsFailure(cause) || (cause instanceof ErrorReply && !isUnavailableReply(cause)))) {
      // An untrusted certificate, or a handshake the server refused (SELECT of a database it does
      // not have, HELLO it does not know…): the same again would fail the same way. A server still
      // loading or busy may pass: that is retried until the deadline.
      return translateConnectError(cause, state, cause);
    }
    if (!state.ready && Date.now() >= state.deadline) return translateConnectError(cause, state, cause);
    if (maxAttempts !== undefined && retries >= maxAttempts) {
      return new ConnectionError(
        `Lost the connection to ${state.endpoint} and gave up after ${maxAttempts} attempts${lastErrorSuffix(cause)}`,
      );
    }
    return backoffDelay(retries, initialDelayMs, maxDelayMs);
  };
}

type Provider = NonNullable<RedisClientOptions['credentialsProvider']>;

function authOptions(config: ResolvedConnectionConfig, view: ProviderView | undefined) {
  if (config.credentialsProvider) return { credentialsProvider: config.credentialsProvider as Provider };
  return view ? { credentialsProvider: view as Provider } : {};
}

export function createSingleClient(
  config: ResolvedConnectionConfig,
  endpoint: Endpoint,
  view: ProviderView | undefined,
  state: ConnectState,
): SingleClient {
  const seed = endpoint.seeds[0]!;
  return createClient({
    ...authOptions(config, view),
    ...(endpoint.database !== undefined ? { database: endpoint.database } : {}),
    name: config.clientName,
    // RESP3 on every connection: under RESP2 a subscribed connection cannot run AUTH, so it could
    // not re-authenticate; under RESP3 it can, and rotated credentials reach pub/sub too.
    RESP: 3,
    // node-redis drops a command still waiting in its queue at this deadline, so a timed-out
    // command is never sent after a reconnect; send() keeps the deadline once it is written. For
    // reads (harmlessIfLate, readonly) on a connected client send() turns it off: the deadline
    // sweeper alone answers for them, without a timer and an AbortSignal a command.
    commandOptions: { timeout: config.commandTimeoutMs },
    socket: { host: seed.host, port: seed.port, ...socketOptions(config, endpoint, state) },
  }) as unknown as SingleClient;
}

export function createClusterClient(
  config: ResolvedConnectionConfig,
  endpoint: Endpoint,
  view: ProviderView | undefined,
  state: ConnectState,
): ClusterClient {
  return createCluster({
    rootNodes: endpoint.seeds.map((seed) => ({ socket: { host: seed.host, port: seed.port } })),
    // Every node client, and the pub/sub client, is made from these defaults: they all subscribe
    // to the one provider view, so each re-authenticates when the credentials change.
    defaults: {
      ...authOptions(config, view),
      name: config.clientName,
      socket: socketOptions(config, endpoint, state),
    },
    RESP: 3,
    commandOptions: { timeout: config.commandTimeoutMs },
    // A node that stays unreachable is usually a master being failed over: ask the cluster for its
    // slots again one second after the first reconnect attempt (node-redis waits five), so its
    // users are served by the promoted replica as soon as the cluster has one.
    topologyRefreshOnReconnectionAttemptStrategy: CLUSTER_TOPOLOGY_REFRESH_MS,
  }) as unknown as ClusterClient;
}

const CLUSTER_TOPOLOGY_REFRESH_MS = 1000;
