// findUserFootprint / forgetUserFootprint (src/forget.ts), what a process that opened none of the
// application's namespaces and caches (the CLI) forgets a user with: agents' memories and every
// cache shard found from the keyspace, a user whose id another's extends left alone, a tag key that
// eviction took still leaving the entries findable by their generation key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../src/cache/cache.js';
import { HashingEmbeddings } from '../src/embeddings/hashing.js';
import { findUserFootprint, forgetUserFootprint } from '../src/forget.js';
import { createAgentMemory, type AgentMemory } from '../src/index.js';
import { deletePrefix, memoryConfig, scanKeys, targetsWithCluster, uniquePrefix } from './harness/index.js';

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('user footprint (%s)', (_, target) => {
  const prefix = uniquePrefix('fp');
  let memory: AgentMemory;
  const ann = { userId: 'ann' };
  const anna = { userId: 'anna' };

  beforeAll(async () => {
    memory = await createAgentMemory({ ...memoryConfig(target).config, prefix, sessions: { events: true } });
    const embedder = new HashingEmbeddings(16);
    const notes = await memory.longTerm({ namespace: 'notes', embedder, engine: 'flat' });
    const plans = await memory.longTerm({ namespace: 'plans', embedder });
    for (const user of [ann, anna]) {
      await memory.sessions.session({ ...user, sessionId: 'x' }).append({ role: 'user', content: 'hello' });
      await notes.remember(user, { text: `${user.userId} note` });
      await plans.remember({ ...user, agentId: 'planner' }, { text: `${user.userId} plan` });
      const cache = memory.cache({ name: 'wide', shards: 64 });
      for (let i = 0; i < 20; i++) await cache.set(`${user.userId}-${i}`, i, { tags: [memory.userTag(user)] });
    }
  });

  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await memory.close();
  });

  it('finds sessions, memories of every agent in every namespace, and tagged entries in every shard', async () => {
    const footprint = await findUserFootprint(memory.connection, memory.keys, memory.events, ann);
    expect(footprint.sessions).toEqual(['x']);
    expect(footprint.memories).toEqual([
      { namespace: 'notes', memories: 1 },
      { namespace: 'plans', memories: 1 },
    ]);
    expect(footprint.caches).toHaveLength(1);
    expect(footprint.caches[0]).toMatchObject({ cache: 'wide', entries: 20 });
    expect(footprint.events).toBeGreaterThanOrEqual(1);
    expect(footprint.keys.every((k) => k.includes('{_:ann}') || k.includes('{_:ann:'))).toBe(true);
  });

  it('forgets all of it, in shards past the lowest too, even with a tag key evicted, and leaves anna whole', async () => {
    // Eviction took one shard's tag set: its entries are still found by the generation key.
    // Ann's own tag set (a shard holds anna's too: taking hers would change what is left of anna).
    const annTag = Cache.id(memory.userTag(ann));
    const tagKey = (await scanKeys(memory.connection, `${prefix}:c:{wide:*}:t:${annTag}`))[0]!;
    expect(tagKey).toBeDefined();
    await memory.connection.send(['UNLINK', tagKey], { key: tagKey });
    const footprint = await findUserFootprint(memory.connection, memory.keys, memory.events, ann);
    const deleted = await forgetUserFootprint(memory.connection, memory.keys, memory.events, ann, footprint);
    expect(deleted).toMatchObject({ sessions: 1, memories: 2 });
    const cache = memory.cache({ name: 'wide', shards: 64 });
    for (let i = 0; i < 20; i++) expect(await cache.get(`ann-${i}`)).toBeUndefined();
    for (let i = 0; i < 20; i++) expect(await cache.get(`anna-${i}`)).toBe(i);
    expect(await findUserFootprint(memory.connection, memory.keys, memory.events, ann)).toMatchObject({
      sessions: [],
      memories: [],
      caches: [],
      events: 0,
      keys: [],
    });
    const left = await findUserFootprint(memory.connection, memory.keys, memory.events, anna);
    expect(left.sessions).toEqual(['x']);
    expect(left.memories.map((m) => m.memories)).toEqual([1, 1]);
    expect(left.caches[0]).toMatchObject({ entries: 20 });
  });
});
