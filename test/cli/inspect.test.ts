// `redis-agent-memory inspect` on Redis 8 and the cluster: what a user, a session, a namespace and a
// cache hold, as counts, sizes and TTLs, paged with a pointer to the next page, and no message or
// memory text unless --show-content.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentMemory } from '../../src/index.js';
import { deletePrefix, redis8Targets, targetsWithCluster, uniquePrefix } from '../harness/index.js';
import { openMemory, writeUser } from './fixture.js';
import { run, targetArgs } from './run.js';

const targets = targetsWithCluster().filter((t) => t.name === 'cluster' || redis8Targets().some((r) => r.name === t.name));

describe.each(targets.map((t) => [t.name, t] as const))('cli inspect on %s', (_, target) => {
  const prefix = uniquePrefix('ci');
  const alice = { tenant: 'acme', userId: 'alice' };
  let memory: AgentMemory;
  const cli = (...args: string[]) => run([...targetArgs(target, prefix), ...args]);
  const json = async (...args: string[]) => {
    const result = await cli('--json', ...args);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  };

  beforeAll(async () => {
    memory = await openMemory(target, prefix);
    await writeUser(memory, alice, 3);
    await writeUser(memory, { tenant: 'acme', userId: 'bob' }, 1);
  });

  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await memory.close();
  });

  it('user: sessions paged with the next offset, memories per namespace, cache entries, sizes', async () => {
    const first = await json('inspect', 'user', '--user', 'alice', '--tenant', 'acme', '--limit', '2');
    expect(first.sessions.total).toBe(3);
    expect(first.sessions.items).toHaveLength(2);
    expect(first.sessions.nextOffset).toBe(2);
    expect(first.sessions.items[0]).toMatchObject({ messageCount: 2, totalMessages: 2 });
    expect(first.memories).toEqual([{ namespace: 'facts', memories: 2 }]);
    expect(first.cacheEntries).toEqual([{ cache: 'answers', entries: 1 }]);
    expect(first.keys.count).toBeGreaterThan(3);
    expect(first.keys.bytes).toBeGreaterThan(0);
    const last = await json('inspect', 'user', '--user', 'alice', '--tenant', 'acme', '--limit', '2', '--offset', '2');
    expect(last.sessions.items).toHaveLength(1);
    expect(last.sessions.nextOffset).toBeNull();
    const text = await cli('inspect', 'user', '--user', 'alice', '--tenant', 'acme', '--limit', '2');
    expect(text.stdout).toContain('next page: --offset 2');
  });

  it('session: roles, sizes and times, no content unless --show-content', async () => {
    const view = await json('inspect', 'session', '--user', 'alice', '--tenant', 'acme', '--session', 'chat-1');
    expect(view.messages.total).toBe(2);
    expect(view.messages.items.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    expect(view.messages.items[0].bytes).toBe(Buffer.byteLength('I live in Lisbon and my secret is hunter1'));
    expect(view.keys.length).toBeGreaterThan(0);
    expect(JSON.stringify(view)).not.toContain('hunter1');
    const text = await cli('inspect', 'session', '--user', 'alice', '--tenant', 'acme', '--session', 'chat-1');
    expect(text.stdout).toMatch(/user\s+41 B/);
    expect(text.stdout).not.toContain('hunter1');
    const shown = await cli('inspect', 'session', '--user', 'alice', '--tenant', 'acme', '--session', 'chat-1', '--show-content');
    expect(shown.stdout).toContain('hunter1');
    const missing = await cli('inspect', 'session', '--user', 'alice', '--tenant', 'acme', '--session', 'nope');
    expect(missing.code).toBe(1);
  });

  it('memory: the namespaces, a namespace by scope, a user’s memories without their text', async () => {
    const namespaces = await json('inspect', 'memory');
    expect(namespaces.items).toEqual([expect.objectContaining({ namespace: 'facts', dim: 64, scopes: 2, memories: 4 })]);
    const scopes = await json('inspect', 'memory', '--namespace', 'facts');
    expect(scopes.scopes.total).toBe(2);
    const mine = await json('inspect', 'memory', '--namespace', 'facts', '--user', 'alice', '--tenant', 'acme', '--limit', '1');
    expect(mine.memories.total).toBe(2);
    expect(mine.memories.items).toHaveLength(1);
    expect(mine.memories.nextOffset).toBe(1);
    expect(mine.memories.items[0].text).toBeUndefined();
    expect(mine.memories.items[0].bytes).toBeGreaterThan(0);
    const shown = await json('inspect', 'memory', '--namespace', 'facts', '--user', 'alice', '--tenant', 'acme', '--show-content');
    expect(shown.memories.items.map((m: { text: string }) => m.text).sort()).toEqual(['alice likes tea', 'alice works nights']);
    const unknown = await cli('inspect', 'memory', '--namespace', 'nope');
    expect(unknown.code).toBe(2);
  });

  it('cache: the caches with their entry counts, one cache’s entries with TTLs', async () => {
    const caches = await json('inspect', 'cache');
    expect(caches.items).toEqual([{ cache: 'answers', entries: 2 }]);
    const entries = await json('inspect', 'cache', '--name', 'answers', '--limit', '1');
    expect(entries.entries.total).toBe(2);
    expect(entries.entries.items[0]).toMatchObject({ type: 'string' });
    expect(entries.entries.items[0].ttlMs).toBeGreaterThan(3_000_000); // the default hour
    expect(entries.entries.nextOffset).toBe(1);
  });

  it('exits 2 on a bad page size', async () => {
    expect((await cli('inspect', 'cache', '--limit', '0')).code).toBe(2);
  });
});
