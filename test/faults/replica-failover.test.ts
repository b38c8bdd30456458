// Failover behind one address, as a standalone endpoint does it (a DNS name or virtual IP that moves
// to the promoted replica): the library's open connection still reaches the old primary, now a
// replica that refuses writes with READONLY. The library must leave it for a new connection (which
// reaches the new primary) and retry within the deadline: no write lost or doubled, every failure
// typed, writes back within the deadline. A proxy plays the address; two Redis 8 servers swap roles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawCommand, startRedis, type LocalRedis } from '../../scripts/local-redis.js';
import { ServerUnavailableError } from '../../src/errors.js';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import { harness, uniquePrefix } from '../harness/index.js';
import { auditAppends, runAppends, sleep, untypedFailures } from './load.js';
import { FaultProxy } from './proxy.js';

const binary = harness().binaries.redis8;

/** Waits until `replica` reports its link to its master up and in sync. */
async function synced(replica: LocalRedis): Promise<void> {
  for (const deadline = Date.now() + 10_000; ; await sleep(20)) {
    const info = await rawCommand(replica.port, 'INFO replication');
    if (/master_link_status:up/.test(info) && !/master_sync_in_progress:1/.test(info)) return;
    if (Date.now() > deadline) throw new Error(`replica never synced:\n${info}`);
  }
}

describe.skipIf(!binary)('faults: failover behind one address (standalone Redis 8, READONLY from the old primary)', () => {
  const prefix = uniquePrefix('fr');
  const sessions = { maxMessages: 0 };
  let a: LocalRedis;
  let b: LocalRedis;
  let proxy: FaultProxy;
  let memory: AgentMemory;

  beforeAll(async () => {
    [a, b] = await Promise.all([startRedis(binary!), startRedis(binary!)]);
    proxy = await FaultProxy.start({ host: a.host, port: a.port });
    memory = await createAgentMemory({ redis: { url: proxy.url, commandTimeoutMs: 3000 }, prefix, sessions });
  });
  afterAll(async () => {
    await memory?.close();
    await proxy?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('under load: the open connection leaves the demoted primary, 0 writes lost or doubled, failures typed', async () => {
    await rawCommand(b.port, `REPLICAOF ${a.host} ${a.port}`);
    await synced(b);
    const refs = Array.from({ length: 8 }, (_, i) => ({ userId: `u${i % 4}`, sessionId: `s${i}` }));
    const load = runAppends(memory, { refs, total: 800, concurrency: 8, label: 'f', giveUpAfterMs: 10_000 });
    await load.acked(200);
    // The failover: writes stop on A (a replica of nothing yet would still accept them), B takes
    // over with A's data, the address moves to B, and A follows B.
    const startedAt = Date.now();
    await rawCommand(a.port, 'CLIENT PAUSE 10000 WRITE');
    await sleep(50);
    await rawCommand(b.port, 'REPLICAOF NO ONE');
    proxy.retarget({ host: b.host, port: b.port });
    await rawCommand(a.port, `REPLICAOF ${b.host} ${b.port}`);
    const demotedAt = Date.now();
    await rawCommand(a.port, 'CLIENT UNPAUSE');
    const ackedAtFailover = load.acks.length;
    await load.done;
    const firstAckAfter = load.acks.find((t) => t > demotedAt);

    const direct = await createAgentMemory({ redis: { url: b.url }, prefix, sessions });
    try {
      const audit = await auditAppends(direct, load);
      console.log(
        `faults: replica-failover sessions: ${audit.acknowledged} acknowledged (${ackedAtFailover} before the failover), ${audit.lost.length} lost, ` +
          `${audit.duplicated.length} duplicated, ${load.failures.describe()}, ${audit.alreadyApplied} retries found their write already applied; ` +
          `first write acknowledged ${firstAckAfter === undefined ? 'never' : `${firstAckAfter - demotedAt} ms`} after the old primary was demoted (failover began ${demotedAt - startedAt} ms before); ` +
          `proxy connections ${proxy.stats.connections}`,
      );
      expect(ackedAtFailover).toBeLessThan(800);
      expect(audit).toMatchObject({ acknowledged: 800, lost: [], duplicated: [], unacknowledged: 0, strangers: 0 });
      expect(untypedFailures(load.failures)).toEqual([]);
      expect(load.failures.hung).toBe(0);
      // Every write after the failover went to B: A (now B's replica) holds exactly B's data.
      expect(await rawCommand(b.port, 'INFO replication')).toMatch(/role:master/);
      expect(firstAckAfter! - demotedAt).toBeLessThan(3000);
    } finally {
      await direct.close();
    }
  }, 60_000);

  it('a connection that can only reach a replica fails typed and transient, naming READONLY, after its deadline', async () => {
    // B is the primary now; A is its replica. Talk to A directly.
    const stuck = await createAgentMemory({ redis: { url: a.url, commandTimeoutMs: 600 }, prefix, sessions });
    try {
      const error = await stuck.sessions
        .session({ userId: 'u9', sessionId: 'x' })
        .append({ role: 'user', content: 'hi' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerUnavailableError);
      expect((error as ServerUnavailableError).transient).toBe(true);
      expect((error as Error).message).toMatch(/READONLY/);
      expect((error as Error).message).toMatch(/replica/);
    } finally {
      await stuck.close();
    }
  }, 20_000);
});
