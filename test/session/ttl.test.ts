// TTLs on Redis 8, Redis 7 and a Redis Cluster: sliding TTL refreshed by reads and writes on every
// key of the session together, fixed TTL never refreshed, none, per-session override, and an
// expired session that reads as empty and is not recreated by reading.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionKeys } from '../../src/keys.js';
import { targetsWithCluster } from '../harness/index.js';
import { sessionFixture, sleep, type SessionFixture } from './fixture.js';

describe.each(targetsWithCluster({ asAclUser: true }).map((t) => [t.name, t] as const))('session TTL (%s)', (_, target) => {
  let f: SessionFixture;
  beforeAll(async () => {
    f = await sessionFixture(target);
  });
  afterAll(() => f.close());

  const keysOf = (sessionId: string): SessionKeys => f.keyspace.user({ userId: 'ttl' }).session(sessionId);
  /** Remaining TTL of every key of the session that exists. */
  const ttls = async (sessionId: string) => {
    const out: Record<string, number> = {};
    for (const [name, key] of Object.entries(keysOf(sessionId))) {
      const pttl = await f.pttl(key);
      if (pttl !== -2) out[name] = pttl;
    }
    return out;
  };
  /** Writes every kind of key a session has (the pending list needs a summarizer and a trim). */
  const fill = async (store: ReturnType<SessionFixture['store']>, sessionId: string) => {
    const s = store.session({ userId: 'ttl', sessionId });
    await s.append(
      [
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
        { role: 'user', content: 'c' },
      ],
      { idempotencyKey: 'k' },
    );
    await s.setToolResult('call', 1);
    await s.state.set({ step: 1 });
    return s;
  };

  it('sliding: reads and writes refresh the TTL of every key of the session together', async () => {
    const store = f.store({
      ttl: { mode: 'sliding', seconds: 3 },
      maxMessages: 2,
      summarizer: () => {
        throw new Error('keep pending');
      },
    });
    const s = await fill(store, 'sliding');
    const initial = await ttls('sliding');
    expect(Object.keys(initial).sort()).toEqual(['idempotency', 'messages', 'meta', 'pending', 'state', 'tools']);

    await sleep(1200);
    await s.messages(); // a read
    const afterRead = await ttls('sliding');
    for (const [key, pttl] of Object.entries(afterRead)) expect(pttl, key).toBeGreaterThan(2500);
    expect(Math.max(...Object.values(afterRead)) - Math.min(...Object.values(afterRead))).toBeLessThan(100);

    await sleep(1200);
    await s.state.patch({ step: 2 }); // a write
    const afterWrite = await ttls('sliding');
    for (const [key, pttl] of Object.entries(afterWrite)) expect(pttl, key).toBeGreaterThan(2500);
    const index = f.keyspace.user({ userId: 'ttl' }).sessions;
    expect(await f.pttl(index)).toBeGreaterThan(2500);
  });

  it('fixed: neither reads nor writes move the deadline, and keys created later share it', async () => {
    const store = f.store({ ttl: { mode: 'fixed', seconds: 3 } });
    const s = store.session({ userId: 'ttl', sessionId: 'fixed' });
    await s.append({ role: 'user', content: 'a' });
    await sleep(1200);
    await s.messages();
    await s.setToolResult('late', 'created after 1.2 s');
    const now = await ttls('fixed');
    for (const [key, pttl] of Object.entries(now)) {
      expect(pttl, key).toBeLessThan(1900);
      expect(pttl, key).toBeGreaterThan(0);
    }
    expect(now.tools).toBeDefined();
    expect((await s.info())?.ttl).toMatchObject({ mode: 'fixed', seconds: 3 });
  });

  it('fixed as a per-session override: writes through the override do not restart the deadline', async () => {
    const store = f.store({ ttl: { mode: 'sliding', seconds: 60 } });
    const open = () => store.session({ userId: 'ttl', sessionId: 'fixed-override' }, { ttl: { mode: 'fixed', seconds: 3 } });
    await open().append({ role: 'user', content: 'a' });
    await sleep(1200);
    await open().append({ role: 'user', content: 'b' });
    for (const [key, pttl] of Object.entries(await ttls('fixed-override'))) expect(pttl, key).toBeLessThan(1900);
  });

  it('an expired session reads as empty, and reading it creates nothing', async () => {
    const store = f.store({ ttl: { mode: 'fixed', seconds: 0.5 } });
    const s = await fill(store, 'expired');
    expect(await s.count()).toBe(3);
    await sleep(700);
    expect(await s.messages()).toEqual([]);
    expect(await s.count()).toBe(0);
    expect(await s.info()).toBeNull();
    expect(await s.state.get()).toEqual({ value: {}, version: 0 });
    expect(await s.toolResults()).toEqual({});
    expect(await ttls('expired')).toEqual({});
  });

  it('none: no TTL at all; a per-session override wins over the store default and is visible', async () => {
    const store = f.store({ ttl: { mode: 'sliding', seconds: 60 } });
    const forever = store.session({ userId: 'ttl', sessionId: 'none' }, { ttl: { mode: 'none' } });
    await forever.append({ role: 'user', content: 'keep me' });
    expect(await ttls('none')).toEqual({ messages: -1, meta: -1 });
    expect((await forever.info())?.ttl).toEqual({ mode: 'none', seconds: null, expiresAt: null });

    // Another handle on the same session, opened without an override, keeps the stored policy.
    await store.session({ userId: 'ttl', sessionId: 'none' }).append({ role: 'user', content: 'still' });
    expect(await ttls('none')).toEqual({ messages: -1, meta: -1 });

    await forever.setTtl({ mode: 'sliding', seconds: 30 });
    const info = await forever.info();
    expect(info?.ttl.mode).toBe('sliding');
    expect(info?.ttl.expiresAt).toBeGreaterThan(Date.now() + 25_000);
  });

  it('delete() is explicit invalidation: every key goes, and the session leaves the index', async () => {
    const store = f.store();
    const s = await fill(store, 'deleted');
    await s.delete();
    expect(await ttls('deleted')).toEqual({});
    expect((await store.list({ userId: 'ttl' })).sessions.map((x) => x.sessionId)).not.toContain('deleted');
  });
});
