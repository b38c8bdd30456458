// `redis-agent-memory forget-user` on Redis 8 and the cluster: --dry-run lists a user's sessions,
// memories per namespace, tagged cache entries and events and changes no key; the real run deletes
// exactly that user's data (namespaces and caches discovered from the keyspace), nobody else's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentMemory } from '../../src/index.js';
import { deletePrefix, redis8Targets, targetsWithCluster, uniquePrefix } from '../harness/index.js';
import { keysUnder, openMemory, writeUser } from './fixture.js';
import { run, targetArgs } from './run.js';

const targets = targetsWithCluster().filter((t) => t.name === 'cluster' || redis8Targets().some((r) => r.name === t.name));

describe.each(targets.map((t) => [t.name, t] as const))('cli forget-user on %s', (_, target) => {
  const prefix = uniquePrefix('cf');
  const alice = { tenant: 'acme', userId: 'alice' };
  const bob = { tenant: 'acme', userId: 'bob' };
  let memory: AgentMemory;
  let plannedEvents = -1;

  beforeAll(async () => {
    memory = await openMemory(target, prefix);
    await writeUser(memory, alice, 2);
    await writeUser(memory, bob, 1);
  });

  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await memory.close();
  });

  it('--dry-run lists what would go, by kind, and deletes nothing', async () => {
    const before = await keysUnder(memory, prefix);
    const result = await run([...targetArgs(target, prefix), '--json', 'forget-user', '--user', 'alice', '--tenant', 'acme', '--dry-run']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan.dryRun).toBe(true);
    expect(plan.sessions).toEqual(['chat-0', 'chat-1']);
    expect(plan.memories).toEqual([{ namespace: 'facts', memories: 2 }]);
    expect(plan.caches).toEqual([expect.objectContaining({ cache: 'answers', entries: 1 })]);
    expect(plan.events).toBeGreaterThanOrEqual(2); // at least one session.appended per append
    plannedEvents = plan.events;
    expect(plan.keys.every((k: string) => k.includes('{acme:alice'))).toBe(true);
    expect(await keysUnder(memory, prefix)).toEqual(before);

    const text = await run([...targetArgs(target, prefix), 'forget-user', '--user', 'alice', '--tenant', 'acme', '--dry-run']);
    expect(text.stdout).toContain('nothing deleted');
    expect(text.stdout).toMatch(/sessions: 2 \(chat-0, chat-1\)/);
    expect(text.stdout).not.toContain('hunter'); // no message content
    expect(await keysUnder(memory, prefix)).toEqual(before);
  });

  it("deletes the user's data and only theirs, and reports the counts", async () => {
    const result = await run([...targetArgs(target, prefix), '--json', 'forget-user', '--user', 'alice', '--tenant', 'acme']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).deleted).toMatchObject({ sessions: 2, memories: 2, cacheEntries: 1, events: plannedEvents });

    const left = await keysUnder(memory, prefix);
    expect(left.filter((k) => k.includes('{acme:alice'))).toEqual([]);
    expect(left.some((k) => k.includes('{acme:bob'))).toBe(true);
    expect(await memory.cache({ name: 'answers' }).get('q-alice')).toBeUndefined();
    expect(await memory.cache({ name: 'answers' }).get('q-bob')).toEqual({ a: 1 });
    const facts = await memory.longTerm({ namespace: 'facts', embedder: (await import('./fixture.js')).embedder });
    expect(await facts.recall(alice, 'tea')).toEqual([]);
    expect((await facts.recall(bob, 'tea')).length).toBeGreaterThan(0);
    expect((await memory.sessions.list(bob)).total).toBe(1);

    const again = await run([...targetArgs(target, prefix), '--json', 'forget-user', '--user', 'alice', '--tenant', 'acme', '--dry-run']);
    expect(JSON.parse(again.stdout)).toMatchObject({ sessions: [], memories: [], caches: [], events: 0, keys: [] });
  });

  it('exits 2 on bad usage: no --user, or an id the key scheme refuses', async () => {
    const missing = await run([...targetArgs(target, prefix), 'forget-user']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--user');
    const bad = await run([...targetArgs(target, prefix), 'forget-user', '--user', 'a:b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('INVALID_ARGUMENT');
  });
});
