// cache.invalidated events on real servers (Redis 8, Redis 7, the cluster): a cache made with
// `events: true` publishes one event per invalidation (a tag, a deletion of an entry that existed),
// written by the invalidating script into the partition of the slot it ran in; none with events
// off, none for an invalidation that failed; consumer groups receive them beside user events, and
// forgetting a user leaves them alone; at maxmemory an invalidation still works and has its event.
import calculateSlot from 'cluster-key-slot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/cache.js';
import { OutOfMemoryError } from '../../src/errors.js';
import { decodeEvent, EventLog, type RawEntry } from '../../src/events/event-log.js';
import type { AgentEvent, CacheInvalidatedEvent } from '../../src/events/types.js';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import { Keyspace } from '../../src/keys.js';
import { deletePrefix, harness, memoryConfig, ownRedis8, scanKeys, targetsWithCluster, uniquePrefix } from '../harness/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cache event targets (pure)', () => {
  it('a cache script writes into the stream of its own slot', () => {
    const keyspace = new Keyspace('am');
    const log = new EventLog(undefined as never, keyspace, { maxLen: 500 });
    const keys = keyspace.cache('answers', 16);
    for (const shard of [0, 3, 15]) {
      const key = keys.tag(Cache.id('doc:1'), shard);
      const target = log.cacheEvents(key, true);
      expect(calculateSlot(target.stream)).toBe(calculateSlot(key));
      expect(target.maxLen).toBe(500);
      expect(log.cacheEvents(key, false).maxLen).toBeUndefined();
    }
  });

  it('decodes a cache event without a user, and a user event as before', () => {
    const cache = decodeEvent(7, '5-0', ['type', 'cache.invalidated', 'cache', 'answers', 'tag', 'T', 'ids', '[]']);
    expect(cache).toEqual({ id: '5-0', partition: 7, type: 'cache.invalidated', at: 5, cache: 'answers', tag: 'T', ids: [] });
    expect(decodeEvent(7, '5-1', ['type', 'cache.invalidated', 'ids', '[]'])).toBeNull(); // no cache: not ours
    const user = decodeEvent(7, '6-0', ['type', 'session.state', 'tenant', 't', 'user', 'u', 'session', 's', 'ids', '[]']);
    expect(user).toMatchObject({ type: 'session.state', tenant: 't', userId: 'u', sessionId: 's' });
  });
});

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('cache.invalidated on %s', (_, target) => {
  let memory: AgentMemory;
  let release: () => Promise<void>;
  let keyspace: Keyspace;
  const prefix = uniquePrefix('cev');
  const SHARDS = 8;

  beforeAll(async () => {
    const { config, release: r } = memoryConfig(target);
    release = r;
    memory = await createAgentMemory({ ...config, prefix, sessions: { events: true }, events: { maxLen: 1000 } });
    keyspace = new Keyspace(prefix);
  });

  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await memory.close();
    await release();
  });

  const cacheOf = (name: string, events: boolean, log: EventLog = memory.events) =>
    new Cache(memory.connection, keyspace, { name, shards: SHARDS, events }, log);

  /** Every cache.invalidated event of cache `name`, in every partition, oldest first within each. */
  async function eventsOf(name: string): Promise<CacheInvalidatedEvent[]> {
    const out: CacheInvalidatedEvent[] = [];
    const log = memory.events;
    // The stream of every slot any shard of the cache runs in, registered or not (a missing registration would be a bug of its own).
    const keys = keyspace.cache(name, SHARDS);
    const slots = new Set(Array.from({ length: SHARDS }, (_, shard) => log.keys.partitionOf(keys.tag('x', shard))));
    for (const slot of await log.partitions()) slots.add(slot);
    for (const slot of slots) {
      const stream = log.keys.stream(slot);
      const entries = await memory.connection.send<RawEntry[]>(['XRANGE', stream, '-', '+'], { key: stream, readonly: true });
      for (const [id, fields] of entries) {
        const event = fields ? decodeEvent(slot, id, fields) : null;
        if (event?.type === 'cache.invalidated' && event.cache === name) out.push(event);
      }
    }
    return out;
  }

  it('a tag invalidation writes exactly one event, in the partition of the tag’s own shard, naming the tag by id only', async () => {
    const cache = cacheOf('tagged', true);
    await Promise.all(Array.from({ length: 20 }, (_, i) => cache.set(`k${i}`, `v${i}`, { tags: ['doc:42'] })));
    expect(await cache.invalidateTag('doc:42')).toBe(20);
    expect(await cache.get('k0')).toBeUndefined();
    const events = await eventsOf('tagged');
    expect(events).toHaveLength(1);
    const tagId = Cache.id('doc:42');
    const keys = keyspace.cache('tagged', SHARDS);
    expect(events[0]).toMatchObject({ type: 'cache.invalidated', cache: 'tagged', tag: tagId, ids: [] });
    expect(events[0]!.partition).toBe(memory.events.keys.partitionOf(keys.tag(tagId, keys.shardOf(tagId))));
    expect(events[0]).not.toHaveProperty('userId');
    expect(JSON.stringify(events[0])).not.toContain('doc:42');
    expect(await memory.events.partitions()).toContain(events[0]!.partition);
    // Invalidating again (nothing left to delete) is an invalidation all the same: one more event.
    expect(await cache.invalidateTag('doc:42')).toBe(0);
    expect(await eventsOf('tagged')).toHaveLength(2);
    await cache.close();
  });

  it('a deletion of an entry that existed writes one event with its id, in the entry’s partition; of a missing key none', async () => {
    const cache = cacheOf('deleted', true);
    await cache.set('answer', { text: 'secret value' });
    expect(await cache.delete('answer')).toBe(true);
    expect(await cache.delete('answer')).toBe(false);
    expect(await cache.delete('never-set')).toBe(false);
    const events = await eventsOf('deleted');
    expect(events).toHaveLength(1);
    const id = cache.idOf('answer');
    expect(id).toBe(Cache.id('answer'));
    expect(events[0]).toMatchObject({ type: 'cache.invalidated', cache: 'deleted', ids: [id] });
    expect(events[0]!.tag).toBeUndefined();
    expect(events[0]!.partition).toBe(memory.events.keys.partitionOf(keyspace.cache('deleted', SHARDS).entry(id)));
    expect(JSON.stringify(events[0])).not.toContain('secret');
    await cache.close();
  });

  it('with events off, invalidations write none', async () => {
    const cache = cacheOf('quiet', false);
    await cache.set('a', 1, { tags: ['t'] });
    await cache.set('b', 2);
    await cache.invalidateTag('t');
    await cache.delete('b');
    expect(await eventsOf('quiet')).toEqual([]);
    await cache.close();
  });

  it('a failed invalidation writes none: invalid input, and a shard whose script fails', async () => {
    const cache = cacheOf('failing', true);
    await expect(cache.invalidateTag('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(cache.delete('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // One shard other than the tag's own cannot be invalidated (its tag set is not a set): the call
    // fails, and the shard that would write the event never runs.
    const tagId = Cache.id('broken');
    const keys = keyspace.cache('failing', SHARDS);
    const other = (keys.shardOf(tagId) + 1) % SHARDS;
    await memory.connection.send(['SET', keys.tag(tagId, other), 'not a set'], { key: keys.tag(tagId, other) });
    await expect(cache.invalidateTag('broken')).rejects.toThrow(/WRONGTYPE/);
    expect(await eventsOf('failing')).toEqual([]);
    await cache.close();
  });

  it('memory.cache() publishes through the event log of the memory (its maxLen), as the docs say', async () => {
    const { config, release: r } = memoryConfig(target);
    const small = await createAgentMemory({ ...config, prefix, events: { maxLen: 100 } });
    try {
      const cache = small.cache({ name: 'via-memory', shards: 1, events: true });
      for (let i = 0; i < 300; i++) await cache.set(`k${i}`, i);
      await Promise.all(Array.from({ length: 300 }, (_, i) => cache.delete(`k${i}`)));
      const stream = small.events.cacheEvents(keyspace.cache('via-memory', 1).entry(Cache.id('k0')), true).stream;
      const length = await small.connection.send<number>(['XLEN', stream], { key: stream, readonly: true });
      expect(length).toBeGreaterThanOrEqual(100);
      expect(length).toBeLessThanOrEqual(250); // the default cap (10,000) would keep all 300
    } finally {
      await small.close();
      await r();
    }
  });

  it('the partition stream stays capped (MAXLEN ~ from the events config)', async () => {
    const log = new EventLog(memory.connection, keyspace, { maxLen: 100 });
    const cache = new Cache(memory.connection, keyspace, { name: 'capped', shards: 1, events: true }, log);
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => cache.set(`k${round}-${i}`, i)));
      await Promise.all(Array.from({ length: 100 }, (_, i) => cache.delete(`k${round}-${i}`)));
    }
    const stream = log.cacheEvents(keyspace.cache('capped', 1).entry(Cache.id('k0-0')), true).stream;
    const length = await memory.connection.send<number>(['XLEN', stream], { key: stream, readonly: true });
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThanOrEqual(250);
    await cache.close();
  });

  it('a consumer group receives cache events beside user events; forgetting a user leaves them', async () => {
    const cache = cacheOf('consumed', true);
    const user = { tenant: 'acme', userId: 'carol' };
    const seen: AgentEvent[] = [];
    const consumer = memory.events.consume('cache-watch', (e) => {
      seen.push(e);
    });
    try {
      await cache.set('q', 'a', { tags: ['faq'] });
      await cache.invalidateTag('faq');
      await memory.sessions.session({ ...user, sessionId: 's' }).append({ role: 'user', content: 'hello' });
      await cache.set('q2', 'a');
      await cache.delete('q2');
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(25)) {
        const mine = seen.filter((e) => e.type === 'cache.invalidated' && e.cache === 'consumed');
        if (mine.length >= 2 && seen.some((e) => e.userId === 'carol' && e.type === 'session.appended')) break;
      }
      const mine = seen.filter((e): e is CacheInvalidatedEvent => e.type === 'cache.invalidated' && e.cache === 'consumed');
      expect(mine.map((e) => (e.tag ? 'tag' : e.ids.join()))).toEqual(expect.arrayContaining(['tag', Cache.id('q2')]));
      expect(mine).toHaveLength(2);
      expect(seen.some((e) => e.userId === 'carol' && e.type === 'session.appended')).toBe(true);
    } finally {
      await consumer.stop();
    }
    expect(await memory.events.forgetUser(user)).toBeGreaterThan(0);
    expect(await memory.events.of(user)).toEqual([]);
    expect(await eventsOf('consumed')).toHaveLength(2);
    await cache.close();
  });
});

describe.runIf(harness().binaries.redis8)('cache.invalidated at maxmemory (a server of its own)', () => {
  const own = ownRedis8(['--maxmemory', '8mb', '--maxmemory-policy', 'noeviction']);

  it('invalidations still work, and still write their event (after their first write, which Redis does not refuse)', async () => {
    const keyspace = new Keyspace('oomev');
    const log = new EventLog(own.connection, keyspace);
    const cache = new Cache(own.connection, keyspace, { name: 'full', shards: 4, events: true }, log);
    await cache.set('a', 'v', { tags: ['t'] });
    await cache.set('b', 'v');
    for (const size of [10_000, 1000, 100, 10, 1]) {
      for (let error: unknown = null, n = 0; !error; n++) {
        error = await own.connection.send(['SET', `junk:${size}:${n}`, 'x'.repeat(size)]).then(
          () => null,
          (e: unknown) => e,
        );
      }
    }
    await expect(cache.set('c', 'v')).rejects.toBeInstanceOf(OutOfMemoryError);
    expect(await cache.invalidateTag('t')).toBe(1);
    expect(await cache.delete('b')).toBe(true);
    // The partitions could not be registered at the limit (a process warning says so): find the streams by SCAN.
    const types: string[] = [];
    for (const stream of await scanKeys(own.connection, log.keys.streamPattern)) {
      const entries = await own.connection.send<RawEntry[]>(['XRANGE', stream, '-', '+']);
      for (const [id, fields] of entries) if (fields) types.push(`${decodeEvent(log.keys.partitionOf(stream), id, fields)?.type}`);
    }
    expect(types).toEqual(['cache.invalidated', 'cache.invalidated']);
    await cache.close();
  });
});
