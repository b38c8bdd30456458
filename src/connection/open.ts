// Opens a connection the library owns, from a validated config: builds the client, waits for it
// within connectTimeoutMs, and owns it to the end (duplicates, secret rotation, close). Every
// failure leaves as an AgentMemoryError; nothing keeps running after close() or a failed connect.
import { AgentMemoryError, ConnectionError, CredentialsError, InvalidArgumentError, TimeoutError } from '../errors.js';
import { definedOnly } from '../defined.js';
import { parseInput } from '../validate.js';
import { ConnectionConfigSchema, type ConnectionConfig, type ResolvedAuthConfig, type ResolvedConnectionConfig } from './config.js';
import { SharedCredentials, type ProviderView } from './credentials.js';
import { describeEndpoint, resolveEndpoint, type Endpoint } from './endpoint.js';
import { createClusterClient, createSingleClient } from './client-options.js';
import { lastErrorSuffix, translateConnectError, type ConnectState } from './connect-failures.js';
import { RedisConnection, type ClusterClient, type SingleClient } from './connection.js';

/**
 * Connects to Redis. Resolves once the connection is ready; rejects within `connectTimeoutMs`
 * with a ConnectionError, TimeoutError or CredentialsError, leaving nothing running.
 *
 * @example const conn = await connect({ url: 'redis://localhost:6379' });
 * @example const amr = await connect({ host: 'my-cache.westeurope.redis.azure.net', auth: entraId() }); // entraId from redis-agent-memory/azure
 */
export async function connect(input: ConnectionConfig | ResolvedConnectionConfig): Promise<RedisConnection> {
  return open(parseInput(ConnectionConfigSchema, input, 'connection config'), undefined);
}

/** Opens a connection; `shared` credentials come from the connection it duplicates. */
async function open(config: ResolvedConnectionConfig, shared: SharedCredentials | undefined): Promise<RedisConnection> {
  const endpoint = resolveEndpoint(config);
  const auth = authOf(config, endpoint);
  const credentials = shared ?? (auth ? new SharedCredentials(auth, (error) => config.onError?.(error)) : undefined);
  const view = credentials?.view(!endpoint.cluster);
  const state: ConnectState = {
    ready: false,
    deadline: Date.now() + config.connectTimeoutMs,
    lastError: undefined,
    credentialsFailure: undefined,
    endpoint: describeEndpoint(endpoint),
    database: endpoint.database,
  };
  const client = endpoint.cluster ? createClusterClient(config, endpoint, view, state) : createSingleClient(config, endpoint, view, state);
  client.on('error', (error: Error): void => {
    state.lastError = error;
    config.onError?.(translateConnectError(error, state, error));
  });
  // A connection that is back has authenticated again: any credentials failure is over.
  client.on('ready', () => (state.credentialsFailure = undefined));
  credentials?.acquire();

  const connecting = client.connect();
  connecting.catch(() => undefined); // settled below, or abandoned after a timeout
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), config.connectTimeoutMs);
  });
  try {
    const outcome = await Promise.race([connecting, timedOut]);
    if (outcome === 'timeout') {
      // Still waiting for a token (Entra ID or another issuer's): the network is not the problem, the identity is.
      const tokenPending = credentials?.pendingFailure('connectTimeoutMs', config.connectTimeoutMs);
      if (tokenPending) throw tokenPending;
      // Refused or reset connections make a ConnectionError; a server that never answered, a TimeoutError.
      const Failure = state.lastError ? ConnectionError : TimeoutError;
      throw new Failure(
        `Could not connect to ${state.endpoint} within ${config.connectTimeoutMs} ms` +
          lastErrorSuffix(state.lastError) +
          '. Check the host, port and TLS setting, and that the server is running and reachable.',
      );
    }
  } catch (error) {
    client.destroy();
    view?.detach();
    credentials?.release();
    throw error instanceof AgentMemoryError ? error : translateConnectError(error, state, state.lastError);
  } finally {
    clearTimeout(timer);
  }
  state.ready = true;
  return new RedisConnection(client, ownedOrigin(client, { config, endpoint, state, credentials, view }));
}

/** What an owned connection keeps of how it was made. */
interface Owned {
  config: ResolvedConnectionConfig;
  endpoint: Endpoint;
  state: ConnectState;
  credentials: SharedCredentials | undefined;
  view: ProviderView | undefined;
}

function ownedOrigin(client: SingleClient | ClusterClient, owned: Owned) {
  const { config, endpoint, state, credentials, view } = owned;
  return {
    adopted: false,
    cluster: endpoint.cluster,
    endpoint: state.endpoint,
    settings: config,
    credentialsFailure: () => state.credentialsFailure,
    duplicate: () => open(config, credentials),
    rotateSecret: (secret: string, described: string) => rotateSecret(config, credentials, secret, described),
    release: async (): Promise<void> => {
      try {
        await client.close();
      } catch {
        client.destroy();
      } finally {
        view?.detach();
        credentials?.release();
      }
    },
  };
}

/**
 * Swaps the password or access key of every live connection sharing `credentials`, once a fresh
 * connection has accepted it (see RedisConnection.rotateSecret).
 */
async function rotateSecret(
  config: ResolvedConnectionConfig,
  credentials: SharedCredentials | undefined,
  secret: string,
  endpoint: string,
): Promise<void> {
  if (typeof secret !== 'string' || secret === '') {
    throw new InvalidArgumentError('secret', [{ path: '', message: 'must be a non-empty string' }]);
  }
  if (credentials?.kind !== 'static') {
    throw new InvalidArgumentError('rotateSecret call', [
      {
        path: '',
        message: credentials
          ? 'tokens (Microsoft Entra ID or any other issuer) refresh themselves; there is no secret to rotate'
          : 'this connection has no password or access key to rotate',
      },
    ]);
  }
  const username = credentials.staticUsername;
  const candidate = new SharedCredentials(definedOnly({ type: 'password' as const, username, password: secret }), () => undefined);
  const probe = await open(config, candidate).catch((error: unknown) => {
    throw error instanceof CredentialsError
      ? new CredentialsError(`${endpoint} refused the new secret; the connections keep the old one.`, { cause: error })
      : error;
  });
  await probe.close();
  credentials.rotate(secret);
}

/** The auth the config asks for, in one form: `auth`, `username`/`password`, or the URL's credentials. */
function authOf(config: ResolvedConnectionConfig, endpoint: Endpoint): ResolvedAuthConfig | undefined {
  if (config.credentialsProvider) return undefined;
  if (config.auth) return config.auth;
  const given = config.password !== undefined ? { username: config.username, password: config.password } : endpoint.urlCredentials;
  return given ? definedOnly({ type: 'password' as const, username: given.username, password: given.password }) : undefined;
}
