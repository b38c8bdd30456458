// Turns a validated config into a live node-redis client (single server or cluster) behind one small
// RedisConnection: send a command routed by key, duplicate for pub/sub, close. Every failure leaves
// here as an AgentMemoryError; nothing keeps running after close() or a failed connect.
import {
  ClientClosedError,
  ClientOfflineError,
  ErrorReply,
  RESP_TYPES,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  TimeoutError as NodeRedisTimeoutError,
  createClient,
  createCluster,
  type RedisArgument,
  type RedisClientOptions,
  type RedisClientType,
  type RedisClusterType,
} from 'redis';
import {
  AgentMemoryError,
  ConnectionError,
  CredentialsError,
  InvalidArgumentError,
  RedisCommandError,
  TimeoutError,
} from '../errors.js';
import { definedOnly } from '../defined.js';
import { parseInput } from '../validate.js';
import {
  ConnectionConfigSchema,
  type ConnectionConfig,
  type ResolvedAuthConfig,
  type ResolvedConnectionConfig,
} from './config.js';
import { SharedCredentials, type ProviderView } from './credentials.js';
import { describeEndpoint, resolveEndpoint, type Endpoint } from './endpoint.js';

type SingleClient = RedisClientType;
type ClusterClient = RedisClusterType;

interface Deadline {
  at: number;
  command: string;
  reject: (error: Error) => void;
}

/** Where a command goes on a cluster: the node owning `key`; any node when there is no key. */
export interface CommandRoute {
  key?: string | undefined;
  readonly?: boolean | undefined;
  /** Return bulk strings as Buffers (binary values) instead of UTF-8 strings. */
  buffers?: boolean | undefined;
}

const AS_BUFFERS = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } as const;

/** What a connection keeps of how it was made. */
interface Internals {
  config: ResolvedConnectionConfig;
  endpoint: Endpoint;
  state: ConnectState;
  credentials: SharedCredentials | undefined;
  view: ProviderView | undefined;
}

/** One live connection (or cluster client) to Redis. Create with {@link connect}. */
export class RedisConnection {
  /** `'cluster'` when the client talks to every shard of a Redis Cluster. */
  readonly mode: 'single' | 'cluster';
  /** The endpoint, without credentials, e.g. `rediss://host:10000`. Safe to log. */
  readonly endpoint: string;
  readonly config: ResolvedConnectionConfig;
  readonly #client: SingleClient | ClusterClient;
  readonly #internals: Internals;
  #closed = false;

  /** @internal use {@link connect} */
  constructor(client: SingleClient | ClusterClient, internals: Internals) {
    this.#client = client;
    this.#internals = internals;
    this.mode = internals.endpoint.cluster ? 'cluster' : 'single';
    this.config = internals.config;
    this.endpoint = internals.state.endpoint;
  }

  /** The underlying node-redis client, for commands this library does not wrap. */
  get client(): SingleClient | ClusterClient {
    return this.#client;
  }

  /**
   * Sends one command. On a cluster it goes to the node that owns `route.key`. Errors come back
   * as AgentMemoryErrors: TimeoutError after `commandTimeoutMs`, ConnectionError when the server
   * cannot be reached, RedisCommandError when Redis rejects the command.
   */
  send<T = unknown>(args: readonly RedisArgument[], route: CommandRoute = {}): Promise<T> {
    const failure = this.#internals.state.credentialsFailure;
    if (failure && this.mode === 'single' && !(this.#client as SingleClient).isReady) return Promise.reject(failure);
    const options = route.buffers ? AS_BUFFERS : undefined;
    const pending =
      this.mode === 'cluster'
        ? (this.#client as ClusterClient).sendCommand<T>(route.key, route.readonly ?? false, args as RedisArgument[], options)
        : (this.#client as SingleClient).sendCommand<T>(args, options);
    return this.#withDeadline(pending, commandName(args));
  }

  /** `pending`, or a TimeoutError after commandTimeoutMs; failures translated. */
  #withDeadline<T>(pending: Promise<T>, command: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline: Deadline = { at: Date.now() + this.config.commandTimeoutMs, command, reject };
      this.#deadlines.add(deadline);
      this.#sweep();
      pending.then(
        (reply) => {
          this.#deadlines.delete(deadline);
          resolve(reply);
        },
        (error: unknown) => {
          this.#deadlines.delete(deadline);
          reject(translateError(error, command));
        },
      );
    });
  }

  // node-redis stops timing a command once it is written to the socket, so a server that stops
  // answering would hang the caller forever. Deadlines are kept here instead, by one coarse
  // sweeper per connection (a timer per command costs more than the command on a fast path).
  readonly #deadlines = new Set<Deadline>();
  #sweeper: NodeJS.Timeout | undefined;

  #sweep(): void {
    if (this.#sweeper) return;
    const every = Math.max(5, Math.min(100, Math.floor(this.config.commandTimeoutMs / 20)));
    this.#sweeper = setInterval(() => {
      if (this.#deadlines.size === 0) {
        clearInterval(this.#sweeper);
        this.#sweeper = undefined;
        return;
      }
      const now = Date.now();
      for (const d of this.#deadlines) {
        if (d.at > now) continue;
        this.#deadlines.delete(d);
        // While reconnecting fails on credentials, that is why there was no reply.
        d.reject(
          this.#internals.state.credentialsFailure ??
            new TimeoutError(`${d.command} got no reply within ${this.config.commandTimeoutMs} ms`),
        );
      }
    }, every);
    this.#sweeper.unref();
  }

  /**
   * Runs commands in one MULTI/EXEC, one round trip. On a cluster every key must share `key`'s
   * slot (the library's keys of one user or scope do). Returns each command's reply.
   */
  transaction(commands: readonly (readonly RedisArgument[])[], key: string): Promise<unknown[]> {
    let exec: Promise<unknown[]>;
    if (this.mode === 'cluster') {
      const multi = (this.#client as ClusterClient).multi(key);
      for (const command of commands) multi.addCommand(key, false, command as RedisArgument[]);
      exec = multi.exec() as Promise<unknown[]>;
    } else {
      const multi = (this.#client as SingleClient).multi();
      for (const command of commands) multi.addCommand(command as RedisArgument[]);
      exec = multi.exec() as Promise<unknown[]>;
    }
    return this.#withDeadline(exec, 'MULTI');
  }

  /** Every key matching `pattern`, in batches, from every master (the server, or each cluster node). */
  async *scan(pattern: string, count = 1000): AsyncIterable<string[]> {
    const clients =
      this.mode === 'cluster'
        ? await Promise.all((this.#client as ClusterClient).masters.map((m) => (this.#client as ClusterClient).nodeClient(m)))
        : [this.#client as SingleClient];
    for (const client of clients) {
      for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: count })) if (keys.length > 0) yield keys;
    }
  }

  /**
   * Subscribes this connection to a pub/sub channel (use a connection of its own: see
   * {@link duplicate}). On a cluster, classic pub/sub reaches every node.
   */
  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    try {
      await (this.#client as SingleClient).subscribe(channel, listener);
    } catch (error) {
      throw translateError(error, 'SUBSCRIBE');
    }
  }

  /**
   * A new, independent connection with the same settings (for a pub/sub subscriber, say). It
   * shares this connection's credentials: a token refresh or {@link rotateSecret} reaches it too.
   */
  async duplicate(): Promise<RedisConnection> {
    return open(this.config, this.#internals.credentials);
  }

  /**
   * Swaps the password or access key without a restart (say, after switching Azure Managed
   * Redis to its secondary key). The new secret is first checked on a fresh connection; if the
   * server refuses it, this rejects with a CredentialsError and nothing changes. Otherwise every
   * live connection sharing these credentials (duplicates, every cluster node, subscribers)
   * re-authenticates with it, queued behind the commands already sent, and so do reconnections.
   * Entra ID tokens refresh themselves and cannot be rotated by hand.
   *
   * @example await memory.connection.rotateSecret(process.env.AMR_SECONDARY_KEY!);
   */
  async rotateSecret(secret: string): Promise<void> {
    const credentials = this.#internals.credentials;
    if (typeof secret !== 'string' || secret === '') {
      throw new InvalidArgumentError('secret', [{ path: '', message: 'must be a non-empty string' }]);
    }
    if (!credentials || credentials.kind !== 'static') {
      throw new InvalidArgumentError('rotateSecret call', [
        {
          path: '',
          message: credentials
            ? 'Microsoft Entra ID tokens refresh themselves; there is no secret to rotate'
            : 'this connection has no password or access key to rotate',
        },
      ]);
    }
    const username = credentials.staticUsername;
    const candidate = new SharedCredentials(
      definedOnly({ type: 'password' as const, username, password: secret }),
      () => undefined,
    );
    const probe = await open(this.config, candidate).catch((error: unknown) => {
      throw error instanceof CredentialsError
        ? new CredentialsError(`${this.endpoint} refused the new secret; the connections keep the old one.`, { cause: error })
        : error;
    });
    await probe.close();
    credentials.rotate(secret);
  }

  /** Closes the connection; waits for commands already sent. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    try {
      await this.#client.close();
    } catch {
      this.#client.destroy();
    } finally {
      this.#internals.view?.detach();
      this.#internals.credentials?.release();
    }
  }
}

/**
 * Connects to Redis. Resolves once the connection is ready; rejects within `connectTimeoutMs`
 * with a ConnectionError, TimeoutError or CredentialsError, leaving nothing running.
 *
 * @example const conn = await connect({ url: 'redis://localhost:6379' });
 * @example const amr = await connect({ host: 'my-cache.westeurope.redis.azure.net', auth: { type: 'entra' } });
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
  };
  const client = endpoint.cluster
    ? createClusterClient(config, endpoint, view, state)
    : createSingleClient(config, endpoint, view, state);
  client.on('error', (error: Error): void => {
    state.lastError = error;
    config.onError?.(error);
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
  return new RedisConnection(client, { config, endpoint, state, credentials, view });
}

/** The auth the config asks for, in one form: `auth`, `username`/`password`, or the URL's credentials. */
function authOf(config: ResolvedConnectionConfig, endpoint: Endpoint): ResolvedAuthConfig | undefined {
  if (config.credentialsProvider) return undefined;
  if (config.auth) return config.auth;
  const given =
    config.password !== undefined ? { username: config.username, password: config.password } : endpoint.urlCredentials;
  return given ? definedOnly({ type: 'password' as const, username: given.username, password: given.password }) : undefined;
}

interface ConnectState {
  ready: boolean;
  deadline: number;
  lastError: Error | undefined;
  /** Set while reconnecting fails on credentials; commands then fail with it instead of waiting. */
  credentialsFailure: CredentialsError | undefined;
  /** `redis[s]://host:port`, safe to log. */
  endpoint: string;
}

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
    } else if (!state.ready && isTlsFailure(cause)) {
      return translateConnectError(cause, state, cause);
    }
    if (!state.ready && Date.now() >= state.deadline) return translateConnectError(cause, state, cause);
    if (maxAttempts !== undefined && retries >= maxAttempts) {
      return new ConnectionError(
        `Lost the connection to ${state.endpoint} and gave up after ${maxAttempts} attempts` + lastErrorSuffix(cause),
      );
    }
    // Exponential backoff with "equal jitter": half the delay fixed, half random, so that many
    // clients dropped together do not reconnect in lockstep.
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(retries, 20));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  };
}

type Provider = NonNullable<RedisClientOptions['credentialsProvider']>;

function authOptions(config: ResolvedConnectionConfig, view: ProviderView | undefined) {
  if (config.credentialsProvider) return { credentialsProvider: config.credentialsProvider as Provider };
  return view ? { credentialsProvider: view as Provider } : {};
}

function createSingleClient(
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
    // command is never sent after a reconnect; send() keeps the deadline once it is written.
    commandOptions: { timeout: config.commandTimeoutMs },
    socket: { host: seed.host, port: seed.port, ...socketOptions(config, endpoint, state) },
  }) as unknown as SingleClient;
}

function createClusterClient(
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
  }) as unknown as ClusterClient;
}

function commandName(args: readonly RedisArgument[]): string {
  const first = args[0];
  return typeof first === 'string' ? first.toUpperCase() : 'command';
}

function isCredentialsFailure(error: unknown): boolean {
  return (
    error instanceof CredentialsError ||
    (error instanceof ErrorReply && /^(WRONGPASS|NOAUTH|NOPERM)\b/.test(error.message))
  );
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

function isTlsFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && TLS_TRUST_CODES.has(code);
}

function lastErrorSuffix(error: unknown): string {
  return error instanceof Error ? ` (last error: ${error.message})` : '';
}

function translateConnectError(error: unknown, state: ConnectState, lastError: unknown): AgentMemoryError {
  if (error instanceof AgentMemoryError) return error;
  if (lastError instanceof CredentialsError) return lastError;
  const endpoint = state.endpoint;
  if (isCredentialsFailure(error) || isCredentialsFailure(lastError)) {
    return new CredentialsError(
      `${endpoint} refused the credentials. Check the username and password or access key, or for ` +
        'Microsoft Entra ID that the identity has an access policy assignment on this cache.',
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
  return new ConnectionError(`Could not connect to ${endpoint}${lastErrorSuffix(lastError ?? error)}`, {
    cause: error,
  });
}

/** Maps a node-redis failure of one command onto the library's errors. */
export function translateError(error: unknown, command: string): Error {
  if (error instanceof AgentMemoryError) return error;
  if (error instanceof NodeRedisTimeoutError) {
    return new TimeoutError(`${command} timed out in the client's queue`, { cause: error });
  }
  if (error instanceof ClientClosedError) {
    return new ConnectionError('The connection is closed; create a new one', { cause: error });
  }
  if (
    error instanceof ClientOfflineError ||
    error instanceof SocketClosedUnexpectedlyError ||
    error instanceof ReconnectStrategyError
  ) {
    return new ConnectionError(`${command} failed: the connection to Redis is down (${error.message})`, {
      cause: error,
    });
  }
  if (isCredentialsFailure(error)) {
    return new CredentialsError(
      `Redis refused ${command}: ${(error as Error).message}. Check the user's ACL rules or access policy.`,
      { cause: error },
    );
  }
  if (error instanceof ErrorReply) {
    return new RedisCommandError(`Redis rejected ${command}: ${error.message}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
