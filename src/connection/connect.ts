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
  RedisCommandError,
  TimeoutError,
} from '../errors.js';
import { definedOnly } from '../defined.js';
import { parseInput } from '../validate.js';
import { ConnectionConfigSchema, type ConnectionConfig, type ResolvedConnectionConfig } from './config.js';

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

/** One live connection (or cluster client) to Redis. Create with {@link connect}. */
export class RedisConnection {
  /** `'cluster'` when the client talks to every shard of a Redis Cluster. */
  readonly mode: 'single' | 'cluster';
  /** The endpoint, without credentials, e.g. `rediss://host:10000`. Safe to log. */
  readonly endpoint: string;
  readonly config: ResolvedConnectionConfig;
  readonly #client: SingleClient | ClusterClient;
  #closed = false;

  /** @internal use {@link connect} */
  constructor(client: SingleClient | ClusterClient, mode: 'single' | 'cluster', config: ResolvedConnectionConfig) {
    this.#client = client;
    this.mode = mode;
    this.config = config;
    this.endpoint = describeEndpoint(config);
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
        d.reject(new TimeoutError(`${d.command} got no reply within ${this.config.commandTimeoutMs} ms`));
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

  /** A new, independent connection with the same settings (for a pub/sub subscriber, say). */
  async duplicate(): Promise<RedisConnection> {
    return connect(this.config);
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
    }
  }
}

/**
 * Connects to Redis. Resolves once the connection is ready; rejects within `connectTimeoutMs`
 * with a ConnectionError, TimeoutError or CredentialsError, leaving nothing running.
 *
 * @example const conn = await connect({ url: 'redis://localhost:6379' });
 */
export async function connect(input: ConnectionConfig | ResolvedConnectionConfig): Promise<RedisConnection> {
  const config = parseInput(ConnectionConfigSchema, input, 'connection config');
  const state: ConnectState = { ready: false, deadline: Date.now() + config.connectTimeoutMs, lastError: undefined };
  const cluster = config.clusterPolicy === 'oss' || config.nodes !== undefined;
  const client = cluster ? createClusterClient(config, state) : createSingleClient(config, state);
  const onError = (error: Error): void => {
    state.lastError = error;
    config.onError?.(error);
  };
  client.on('error', onError);

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
        `Could not connect to ${describeEndpoint(config)} within ${config.connectTimeoutMs} ms` +
          lastErrorSuffix(state.lastError) +
          '. Check the host, port and TLS setting, and that the server is running and reachable.',
      );
    }
  } catch (error) {
    client.destroy();
    throw error instanceof AgentMemoryError ? error : translateConnectError(error, config, state.lastError);
  } finally {
    clearTimeout(timer);
  }
  state.ready = true;
  return new RedisConnection(client, cluster ? 'cluster' : 'single', config);
}

interface ConnectState {
  ready: boolean;
  deadline: number;
  lastError: Error | undefined;
}

function socketOptions(config: ResolvedConnectionConfig, state: ConnectState) {
  const tls = config.tls === undefined || config.tls === false ? undefined : config.tls === true ? {} : config.tls;
  const wantsTls = tls !== undefined || config.url?.startsWith('rediss:') === true;
  return {
    connectTimeout: config.connectTimeoutMs,
    reconnectStrategy: reconnectStrategy(config, state),
    ...(wantsTls ? { tls: true as const, ...definedOnly(tls ?? {}) } : {}),
  };
}

function reconnectStrategy(config: ResolvedConnectionConfig, state: ConnectState) {
  const { initialDelayMs, maxDelayMs, maxAttempts } = config.reconnect;
  return (retries: number, cause: Error): number | Error => {
    if (isCredentialsFailure(cause)) return translateConnectError(cause, config, cause);
    if (!state.ready && Date.now() >= state.deadline) return translateConnectError(cause, config, cause);
    if (maxAttempts !== undefined && retries >= maxAttempts) {
      return new ConnectionError(
        `Lost the connection to ${describeEndpoint(config)} and gave up after ${maxAttempts} attempts` +
          lastErrorSuffix(cause),
      );
    }
    // Exponential backoff with "equal jitter": half the delay fixed, half random, so that many
    // clients dropped together do not reconnect in lockstep.
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(retries, 20));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  };
}

function authOptions(config: ResolvedConnectionConfig) {
  if (config.credentialsProvider) {
    return { credentialsProvider: config.credentialsProvider as NonNullable<RedisClientOptions['credentialsProvider']> };
  }
  return definedOnly({ username: config.username, password: config.password });
}

function createSingleClient(config: ResolvedConnectionConfig, state: ConnectState): SingleClient {
  const socket = socketOptions(config, state);
  const endpoint = config.host !== undefined ? { host: config.host, port: config.port ?? 6379 } : {};
  return createClient({
    ...(config.url !== undefined ? { url: config.url } : {}),
    ...authOptions(config),
    ...(config.database !== undefined ? { database: config.database } : {}),
    name: config.clientName,
    // node-redis drops a command still waiting in its queue at this deadline, so a timed-out
    // command is never sent after a reconnect; send() keeps the deadline once it is written.
    commandOptions: { timeout: config.commandTimeoutMs },
    socket: { ...endpoint, ...socket },
  }) as unknown as SingleClient;
}

function createClusterClient(config: ResolvedConnectionConfig, state: ConnectState): ClusterClient {
  const seeds =
    config.nodes ?? (config.url !== undefined ? [config.url] : [{ host: config.host!, port: config.port ?? 6379 }]);
  const socket = socketOptions(config, state);
  return createCluster({
    rootNodes: seeds.map((node) =>
      typeof node === 'string' ? { url: node } : { socket: { host: node.host, port: node.port } },
    ),
    defaults: {
      ...authOptions(config),
      ...credentialsFromUrl(seeds[0]),
      name: config.clientName,
      socket,
    },
    commandOptions: { timeout: config.commandTimeoutMs },
  }) as unknown as ClusterClient;
}

/** node-redis does not carry a seed URL's credentials to the nodes it discovers; we do. */
function credentialsFromUrl(seed: string | { host: string; port: number } | undefined) {
  if (typeof seed !== 'string') return {};
  const url = new URL(seed);
  return definedOnly({
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  });
}

/** `redis[s]://host:port` of the config, with no credentials in it. */
export function describeEndpoint(config: ResolvedConnectionConfig): string {
  const tls = config.tls !== undefined && config.tls !== false;
  if (config.url !== undefined) {
    const url = new URL(config.url);
    const scheme = url.protocol === 'rediss:' || tls ? 'rediss' : 'redis';
    return `${scheme}://${url.hostname}:${url.port || 6379}`;
  }
  if (config.host !== undefined) return `${tls ? 'rediss' : 'redis'}://${config.host}:${config.port ?? 6379}`;
  const first = config.nodes?.[0];
  const seed = typeof first === 'string' ? describeEndpoint({ ...config, url: first, nodes: undefined }) : `${tls ? 'rediss' : 'redis'}://${first?.host}:${first?.port}`;
  return `${seed} (cluster)`;
}

function commandName(args: readonly RedisArgument[]): string {
  const first = args[0];
  return typeof first === 'string' ? first.toUpperCase() : 'command';
}

function isCredentialsFailure(error: unknown): boolean {
  return error instanceof ErrorReply && /^(WRONGPASS|NOAUTH|NOPERM)\b/.test(error.message);
}

function lastErrorSuffix(error: unknown): string {
  return error instanceof Error ? ` (last error: ${error.message})` : '';
}

function translateConnectError(error: unknown, config: ResolvedConnectionConfig, lastError: unknown): AgentMemoryError {
  if (error instanceof AgentMemoryError) return error;
  const endpoint = describeEndpoint(config);
  if (isCredentialsFailure(error) || isCredentialsFailure(lastError)) {
    return new CredentialsError(
      `${endpoint} refused the credentials. Check the username and password or access key, or for ` +
        'Microsoft Entra ID that the identity has an access policy assignment on this cache.',
      { cause: error },
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
