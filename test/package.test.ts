// The published shape: the build (run by `npm test` before vitest) emits dist/ with declarations,
// and the package's own name resolves to it through the exports map, subpaths included.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('package exports', () => {
  it('resolves the root entry to the built library', async () => {
    const lib = await import('redis-agent-memory');
    expect(typeof lib.createAgentMemory).toBe('function');
    expect(typeof lib.AgentMemoryError).toBe('function');
    expect(existsSync('dist/src/index.d.ts')).toBe(true);
  });

  it('ships the Lua scripts beside their loader', async () => {
    const lib = await import('redis-agent-memory');
    expect(typeof lib.SessionStore).toBe('function');
    expect(existsSync('dist/src/scripts/session-append-7.lua')).toBe(true);
    expect(existsSync('dist/src/scripts/includes/session.lua')).toBe(true);
  });

  it('resolves the adapter subpaths', async () => {
    expect(await import('redis-agent-memory/langchain')).toHaveProperty('toMessageInput');
    const langchain = await import('redis-agent-memory/langchain');
    for (const name of ['AgentMemoryChatHistory', 'AgentMemoryVectorStore', 'AgentMemoryLlmCache', 'AgentMemorySemanticLlmCache', 'AgentMemoryKeyValueStore', 'importRedisChatMessageHistory', 'exportToRedisChatMessageHistory', 'importRedisVectorStore']) {
      expect(langchain).toHaveProperty(name);
    }
    expect(await import('redis-agent-memory/langgraph')).toHaveProperty('AgentMemoryCheckpointer');
    expect(await import('redis-agent-memory/langgraph')).toHaveProperty('AgentMemoryStore');
    expect(existsSync('dist/adapters/langchain/index.d.ts')).toBe(true);
  });
});
