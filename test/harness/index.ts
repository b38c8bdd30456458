// What every test file uses to reach the harness's servers: the targets to run against, a fresh
// key prefix per file, and cleanup. Tests never share keys, so files run in parallel safely.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { startRedis, type LocalRedis } from '../../scripts/local-redis.js';
import { adopt, connect, type NodeRedisClientLike, type RedisConnection } from '../../src/connection/connect.js';
import type { ConnectionConfig } from '../../src/connection/config.js';
import type { AgentMemoryConfig } from '../../src/agent-memory.js';
import { createClient, createCluster, type RedisClientType, type RedisClusterType } from '@redis/client';
import { createClient as createClientV5, createCluster as createClusterV5 } from 'node-redis-v5';

export interface RedisTarget {
  /** `redis8`, `redis7`, `cluster` or `external`. */
  name: string;
  /** A single server's URL; for the cluster, its first node's. */
  url: string;
  /** Set for the cluster target: its seed nodes. */
  nodes?: { host: string; port: number }[];
  /** Version of the binary the harness started; null for an external server. */
  version: string | null;
  /** Connect as this ACL user (the `cluster-acl` target). */
  user?: { username: string; password: string };
}

export interface HarnessInfo {
  targets: RedisTarget[];
  /** The cluster, and an ACL user (all commands, all keys) the harness made on every node. */
  cluster: { nodes: { host: string; port: number }[]; version: string; acl: { username: string; password: string } } | null;
  /** Redis 8's TLS port, its certificate signed by a throwaway CA (PEM); null with REDIS_URL. */
  tls: { host: string; port: number; ca: string } | null;
  binaries: { redis8?: string; redis7?: string };
  redisearchUrl: string | null;
  /** PostgreSQL with the `vector` extension created in the URL's database: the harness's own, or POSTGRES_URL's. */
  postgres: { url: string; version: string } | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    harness: HarnessInfo;
  }
}

export const harness = (): HarnessInfo => inject('harness');

/** The harness's PostgreSQL (pgvector ready), for the cold-tier suites. */
export const postgresUrl = (): string => {
  const postgres = harness().postgres;
  if (!postgres) throw new Error('the harness started no PostgreSQL: run scripts/provision-pgvector.sh, or set POSTGRES_URL');
  return postgres.url;
};

/** Every single-server target (Redis 8 and Redis 7, or the external one). */
export const targets = (): RedisTarget[] => harness().targets;

/**
 * The single-server targets plus the harness's Redis Cluster: for suites that must run on both.
 * `{ asAclUser: true }` adds `cluster-acl`: the same cluster, connected as an ACL user with the
 * OSS cluster policy, as an application on Azure Managed Redis runs (the session and cache suites).
 */
export const targetsWithCluster = ({ asAclUser = false } = {}): RedisTarget[] => {
  const cluster = harness().cluster;
  if (!cluster) return targets();
  const first = cluster.nodes[0]!;
  const base = { url: `redis://${first.host}:${first.port}`, nodes: cluster.nodes, version: cluster.version };
  return [...targets(), { name: 'cluster', ...base }, ...(asAclUser ? [{ name: 'cluster-acl', ...base, user: cluster.acl }] : [])];
};

/** Targets that have Redis 8 vector sets. */
export const redis8Targets = (): RedisTarget[] => targets().filter((t) => t.name !== 'redis7');

/** A key prefix no other test file uses. */
export const uniquePrefix = (label = 't'): string => `${label}${randomBytes(4).toString('hex')}`;

/**
 * `AM_TEST_CLIENT=own-v6` or `own-v5`: every connectTo (and memoryConfig) adopts a node-redis client
 * the harness made itself (node-redis 6 or 5, RESP3), as an application passing `client` does.
 * Unset: the library opens its own connection, as with `redis`.
 */
export const ownClient = (): 'v6' | 'v5' | undefined => {
  const value = process.env.AM_TEST_CLIENT;
  if (value === undefined || value === '') return undefined;
  if (value === 'own-v6' || value === 'own-v5') return value === 'own-v6' ? 'v6' : 'v5';
  throw new Error(`AM_TEST_CLIENT must be own-v6 or own-v5, not ${value}`);
};

type UserClient = NodeRedisClientLike & {
  close(): Promise<void>;
  destroy(): void;
  on(event: 'error', listener: (e: Error) => void): unknown;
};

/** A node-redis client of the given major for `target`, not yet open, as a user would create one. */
function userClientFor(major: 'v6' | 'v5', target: RedisTarget, overrides: Partial<ConnectionConfig>): UserClient {
  const credentials = target.user ? { username: target.user.username, password: target.user.password } : {};
  const socket = {
    connectTimeout: overrides.connectTimeoutMs ?? 5_000,
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000),
  };
  const common = { RESP: 3 as const, name: overrides.clientName ?? 'redis-agent-memory' };
  const client = target.nodes
    ? ((major === 'v6' ? createCluster : createClusterV5) as (options: never) => unknown)({
        ...common,
        rootNodes: target.nodes.map((n) => ({ socket: { host: n.host, port: n.port } })),
        defaults: { ...credentials, socket },
      } as never)
    : ((major === 'v6' ? createClient : createClientV5) as (options: never) => unknown)({
        ...common,
        ...credentials,
        url: target.url,
        socket,
      } as never);
  const user = client as unknown as UserClient;
  // The application's listener (the library adds none to a client it adopts): errors go to onError.
  user.on('error', (error) => overrides.onError?.(error));
  return user;
}

/** The adopt options that mean what `overrides` asks of a connection the library would open. */
const adoptOptionsOf = (overrides: Partial<ConnectionConfig>) => ({
  ...(overrides.commandTimeoutMs !== undefined ? { commandTimeoutMs: overrides.commandTimeoutMs } : {}),
  ...(overrides.connectTimeoutMs !== undefined ? { connectTimeoutMs: overrides.connectTimeoutMs } : {}),
  ...(overrides.onError !== undefined ? { onError: overrides.onError } : {}),
});

/** Closes `client` once `connection` closes: the test owns the client it made, as an application would. */
function closingClientWith(connection: RedisConnection, client: UserClient): RedisConnection {
  const close = connection.close.bind(connection);
  connection.close = async () => {
    await close();
    if (client.isOpen) await client.close().catch(() => client.destroy());
  };
  return connection;
}

export async function connectTo(target: RedisTarget, overrides: Partial<ConnectionConfig> = {}): Promise<RedisConnection> {
  const major = ownClient();
  if (major) {
    const client = userClientFor(major, target, overrides);
    try {
      return closingClientWith(await adopt(client, adoptOptionsOf(overrides)), client);
    } catch (error) {
      client.destroy();
      throw error;
    }
  }
  const endpoint = target.nodes ? { nodes: target.nodes, clusterPolicy: 'oss' as const } : { url: target.url };
  const auth = target.user ? { auth: { type: 'password' as const, ...target.user } } : {};
  return connect({ ...endpoint, ...auth, ...overrides } as ConnectionConfig);
}

/**
 * The connection part of a createAgentMemory config for `target`: `redis`, or with AM_TEST_CLIENT a
 * `client` the harness made. `release()` closes that client (call it after memory.close()).
 */
export function memoryConfig(
  target: RedisTarget,
  overrides: Partial<ConnectionConfig> = {},
): { config: Pick<AgentMemoryConfig, 'redis' | 'client' | 'clientOptions'>; release: () => Promise<void> } {
  const major = ownClient();
  if (major) {
    const client = userClientFor(major, target, overrides);
    return {
      config: { client, clientOptions: adoptOptionsOf(overrides) },
      release: async () => {
        if (client.isOpen) await client.close().catch(() => client.destroy());
      },
    };
  }
  const endpoint = target.nodes ? { nodes: target.nodes } : { url: target.url };
  const auth = target.user ? { auth: { type: 'password' as const, ...target.user } } : {};
  return { config: { redis: { ...endpoint, ...auth, ...overrides } as ConnectionConfig }, release: async () => undefined };
}

export async function connectToCluster(overrides: Partial<ConnectionConfig> = {}): Promise<RedisConnection> {
  const cluster = harness().cluster;
  if (!cluster) throw new Error('the harness started no cluster');
  return connect({ nodes: cluster.nodes, ...overrides } as ConnectionConfig);
}

/** Every key matching `pattern`, found with SCAN on every master (the one server, or each cluster node). */
export async function scanKeys(connection: RedisConnection, pattern: string): Promise<string[]> {
  const clients =
    connection.mode === 'cluster'
      ? await Promise.all((connection.client as RedisClusterType).masters.map((m) => (connection.client as RedisClusterType).nodeClient(m)))
      : [connection.client as RedisClientType];
  const found: string[] = [];
  for (const client of clients) {
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) found.push(...keys);
  }
  return found;
}

/** Deletes every key under `prefix`, on a single server or a cluster. */
export async function deletePrefix(connection: RedisConnection, prefix: string): Promise<void> {
  for (const key of await scanKeys(connection, `${prefix}:*`)) await connection.send(['UNLINK', key], { key });
}

/**
 * A Redis 8 of the calling describe block's own, with extra server arguments (a maxmemory, say),
 * and a connection to it: started before the block's tests, stopped after them. For tests that
 * change or fill a server, which the shared ones must never be.
 */
export function ownRedis8(args: readonly string[] = []): { readonly server: LocalRedis; readonly connection: RedisConnection } {
  const own = {} as { server: LocalRedis; connection: RedisConnection };
  beforeAll(async () => {
    own.server = await startRedis(harness().binaries.redis8!, [...args]);
    own.connection = await connect({ url: own.server.url });
  });
  afterAll(async () => {
    await own.connection?.close();
    await own.server?.stop();
  });
  return own;
}
