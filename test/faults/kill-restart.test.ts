// kill -9 of a Redis 8 that fsyncs its append-only file before every reply (appendfsync always),
// under concurrent session appends, then a restart on the same data folder and port: no
// acknowledged append is lost or doubled, every failure is typed, and the library comes back by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawCommand, startRedis, type LocalRedis } from '../../scripts/local-redis.js';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import { harness, uniquePrefix } from '../harness/index.js';
import { auditAppends, runAppends, sleep, untypedFailures } from './load.js';

const binary = harness().binaries.redis8;

describe.skipIf(!binary)('faults: kill -9 and restart (Redis 8, appendfsync always)', () => {
  const prefix = uniquePrefix('fk');
  const sessions = { maxMessages: 0 };
  let server: LocalRedis;
  let memory: AgentMemory;

  beforeAll(async () => {
    server = await startRedis(binary!, [], { persistence: 'aof-always' });
    memory = await createAgentMemory({ redis: { url: server.url, commandTimeoutMs: 2000 }, prefix, sessions });
  });
  afterAll(async () => {
    await memory?.close();
    await server?.stop();
  });

  it('under load: 0 acknowledged appends lost, 0 duplicated, failures typed, operations back after the restart', async () => {
    expect(await rawCommand(server.port, 'CONFIG GET appendfsync')).toContain('always');
    const refs = Array.from({ length: 16 }, (_, i) => ({ userId: `u${i % 8}`, sessionId: `s${i}` }));
    const load = runAppends(memory, { refs, total: 1500, concurrency: 16, label: 'k', giveUpAfterMs: 15_000 });
    await load.acked(300);
    const oldPid = server.pid;
    const killedAt = Date.now();
    await server.kill('SIGKILL');
    const ackedAtKill = load.acks.length;
    await sleep(200); // down for a moment, as a crashed server is before its supervisor restarts it
    const restartAt = Date.now();
    await server.restart();
    const backAt = Date.now();
    await load.done;
    const firstAckAfter = load.acks.find((a) => a >= backAt);

    // Checked through a connection of its own, made after the restart.
    const direct = await createAgentMemory({ redis: { url: server.url }, prefix, sessions });
    try {
      const audit = await auditAppends(direct, load);
      const after = runAppends(memory, { refs, total: 200, concurrency: 8, label: 'after', giveUpAfterMs: 2000 });
      await after.done;
      const afterAudit = await auditAppends(direct, after);
      const recoveredIn = firstAckAfter === undefined ? Number.NaN : firstAckAfter - killedAt;
      console.log(
        `faults: kill-9 sessions: ${audit.acknowledged} acknowledged (${ackedAtKill} before the kill), ${audit.lost.length} lost, ` +
          `${audit.duplicated.length} duplicated, ${load.failures.describe()}, ${audit.alreadyApplied} retries found their write already applied, ` +
          `${audit.unacknowledged} given up; server down ${backAt - killedAt} ms (restart and AOF load ${backAt - restartAt} ms), ` +
          `recovered in ${recoveredIn} ms after the kill (${firstAckAfter === undefined ? 'never' : `${firstAckAfter - backAt} ms after the server was back`}); ` +
          `after: ${afterAudit.acknowledged} appends, ${after.failures.total} failed`,
      );
      expect(server.pid).not.toBe(oldPid);
      expect(ackedAtKill).toBeLessThan(1500);
      expect(load.failures.total).toBeGreaterThan(0);
      expect(audit).toMatchObject({ acknowledged: 1500, lost: [], duplicated: [], unacknowledged: 0, strangers: 0 });
      // A killed server resets its connections (ECONNRESET): that too reaches the caller typed.
      expect(untypedFailures(load.failures)).toEqual([]);
      expect(load.failures.hung).toBe(0);
      expect(recoveredIn).toBeLessThan(10_000);
      expect(afterAudit).toMatchObject({ acknowledged: 200, lost: [], duplicated: [] });
      expect(after.failures.total).toBe(0);
    } finally {
      await direct.close();
    }
  }, 60_000);
});
