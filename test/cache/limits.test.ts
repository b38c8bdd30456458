// The cache on a Redis 8 of its own: round trips counted by the server (INFO commandstats), and
// behaviour at maxmemory with noeviction: every write fails with OutOfMemoryError and leaves
// nothing behind; every read, deletion and tag invalidation still works.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Cache, ComputeFailedError } from '../../src/cache/cache.js';
import { OutOfMemoryError } from '../../src/errors.js';
import { Keyspace } from '../../src/keys.js';
import { harness, ownRedis8, scanKeys } from '../harness/index.js';
import { sleep } from '../session/fixture.js';

describe.runIf(harness().binaries.redis8)('cache on a server of its own', () => {
  const own = ownRedis8(['--maxmemory', '8mb', '--maxmemory-policy', 'noeviction']);

  /** The commands clients sent during `act` (from MONITOR, leaving out those scripts ran), lower case. */
  const commandsOf = async (act: () => Promise<unknown>): Promise<string[]> => {
    const socket = net.connect(own.server.port, own.server.host);
    const lines: string[] = [];
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        lines.push(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    });
    const until = async (seen: () => boolean) => {
      for (const deadline = Date.now() + 5000; !seen(); await sleep(5)) if (Date.now() > deadline) throw new Error('MONITOR saw nothing');
    };
    socket.write('MONITOR\r\n');
    await until(() => lines.includes('+OK'));
    await act();
    const marker = `done-${Math.random()}`;
    await own.connection.send(['ECHO', marker]);
    await until(() => lines.some((l) => l.includes(marker)));
    socket.destroy();
    return lines
      .filter((l) => /^\+\d/.test(l) && !/\[\d+ lua\]/.test(l) && !l.includes(marker))
      .map((l) => /"([^"]+)"/.exec(l)![1]!.toLowerCase());
  };

  it('one command a hit, a set, a delete; three a computed miss; one a shard to invalidate a tag', async () => {
    const cache = new Cache(own.connection, new Keyspace('rt'), { name: 'rt', ttl: { mode: 'sliding', seconds: 60 }, shards: 4 });
    await cache.listen(); // the subscriber's own commands are not the operations'
    const warm = async () => {
      await cache.set('k', 'v', { tags: ['a', 'b'] });
      await cache.get('k');
      await cache.getOrCompute('k', () => 'x', { tags: ['a'] });
      await cache.getOrCompute('warm-miss', () => 'x');
      await cache.delete('warm-miss');
      await cache.invalidateTag('warm');
    };
    await warm(); // loads every script, so no NOSCRIPT retry is counted
    expect(await commandsOf(() => cache.set('k', 'v2', { tags: ['a', 'b'] }))).toEqual(['evalsha']);
    expect(await commandsOf(() => cache.get('k'))).toEqual(['evalsha']);
    expect(await commandsOf(() => cache.getOrCompute('k', () => 'x', { tags: ['a'] }))).toEqual(['evalsha']);
    expect(await commandsOf(() => cache.getOrCompute('miss', () => 'x', { tags: ['a'] }))).toEqual(['evalsha', 'evalsha', 'evalsha']); // read, lock, fill
    expect(await commandsOf(() => cache.delete('miss'))).toEqual(['evalsha']);
    expect(await commandsOf(() => cache.invalidateTag('a'))).toEqual(['evalsha', 'evalsha', 'evalsha', 'evalsha']); // one a shard
    await cache.close();
  });

  it('a hit of an untagged entry is one plain GET (GETEX for a sliding TTL); of a tagged one, the read script', async () => {
    const keyspace = new Keyspace('plain');
    const sliding = new Cache(own.connection, keyspace, { name: 'sliding', ttl: { mode: 'sliding', seconds: 60 } });
    const fixed = new Cache(own.connection, keyspace, { name: 'fixed', ttl: { mode: 'fixed', seconds: 60 } });
    for (const cache of [sliding, fixed]) {
      await cache.listen(); // the subscriber's own commands are not the operations'
      await cache.set('plain', 'p');
      await cache.set('tagged', 't', { tags: ['a'] });
    }
    await new Cache(own.connection, keyspace, { name: 'sliding' }).get('tagged'); // loads the read script, so no NOSCRIPT retry is counted
    expect(await commandsOf(() => fixed.getOrCompute('plain', () => 'x'))).toEqual(['get']);
    expect(await commandsOf(() => sliding.get('plain'))).toEqual(['getex']);
    // A tagged entry found by a plain read is read again by the script, which checks its tags...
    expect(await commandsOf(() => sliding.get('tagged'))).toEqual(['getex', 'evalsha']);
    // ...and the reads after it go through the script first, until untagged entries have been found for a while.
    expect(await commandsOf(() => sliding.get('tagged'))).toEqual(['evalsha']);
    expect(await commandsOf(() => sliding.get('plain'))).toEqual(['evalsha']);
    // A getOrCompute that would store its value with tags reads through the script (it needs their generations).
    expect(await commandsOf(() => fixed.getOrCompute('plain', () => 'x', { tags: ['a'] }))).toEqual(['evalsha']);
    expect(await commandsOf(() => fixed.getOrCompute('miss', () => 'x'))).toEqual(['get', 'evalsha', 'evalsha']); // read, lock, fill
    await Promise.all([sliding.close(), fixed.close()]);
  });

  it('at maxmemory every write fails with OutOfMemoryError and leaves nothing behind; reads, deletes and invalidations work', async () => {
    const keyspace = new Keyspace('oom');
    const fixed = new Cache(own.connection, keyspace, { name: 'fixed' });
    const sliding = new Cache(own.connection, keyspace, { name: 'sliding', ttl: { mode: 'sliding', seconds: 60 } });
    const near = new Cache(own.connection, keyspace, { name: 'near', nearCache: { maxEntries: 10, ttlSeconds: 60 } });
    await fixed.set('hit', 'v', { tags: ['t'] });
    await fixed.set('other', 'o', { tags: ['t'] });
    await sliding.set('hit', 'v', { tags: ['t'] });
    await sliding.set('plain', 'p'); // read with GETEX … PX, not the script
    await near.set('hit', 'v');
    // Up to the limit, then past what a small write would need (a command's own buffer counts too).
    let junk = 0;
    const fillMemory = async () => {
      let error: unknown;
      for (const size of [10_000, 1000, 100, 10, 1]) {
        for (error = null; !error; junk++)
          error = await own.connection.send(['SET', `junk:${junk}`, 'x'.repeat(size)]).then(
            () => null,
            (e: unknown) => e,
          );
      }
      return error;
    };
    // A computation under a lock taken before the limit was reached: its value cannot be stored,
    // so the lock is released and a waiter in another instance is told at once.
    const waiter = new Cache(own.connection, keyspace, { name: 'fixed', stampede: { pollIntervalMs: 10_000 } });
    const computing = fixed.getOrCompute('late', async () => {
      await sleep(200);
      expect(await fillMemory()).toBeInstanceOf(OutOfMemoryError);
      return 'v';
    });
    await sleep(50);
    const started = Date.now();
    const [late, waited] = await Promise.allSettled([computing, waiter.getOrCompute('late', () => 'never')]);
    expect(late.status === 'rejected' ? late.reason : late.value).toBeInstanceOf(OutOfMemoryError);
    expect(waited.status === 'rejected' ? waited.reason : waited.value).toBeInstanceOf(ComputeFailedError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await own.connection.send(['EXISTS', keyspace.cache('fixed', 16).lock(Cache.id('late'))])).toBe(0);
    await waiter.close();
    const snapshot = async () => {
      const keys = (await scanKeys(own.connection, 'oom:*')).sort();
      return Promise.all(
        keys.map(
          async (key) =>
            [
              key,
              await own.connection.send<string>(['TYPE', key]),
              await own.connection.send<Buffer | null>(['DUMP', key], { buffers: true }),
            ] as const,
        ),
      );
    };
    const before = await snapshot();
    const writes: [string, () => Promise<unknown>][] = [
      ['set', () => fixed.set('new', 'v')],
      ['set with tags, one new', () => fixed.set('new', 'v', { tags: ['t', 'fresh'] })],
      ['set over an entry', () => fixed.set('hit', 'changed', { tags: ['u'] })],
      [
        'setMany',
        () =>
          fixed.setMany([
            { key: 'm1', value: 1 },
            { key: 'm2', value: 2, options: { tags: ['t'] } },
          ]),
      ],
      ['getOrCompute of a miss', () => fixed.getOrCompute('miss', () => 'v', { tags: ['t', 'fresh'] })],
      ['getOrCompute of a miss, sliding', () => sliding.getOrCompute('miss', () => 'v')],
      ['set with a near cache', () => near.set('new', 'v')],
    ];
    for (const [what, write] of writes) {
      const error = await write().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, what).toBeInstanceOf(OutOfMemoryError);
      expect(error, what).toMatchObject({ code: 'OUT_OF_MEMORY', transient: true });
    }
    expect(await snapshot()).toEqual(before); // no entry, tag set, generation or lock was written
    // failOpen: at the limit a miss is computed without the cache, as when Redis is unreachable.
    const lenient = new Cache(own.connection, keyspace, { name: 'fixed', failOpen: true });
    expect(await lenient.getOrCompute('lenient-miss', () => 'computed')).toBe('computed');
    expect(lenient.stats().failOpen).toBe(1);
    await lenient.close();
    expect(await snapshot()).toEqual(before);

    expect(await fixed.get('hit')).toBe('v');
    expect(await fixed.getMany(['hit', 'other', 'miss'])).toEqual(['v', 'o', undefined]);
    expect(await fixed.getOrCompute('hit', () => 'x', { tags: ['t', 'fresh'] })).toBe('v'); // a hit needs no write
    expect(await near.get('hit')).toBe('v');
    const entry = keyspace.cache('sliding', 16).entry(Cache.id('hit'));
    await sleep(100);
    expect(await own.connection.send<number>(['PTTL', entry])).toBeLessThan(59_950);
    expect(await sliding.get('hit')).toBe('v'); // a sliding hit moves the deadline even at the limit
    expect(await own.connection.send<number>(['PTTL', entry])).toBeGreaterThan(59_950);
    const plain = keyspace.cache('sliding', 16).entry(Cache.id('plain'));
    expect(await own.connection.send<number>(['PTTL', plain])).toBeLessThan(59_950);
    expect(await new Cache(own.connection, keyspace, { name: 'sliding', ttl: { mode: 'sliding', seconds: 60 } }).get('plain')).toBe('p');
    expect(await own.connection.send<number>(['PTTL', plain])).toBeGreaterThan(59_950); // GETEX … PX works at the limit too

    // Deleting frees memory: it works at the limit, and so does invalidating a tag.
    expect(await fixed.invalidateTag('t')).toBe(2);
    expect(await fixed.getMany(['hit', 'other'])).toEqual([undefined, undefined]);
    expect(await sliding.delete('hit')).toBe(true);
    expect(await near.delete('hit')).toBe(true);
    await Promise.all([fixed.close(), sliding.close(), near.close()]);
  });
});
