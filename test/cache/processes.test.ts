// Stampede protection and near-cache consistency across real processes, on Redis 8 and the cluster.
import { afterEach, describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/cache.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { Keyspace } from '../../src/keys.js';
import { connectTo, deletePrefix, targetsWithCluster, uniquePrefix } from '../harness/index.js';
import { startWorker, type Worker } from './worker.js';

const workers: Worker[] = [];
afterEach(() => {
  for (const w of workers.splice(0)) w.kill();
});

const stampedeTargets = targetsWithCluster().filter((t) => t.name !== 'redis7');

describe.each(stampedeTargets.map((t) => [t.name, t] as const))('across processes (%s)', (_, target) => {
  const setup = (cache: Record<string, unknown>, { listen = true } = {}) => {
    const prefix = uniquePrefix('p');
    const config = {
      redis: target.nodes ? { nodes: target.nodes } : { url: target.url },
      prefix,
      cache,
      key: 'hot-key',
      counter: `${prefix}:computes`,
      listen,
    };
    const spawn = (n: number) => {
      const started = Array.from({ length: n }, () => startWorker(config));
      workers.push(...started);
      return started;
    };
    const computes = async () => {
      const conn = await connectTo(target);
      try {
        return Number((await conn.send<string | null>(['GET', config.counter], { key: config.counter })) ?? 0);
      } finally {
        await deletePrefix(conn, prefix);
        await conn.close();
      }
    };
    return { spawn, computes, prefix };
  };

  it('200 concurrent misses on one key from 4 processes cause exactly 1 compute', async () => {
    const { spawn, computes } = setup({ stampede: { mode: 'lock', lockTtlMs: 5000 } });
    const procs = spawn(4);
    await Promise.all(procs.map((p) => p.next('ready')));
    for (const p of procs) p.send({ op: 'stampede', callers: 50, computeMs: 300 });
    const done = await Promise.all(procs.map((p) => p.next('done')));
    const values = done.flatMap((d) => d.values as { n: number; computedBy: number }[]);
    expect(values).toHaveLength(200);
    expect(new Set(values.map((v) => JSON.stringify(v))).size).toBe(1);
    expect(await computes()).toBe(1);
    const stats = done.map((d) => d.stats as Record<string, number>);
    expect(stats.reduce((a, s) => a + s.computes!, 0)).toBe(1);
    expect(stats.reduce((a, s) => a + s.coalesced!, 0)).toBe(196); // 49 per process joined its own flight
    expect(stats.reduce((a, s) => a + s.lockWaits!, 0)).toBe(3); // the other three processes waited
  });

  it('a killed lock holder is taken over by exactly one other caller after the lock expires', async () => {
    const { spawn, computes } = setup({ stampede: { mode: 'lock', lockTtlMs: 1000, pollIntervalMs: 100 } });
    const [holder, ...others] = spawn(3);
    await Promise.all([holder!, ...others].map((p) => p.next('ready')));
    holder!.send({ op: 'hold' });
    await holder!.next('computing');
    for (const p of others) p.send({ op: 'stampede', callers: 10, computeMs: 50 });
    await new Promise((r) => setTimeout(r, 200));
    holder!.kill();
    const done = await Promise.all(others.map((p) => p.next('done', 10_000)));
    const values = done.flatMap((d) => d.values as { n: number }[]);
    expect(values).toHaveLength(20);
    expect(new Set(values.map((v) => v.n))).toEqual(new Set([2])); // the takeover's computation, the second one
    expect(await computes()).toBe(2);
    const stats = done.map((d) => d.stats as Record<string, number>);
    expect(stats.reduce((a, s) => a + s.lockTakeovers!, 0)).toBe(1);
    expect(stats.reduce((a, s) => a + s.computes!, 0)).toBe(1);
  });

  it('two processes with near caches stay consistent through pub/sub', async () => {
    const { spawn, computes, prefix } = setup({ nearCache: { maxEntries: 100, ttlSeconds: 60 } });
    const [a, b] = spawn(2);
    await Promise.all([a!.next('ready'), b!.next('ready')]);
    const ask = async (w: Worker, key: string) => {
      w.send({ op: 'get', key });
      return (await w.next('value')) as { value: unknown; stats: Record<string, number> };
    };
    // The test process writes through its own cache of the same name.
    const conn = await connectTo(target);
    try {
      const writer = new Cache(conn, new Keyspace(prefix), { name: 'shared', nearCache: { maxEntries: 100, ttlSeconds: 60 } });
      await writer.set('k', 'v1', { tags: ['t'] });
      await new Promise((r) => setTimeout(r, 100)); // its event reaches both first (it would drop their copies)
      expect((await ask(a!, 'k')).value).toBe('v1');
      expect((await ask(b!, 'k')).value).toBe('v1');
      const warm = await ask(a!, 'k');
      expect(warm.stats.nearHits).toBeGreaterThanOrEqual(1); // served from process memory
      await writer.set('k', 'v2');
      await new Promise((r) => setTimeout(r, 100));
      expect((await ask(a!, 'k')).value).toBe('v2');
      expect((await ask(b!, 'k')).value).toBe('v2');
      await writer.delete('k');
      await new Promise((r) => setTimeout(r, 100));
      expect((await ask(a!, 'k')).value).toBeNull();
      await writer.set('k2', 'tagged', { tags: ['doc:1'] });
      expect((await ask(b!, 'k2')).value).toBe('tagged');
      await writer.invalidateTag('doc:1');
      await new Promise((r) => setTimeout(r, 100));
      expect((await ask(b!, 'k2')).value).toBeNull();
      await writer.close();
    } finally {
      await conn.close();
      await computes();
    }
  });

  it('a computed value that cannot be stored fails a waiter in another process at once, not after lockTtlMs', async () => {
    const stampede = { lockTtlMs: 20_000, pollIntervalMs: 10_000 };
    const { spawn, computes, prefix } = setup({ stampede });
    const [waiter] = spawn(1);
    await waiter!.next('ready');
    const conn = await connectTo(target);
    const cache = new Cache(conn, new Keyspace(prefix), { name: 'shared', stampede });
    try {
      // The subscriber first (a cluster client's duplicate can take tens of ms), so that the lock is
      // surely taken within the 50 ms the waiter is given.
      await cache.listen();
      const computing = cache
        .getOrCompute('hot-key', async () => {
          await new Promise((r) => setTimeout(r, 300));
          return undefined; // JSON cannot hold it
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      await new Promise((r) => setTimeout(r, 50));
      waiter!.send({ op: 'fetch', key: 'hot-key' });
      const fetched = await waiter!.next('fetched', 10_000);
      expect(fetched).toMatchObject({ code: 'COMPUTE_FAILED' });
      expect(fetched.ms).toBeLessThan(2000);
      expect(await computing).toBeInstanceOf(InvalidArgumentError);
    } finally {
      await cache.close();
      await conn.close();
      await computes();
    }
  });

  it('a near cache hears every writer from its first operation on, writers without a near cache too', async () => {
    const { spawn, computes, prefix } = setup({ nearCache: { maxEntries: 100, ttlSeconds: 60 } }, { listen: false });
    const [a] = spawn(1);
    await a!.next('ready');
    const ask = async (key: string) => {
      a!.send({ op: 'get', key });
      return (await a!.next('value')) as { value: unknown; stats: Record<string, number> };
    };
    const conn = await connectTo(target);
    const writer = new Cache(conn, new Keyspace(prefix), { name: 'shared' }); // no near cache, never listens
    try {
      await writer.set('k', 'v1');
      await new Promise((r) => setTimeout(r, 100)); // its event would drop a copy made before it arrives
      expect((await ask('k')).value).toBe('v1'); // the worker's first operation
      expect((await ask('k')).stats.nearHits).toBe(1);
      await writer.set('k', 'v2');
      await new Promise((r) => setTimeout(r, 100));
      expect((await ask('k')).value).toBe('v2');
      await writer.delete('k');
      await new Promise((r) => setTimeout(r, 100));
      expect((await ask('k')).value).toBeNull();
      await writer.set('k2', 'tagged', { tags: ['doc:1'] });
      await new Promise((r) => setTimeout(r, 100));
      expect((await ask('k2')).value).toBe('tagged');
      expect((await ask('k2')).stats.nearHits).toBe(2);
      await writer.invalidateTag('doc:1');
      await new Promise((r) => setTimeout(r, 100));
      expect((await ask('k2')).value).toBeNull();
      await writer.getOrCompute('k3', () => 'computed');
      expect((await ask('k3')).value).toBe('computed');
      await writer.delete('k3');
      await writer.getOrCompute('k3', () => 'recomputed');
      await new Promise((r) => setTimeout(r, 100));
      expect((await ask('k3')).value).toBe('recomputed');
    } finally {
      await writer.close();
      await conn.close();
      await computes();
    }
  });
});
