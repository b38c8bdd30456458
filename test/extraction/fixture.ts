// An agent memory on one harness target under a fresh prefix, with session events on and a
// long-term memory on the offline hashing embedder: what the extraction tests run against.
// Cleaned up by close().
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { type AgentMemory, createAgentMemory } from '../../src/index.js';
import type { LongTermMemory } from '../../src/memory/long-term-memory.js';
import { deletePrefix, memoryConfig, type RedisTarget, uniquePrefix } from '../harness/index.js';

export interface ExtractionFixture {
  memory: AgentMemory;
  longTerm: LongTermMemory;
  prefix: string;
  close(): Promise<void>;
}

export async function extractionFixture(target: RedisTarget, sessions: { maxMessages?: number } = {}): Promise<ExtractionFixture> {
  const prefix = uniquePrefix('x');
  const { config, release } = memoryConfig(target);
  const memory = await createAgentMemory({ ...config, prefix, sessions: { events: true, ...sessions } });
  const longTerm = await memory.longTerm({ embedder: new HashingEmbeddings(128), fields: { tags: 'tag' } });
  return {
    memory,
    longTerm,
    prefix,
    close: async () => {
      await deletePrefix(memory.connection, prefix);
      await memory.close();
      await release();
    },
  };
}

/** Waits until `done()` holds (polling every 50 ms), failing after `timeoutMs`. */
export async function until(done: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
