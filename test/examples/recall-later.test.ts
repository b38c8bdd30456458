// The recall-later example, offline, on real servers: a later session recalls what an earlier one
// said through LangChain's chat history, extracted in the background; another user recalls nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recallLater } from '../../examples/recall-later.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import { deletePrefix, memoryConfig, redis8Targets, targetsWithCluster, uniquePrefix } from '../harness/index.js';

const targets = targetsWithCluster().filter((t) => t.name === 'cluster' || redis8Targets().some((r) => r.name === t.name));

describe.each(targets.map((t) => [t.name, t] as const))('recall-later example on %s', (_, target) => {
  let memory: AgentMemory;
  const prefix = uniquePrefix('rl');

  beforeAll(async () => {
    memory = await createAgentMemory({ ...memoryConfig(target).config, prefix, sessions: { events: true } });
  });
  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await memory.close();
  });

  it('the friday session recalls monday’s facts from long-term memory, not from its own history', async () => {
    const lines: string[] = [];
    const embedder = new HashingEmbeddings(256);
    const { known, reply, fridayHistory } = await recallLater({ memory, embedder, userId: 'alice', log: (l) => lines.push(l) });
    expect(known).toEqual(expect.arrayContaining(['The user is allergic to peanuts']));
    expect(reply).toContain('allergic to peanuts');
    // Friday's own history holds only Friday's turn: the knowledge came from long-term memory.
    expect(fridayHistory.map((m) => m.getType())).toEqual(['human', 'ai']);
    const learned = await memory.longTerm({ embedder, namespace: 'learned' });
    expect(await learned.recall({ userId: 'bob' }, 'What should the chef know about my diet?')).toEqual([]);
    expect(lines.some((l) => l.startsWith('[background] extracted'))).toBe(true);
    // Forgetting Alice takes what extraction learned and her events too.
    expect(await learned.count({ userId: 'alice' })).toBeGreaterThanOrEqual(2);
    await memory.forgetUser({ userId: 'alice' });
    expect(await learned.count({ userId: 'alice' })).toBe(0);
    expect(await memory.events.of({ userId: 'alice' })).toEqual([]);
  });
});
