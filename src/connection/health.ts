// memory.health(): the state of every connection of one family (the main one and each live
// duplicate: subscribers, blocking readers), for readiness probes. One PING per socket, all at once,
// within one short deadline; it never throws for a connection that is down, it says so.
import { z } from 'zod';
import { ConnectionError, TimeoutError, type AgentMemoryError } from '../errors.js';
import { parseInput } from '../validate.js';
import type { ClusterClient, ConnectionRole, RedisConnection, SingleClient } from './connection.js';
import { asOwnMajorError } from './foreign-errors.js';
import { translateError } from './failures.js';

/** Options of `memory.health()`. */
export const HealthOptionsSchema = z
  .object({
    /** How long every PING may take, in ms: a connection not answering by then counts as down. Default 1000. */
    timeoutMs: z.number().int().min(1).max(60_000).default(1_000),
  })
  .strict();

export type HealthOptions = z.input<typeof HealthOptionsSchema>;

/** The state of one socket: a connection, or on a cluster one master (or the pub/sub node) of it. */
export interface ConnectionHealth {
  role: ConnectionRole;
  /** What the connection serves (a channel, `group/consumer`), for a duplicate that says. */
  name?: string;
  /** `redis[s]://host:port`, without credentials. */
  endpoint: string;
  ok: boolean;
  /**
   * `ping`: a PING went and `latencyMs` is its round trip. `socket`: the connection holds a
   * blocking read (a PING would wait behind it), so only its socket's state is known.
   */
  probe: 'ping' | 'socket';
  /** The PING's round trip (or the time until it failed), in ms; absent for a `socket` probe. */
  latencyMs?: number;
  /** Why `ok` is false: the library's error code and message (no secrets). */
  error?: { code: string; message: string };
}

/** What `memory.health()` returns: `ok` when every connection answered. */
export interface HealthReport {
  ok: boolean;
  connections: ConnectionHealth[];
}

/**
 * Pings every live connection of `connection`'s family at once (on a cluster client, each master
 * once, and a subscriber's pub/sub node), within `timeoutMs`. Never rejects for a down connection.
 *
 * @example const { ok } = await checkHealth(connection, { timeoutMs: 500 });
 */
export async function checkHealth(connection: RedisConnection, options: HealthOptions = {}): Promise<HealthReport> {
  const { timeoutMs } = parseInput(HealthOptionsSchema, options, 'health options');
  const connections = (await Promise.all(connection.connections().map((c) => connectionHealth(c, timeoutMs)))).flat();
  return { ok: connections.every((c) => c.ok), connections };
}

/** One entry per socket of `connection`: one for a single client, one per master (or the pub/sub node) of a cluster. */
async function connectionHealth(connection: RedisConnection, timeoutMs: number): Promise<ConnectionHealth[]> {
  const { role, name } = connection.purpose;
  const label = name === undefined ? { role } : { role, name };
  // Closed duplicates leave the registry; a closed main connection stays, and is down.
  if (connection.closed) {
    const error = errorOf(new ConnectionError('the connection is closed (memory.close() was called)'));
    return [{ ...label, endpoint: connection.endpoint, ok: false, probe: 'ping', latencyMs: 0, error }];
  }
  // Reconnecting fails on credentials: that is the news, and a PING could only wait for it.
  const failure = connection.credentialsFailure();
  if (failure) return [{ ...label, endpoint: connection.endpoint, ok: false, probe: 'ping', latencyMs: 0, error: errorOf(failure) }];
  if (connection.mode === 'single') {
    const client = connection.client as SingleClient;
    if (role === 'blocking-reader') return [socketHealth(label, connection.endpoint, client)];
    return [await ping(label, connection.endpoint, () => client, timeoutMs)];
  }
  const cluster = connection.client as ClusterClient;
  const scheme = connection.endpoint.startsWith('rediss:') ? 'rediss' : 'redis';
  const at = (node: { host: string; port: number }) => `${scheme}://${node.host.includes(':') ? `[${node.host}]` : node.host}:${node.port}`;
  // A subscriber's socket is the one node node-redis subscribed on (internal to its cluster client;
  // read structurally): that is the connection to check, not the masters it never uses.
  const pubSub = role === 'subscriber' ? pubSubNodeOf(cluster) : undefined;
  if (pubSub) return [await ping(label, `${scheme}://${pubSub.address}`, () => pubSub.client, timeoutMs)];
  if (cluster.masters.length === 0) {
    return [{ ...label, endpoint: connection.endpoint, ok: false, probe: 'ping', latencyMs: 0, error: errorOf(notConnectedError()) }];
  }
  return Promise.all(
    cluster.masters.map((m) => ping(label, at(m), () => cluster.nodeClient(m) as Promise<SingleClient> | SingleClient, timeoutMs)),
  );
}

/** Sends one PING on `clientOf()`'s socket; its outcome within `timeoutMs`, never a rejection. */
async function ping(
  label: { role: ConnectionRole; name?: string },
  endpoint: string,
  clientOf: () => SingleClient | Promise<SingleClient>,
  timeoutMs: number,
): Promise<ConnectionHealth> {
  const started = performance.now();
  const took = () => Math.round((performance.now() - started) * 100) / 100;
  const down = (error: AgentMemoryError): ConnectionHealth => ({
    ...label,
    endpoint,
    ok: false,
    probe: 'ping',
    latencyMs: took(),
    error: errorOf(error),
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const answered = (async () => {
      const client = await clientOf();
      // A client that is reconnecting would queue the PING until it is back: down is the answer now.
      if (!client.isReady) throw notConnectedError(client);
      // In RESP3 a subscribed connection takes PING like any command (RESP2 would not: the library
      // speaks RESP3 only), and node-redis sends it as one.
      await client.sendCommand(['PING'], { typeMapping: {}, timeout: timeoutMs });
    })();
    answered.catch(() => undefined); // settled below, or abandoned after the deadline
    if ((await Promise.race([answered, timedOut])) === 'timeout') return down(new TimeoutError(`PING got no reply within ${timeoutMs} ms`));
    return { ...label, endpoint, ok: true, probe: 'ping', latencyMs: took() };
  } catch (error) {
    return down(translateError(asOwnMajorError(error), 'PING'));
  } finally {
    clearTimeout(timer);
  }
}

/** A connection holding a blocking read: its socket's state (its reads have their own deadline). */
function socketHealth(label: { role: ConnectionRole; name?: string }, endpoint: string, client: SingleClient): ConnectionHealth {
  return client.isReady
    ? { ...label, endpoint, ok: true, probe: 'socket' }
    : { ...label, endpoint, ok: false, probe: 'socket', error: errorOf(notConnectedError(client)) };
}

/** node-redis's pub/sub node of a cluster client (`_slots.pubSubNode`), when it has subscribed. */
function pubSubNodeOf(cluster: ClusterClient): { address: string; client: SingleClient } | undefined {
  const node = (cluster as unknown as { _slots?: { pubSubNode?: { address?: unknown; client?: unknown } } })._slots?.pubSubNode;
  return typeof node?.address === 'string' && typeof node.client === 'object' && node.client !== null
    ? { address: node.address, client: node.client as SingleClient }
    : undefined;
}

const notConnectedError = (client?: SingleClient) =>
  new ConnectionError(
    client && !client.isOpen ? 'not connected: the client is closed' : 'not connected: the client is reconnecting to Redis',
  );

function errorOf(error: AgentMemoryError): { code: string; message: string } {
  return { code: error.code, message: error.message };
}
