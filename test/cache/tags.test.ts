// Tag invalidation on Redis 8, Redis 7 and the cluster: after invalidateTag(t) returns, no entry
// that carried t when it was written is served, whichever single key of the cache was lost (evicted
// or deleted) before or after; re-tagged entries leave their old tags; sliding entries stay tagged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/cache.js';
import { targetsWithCluster } from '../harness/index.js';
import { sleep } from '../session/fixture.js';
import { cacheFixture, type CacheFixture } from './fixture.js';

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('cache tags (%s)', (_, target) => {
  let f: CacheFixture;
  beforeAll(async () => {
    f = await cacheFixture(target);
  });
  afterAll(() => f.close());

  const del = (key: string) => f.connection.send<number>(['DEL', key], { key });

  it('re-setting an entry with other tags, or none, takes it out of its old tags', async () => {
    const cache = f.cache({ name: 'tag-reset' });
    await cache.set('k', 'v1', { tags: ['old'] });
    await cache.set('k', 'v2', { tags: ['new'] });
    await cache.set('n', 'n1', { tags: ['old'] });
    await cache.set('n', 'n2');
    await cache.getOrCompute('g', () => 'g1', { tags: ['old'] });
    await cache.delete('g');
    await cache.getOrCompute('g', () => 'g2');
    expect(await cache.invalidateTag('old')).toBe(0);
    expect(await cache.getMany(['k', 'n', 'g'])).toEqual(['v2', 'n2', 'g2']);
    expect(await cache.invalidateTag('new')).toBe(1);
    expect(await cache.get('k')).toBeUndefined();
  });

  it('an entry kept alive by hits under a sliding TTL is still invalidated by its tag', async () => {
    const cache = f.cache({ name: 'tag-sliding', ttl: { mode: 'sliding', seconds: 1 } });
    await cache.set('k', 'v', { tags: ['t'] });
    for (let i = 0; i < 5; i++) {
      await sleep(300);
      expect(await cache.get('k')).toBe('v'); // 1.5 s in all: past the TTL the entry was written with
    }
    expect(await cache.invalidateTag('t')).toBe(1);
    expect(await cache.get('k')).toBeUndefined();
  });

  it('after invalidateTag returns, no entry tagged at write time is served, whichever single key was lost before or after', async () => {
    const seed = async (cache: Cache) => {
      await cache.set('a', 'a1', { tags: ['t'] });
      await cache.set('b', 'b1', { tags: ['t', 'u'] });
      await cache.set('c', 'c1', { tags: ['u'] });
      await cache.getOrCompute('d', () => 'd1', { tags: ['t'] });
    };
    const probe = f.cache({ name: 'lost-probe', shards: 1 });
    await seed(probe);
    // Every key the cache made: its entries, tag sets and whatever else it keeps per tag.
    const suffixes = (await f.keys('c:{lost-probe:*')).map((k) => k.slice(k.indexOf('}')));
    expect(suffixes.length).toBeGreaterThanOrEqual(6);
    for (const [i, suffix] of suffixes.entries()) {
      for (const when of ['before', 'after'] as const) {
        const name = `lost-${i}-${when}`;
        const cache = f.cache({ name, shards: 1 });
        await seed(cache);
        const lost = `${f.prefix}:c:{${name}:0${suffix}`;
        if (when === 'before') expect(await del(lost)).toBe(1);
        await cache.invalidateTag('t');
        if (when === 'after') {
          await del(lost);
          await cache.set('e', 'e1', { tags: ['t'] }); // the tag is used again after the loss
          expect(await cache.get('e')).toBe('e1');
        }
        const [a, b, c, d] = await cache.getMany(['a', 'b', 'c', 'd']);
        expect({ suffix, when, a, b, d }).toEqual({ suffix, when, a: undefined, b: undefined, d: undefined });
        expect([undefined, 'c1']).toContain(c); // c never carried t: a loss may cost it, nothing else
      }
    }
  });

  it('a cache that reads its untagged entries with plain GETs still checks every tagged entry it finds', async () => {
    for (const ttl of [
      { mode: 'fixed', seconds: 60 },
      { mode: 'sliding', seconds: 60 },
    ] as const) {
      const name = `tag-plain-${ttl.mode}`;
      const cache = f.cache({ name, ttl });
      const keys = f.keyspace.cache(name, cache.options.shards);
      const tagged = Cache.id('tagged');
      await cache.set('plain', 'p');
      await cache.set('tagged', 'v', { tags: ['t'] });
      // Its tag set lost: the invalidation cannot delete the entry, so only the read's check keeps it out.
      expect(await del(keys.tag(Cache.id('t'), keys.shardOf(tagged)))).toBe(1);
      for (let i = 0; i < 100; i++) expect(await cache.get('plain')).toBe('p'); // long past any run of script reads
      expect(await cache.invalidateTag('t')).toBe(0);
      expect(await cache.get('tagged')).toBeUndefined();
      expect(await cache.getOrCompute('tagged', () => 'recomputed')).toBe('recomputed');
      expect(await cache.get('plain')).toBe('p');
    }
  });

  it('a value computed while its tag is invalidated is returned but not cached', async () => {
    const cache = f.cache({ name: 'tag-inflight' });
    const pending = cache.getOrCompute(
      'k',
      async () => {
        await sleep(300);
        return 'built on the old document';
      },
      { tags: ['doc'] },
    );
    await sleep(100);
    await cache.invalidateTag('doc');
    expect(await pending).toBe('built on the old document');
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.getOrCompute('k', () => 'fresh', { tags: ['doc'] })).toBe('fresh');
    expect(await cache.get('k')).toBe('fresh');
  });
});
