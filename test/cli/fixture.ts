// Data for the CLI suites, written through the library itself (as an application would): two
// users with sessions, long-term memories and tagged cache entries, and a way to read back every
// key under a prefix to compare before and after a command.
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import { memoryConfig, scanKeys, type RedisTarget } from '../harness/index.js';

export const embedder = new HashingEmbeddings(64);

/** A memory on `target` under `prefix`, publishing session events. Close it when done. */
export async function openMemory(target: RedisTarget, prefix: string): Promise<AgentMemory> {
  return createAgentMemory({ ...memoryConfig(target).config, prefix, sessions: { events: true } });
}

/** Writes `user`'s sessions, memories in `facts` and an entry tagged with their tag in cache `answers`. */
export async function writeUser(memory: AgentMemory, user: { tenant: string; userId: string }, sessions = 2): Promise<void> {
  for (let i = 0; i < sessions; i++) {
    await memory.sessions.session({ ...user, sessionId: `chat-${i}` }).append([
      { role: 'user', content: `I live in Lisbon and my secret is hunter${i}` },
      { role: 'assistant', content: 'Noted.' },
    ]);
  }
  const facts = await memory.longTerm({ namespace: 'facts', embedder });
  await facts.rememberMany(user, [{ text: `${user.userId} likes tea` }, { text: `${user.userId} works nights` }]);
  await memory.cache({ name: 'answers' }).set(`q-${user.userId}`, { a: 1 }, { tags: [memory.userTag(user)] });
}

/** Every key under `prefix`, sorted. */
export async function keysUnder(memory: AgentMemory, prefix: string): Promise<string[]> {
  return (await scanKeys(memory.connection, `${prefix}:*`)).sort();
}
