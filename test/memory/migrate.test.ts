// migrateTo: every memory of every scope moves into a namespace with another dimension (and, on
// Redis 8, another engine), embedded again, ids and timestamps kept, expired ones left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import { deletePrefix, memoryConfig, targetsWithCluster, uniquePrefix } from '../harness/index.js';

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('migrateTo (%s)', (_, target) => {
  let memory: AgentMemory;
  let prefix: string;
  let release: () => Promise<void>;
  beforeAll(async () => {
    prefix = uniquePrefix('mg');
    const connection = memoryConfig(target); // `redis`, or under AM_TEST_CLIENT a node-redis client of the test's
    release = connection.release;
    memory = await createAgentMemory({ ...connection.config, prefix });
  });
  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await memory.close();
    await release();
  });

  it('re-embeds every scope into the new namespace and reports progress', async () => {
    const v1 = await memory.longTerm({ namespace: 'facts-v1', embedder: new HashingEmbeddings(64), engine: 'flat', dedupeThreshold: 1 });
    const scopes = [{ userId: 'ann' }, { userId: 'ann', agentId: 'planner' }, { tenant: 't2', userId: 'bo' }];
    const ids: string[][] = [];
    for (const scope of scopes)
      ids.push(
        (await v1.rememberMany(scope, [{ text: `${scope.userId} likes tea` }, { text: `${scope.userId} plays chess` }])).map((r) => r.id),
      );
    await v1.remember({ userId: 'ann' }, { text: 'expires before the move', ttlSeconds: 0.2 });
    await new Promise((r) => setTimeout(r, 300));
    const before = await v1.get({ userId: 'ann' }, ids[0]![0]!);

    const v2 = await memory.longTerm({ namespace: 'facts-v2', embedder: new HashingEmbeddings(128) });
    const seen: number[] = [];
    const moved = await v1.migrateTo(v2, { batchSize: 1, onProgress: (p) => seen.push(p.memories) });
    expect(moved).toEqual({ scopes: 3, memories: 6, processed: 6, total: 6, resumed: 0 });
    expect(seen.at(-1)).toBe(6);
    expect(v2.index.definition.dim).toBe(128);
    for (const [i, scope] of scopes.entries()) {
      expect(await v2.count(scope)).toBe(2);
      const [best] = await v2.recall(scope, 'chess', { k: 1 });
      expect(best!.id).toBe(ids[i]![1]);
    }
    expect(await v2.get({ userId: 'ann' }, ids[0]![0]!)).toEqual(before);
    expect(await v1.dropAll()).toBe(6);
    expect(await v1.count({ userId: 'ann' })).toBe(0);
  });

  it('with a checkpoint, a run that stopped mid-way is continued, not redone, by the next', async () => {
    const src = await memory.longTerm({ namespace: 'ck-src', embedder: new HashingEmbeddings(32), engine: 'flat' });
    for (const userId of ['a', 'b'])
      await src.rememberMany(
        { userId },
        Array.from({ length: 5 }, (_, i) => ({ id: `m${i}`, text: `${userId} fact ${i}` })),
        { dedupe: false },
      );
    const dst = await memory.longTerm({ namespace: 'ck-dst', embedder: new HashingEmbeddings(16) });
    const positions = new Map<string, number>();
    let saves = 0;
    const crashing = {
      position: async (unit: string) => positions.get(unit) ?? 0,
      save: async (unit: string, position: number) => {
        positions.set(unit, position);
        if (++saves === 3) throw new Error('killed');
      },
    };
    await expect(src.migrateTo(dst, { batchSize: 2, checkpoint: crashing })).rejects.toThrow('killed');
    const done = [...positions.values()].reduce((a, b) => a + b, 0);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(10);
    const resumed = await src.migrateTo(dst, { batchSize: 2, checkpoint: crashing });
    expect(resumed).toMatchObject({ resumed: done, processed: 10, total: 10, memories: 10 - done });
    expect((await dst.count({ userId: 'a' })) + (await dst.count({ userId: 'b' }))).toBe(10);
    expect(await dst.get({ userId: 'b' }, 'm4')).toMatchObject({ text: 'b fact 4' });
  });
});
