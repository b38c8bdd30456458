// What the single-key deletion cases share (the eviction model: Redis evicts and expires key by
// key): a probe that bounds and judges every call, the pick of the one key to delete, and the
// servers each file opens under its own prefix. Each entity's cases live in their own file here.
import { afterAll, beforeAll, expect } from 'vitest';
import { connect, type RedisConnection } from '../../../src/connection/connect.js';
import { createAgentMemory, type AgentMemory, type AgentMemoryConfig } from '../../../src/index.js';
import { connectToCluster, deletePrefix, harness, targets, uniquePrefix } from '../../harness/index.js';
import { attempt, describeError, Tally, type Outcome } from '../invariants.js';

export const TENANT = 'sk';
export const redis8 = targets().find((t) => t.name === 'redis8');
export const redis7 = targets().find((t) => t.name === 'redis7');
const cluster = harness().cluster;

/** A server (or the cluster) a case runs on: an admin connection to delete keys with, and the library on it. */
export interface World {
  name: 'redis8' | 'redis7' | 'cluster';
  admin: RedisConnection;
  memory: AgentMemory;
  /** How a second process would connect. */
  redis: AgentMemoryConfig['redis'];
}

/** The servers a file's cases run on, by name (resolved once `useServers` has opened them). */
export const WORLDS = [...(redis8 ? ['redis8' as const] : []), ...(cluster ? ['cluster' as const] : [])];

/** One case's calls and findings. */
export class Probe {
  readonly tally = new Tally();
  /** Invariant violations. */
  problems: string[] = [];
  /** What was observed, for the figures line. */
  readonly notes: string[] = [];

  async call<T>(what: string, fn: () => T | Promise<T>): Promise<T | undefined> {
    const outcome = this.tally.add(what, await attempt(fn)) as Outcome<Awaited<T>>;
    if (outcome.ok) return outcome.value;
    if ('error' in outcome) this.notes.push(`${what} failed: ${describeError(outcome.error)}`);
    return undefined;
  }

  line(entity: string, kind: string): string {
    return `faults: single-key ${entity} ${kind}: ${this.tally.describe()}; ${this.problems.length} invariant violations${this.notes.length ? `; ${this.notes.join('; ')}` : ''}`;
  }

  expectClean(): void {
    expect(this.tally.untyped).toEqual([]);
    expect(this.tally.hung).toEqual([]);
    expect(this.problems).toEqual([]);
  }
}

/** Waits (up to 2 s) until a computation has started, i.e. `started()` is set. */
export async function computing(started: () => unknown): Promise<void> {
  for (const deadline = Date.now() + 2000; !started(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() > deadline) throw new Error('the computation never started');
  }
}

/** The one key of `kind` to delete, from what a SCAN found; fails the case when there is none. */
export function pick(keys: string[], match: (key: string) => boolean, kind: string): string {
  const found = keys.filter(match);
  if (found.length === 0) throw new Error(`no key of kind ${kind} among ${keys.length} keys:\n${keys.join('\n')}`);
  return found[0]!;
}

export interface Servers {
  prefix: string;
  admin8: RedisConnection;
  admin7: RedisConnection | undefined;
  memory8: AgentMemory;
  memory7: AgentMemory | undefined;
  /** Redis 8 and the cluster (when the harness started them): the worlds of WORLDS. */
  worlds: Map<World['name'], World>;
}

/** Opens an admin connection and an AgentMemory (with `config`) on Redis 8 and Redis 7 for the file's tests; deletes the file's keys after. */
export function useServers(name: string, config: Partial<AgentMemoryConfig> = {}): Servers {
  const servers = { prefix: uniquePrefix(name), worlds: new Map() } as Servers;
  beforeAll(async () => {
    if (cluster) {
      const redis = { nodes: cluster.nodes, clusterPolicy: 'oss' as const };
      servers.worlds.set('cluster', {
        name: 'cluster',
        admin: await connectToCluster(),
        memory: await createAgentMemory({ ...config, redis, prefix: servers.prefix }),
        redis,
      });
    }
    servers.admin8 = await connect({ url: redis8!.url });
    servers.memory8 = await createAgentMemory({ ...config, redis: { url: redis8!.url }, prefix: servers.prefix });
    if (redis7) {
      servers.admin7 = await connect({ url: redis7.url });
      servers.memory7 = await createAgentMemory({ ...config, redis: { url: redis7.url }, prefix: servers.prefix });
    }
    servers.worlds.set('redis8', { name: 'redis8', admin: servers.admin8, memory: servers.memory8, redis: { url: redis8!.url } });
  });
  afterAll(async () => {
    const onCluster = servers.worlds.get('cluster');
    if (onCluster) {
      await onCluster.memory.close();
      await deletePrefix(onCluster.admin, servers.prefix);
      await onCluster.admin.close();
    }
    await servers.memory8?.close();
    await servers.memory7?.close();
    if (servers.admin8) await deletePrefix(servers.admin8, servers.prefix);
    if (servers.admin7) await deletePrefix(servers.admin7, servers.prefix);
    await servers.admin8?.close();
    await servers.admin7?.close();
  });
  return servers;
}
