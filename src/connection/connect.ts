// Turns a validated config into a live node-redis client (single server or cluster) behind one small
// RedisConnection: send a command routed by key, duplicate for pub/sub, close. Every failure leaves
// here as an AgentMemoryError; nothing keeps running after close() or a failed connect.
import {
  ErrorReply,
  RESP_TYPES,
  ReconnectStrategyError,
  createClient,
  createCluster,
  type RedisArgument,
  type RedisClientOptions,
  type RedisClientType,
  type RedisClusterType,
} from '@redis/client';
import {
  AgentMemoryError,
  ConnectionError,
  CredentialsError,
  InvalidArgumentError,
  RedisCommandError,
  TimeoutError,
} from '../errors.js';
import { backoffDelay } from './backoff.js';
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
import {
  isCredentialsFailure,
  isTlsFailure,
  isReplicaReply,
  isUnavailableReply,
  translateError,
  unavailableError,
} from './failures.js';

type SingleClient = RedisClientType;
type ClusterClient = RedisClusterType;

/** One command (all its attempts) waiting for its reply, due by `at`. */
interface Deadline {
  at: number;
  command: string;
  reject: (error: Error) => void;
  /** An attempt is on its way to the server (false while waiting to retry). */
  inFlight: boolean;
  /** The last unavailable reply (LOADING, BUSY…) an attempt got, if any. */
  unavailable: ErrorReply | undefined;
  attempts: number;
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
   * cannot be reached, OutOfMemoryError at maxmemory, RedisCommandError when Redis rejects the
   * command. A reply that says the server cannot serve yet (LOADING, BUSY, CLUSTERDOWN, TRYAGAIN,
   * MASTERDOWN) is retried within the same deadline, then is a ServerUnavailableError.
   */
  send<T = unknown>(args: readonly RedisArgument[], route: CommandRoute = {}): Promise<T> {
    const failure = this.#internals.state.credentialsFailure;
    if (failure && this.mode === 'single' && !(this.#client as SingleClient).isReady) return Promise.reject(failure);
    const typeMapping = route.buffers ? AS_BUFFERS : {};
    return this.#run(commandName(args), (remainingMs) => {
      // node-redis drops a command still queued at `timeout`: an attempt is never sent after its deadline.
      const options = { ...typeMapping, timeout: remainingMs };
      return this.mode === 'cluster'
        ? (this.#client as ClusterClient).sendCommand<T>(route.key, route.readonly ?? false, args as RedisArgument[], options)
        : (this.#client as SingleClient).sendCommand<T>(args as RedisArgument[], options);
    });
  }

  /**
   * Runs `attempt` until it succeeds or fails for good, within one deadline of commandTimeoutMs.
   * An unavailable reply (LOADING, BUSY…) means the command was not executed, so sending it again
   * cannot apply it twice: it is retried after a short backoff, as a reconnect would be. Every
   * failure leaves translated; `names` are a transaction's commands, for its error message.
   */
  #run<T>(command: string, attempt: (remainingMs: number) => Promise<T>, names?: readonly string[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline: Deadline = {
        at: Date.now() + this.config.commandTimeoutMs,
        command,
        reject,
        inFlight: false,
        unavailable: undefined,
        attempts: 0,
      };
      // Once the sweeper has answered for a deadline, later outcomes of its attempt are dropped.
      const pending = (): boolean => this.#deadlines.has(deadline);
      const fail = (error: Error): void => {
        this.#deadlines.delete(deadline);
        reject(error);
      };
      const once = (): void => {
        deadline.attempts++;
        deadline.inFlight = true;
        attempt(Math.max(1, deadline.at - Date.now())).then(
          (reply) => {
            if (!pending()) return;
            this.#deadlines.delete(deadline);
            resolve(reply);
          },
          (error: unknown) => {
            deadline.inFlight = false;
            if (!pending()) return;
            if (!isUnavailableReply(error)) return fail(translateError(error, command, names ? { commands: names } : {}));
            deadline.unavailable = error as ErrorReply;
            if (isReplicaReply(error)) this.#leaveReplica();
            const left = deadline.at - Date.now();
            if (left <= 0 || this.#closed) return fail(this.#unavailable(deadline));
            setTimeout(() => {
              if (!pending()) return;
              if (Date.now() >= deadline.at) return fail(this.#unavailable(deadline));
              once();
            }, Math.min(left, this.#retryDelay(deadline.attempts - 1)));
          },
        );
      };
      this.#deadlines.add(deadline);
      this.#sweep();
      once();
    });
  }

  /**
   * After a failover behind one address (a DNS name or a virtual IP that now names the new
   * primary), this connection still talks to the old primary, now a replica, which refuses every
   * write with READONLY. Only a new connection reaches the new primary, and node-redis opens one
   * by itself when its socket drops: so the connection drops itself (CLIENT KILL of its own id) and
   * the refused commands are retried within their deadline. Once at a time; a server that refuses
   * CLIENT KILL leaves only the retries.
   */
  #leaveReplica(): void {
    if (this.mode !== 'single' || this.#leaving || this.#closed) return;
    const client = this.#client as SingleClient;
    this.#leaving = (async () => {
      const id = await client.sendCommand<number>(['CLIENT', 'ID']);
      await client.sendCommand(['CLIENT', 'KILL', 'ID', String(id), 'SKIPME', 'no']);
    })()
      .catch(() => undefined) // the reply to our own kill is lost with the connection; a refusal leaves the retries
      .finally(() => (this.#leaving = undefined));
  }

  #leaving: Promise<void> | undefined;

  /** The wait before a retry: the reconnect backoff, capped so that about ten attempts fit one deadline. */
  #retryDelay(retries: number): number {
    const { initialDelayMs, maxDelayMs } = this.config.reconnect;
    return backoffDelay(retries, initialDelayMs, Math.min(maxDelayMs, Math.max(1, this.config.commandTimeoutMs / 10)));
  }

  /** The failure of a command whose deadline ran out on unavailable replies. */
  #unavailable(deadline: Deadline): Error {
    return unavailableError(deadline.unavailable!, deadline.command, {
      waitedMs: this.config.commandTimeoutMs,
      attempts: deadline.attempts,
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
        // Waiting to retry after LOADING or the like: nothing is in flight, nothing ran.
        if (d.unavailable && !d.inFlight) {
          d.reject(this.#unavailable(d));
          continue;
        }
        // While reconnecting fails on credentials, that is why there was no reply.
        d.reject(
          this.#internals.state.credentialsFailure ??
            new TimeoutError(
              `${d.command} got no reply within ${this.config.commandTimeoutMs} ms` +
                (d.unavailable ? ` (earlier attempts got ${d.unavailable.message.split(' ')[0]})` : ''),
            ),
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
    // A LOADING or BUSY reply to a queued command aborts the whole EXEC: it is retried as a whole.
    return this.#run(
      'MULTI',
      () => {
        if (this.mode === 'cluster') {
          const multi = (this.#client as ClusterClient).multi(key);
          for (const command of commands) multi.addCommand(key, false, command as RedisArgument[]);
          return multi.exec() as Promise<unknown[]>;
        }
        const multi = (this.#client as SingleClient).multi();
        for (const command of commands) multi.addCommand(command as RedisArgument[]);
        return multi.exec() as Promise<unknown[]>;
      },
      commands.map(commandName),
    );
  }

  /** Every key matching `pattern`, in batches, from every master (the server, or each cluster node). */
  async *scan(pattern: string, count = 1000): AsyncIterable<string[]> {
    try {
      const clients =
        this.mode === 'cluster'
          ? await Promise.all((this.#client as ClusterClient).masters.map((m) => (this.#client as ClusterClient).nodeClient(m)))
          : [this.#client as SingleClient];
      for (const client of clients) {
        for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: count })) if (keys.length > 0) yield keys;
      }
    } catch (error) {
      throw translateError(error, 'SCAN');
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
    database: endpoint.database,
  };
  const client = endpoint.cluster
    ? createClusterClient(config, endpoint, view, state)
    : createSingleClient(config, endpoint, view, state);
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
      // Still waiting for an Entra ID token: the network is not the problem, the identity is.
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
  /** The database selected at connect, if any. */
  database: number | undefined;
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
    } else if (!state.ready && (isTlsFailure(cause) || (cause instanceof ErrorReply && !isUnavailableReply(cause)))) {
      // An untrusted certificate, or a handshake the server refused (SELECT of a database it does
      // not have, HELLO it does not know…): the same again would fail the same way. A server still
      // loading or busy may pass: that is retried until the deadline.
      return translateConnectError(cause, state, cause);
    }
    if (!state.ready && Date.now() >= state.deadline) return translateConnectError(cause, state, cause);
    if (maxAttempts !== undefined && retries >= maxAttempts) {
      return new ConnectionError(
        `Lost the connection to ${state.endpoint} and gave up after ${maxAttempts} attempts` + lastErrorSuffix(cause),
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
    // A node that stays unreachable is usually a master being failed over: ask the cluster for its
    // slots again one second after the first reconnect attempt (node-redis waits five), so its
    // users are served by the promoted replica as soon as the cluster has one.
    topologyRefreshOnReconnectionAttemptStrategy: CLUSTER_TOPOLOGY_REFRESH_MS,
  }) as unknown as ClusterClient;
}

const CLUSTER_TOPOLOGY_REFRESH_MS = 1000;

function commandName(args: readonly RedisArgument[]): string {
  const first = args[0];
  return typeof first === 'string' ? first.toUpperCase() : 'command';
}

function lastErrorSuffix(error: unknown): string {
  return error instanceof Error ? ` (last error: ${error.message})` : '';
}

/** Why a connection could not be made (or, for onError, was lost), as the library's error. */
function translateConnectError(error: unknown, state: ConnectState, lastError: unknown): AgentMemoryError {
  if (error instanceof AgentMemoryError) return error;
  // The reconnect strategy gave up with one of these errors: that one says why.
  if (error instanceof ReconnectStrategyError && error.originalError instanceof AgentMemoryError) return error.originalError;
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
