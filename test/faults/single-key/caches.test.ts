// Single-key deletion of each key kind of a cache (see shared.ts): entries served are their own,
// invalidateTag never lets a tagged entry be served after it returns, forgetUser invalidates the
// user's tag.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache/cache.js';
import { createAgentMemory } from '../../../src/index.js';
import { keysMatching } from '../invariants.js';
import { computing, pick, Probe, redis8, TENANT, useServers, WORLDS } from './shared.js';

const s = useServers('fkc');

/** Key kinds of a cache, by the letter after the shard tag (keys.ts): entry, tag set, tag generation, lock. */
const CACHE_KINDS = { entry: 'e', 'tag set': 't', 'tag generation': 'g', lock: 'l' } as const;
const cacheKind = (key: string): string => /\}:([a-z]+):/.exec(key)?.[1] ?? '?';

describe.skipIf(!redis8)('faults: single-key deletion, caches (Redis 8 and the cluster)', () => {
  it('a populated cache has no key kind beyond those this table covers', async () => {
    const cache = s.memory8.cache({ name: 'kinds', keepKeys: true });
    await cache.set('k1', 1, { tags: ['doc:1'] });
    let release!: () => void;
    const held = cache.getOrCompute('slow', () => new Promise<number>((r) => (release = () => r(2))));
    await computing(() => release);
    const kinds = new Set((await keysMatching(s.admin8, `${s.prefix}:c:{kinds:*`)).map(cacheKind));
    release();
    await held;
    console.log(
      `faults: single-key cache key kinds found: ${[...kinds].sort().join(', ')}; covered: ${Object.values(CACHE_KINDS).join(', ')}`,
    );
    expect([...kinds].filter((k) => !(Object.values(CACHE_KINDS) as string[]).includes(k))).toEqual([]);
  });

  const cases = WORLDS.flatMap((world) => (Object.keys(CACHE_KINDS) as (keyof typeof CACHE_KINDS)[]).map((kind) => ({ world, kind })));
  it.each(cases)(
    '$world: a cache that loses a $kind: entries served are their own, invalidateTag never serves a tagged entry after it returns',
    async ({ world, kind }) => {
      const { memory, admin, redis } = s.worlds.get(world)!;
      const probe = new Probe();
      const name = `c-${kind.replace(' ', '-')}`;
      const user = { tenant: TENANT, userId: `c-${kind.replace(' ', '-')}` };
      const cache = memory.cache({ name, keepKeys: true, ttl: { mode: 'sliding', seconds: 600 } });
      const userTag = memory.userTag(user);
      const written: Record<string, { value: string; tags: string[] }> = {
        k1: { value: 'v1', tags: ['doc:1', userTag] },
        k2: { value: 'v2', tags: ['doc:1', 'doc:2'] },
        k3: { value: 'v3', tags: ['doc:2', userTag] },
        k4: { value: 'v4', tags: [] },
      };
      for (const [key, { value, tags }] of Object.entries(written)) await cache.set(key, value, { tags });
      const shards = cache.options.shards;
      const keys = memory.keys.cache(name, shards);
      const shard = keys.shardOf(Cache.id('k1'));
      // A lock held by a computation in flight (the lock case deletes it from under the holder).
      let release!: () => void;
      const slow = cache.getOrCompute('slow', () => new Promise<string>((r) => (release = () => r('from the first holder'))), {
        tags: ['doc:1'],
      });
      await computing(() => release);
      const found = await keysMatching(admin, `${s.prefix}:c:{${name}:*`);
      const letter = CACHE_KINDS[kind];
      const victim = pick(
        found,
        (k) =>
          cacheKind(k) === letter &&
          (letter === 'l' || k.startsWith(`${s.prefix}:c:{${name}:${shard}}:`)) &&
          (letter === 'e' || letter === 'l' || k.endsWith(Cache.id('doc:1'))),
        kind,
      );
      await admin.send(['UNLINK', victim], { key: victim });

      // A value served must be the one written under that key (or nothing).
      const check = (key: string, value: unknown, allowed: unknown[]) => {
        if (value !== undefined && !allowed.some((a) => isDeepStrictEqual(a, value)))
          probe.problems.push(`${key} served ${JSON.stringify(value)}`);
      };
      const served: Record<string, unknown> = {};
      for (const key of Object.keys(written)) {
        served[key] = await probe.call(`get ${key}`, () => cache.get(key));
        check(key, served[key], [written[key]!.value]);
      }
      const many = await probe.call('getMany', () => cache.getMany(Object.keys(written)));
      for (const [i, v] of (many ?? []).entries()) check(Object.keys(written)[i]!, v, [written[Object.keys(written)[i]!]!.value]);
      // A second process's cache (another connection). With its lock lost, the holder is still
      // computing and the other process takes over; else the holder finishes first and the other reads.
      const other = await createAgentMemory({ redis, prefix: s.prefix });
      try {
        const otherCache = other.cache({ name, keepKeys: true, ttl: { mode: 'sliding', seconds: 600 } });
        let first: unknown;
        if (kind !== 'lock') {
          release();
          first = await probe.call('getOrCompute (the holder)', () => slow);
        }
        const second = await probe.call('getOrCompute (another process)', () =>
          otherCache.getOrCompute('slow', () => 'from the second', { tags: ['doc:1'] }),
        );
        if (kind === 'lock') {
          release();
          first = await probe.call('getOrCompute (the holder)', () => slow);
        }
        probe.notes.push(`slow: the holder got ${JSON.stringify(first)}, the other process ${JSON.stringify(second)}`);
      } finally {
        await other.close();
      }
      const stored = await probe.call('get slow', () => cache.get('slow'));
      check('slow', stored, ['from the first holder', 'from the second']);
      const listed: string[] = [];
      await probe.call('keys', async () => {
        for await (const key of cache.keys('')) listed.push(key);
      });
      for (const key of listed) if (!['k1', 'k2', 'k3', 'k4', 'k5', 'slow'].includes(key)) probe.problems.push(`keys() listed ${key}`);
      await probe.call('set k5', () => cache.set('k5', 'v5', { tags: ['doc:1'] }));
      await probe.call('getOrCompute k4 (hit or recomputed)', () => cache.getOrCompute('k4', () => 'v4'));
      await probe.call('delete k4', () => cache.delete('k4'));
      if ((await cache.get('k4')) !== undefined) probe.problems.push('k4 served after delete()');

      // invalidateTag: nothing written with the tag before it returned is served after.
      const invalidated = await probe.call('invalidateTag doc:1', () => cache.invalidateTag('doc:1'));
      for (const key of ['k1', 'k2', 'k5', 'slow']) {
        const v = await probe.call(`get ${key} after invalidateTag`, () => cache.get(key));
        if (v !== undefined) probe.problems.push(`${key} (tagged doc:1) served after invalidateTag(doc:1) returned`);
      }
      const recomputed = await probe.call('getOrCompute k1 after invalidateTag', () =>
        cache.getOrCompute('k1', () => 'v1b', { tags: ['doc:1'] }),
      );
      if (recomputed !== 'v1b') probe.problems.push(`getOrCompute after invalidateTag returned ${JSON.stringify(recomputed)}`);
      if ((await cache.get('k1')) !== 'v1b') probe.notes.push('the recomputed k1 was not stored');
      await probe.call('invalidateTag doc:1 again', () => cache.invalidateTag('doc:1'));
      if ((await cache.get('k1')) !== undefined) probe.problems.push('k1 served after the second invalidateTag(doc:1)');
      await probe.call('invalidateTag doc:2', () => cache.invalidateTag('doc:2'));
      if ((await cache.get('k3')) !== undefined) probe.problems.push('k3 served after invalidateTag(doc:2)');
      // forgetUser invalidates the user's tag in every cache made through memory.cache.
      await probe.call('set k6 (user)', () => cache.set('k6', 'v6', { tags: [userTag] }));
      await probe.call('forgetUser', () => memory.forgetUser(user));
      if ((await cache.get('k6')) !== undefined) probe.problems.push('k6 (tagged with the user) served after forgetUser');
      probe.notes.unshift(
        `deleted ${victim.slice(s.prefix.length)}; reads k1–k4: ${Object.values(served)
          .map((v) => (v === undefined ? 'miss' : 'hit'))
          .join(' ')}; invalidateTag(doc:1) counted ${invalidated}`,
      );

      console.log(probe.line(`cache (${world})`, kind));
      probe.expectClean();
    },
  );
});
