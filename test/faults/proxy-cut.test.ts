// Connections cut after a request went through and before its reply, by a proxy (proxy.ts) between
// the library and Redis 8: a retried append never writes twice, no acknowledged append or cache set
// is lost or left stale, every failure is a typed AgentMemoryError, and all works once the cuts stop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import { deletePrefix, targets, uniquePrefix } from '../harness/index.js';
import { auditAppends, auditCache, describeError, recoveryAfter, runAppends, runCacheSets, untypedFailures } from './load.js';
import { FaultProxy, type CutStyle } from './proxy.js';

const target = targets().find((t) => t.name === 'redis8');

describe.skipIf(!target)('faults: connections cut before the reply (Redis 8 behind a proxy)', () => {
  const prefix = uniquePrefix('fp');
  let proxy: FaultProxy;
  let memory: AgentMemory;
  let direct: AgentMemory;

  beforeAll(async () => {
    const { hostname, port } = new URL(target!.url);
    proxy = await FaultProxy.start({ host: hostname, port: Number(port) });
    const sessions = { maxMessages: 0 };
    memory = await createAgentMemory({
      redis: { url: proxy.url, commandTimeoutMs: 1000, reconnect: { initialDelayMs: 20, maxDelayMs: 200 } },
      prefix,
      sessions,
    });
    direct = await createAgentMemory({ redis: { url: target!.url }, prefix, sessions });
  });
  afterAll(async () => {
    await memory?.close();
    if (direct) await deletePrefix(direct.connection, prefix);
    await direct?.close();
    await proxy?.close();
  });

  /** Appends once through a cut of the given style; returns what the call threw and what its retry did. */
  async function appendThroughCut(style: CutStyle, sessionId: string) {
    const ref = { userId: 'once', sessionId };
    const chat = memory.sessions.session(ref);
    await chat.append({ role: 'user', content: 'before' });
    const cut = proxy.cutNextReply(style);
    const failed = await chat.append({ role: 'user', content: 'cut' }, { idempotencyKey: 'k' }).then(
      () => 'acknowledged',
      (e: unknown) => e,
    );
    await cut;
    const retried = await chat.append({ role: 'user', content: 'cut' }, { idempotencyKey: 'k' });
    const stored = (await direct.sessions.session(ref).messages()).map((m) => m.content);
    return { failed, retried, stored };
  }

  it.each(['close', 'reset'] as CutStyle[])(
    'a reply lost to a cut (%s): the call fails, and its retry with the same idempotency key writes nothing twice',
    async (style) => {
      const { failed, retried, stored } = await appendThroughCut(style, `retry-${style}`);
      console.log(
        `faults: proxy-cut one reply (${style}): failed with ${describeError(failed)}; retry: ${retried.appended} appended, ` +
          `${retried.duplicates} duplicate; stored ${stored.filter((c) => c === 'cut').length}×`,
      );
      expect(failed).not.toBe('acknowledged');
      expect(retried).toMatchObject({ appended: 0, duplicates: 1 });
      expect(stored).toEqual(['before', 'cut']);
    },
  );

  it.each(['close', 'reset'] as CutStyle[])(
    'a reply lost to a cut (%s) fails the call with a transient AgentMemoryError (CONNECTION_FAILED)',
    async (style) => {
      const { failed } = await appendThroughCut(style, `typed-${style}`);
      expect(describeError(failed)).toBe('ConnectionError CONNECTION_FAILED (transient)');
    },
  );

  it('random cuts under load: 0 acknowledged writes lost, 0 duplicated, every failure typed, then no failures', async () => {
    const seed = Number(process.env.FAULT_SEED ?? 1313);
    const refs = Array.from({ length: 20 }, (_, i) => ({ tenant: 'load', userId: `u${i % 10}`, sessionId: `s${i}` }));
    const cacheOptions = { name: 'faults', ttl: { mode: 'fixed' as const, seconds: 600 } };
    const cache = memory.cache(cacheOptions);
    const cutsBefore = proxy.stats.cuts;
    proxy.randomCuts({ probability: 0.1, seed });
    const appends = runAppends(memory, { refs, total: 2000, concurrency: 16, label: 'a', giveUpAfterMs: 10_000 });
    const sets = runCacheSets(cache, {
      keys: Array.from({ length: 300 }, (_, i) => `k${i}`),
      versions: 3,
      concurrency: 8,
      giveUpAfterMs: 10_000,
    });
    await Promise.all([appends.done, sets.done]);
    proxy.randomCuts(null);
    const cutAt = proxy.stats.cutAt.slice(cutsBefore);

    // The cuts are over: every operation succeeds again.
    const stoppedAt = Date.now();
    const after = runAppends(memory, { refs, total: 200, concurrency: 8, label: 'after', giveUpAfterMs: 2000 });
    const afterSets = runCacheSets(cache, {
      keys: Array.from({ length: 100 }, (_, i) => `after${i}`),
      versions: 1,
      concurrency: 4,
      giveUpAfterMs: 2000,
    });
    await Promise.all([after.done, afterSets.done]);
    const firstAfter = Math.min(...after.acks, ...afterSets.acks) - stoppedAt;

    const audit = await auditAppends(direct, appends);
    const cacheAudit = await auditCache(direct.cache(cacheOptions), sets);
    const afterAudit = await auditAppends(direct, after);
    const afterCache = await auditCache(direct.cache(cacheOptions), afterSets);
    const recovery = recoveryAfter(cutAt, [...appends.acks, ...sets.acks]);
    console.log(
      `faults: proxy-cut sessions: ${audit.acknowledged} acknowledged, ${audit.lost.length} lost, ${audit.duplicated.length} duplicated, ` +
        `${appends.failures.describe()}, ${audit.alreadyApplied} retries found their write already applied; ` +
        `${cutAt.length} cuts (seed ${seed}, ${proxy.stats.droppedBytes} reply bytes dropped), recovered in ${recovery.median} ms median, ${recovery.max} ms max after a cut`,
    );
    console.log(
      `faults: proxy-cut cache sets: ${cacheAudit.acknowledged} keys acknowledged (3 versions each), ${cacheAudit.lost} lost, ${cacheAudit.stale} stale, ` +
        `${sets.failures.describe()}, ${sets.givenUp} given up`,
    );
    console.log(
      `faults: proxy-cut after the cuts: ${afterAudit.acknowledged} appends and ${afterCache.acknowledged} sets acknowledged, ` +
        `${after.failures.total + afterSets.failures.total} failed, first success ${firstAfter} ms after the cuts stopped`,
    );

    expect(cutAt.length).toBeGreaterThanOrEqual(5);
    expect(appends.failures.total).toBeGreaterThan(0);
    expect(audit).toMatchObject({ acknowledged: 2000, lost: [], duplicated: [], unacknowledged: 0, strangers: 0 });
    expect(audit.alreadyApplied).toBeGreaterThan(0);
    expect(cacheAudit).toEqual({ acknowledged: 300, lost: 0, stale: 0 });
    expect(sets.givenUp).toBe(0);
    expect(afterAudit).toMatchObject({ acknowledged: 200, lost: [], duplicated: [], unacknowledged: 0 });
    expect(afterCache).toEqual({ acknowledged: 100, lost: 0, stale: 0 });
    expect(after.failures.total + afterSets.failures.total).toBe(0);
    // Every failure a caller saw was the library's typed error, and every call settled.
    expect(appends.failures.hung + sets.failures.hung).toBe(0);
    expect(untypedFailures(appends.failures, sets.failures)).toEqual([]);
  }, 60_000);
});
