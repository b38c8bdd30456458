// redis-agent-memory/testing's deletePrefix, as a user's test suite calls it: everything under the
// memory's prefix goes (sessions, caches, long-term memory, RediSearch indexes), and nothing under a
// look-alike prefix (`<prefix>x`) is touched. Runs on Redis 8, the cluster, and REDISEARCH_URL when set.
import { createAgentMemory, type AgentMemory, type AgentMemoryConfig } from 'redis-agent-memory';
import { deletePrefix, HashingEmbeddings } from 'redis-agent-memory/testing';
import { describe, expect, it } from 'vitest';
import { harness, scanKeys, targets, uniquePrefix } from '../harness/index.js';

const servers = (): { name: string; redis: AgentMemoryConfig['redis'] }[] => {
  const single = targets().find((t) => t.name === 'redis8') ?? targets()[0]!;
  const cluster = harness().cluster;
  return [
    { name: single.name, redis: { url: single.url } },
    ...(cluster ? [{ name: 'cluster', redis: { nodes: cluster.nodes } }] : []),
    ...(harness().redisearchUrl ? [{ name: 'redisearch', redis: { url: harness().redisearchUrl! } }] : []),
  ];
};

async function fill(memory: AgentMemory): Promise<void> {
  await memory.sessions.session({ userId: 'alice', sessionId: 's1' }).append([{ role: 'user', content: 'hi' }]);
  await memory.cache({ name: 'answers' }).set('q', { a: 1 }, { tags: [memory.userTag({ userId: 'alice' })] });
  const facts = await memory.longTerm({ embedder: new HashingEmbeddings(32), namespace: 'facts' });
  await facts.remember({ userId: 'alice' }, { text: 'Alice likes tea', tags: ['food'] });
  await facts.recall({ userId: 'alice' }, 'tea', { k: 1, trackAccess: 'await' });
}

const searchIndexes = async (memory: AgentMemory): Promise<string[]> =>
  (await memory.capabilities()).search ? Array.from(await memory.connection.send<Iterable<unknown>>(['FT._LIST']), String) : [];

describe.each(servers())('deletePrefix on $name', ({ redis }) => {
  it('deletes every key and index under the prefix, and nothing under a look-alike prefix', async () => {
    const prefix = uniquePrefix('dp');
    const mine = await createAgentMemory({ redis, prefix });
    const other = await createAgentMemory({ redis, prefix: `${prefix}x` });
    try {
      await Promise.all([fill(mine), fill(other)]);
      const before = await scanKeys(mine.connection, `${prefix}:*`);
      expect(before.length).toBeGreaterThan(3);

      expect(await deletePrefix(mine)).toBe(before.length);
      expect(await scanKeys(mine.connection, `${prefix}:*`)).toEqual([]);
      expect((await searchIndexes(mine)).filter((n) => n.startsWith(`${prefix}:`))).toEqual([]);
      expect((await scanKeys(other.connection, `${prefix}x:*`)).length).toBeGreaterThan(3);
      if ((await other.capabilities()).search) expect((await searchIndexes(other)).some((n) => n.startsWith(`${prefix}x:`))).toBe(true);

      // The memory works again from nothing: the same namespace opens afresh.
      await fill(mine);
      expect(await deletePrefix(mine)).toBeGreaterThan(3);
    } finally {
      await deletePrefix(other);
      await Promise.all([mine.close(), other.close()]);
    }
  });
});
