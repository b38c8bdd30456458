// The front door: createAgentMemory wires sessions and caches to one connection; forgetUser
// reaches every store; cache() refuses a name reused with other options.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../src/errors.js';
import { HashingEmbeddings } from '../src/embeddings/hashing.js';
import { createAgentMemory } from '../src/index.js';
import { scanKeys, targetsWithCluster, uniquePrefix } from './harness/index.js';

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('createAgentMemory (%s)', (_, target) => {
  it('forgetUser deletes the user’s sessions and the cache entries tagged for them, and nobody else’s', async () => {
    const prefix = uniquePrefix('m');
    const redis = target.nodes ? { nodes: target.nodes } : { url: target.url };
    const memory = await createAgentMemory({ redis, prefix });
    try {
      const alice = { tenant: 'acme', userId: 'alice' };
      const bob = { tenant: 'acme', userId: 'bob' };
      const answers = memory.cache({ name: 'answers' });
      for (const user of [alice, bob]) {
        await memory.sessions.session({ ...user, sessionId: 's1' }).append({ role: 'user', content: 'hi' });
        await answers.set(`profile:${user.userId}`, { plan: 'pro' }, { tags: [memory.userTag(user)] });
      }
      await answers.set('shared', 'for everyone');
      expect(await memory.forgetUser(alice)).toBe(1);
      expect(await scanKeys(memory.connection, `${prefix}:{acme:alice}:*`)).toEqual([]);
      expect(await answers.get('profile:alice')).toBeUndefined();
      expect(await answers.get('profile:bob')).toEqual({ plan: 'pro' });
      expect(await answers.get('shared')).toBe('for everyone');
      expect(await memory.sessions.session({ ...bob, sessionId: 's1' }).count()).toBe(1);

      // Long-term memories, the user's own and an agent's, go too (with a session made since).
      await memory.sessions.session({ ...alice, sessionId: 's2' }).append({ role: 'user', content: 'back again' });
      const facts = await memory.longTerm({ embedder: new HashingEmbeddings(64) });
      await facts.remember(bob, { text: 'bob likes tea' });
      for (const scope of [alice, { ...alice, agentId: 'planner' }]) await facts.remember(scope, { text: 'alice likes coffee' });
      await memory.forgetUser(alice);
      expect(await facts.count(alice)).toBe(0);
      expect(await facts.count({ ...alice, agentId: 'planner' })).toBe(0);
      expect(await facts.count(bob)).toBe(1);
      expect(await scanKeys(memory.connection, `${prefix}:*{acme:alice*`)).toEqual([]);

      expect(memory.cache({ name: 'answers' })).toBe(answers);
      expect(() => memory.cache({ name: 'answers', shards: 2 })).toThrow(InvalidArgumentError);
    } finally {
      for (const key of await scanKeys(memory.connection, `${prefix}:*`)) await memory.connection.send(['DEL', key], { key });
      await memory.close();
    }
  });
});
