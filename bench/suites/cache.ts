// Cache suite, on one Redis 8 server:
//   hit       getOrCompute of a cached ~1 KB JSON value at concurrency 1 and 64, against a raw
//             GET + JSON.parse of the same value (the floor for any cache-aside read);
//   hit_sliding  the same on a sliding-TTL cache (a hit moves the TTL), against a raw
//             GETEX … PX + JSON.parse (the cheapest raw read that moves it too);
//   stampede  8 independent clients (separate connections and Cache objects, as 8 processes would
//             be) x 25 concurrent callers asking for one missing key whose computation takes
//             50 ms, against naive cache-aside (GET, compute on a miss, SET): computations, and
//             the p99 time a caller waits for its value.
import { createClient } from 'redis';
import { Cache } from '../../src/cache/cache.js';
import { connect, type RedisConnection } from '../../src/connection/connect.js';
import { Keyspace } from '../../src/keys.js';
import { serverCostFigures } from '../lib/commandstats.js';
import { compare, type RunOptions } from '../lib/measure.js';
import { figure, sampleFigures, type Figure, type SuiteResult } from '../lib/report.js';
import type { SuiteContext } from '../run.js';

const VALUE = { answer: 'x'.repeat(900), model: 'gpt-4o', usage: { input: 120, output: 240 }, citations: [1, 2, 3] };
const CLIENTS = 8;
const CALLERS = 25;
const COMPUTE_MS = 50;

export async function cacheSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const prefix = `benchc${Date.now().toString(36)}`;
  const ours = await connect({ url: ctx.redis8Url });
  const raw = createClient({ url: ctx.redis8Url });
  await raw.connect();
  const figures: Figure[] = [];

  const cache = new Cache(ours, new Keyspace(prefix), { name: 'hits', ttl: { mode: 'fixed', seconds: 3600 } });
  const sliding = new Cache(ours, new Keyspace(prefix), { name: 'sliding', ttl: { mode: 'sliding', seconds: 3600 } });
  const keys = Array.from({ length: 1000 }, (_, i) => `prompt-${i}`);
  for (const key of keys) {
    await cache.set(key, VALUE);
    await sliding.set(key, VALUE);
    await raw.set(`${prefix}:raw:${key}`, JSON.stringify(VALUE));
  }
  const never = () => {
    throw new Error('a hit must not compute');
  };
  for (const concurrency of [1, 64]) {
    ctx.progress(`cache: hits at concurrency ${concurrency}`);
    const options: RunOptions = { ops: ctx.quick ? (concurrency === 1 ? 500 : 5000) : concurrency === 1 ? 2000 : 20_000, concurrency };
    const hit = await compare(
      {
        ours: (i) => cache.getOrCompute(keys[i % keys.length]!, never),
        raw: async (i) => JSON.parse((await raw.get(`${prefix}:raw:${keys[i % keys.length]!}`))!),
      },
      options,
    );
    figures.push(...sampleFigures(`cache.hit.c${concurrency}`, hit.ours, { raw: hit.raw }));
  }
  for (const concurrency of [1, 64]) {
    ctx.progress(`cache: sliding-TTL hits at concurrency ${concurrency}`);
    const options: RunOptions = { ops: ctx.quick ? (concurrency === 1 ? 500 : 5000) : concurrency === 1 ? 2000 : 20_000, concurrency };
    const hit = await compare(
      {
        ours: (i) => sliding.getOrCompute(keys[i % keys.length]!, never),
        raw: async (i) => JSON.parse((await raw.getEx(`${prefix}:raw:${keys[i % keys.length]!}`, { type: 'PX', value: 3_600_000 }))!),
      },
      options,
    );
    figures.push(...sampleFigures(`cache.hit_sliding.c${concurrency}`, hit.ours, { raw: hit.raw }));
  }
  figures.push(
    ...(await serverCostFigures(
      'cache.hit',
      ours,
      ctx.redis8Url,
      {
        ours: (i) => cache.getOrCompute(keys[Math.abs(i) % keys.length]!, never),
        raw: async (i) => JSON.parse((await raw.get(`${prefix}:raw:${keys[Math.abs(i) % keys.length]!}`))!),
      },
      200,
    )),
  );

  ctx.progress(`cache: stampede, ${CLIENTS} clients x ${CALLERS} callers on one missing key`);
  const rounds = ctx.quick ? 3 : 7;
  const protectedRuns: StampedeRun[] = [];
  const naiveRuns: StampedeRun[] = [];
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect({ url: ctx.redis8Url })));
  for (let round = 0; round < rounds; round++) {
    protectedRuns.push(await stampede(clients, `${prefix}p${round}`, 'lock'));
    naiveRuns.push(
      await naiveStampede(
        (k) => raw.get(k),
        (k, v) => raw.set(k, v, { PX: 3_600_000 }),
        `${prefix}:naive${round}`,
      ),
    );
  }
  const median = (runs: StampedeRun[], f: (r: StampedeRun) => number) => runs.map(f).sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
  figures.push(
    figure(
      'cache.stampede.computes',
      'computes',
      'lower',
      median(protectedRuns, (r) => r.computes),
      { naive: median(naiveRuns, (r) => r.computes) },
      `${CLIENTS * CALLERS} callers, median of ${rounds} rounds`,
    ),
    figure(
      'cache.stampede.p99_wait_ms',
      'ms',
      'lower',
      median(protectedRuns, (r) => r.p99Ms),
      { naive: median(naiveRuns, (r) => r.p99Ms) },
      `compute takes ${COMPUTE_MS} ms`,
    ),
  );

  for await (const batch of raw.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (batch.length) await raw.unlink(batch);
  await Promise.all([...clients.map((c) => c.close()), cache.close(), sliding.close(), ours.close(), raw.close()]);
  return { suite: 'cache', figures, skipped: [] };
}

interface StampedeRun {
  computes: number;
  p99Ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stampede(clients: RedisConnection[], prefix: string, mode: 'lock'): Promise<StampedeRun> {
  let computes = 0;
  const caches = clients.map((c) => new Cache(c, new Keyspace(prefix), { name: 'stampede', stampede: { mode, pollIntervalMs: 100 } }));
  await Promise.all(caches.map((c) => c.listen()));
  const compute = async () => {
    computes++;
    await sleep(COMPUTE_MS);
    return VALUE;
  };
  const waits = await Promise.all(
    caches.flatMap((cache) =>
      Array.from({ length: CALLERS }, async () => {
        const t0 = performance.now();
        await cache.getOrCompute('hot', compute);
        return performance.now() - t0;
      }),
    ),
  );
  await Promise.all(caches.map((c) => c.close()));
  return { computes, p99Ms: p99(waits) };
}

async function naiveStampede(
  get: (key: string) => Promise<string | null>,
  set: (key: string, value: string) => Promise<unknown>,
  key: string,
): Promise<StampedeRun> {
  let computes = 0;
  const waits = await Promise.all(
    Array.from({ length: CLIENTS * CALLERS }, async () => {
      const t0 = performance.now();
      const hit = await get(key);
      if (hit === null) {
        computes++;
        await sleep(COMPUTE_MS);
        await set(key, JSON.stringify(VALUE));
      }
      return performance.now() - t0;
    }),
  );
  return { computes, p99Ms: p99(waits) };
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;
}
