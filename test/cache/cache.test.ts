// The cache on Redis 8, Redis 7 and a Redis Cluster: get/set/delete, TTL strategies, tags,
// getOrCompute (coalescing, errors, stale-while-revalidate, XFetch), and bad input.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedis } from '../../scripts/local-redis.js';
import { Cache, ComputeFailedError } from '../../src/cache/cache.js';
import { connect } from '../../src/connection/connect.js';
import { InvalidArgumentError, type TimeoutError } from '../../src/errors.js';
import { Keyspace } from '../../src/keys.js';
import { harness, targetsWithCluster } from '../harness/index.js';
import { sleep } from '../session/fixture.js';
import { cacheFixture, type CacheFixture } from './fixture.js';

describe.each(targetsWithCluster({ asAclUser: true }).map((t) => [t.name, t] as const))('cache (%s)', (_, target) => {
  let f: CacheFixture;
  beforeAll(async () => {
    f = await cacheFixture(target);
  });
  afterAll(() => f.close());

  const pttlOf = (cache: Cache, key: string) => {
    const entry = f.keyspace.cache(cache.name, cache.options.shards).entry(Cache.id(key));
    return f.connection.send<number>(['PTTL', entry], { key: entry });
  };

  it('lists the original keys of a cache that keeps them, by prefix, across every shard (and refuses without keepKeys)', async () => {
    const cache = f.cache({ name: 'listed', keepKeys: true, shards: 8 });
    const keys = Array.from({ length: 30 }, (_, i) => `${i % 2 ? 'doc' : 'img'}:${i} ✓`);
    await cache.setMany(keys.map((key) => ({ key, value: key })));
    await cache.getOrCompute('doc:computed', () => 'x');
    const long = `doc:${'k'.repeat(3000)}`; // past the first read of each entry's head
    await cache.set(long, { big: 'v'.repeat(10_000) });
    keys.push(long);
    const listed: string[] = [];
    for await (const key of cache.keys('doc:')) listed.push(key);
    expect(listed.sort()).toEqual([...keys.filter((k) => k.startsWith('doc:')), 'doc:computed'].sort());
    await cache.delete('doc:1 ✓');
    const all: string[] = [];
    for await (const key of cache.keys()) all.push(key);
    expect(all).toHaveLength(31);
    expect(all).not.toContain('doc:1 ✓');
    await expect(f.cache({ name: 'unlisted' }).keys().next()).rejects.toThrow(/does not keep keys/);
  });

  it('gets, sets and deletes JSON values and bytes; any string is a key', async () => {
    const cache = f.cache({ name: 'basic' });
    expect(await cache.get('missing')).toBeUndefined();
    const key = 'What is the capital of France? {"temperature":0} ✓ \n *';
    await cache.set(key, { answer: 'Paris', tokens: [1, 2] });
    expect(await cache.get(key)).toEqual({ answer: 'Paris', tokens: [1, 2] });
    await cache.set('vec', new Float32Array([1, 2, 3]), { encoding: 'bytes' });
    const bytes = (await cache.get<Buffer>('vec'))!;
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 3))).toEqual([1, 2, 3]);
    expect(await cache.getMany([key, 'missing', 'vec'])).toMatchObject([{ answer: 'Paris' }, undefined, expect.any(Buffer)]);
    expect(await cache.delete(key)).toBe(true);
    expect(await cache.delete(key)).toBe(false);
    expect(await cache.get(key)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 4, misses: 3 });
  });

  it('fixed TTL is set once; a hit does not extend it', async () => {
    const cache = f.cache({ name: 'fixed', ttl: { mode: 'fixed', seconds: 3 } });
    await cache.set('k', 1);
    await sleep(1100);
    expect(await cache.get('k')).toBe(1);
    expect(await pttlOf(cache, 'k')).toBeLessThan(2000);
    await cache.set('short', 1, { ttlSeconds: 0.3 });
    await sleep(450);
    expect(await cache.get('short')).toBeUndefined();
  });

  it('a positive TTL under a millisecond is 1 ms, never "no TTL"', async () => {
    const fixed = f.cache({ name: 'tiny-ttl' });
    await fixed.set('k', 1, { ttlSeconds: 0.0004 });
    await fixed.set('tagged', 1, { ttlSeconds: 0.0004, tags: ['t'] });
    await fixed.getOrCompute('computed', () => 1, { ttlSeconds: 0.0004 });
    const sliding = f.cache({ name: 'tiny-sliding', ttl: { mode: 'sliding', seconds: 0.0004 } });
    await sliding.set('k', 1);
    await sleep(20);
    for (const [cache, key] of [
      [fixed, 'k'],
      [fixed, 'tagged'],
      [fixed, 'computed'],
      [sliding, 'k'],
    ] as const) {
      expect(await pttlOf(cache, key), key).toBe(-2); // expired, not kept forever
      expect(await cache.get(key), key).toBeUndefined();
    }
  });

  it('sliding TTL: a hit refreshes the TTL in the same command', async () => {
    const cache = f.cache({ name: 'sliding', ttl: { mode: 'sliding', seconds: 3 } });
    await cache.set('k', 1);
    await sleep(1100);
    expect(await cache.get('k')).toBe(1);
    expect(await pttlOf(cache, 'k')).toBeGreaterThan(2800);
  });

  it('none: kept until deleted', async () => {
    const cache = f.cache({ name: 'none', ttl: { mode: 'none' } });
    await cache.set('k', 1);
    expect(await pttlOf(cache, 'k')).toBe(-1);
  });

  it('invalidates a tag across many keys in every shard, and nothing else', async () => {
    const cache = f.cache({ name: 'tags', shards: 8 });
    for (let i = 0; i < 200; i++) {
      await cache.set(`doc42-chunk-${i}`, i, { tags: ['doc:42', i % 2 === 0 ? 'even' : 'odd'] });
      await cache.set(`doc7-chunk-${i}`, i, { tags: ['doc:7'] });
    }
    const shards = new Set(Array.from({ length: 200 }, (_, i) => f.keyspace.cache('tags', 8).shardOf(Cache.id(`doc42-chunk-${i}`))));
    expect(shards.size).toBe(8);
    expect(await cache.invalidateTag('doc:42')).toBe(200);
    expect((await cache.getMany(Array.from({ length: 200 }, (_, i) => `doc42-chunk-${i}`))).every((v) => v === undefined)).toBe(true);
    expect((await cache.getMany(Array.from({ length: 200 }, (_, i) => `doc7-chunk-${i}`))).every((v, i) => v === i)).toBe(true);
    expect(await cache.invalidateTag('doc:42')).toBe(0);
    expect(await cache.invalidateTag('even')).toBe(0); // its entries went with doc:42
    // No tag set is left behind for the invalidated tag.
    const tagSets = await f.keys(`c:{tags:*}:t:${Cache.id('doc:42')}`);
    expect(tagSets).toEqual([]);
  });

  it('a tag set lives as long as its longest-lived entry', async () => {
    const cache = f.cache({ name: 'tag-ttl', shards: 1 });
    await cache.set('a', 1, { ttlSeconds: 100, tags: ['t'] });
    await cache.set('b', 1, { ttlSeconds: 10, tags: ['t'] });
    const tagSet = f.keyspace.cache('tag-ttl', 1).tag(Cache.id('t'), 0);
    expect(await f.connection.send<number>(['PTTL', tagSet], { key: tagSet })).toBeGreaterThan(90_000);
  });

  it('getOrCompute computes once for concurrent callers in a process, then serves the value', async () => {
    const cache = f.cache({ name: 'goc' });
    let computes = 0;
    const compute = async () => {
      computes++;
      await sleep(50);
      return { n: computes };
    };
    const values = await Promise.all(Array.from({ length: 50 }, () => cache.getOrCompute('k', compute)));
    expect(values.every((v) => v.n === 1)).toBe(true);
    expect(await cache.getOrCompute('k', compute)).toEqual({ n: 1 });
    expect(computes).toBe(1);
    expect(cache.stats()).toMatchObject({ computes: 1, coalesced: 49, misses: 1, hits: 1 });
  });

  it('a compute that throws caches nothing, releases the lock, and the error reaches every caller', async () => {
    const cache = f.cache({ name: 'goc-error' });
    const failing = () => Promise.reject(new Error('model overloaded'));
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => cache.getOrCompute('k', failing)));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'model overloaded')).toBe(true);
    expect(await cache.get('k')).toBeUndefined();
    const lock = f.keyspace.cache('goc-error', 16).lock(Cache.id('k'));
    expect(await f.connection.send(['EXISTS', lock], { key: lock })).toBe(0);
    expect(await cache.getOrCompute('k', () => 'recovered')).toBe('recovered');
    expect(cache.stats()).toMatchObject({ computeErrors: 1, computes: 2 });
  });

  it('a caller waiting on another instance’s failed compute gets a ComputeFailedError with its message', async () => {
    const computing = f.cache({ name: 'goc-remote-error' });
    // As in another process; its slow safety-net poll leaves the failure event to wake it.
    const waiting = new Cache(f.connection, f.keyspace, { name: 'goc-remote-error', stampede: { pollIntervalMs: 5000 } });
    try {
      const first = computing.getOrCompute('k', async () => {
        await sleep(300);
        throw new Error('model overloaded');
      });
      await sleep(50);
      const second = waiting.getOrCompute('k', () => 'never');
      await expect(first).rejects.toThrow('model overloaded');
      const error = await second.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ComputeFailedError);
      expect(error).toMatchObject({ code: 'COMPUTE_FAILED', message: expect.stringContaining('model overloaded') });
    } finally {
      await waiting.close();
    }
  });

  it('a computed value that cannot be stored releases the lock and fails a waiter in another instance at once', async () => {
    const options = { name: 'unstorable', maxValueBytes: 64, stampede: { lockTtlMs: 20_000, pollIntervalMs: 10_000 } };
    const computing = f.cache(options);
    const waiting = new Cache(f.connection, f.keyspace, options); // as in another process
    const cases: [string, unknown][] = [
      ['undefined', undefined],
      ['too large', 'x'.repeat(100)],
      ['a BigInt', 1n],
      ['NaN', Number.NaN],
      ['Infinity inside', { score: Infinity }],
    ];
    try {
      for (const [what, value] of cases) {
        const key = `k-${what}`;
        const first = computing.getOrCompute(key, async () => {
          await sleep(200);
          return value;
        });
        await sleep(50);
        const started = Date.now();
        const [a, b] = await Promise.allSettled([first, waiting.getOrCompute(key, () => 'never')]);
        expect(a.status === 'rejected' ? a.reason : a.value, what).toBeInstanceOf(InvalidArgumentError);
        expect(b.status === 'rejected' ? b.reason : b.value, what).toBeInstanceOf(ComputeFailedError);
        expect(Date.now() - started, what).toBeLessThan(2000);
        const lock = f.keyspace.cache('unstorable', 16).lock(Cache.id(key));
        expect(await f.connection.send(['EXISTS', lock], { key: lock }), what).toBe(0);
        expect(await computing.get(key), what).toBeUndefined();
      }
    } finally {
      await waiting.close();
    }
  });

  it('stale-while-revalidate serves the expired value at once and refreshes it in the background', async () => {
    const cache = f.cache({ name: 'swr', ttl: { mode: 'fixed', seconds: 1 }, staleWhileRevalidateSeconds: 10 });
    let version = 0;
    const compute = async () => {
      await sleep(100);
      return ++version;
    };
    expect(await cache.getOrCompute('k', compute)).toBe(1);
    await sleep(1100);
    const started = Date.now();
    expect(await cache.getOrCompute('k', compute)).toBe(1); // stale, served without waiting
    expect(Date.now() - started).toBeLessThan(80);
    // The refresh lands in the background; its value then lives a whole TTL (no timing guess on a loaded machine).
    await vi.waitFor(async () => expect(await cache.get('k')).toBe(2), { timeout: 5000, interval: 20 });
    expect(await cache.getOrCompute('k', compute)).toBe(2);
    expect(cache.stats()).toMatchObject({ staleServed: 1, refreshes: 1, computes: 2 });
  });

  it('XFetch recomputes before expiry under steady traffic', async () => {
    // beta 3: with a 200 ms compute, a request in the last ~0.6 s triggers the refresh with high
    // odds even when a loaded machine stretches the 20 ms gaps to 100 ms (beta 1 missed now and then).
    const cache = f.cache({ name: 'xfetch', ttl: { mode: 'fixed', seconds: 1 }, stampede: { mode: 'xfetch', xfetchBeta: 3 } });
    let computes = 0;
    const compute = async () => {
      computes++;
      await sleep(200); // a compute time of 200 ms makes early refreshes likely in the last few hundred ms
      return computes;
    };
    await cache.getOrCompute('k', compute);
    const deadline = Date.now() + 2500;
    let missesAfterFirst = 0;
    while (Date.now() < deadline) {
      const before = cache.stats().misses;
      await cache.getOrCompute('k', compute);
      missesAfterFirst += cache.stats().misses - before;
      await sleep(20);
    }
    expect(cache.stats().earlyRecomputes).toBeGreaterThanOrEqual(2);
    expect(missesAfterFirst).toBe(0); // every refresh came before the value expired
  });

  it('refuses bad input with a typed error and writes nothing', async () => {
    const cache = f.cache({ name: 'bad', maxValueBytes: 64 });
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['empty key', () => cache.set('', 1), /cache key: must not be empty/],
      ['too large', () => cache.set('k', 'x'.repeat(100)), /over the limit of 64/],
      ['not JSON', () => cache.set('k', { n: 1n }), /cannot be stored as JSON/],
      ['NaN', () => cache.set('k', Number.NaN), /NaN, which JSON cannot hold/],
      ['Infinity inside', () => cache.set('k', { a: [1, -Infinity] }), /-Infinity, which JSON cannot hold/],
      ['NaN computed', () => cache.getOrCompute('k', () => Number.NaN), /NaN, which JSON cannot hold/],
      ['undefined computed', () => cache.getOrCompute('k', () => undefined), /cannot be stored as JSON/],
      ['getMany of a string', () => cache.getMany('k' as never), /cache keys/],
      ['getMany with a bad key', () => cache.getMany(['k', ''] as never), /cache keys: 1: must not be empty/],
      ['setMany of a string', () => cache.setMany('k' as never), /cache entries/],
      [
        'setMany with one bad value',
        () =>
          cache.setMany([
            { key: 'good', value: 1 },
            { key: 'good2', value: 2, options: { tags: ['t'] } },
            { key: 'bad', value: Number.NaN },
          ]),
        /2\.value|NaN/,
      ],
      [
        'setMany with one bad option',
        () =>
          cache.setMany([
            { key: 'good', value: 1 },
            { key: 'bad', value: 1, options: { ttl: 5 } as never },
          ]),
        /Unrecognized key/,
      ],
      ['bytes that are not', () => cache.set('k', 'text', { encoding: 'bytes' }), /takes a Buffer/],
      ['bad tag', () => cache.set('k', 1, { tags: [''] }), /tags\.0/],
      ['unknown option', () => cache.set('k', 1, { ttl: 5 } as never), /Unrecognized key/],
      ['compute not a function', () => cache.getOrCompute('k', 'nope' as never), /compute: must be a function/],
    ];
    for (const [what, act, message] of cases) {
      const error = await act().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, what).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message, what).toMatch(message);
    }
    expect(await f.keys('c:{bad:*')).toEqual([]);
    expect(() => f.cache({ name: 'bad name!' })).toThrow(/Invalid cache options: name/);
  });
});

describe.runIf(harness().binaries.redis8)('cache when Redis goes away', () => {
  it('getOrCompute fails with a typed error within the timeout, or computes without the cache with failOpen', async () => {
    const server = await startRedis(harness().binaries.redis8!);
    const connection = await connect({ url: server.url, commandTimeoutMs: 300, reconnect: { initialDelayMs: 50, maxDelayMs: 100 } });
    const strict = new Cache(connection, new Keyspace('down'), { name: 'strict' });
    const lenient = new Cache(connection, new Keyspace('down'), { name: 'lenient', failOpen: true });
    try {
      expect(await lenient.getOrCompute('k', () => 'cached')).toBe('cached');
      await server.stop();
      const started = Date.now();
      const error = await strict.getOrCompute('k', () => 'x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(['TIMEOUT', 'CONNECTION_FAILED']).toContain((error as TimeoutError).code);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(await lenient.getOrCompute('k', () => 'computed without cache')).toBe('computed without cache');
      expect(lenient.stats().failOpen).toBe(1);
    } finally {
      await Promise.all([strict.close(), lenient.close()]);
      connection.client.destroy();
    }
  });
});
