// maxmemory on a Redis Cluster of this file's own (3 masters, Redis 8, vector sets), under the mixed
// load of the maxmemory tests (workload.ts). A cluster reaches its limit shard by shard:
// - noeviction, one shard at its limit: the users, cache shards and threads on it get OUT_OF_MEMORY
//   (transient) for writes, everyone else writes on, every read works, and once memory is freed
//   every session reads whole;
// - allkeys-lru on every shard: after heavy eviction, 0 untyped errors, sessions whole or gone, no
//   entry served after its tag was invalidated, list() exact, forgetUser leaves no key of the user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawCommand, startCluster, type LocalCluster } from '../../scripts/local-redis.js';
import { connect, type RedisConnection } from '../../src/connection/connect.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import { harness, uniquePrefix } from '../harness/index.js';
import { attempt, faultSeed, seeded, Tally, viewSession, type Outcome } from './invariants.js';
import { auditAfterEviction, makeWorld, nextOp, type Op, type World } from './workload.js';

const binary = harness().binaries.redis8;
const SEED = faultSeed(2727);

const usedMemory = async (port: number): Promise<number> => Number(/used_memory:(\d+)/.exec(await rawCommand(port, 'INFO memory'))![1]);
const evicted = async (port: number): Promise<number> => Number(/evicted_keys:(\d+)/.exec(await rawCommand(port, 'INFO stats'))![1]);

describe.skipIf(!binary)('faults: maxmemory on a cluster (3 masters, Redis 8)', () => {
  const prefix = uniquePrefix('fmc');
  let cluster: LocalCluster;
  let admin: RedisConnection;
  let memory: AgentMemory;
  let world: World;
  let masters: number[];
  const tallies = { write: new Tally(), read: new Tally(), free: new Tally() };
  const run = async (op: Op): Promise<Outcome<unknown>> => tallies[op.kind].add(op.name, await attempt(op.run));
  const reset = () => Object.assign(tallies, { write: new Tally(), read: new Tally(), free: new Tally() });
  const configAll = (setting: string) => Promise.all(masters.map((port) => rawCommand(port, `CONFIG SET ${setting}`)));

  beforeAll(async () => {
    cluster = await startCluster(binary!, 3);
    masters = cluster.members.filter((m) => m.role === 'master').map((m) => m.port);
    admin = await connect({ nodes: cluster.nodes });
    memory = await createAgentMemory({
      redis: { nodes: cluster.nodes, commandTimeoutMs: 3000 },
      prefix,
      sessions: { maxMessages: 0, ttl: { mode: 'sliding', seconds: 900 } },
    });
    const ltm = await memory.longTerm({
      embedder: new HashingEmbeddings(64),
      engine: 'vectorset',
      namespace: 'facts',
      fields: { tags: 'tag' },
    });
    world = makeWorld(memory, ltm, 6, 3);
    const rng = seeded(SEED);
    for (let i = 0; i < 120; i++) await run(nextOp(world, world.users[i % world.users.length]!, rng));
  }, 60_000);
  afterAll(async () => {
    await memory?.close();
    await admin?.close();
    await cluster?.stop();
  });

  it('noeviction, one shard at its limit: its writes fail OUT_OF_MEMORY, other shards write on, every read works, sessions whole after', async () => {
    reset();
    const full = masters[0]!;
    await rawCommand(full, `CONFIG SET maxmemory ${(await usedMemory(full)) + 32 * 1024}`);
    const rng = seeded(SEED + 1);
    for (let i = 0; i < 600; i++) await run(nextOp(world, world.users[i % world.users.length]!, rng));
    await rawCommand(full, 'CONFIG SET maxmemory 0');
    const all = world.users.flatMap((u) => u.sessions);
    const views = await Promise.all(all.map((s) => viewSession(s.session, s.history)));
    // Nothing is evicted: a session reads as gone only when none of its appends was ever acknowledged.
    const lost = views.flatMap((v, i) =>
      v.gone && all[i]!.history.lastAcked >= 0
        ? [`${all[i]!.history.label}: gone after ${all[i]!.history.lastAcked + 1} acknowledged appends`]
        : [],
    );
    const w = tallies.write;
    console.log(
      `faults: maxmemory cluster noeviction, 1 of 3 shards at its limit: writes ${w.describe()}; reads ${tallies.read.describe()}; deletions ${tallies.free.describe()}; ` +
        `${views.filter((v) => !v.gone).length}/${views.length} sessions whole (the others never acknowledged a write), ${lost.length} lost, ${views.flatMap((v) => v.broken).length} broken; ${world.staleReads.length} stale cache reads`,
    );
    expect(w.count('OUT_OF_MEMORY')).toBeGreaterThan(0);
    expect(w.ok).toBeGreaterThan(0);
    expect(w.unexpected('OUT_OF_MEMORY')).toEqual([]);
    expect([...w.untyped, ...w.hung]).toEqual([]);
    expect([...tallies.read.untyped, ...tallies.read.hung, ...tallies.read.unexpected()]).toEqual([]);
    expect(tallies.free.failed).toBe(0);
    expect(views.flatMap((v) => v.broken)).toEqual([]);
    expect(lost).toEqual([]);
    expect(world.staleReads).toEqual([]);
  }, 60_000);

  it('allkeys-lru on every shard, after heavy eviction: 0 untyped, sessions whole or gone, no stale tagged entry, list() exact, forgetUser leaves 0 keys', async () => {
    reset();
    await configAll('maxmemory-policy allkeys-lru');
    await Promise.all(masters.map(async (port) => rawCommand(port, `CONFIG SET maxmemory ${(await usedMemory(port)) + 128 * 1024}`)));
    const evictedBefore = (await Promise.all(masters.map(evicted))).reduce((a, b) => a + b, 0);
    await Promise.all(
      world.users.map(async (user, i) => {
        const own = seeded(SEED * 31 + i);
        for (let n = 0; n < 250; n++) await run(nextOp(world, user, own));
      }),
    );
    const evictedKeys = (await Promise.all(masters.map(evicted))).reduce((a, b) => a + b, 0) - evictedBefore;
    await configAll('maxmemory 0');

    const { views, listProblems, left, served } = await auditAfterEviction(world, admin, prefix, 3);

    const w = tallies.write;
    const whole = views.filter((v) => !v.gone);
    console.log(
      `faults: maxmemory cluster allkeys-lru: ${evictedKeys} keys evicted over 3 shards; writes ${w.describe()}; reads ${tallies.read.describe()}; deletions ${tallies.free.describe()}; ` +
        `sessions ${whole.length} whole, ${views.length - whole.length} gone, ${views.flatMap((v) => v.broken).length} broken; list(): ${listProblems.length} wrong; ` +
        `cache: ${world.staleReads.length} stale after ${world.invalidations} invalidateTag; ${world.strangers.length} strangers; forgetUser of 3 users: ${left.length} keys left, ${served.length} entries still served`,
    );
    expect(evictedKeys).toBeGreaterThanOrEqual(50);
    expect([...w.untyped, ...tallies.read.untyped, ...tallies.free.untyped]).toEqual([]);
    expect([...w.hung, ...tallies.read.hung, ...tallies.free.hung]).toEqual([]);
    expect(w.unexpected('OUT_OF_MEMORY')).toEqual([]);
    expect([...tallies.read.unexpected(), ...tallies.free.unexpected()]).toEqual([]);
    expect(views.flatMap((v) => v.broken)).toEqual([]);
    expect(listProblems).toEqual([]);
    expect(world.staleReads).toEqual([]);
    expect(world.strangers).toEqual([]);
    expect(left).toEqual([]);
    expect(served).toEqual([]);
  }, 90_000);
});
