// What every test file uses to reach the harness's servers: the targets to run against, a fresh
// key prefix per file, and cleanup. Tests never share keys, so files run in parallel safely.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { connect, type RedisConnection } from '../../src/connection/connect.js';
import type { ConnectionConfig } from '../../src/connection/config.js';
import type { RedisClientType, RedisClusterType } from '@redis/client';

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
}

declare module 'vitest' {
  export interface ProvidedContext {
    harness: HarnessInfo;
  }
}

export const harness = (): HarnessInfo => inject('harness');

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

export async function connectTo(target: RedisTarget, overrides: Partial<ConnectionConfig> = {}): Promise<RedisConnection> {
  const endpoint = target.nodes ? { nodes: target.nodes, clusterPolicy: 'oss' as const } : { url: target.url };
  const auth = target.user ? { auth: { type: 'password' as const, ...target.user } } : {};
  return connect({ ...endpoint, ...auth, ...overrides } as ConnectionConfig);
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
