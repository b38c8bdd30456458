// Adopts a node-redis client or cluster the caller made (node-redis 6, or 5): checked at the edge
// (RESP3, no keyPrefix), opened if it is not yet, wrapped in a RedisConnection that never closes it
// nor listens to its events. Only what the library opens for it (pub/sub duplicates) is the library's.
import { z } from 'zod';
import { InvalidArgumentError, TimeoutError } from '../errors.js';
import { parseInput } from '../validate.js';
import { translateConnectError, type ConnectState } from './connect-failures.js';
import { asOwnMajorError } from './foreign-errors.js';
import { RedisConnection, type ClusterClient, type ConnectionOrigin, type ConnectionSettings, type SingleClient } from './connection.js';

/**
 * A node-redis client (`createClient`) or cluster (`createCluster`), of node-redis 6 or 5, typed
 * structurally so that either major's types fit and node-redis 5 is never imported.
 */
export interface NodeRedisClientLike {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: the two majors' signatures differ; checked at run time
  duplicate(...args: any[]): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  sendCommand(...args: any[]): Promise<unknown>;
}

interface ClientShape {
  isOpen?: unknown;
  connect?: unknown;
  duplicate?: unknown;
  sendCommand?: unknown;
  subscribe?: unknown;
  multi?: unknown;
  withTypeMapping?: unknown;
  scanIterator?: unknown;
  masters?: unknown;
  nodeClient?: unknown;
  options?: { RESP?: unknown; keyPrefix?: unknown; socket?: { host?: unknown; port?: unknown; tls?: unknown }; url?: unknown };
  _options?: ClientShape['options'] & {
    defaults?: { socket?: { tls?: unknown } };
    rootNodes?: { url?: unknown; socket?: { host?: string; port?: number } }[];
  };
}

const fn = (v: unknown): boolean => typeof v === 'function';

/** A cluster has `masters` and `nodeClient`; nothing else here does. */
const isCluster = (c: ClientShape): boolean => Array.isArray(c.masters) && fn(c.nodeClient);

/** A client is what `createClient` returns; a pool (no `duplicate`, no `subscribe`) is not. */
const isSingle = (c: ClientShape): boolean =>
  fn(c.sendCommand) && fn(c.duplicate) && fn(c.subscribe) && fn(c.multi) && fn(c.scanIterator) && fn(c.withTypeMapping);

const isNodeRedisClient = (v: unknown): v is NodeRedisClientLike =>
  typeof v === 'object' &&
  v !== null &&
  fn((v as ClientShape).connect) &&
  typeof (v as ClientShape).isOpen === 'boolean' &&
  (isCluster(v as ClientShape) || isSingle(v as ClientShape));

const optionsOf = (c: ClientShape): ClientShape['_options'] => c.options ?? c._options;

/**
 * The protocol the client speaks. node-redis 6 (whose clients and clusters have the `_keyPrefix`
 * getter it added) defaults to RESP3; node-redis 5 and older default to RESP2.
 */
function protocolOf(c: ClientShape): unknown {
  return optionsOf(c)?.RESP ?? ('_keyPrefix' in c ? 3 : 2);
}

/** Your node-redis client or cluster, for `createAgentMemory({ client })`. */
export const AdoptableClientSchema = z
  .custom<NodeRedisClientLike>(
    isNodeRedisClient,
    'must be a node-redis client or cluster (from createClient or createCluster of node-redis 6 or 5; a client pool is not one)',
  )
  .superRefine((client, ctx) => {
    const shape = client as ClientShape;
    if (protocolOf(shape) !== 3) {
      ctx.addIssue({
        code: 'custom',
        message:
          'speaks RESP2; the library speaks RESP3 only (its replies are parsed as RESP3 maps and doubles): ' +
          'create it with `RESP: 3`, e.g. createClient({ url, RESP: 3 }) (node-redis 5 defaults to RESP2)',
      });
    }
    if (optionsOf(shape)?.keyPrefix !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message:
          'has a keyPrefix, which node-redis applies to some commands and not others (the library sends raw ' +
          "commands and Lua scripts): give the library's own `prefix` instead, on a client without keyPrefix",
      });
    }
  });

const DelaySchema = z.number().int().min(1).max(300_000);

/** How the library uses a client it adopts. The client's own options are untouched. */
export const AdoptOptionsSchema = z
  .object({
    /** Time allowed for one command before it fails with a TimeoutError, in ms. Default 5000. */
    commandTimeoutMs: z.number().int().min(1).max(600_000).default(5_000),
    /**
     * How long to wait for your client to open (when it is not open yet) and for each connection
     * the library opens from it (pub/sub subscribers), in ms. Default 5000. Your client keeps
     * trying by its own reconnect strategy after this; only the wait ends.
     */
    connectTimeoutMs: z.number().int().min(1).max(600_000).default(5_000),
    /** Backoff of the retries of a command the server cannot serve yet (LOADING, BUSY…). */
    retry: z
      .object({ initialDelayMs: DelaySchema.default(50), maxDelayMs: DelaySchema.default(2_000) })
      .strict()
      .default({ initialDelayMs: 50, maxDelayMs: 2_000 }),
    /**
     * Receives errors of the connections the library opens from your client (pub/sub subscribers).
     * Your client's own errors go to your `'error'` listeners, never here.
     */
    onError: z.custom<(error: Error) => void>((v) => typeof v === 'function').optional(),
  })
  .strict();

export type AdoptOptions = z.input<typeof AdoptOptionsSchema>;
type ResolvedAdoptOptions = z.output<typeof AdoptOptionsSchema>;

/**
 * Wraps your node-redis client or cluster (RESP3) in a RedisConnection, opening it first if it is
 * not open. The connection's `close()` leaves your client open.
 *
 * @example const conn = await adopt(createClient({ url, RESP: 3 }), { commandTimeoutMs: 2000 });
 */
export async function adopt(client: NodeRedisClientLike, options: AdoptOptions = {}): Promise<RedisConnection> {
  const adopted = parseInput(AdoptableClientSchema, client, 'client') as unknown as SingleClient | ClusterClient;
  const resolved = parseInput(AdoptOptionsSchema, options, 'client options');
  const cluster = isCluster(adopted as unknown as ClientShape);
  if (!adopted.isOpen) await openWithin(adopted, resolved.connectTimeoutMs, describe(adopted, cluster));
  return new RedisConnection(adopted, originOf(adopted, cluster, resolved, true));
}

/**
 * Waits for `client.connect()` up to `timeoutMs`. A failure is the library's error; a client that is
 * not the library's is left as it is (still trying, or closed by its reconnect strategy).
 */
async function openWithin(client: SingleClient | ClusterClient, timeoutMs: number, endpoint: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const connecting = client.connect();
  connecting.catch(() => undefined); // settled below, or abandoned after the timeout
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    if ((await Promise.race([connecting, timedOut])) === 'timeout') {
      throw new TimeoutError(
        `Your node-redis client did not connect to ${endpoint} within ${timeoutMs} ms (connectTimeoutMs). ` +
          'It keeps trying by its own reconnect strategy; check its URL, TLS and credentials.',
      );
    }
  } catch (error) {
    if (error instanceof TimeoutError) throw error;
    throw translateConnectError(asOwnMajorError(error), connectState(endpoint, timeoutMs), asOwnMajorError(error));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What a connection over `client` does. `adopted`: the caller's client, never closed here; else a
 * duplicate the library opened, closed with its connection. Either way, credentials are the
 * client's: node-redis options the caller chose, which the library cannot rotate.
 */
function originOf(
  client: SingleClient | ClusterClient,
  cluster: boolean,
  options: ResolvedAdoptOptions,
  adopted: boolean,
): ConnectionOrigin {
  const settings: ConnectionSettings = {
    commandTimeoutMs: options.commandTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    reconnect: options.retry,
    ...(options.onError ? { onError: options.onError } : {}),
  };
  return {
    adopted,
    cluster,
    endpoint: describe(client, cluster),
    settings,
    // Whether the client's credentials fail is the client's to know: there is no fast fail here.
    credentialsFailure: () => undefined,
    duplicate: () => duplicateOf(client, cluster, options),
    rotateSecret: async () => {
      throw new InvalidArgumentError('rotateSecret call', [
        {
          path: '',
          message:
            "the client's credentials are yours: this connection adopted your node-redis client, so change them on " +
            'it (its credentialsProvider, or new client options) and on any client the library duplicated from it',
        },
      ]);
    },
    release: adopted
      ? async () => undefined
      : async () => {
          try {
            await client.close();
          } catch {
            client.destroy();
          }
        },
  };
}

/**
 * A new connection from the caller's client's options, owned by the library (a subscriber): it
 * gets the library's error handling, and no client-side cache (a subscriber reads nothing, and a
 * cache instance shared by two clients would be invalidated by the wrong one).
 */
async function duplicateOf(
  client: SingleClient | ClusterClient,
  cluster: boolean,
  options: ResolvedAdoptOptions,
): Promise<RedisConnection> {
  const copy = (client.duplicate as (overrides: object) => SingleClient | ClusterClient)({ clientSideCache: undefined });
  const state = connectState(describe(client, cluster), options.connectTimeoutMs);
  // Without a listener node-redis would throw its socket errors at the process: this one is ours.
  copy.on('error', (raw: Error) => {
    const error = asOwnMajorError(raw) as Error;
    state.lastError = error;
    options.onError?.(translateConnectError(error, state, error));
  });
  try {
    await openWithin(copy, options.connectTimeoutMs, state.endpoint);
  } catch (error) {
    copy.destroy();
    throw error;
  }
  state.ready = true;
  return new RedisConnection(copy, originOf(copy, cluster, options, false));
}

const connectState = (endpoint: string, timeoutMs: number): ConnectState => ({
  ready: false,
  deadline: Date.now() + timeoutMs,
  lastError: undefined,
  credentialsFailure: undefined,
  endpoint,
  database: undefined,
});

/** `redis[s]://host:port` of the client (a cluster: its first master), without credentials. */
function describe(client: SingleClient | ClusterClient, cluster: boolean): string {
  const shape = client as unknown as ClientShape;
  const options = optionsOf(shape);
  if (cluster) {
    const first = (shape.masters as { host?: string; port?: number }[])[0];
    const tls = options?.defaults?.socket?.tls ? 'rediss' : 'redis';
    if (first?.host !== undefined) return `${tls}://${first.host}:${first.port}`;
    const seed = options?.rootNodes?.[0];
    const host = seed?.socket?.host ?? (typeof seed?.url === 'string' ? new URL(seed.url).hostname : 'localhost');
    return `${tls}://${host}:${seed?.socket?.port ?? 6379}`;
  }
  if (typeof options?.url === 'string') {
    try {
      const url = new URL(options.url);
      return `${url.protocol}//${url.hostname}:${url.port || 6379}`;
    } catch {
      // an unparsable URL: fall through to the socket options
    }
  }
  const socket = options?.socket;
  const host = typeof socket?.host === 'string' ? socket.host : 'localhost';
  const port = typeof socket?.port === 'number' ? socket.port : 6379;
  return `${socket?.tls ? 'rediss' : 'redis'}://${host}:${port}`;
}
