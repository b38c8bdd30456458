// What every test file uses to reach the harness's servers: the targets to run against, a fresh
// key prefix per file, and cleanup. Tests never share keys, so files run in parallel safely.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { connect, type RedisConnection } from '../../src/connection/connect.js';
import type { ConnectionConfig } from '../../src/connection/config.js';

export interface RedisTarget {
  /** `redis8`, `redis7` or `external`. */
  name: string;
  url: string;
  /** Version of the binary the harness started; null for an external server. */
  version: string | null;
}

export interface HarnessInfo {
  targets: RedisTarget[];
  cluster: { nodes: { host: string; port: number }[]; version: string } | null;
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

/** Targets that have Redis 8 vector sets. */
export const redis8Targets = (): RedisTarget[] => targets().filter((t) => t.name !== 'redis7');

/** A key prefix no other test file uses. */
export const uniquePrefix = (label = 't'): string => `${label}${randomBytes(4).toString('hex')}`;

export async function connectTo(target: RedisTarget, overrides: Partial<ConnectionConfig> = {}): Promise<RedisConnection> {
  return connect({ url: target.url, ...overrides } as ConnectionConfig);
}

export async function connectToCluster(overrides: Partial<ConnectionConfig> = {}): Promise<RedisConnection> {
  const cluster = harness().cluster;
  if (!cluster) throw new Error('the harness started no cluster');
  return connect({ nodes: cluster.nodes, ...overrides } as ConnectionConfig);
}

/** Deletes every key under `prefix` (SCAN + UNLINK), on a single server. */
export async function deletePrefix(connection: RedisConnection, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await connection.send<[string, string[]]>(['SCAN', cursor, 'MATCH', `${prefix}:*`, 'COUNT', '1000']);
    if (keys.length > 0) await connection.send(['UNLINK', ...keys]);
    cursor = next;
  } while (cursor !== '0');
}
