// The store across sessions, on Redis 8, Redis 7 and a Redis Cluster: listing a user's sessions by
// activity, paged; forgetting a user leaves none of their keys (SCAN) and nobody else's is touched.
// And a retried append whose first reply was lost writes once (on a server of its own).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/local-redis.js';
import { connect } from '../../src/connection/connect.js';
import { TimeoutError } from '../../src/errors.js';
import { SessionStore } from '../../src/session/store.js';
import { harness, targetsWithCluster } from '../harness/index.js';
import { sessionFixture, sleep, type SessionFixture } from './fixture.js';

describe.each(targetsWithCluster({ asAclUser: true }).map((t) => [t.name, t] as const))('session store (%s)', (_, target) => {
  let f: SessionFixture;
  beforeAll(async () => {
    f = await sessionFixture(target);
  });
  afterAll(() => f.close());

  it('lists a user’s sessions by last activity, paged, with their metadata', async () => {
    const store = f.store();
    for (const id of ['a', 'b', 'c']) {
      await store.session({ tenant: 't1', userId: 'lister', sessionId: id }).append({ role: 'user', content: id });
      await sleep(5);
    }
    await store.session({ tenant: 't1', userId: 'lister', sessionId: 'a' }).setMetadata({ title: 'Refund', stars: 4 });
    const first = await store.list({ tenant: 't1', userId: 'lister' }, { limit: 2 });
    expect(first.total).toBe(3);
    expect(first.sessions.map((s) => s.sessionId)).toEqual(['a', 'c']);
    expect(first.sessions[0]).toMatchObject({ messageCount: 1, totalMessages: 1, metadata: { title: 'Refund', stars: 4 } });
    expect(first.sessions[0]!.updatedAt).toBeGreaterThanOrEqual(first.sessions[0]!.createdAt);
    const second = await store.list({ tenant: 't1', userId: 'lister' }, { offset: 2, limit: 2 });
    expect(second.sessions.map((s) => s.sessionId)).toEqual(['b']);

    await store.session({ tenant: 't1', userId: 'lister', sessionId: 'a' }).setMetadata({ stars: undefined });
    expect((await store.session({ tenant: 't1', userId: 'lister', sessionId: 'a' }).info())?.metadata).toEqual({ title: 'Refund' });
    // Another tenant's user of the same id is another user.
    expect((await store.list({ tenant: 't2', userId: 'lister' })).total).toBe(0);
  });

  it('moves the index score only by the step (min(1% of TTL, 1 s)); list() orders by the exact last write', async () => {
    // TTL 50 s: step 500 ms.
    const store = f.store({ ttl: { mode: 'sliding', seconds: 50 } });
    const user = { userId: 'stepper' };
    const index = f.keyspace.user(user).sessions;
    const score = async (id: string) => Number(await f.connection.send<string>(['ZSCORE', index, id], { key: index }));
    const a = store.session({ ...user, sessionId: 'a' });
    const b = store.session({ ...user, sessionId: 'b' });
    await a.append({ role: 'user', content: 'a1' });
    await sleep(5);
    await b.append({ role: 'user', content: 'b1' });
    expect((await store.list(user)).sessions.map((s) => s.sessionId)).toEqual(['b', 'a']);
    const first = await score('a');
    await sleep(5);
    await a.append({ role: 'user', content: 'a2' }); // within the step: the score stays
    expect(await score('a')).toBe(first);
    expect(await score('a')).toBeLessThan(await score('b'));
    // ...but the listing (the index known complete now) follows meta's exact `updated`.
    expect((await store.list(user)).sessions.map((s) => s.sessionId)).toEqual(['a', 'b']);
    await sleep(550);
    await a.append({ role: 'user', content: 'a3' }); // past the step: the score moves
    expect(await score('a')).toBeGreaterThanOrEqual(first + 500);
  });

  it('drops index entries of expired sessions while listing', async () => {
    const store = f.store();
    await store
      .session({ userId: 'expiring', sessionId: 'short' }, { ttl: { mode: 'fixed', seconds: 0.3 } })
      .append({ role: 'user', content: 'x' });
    await store.session({ userId: 'expiring', sessionId: 'long' }).append({ role: 'user', content: 'y' });
    await sleep(500);
    const listed = await store.list({ userId: 'expiring' });
    expect(listed.sessions.map((s) => s.sessionId)).toEqual(['long']);
    expect(listed.total).toBe(1);
  });

  it('forgetUser deletes every key of that user and nothing of anyone else', async () => {
    const store = f.store({ maxMessages: 2, summarizer: ({ messages }) => messages.map((m) => m.content).join() });
    for (const userId of ['gone', 'kept']) {
      for (const sessionId of ['s1', 's2', 's3']) {
        const s = store.session({ tenant: 'acme', userId, sessionId });
        await s.append(
          [1, 2, 3].map((n) => ({ role: 'user' as const, content: `m${n}` })),
          { idempotencyKey: 'k' },
        );
        await s.setToolResult('call', { ok: true });
        await s.state.set({ step: 1 });
        await s.setMetadata({ title: sessionId });
      }
    }
    const before = await f.keys('{acme:gone}:*');
    // messages, meta, state, tools, idempotency (the summarizer emptied the pending list), and the index
    expect(before.length).toBe(3 * 5 + 1);
    expect(await store.forgetUser({ tenant: 'acme', userId: 'gone' })).toBe(3);
    expect(await f.keys('{acme:gone}:*')).toEqual([]);
    expect((await f.keys('{acme:kept}:*')).length).toBe(3 * 5 + 1);
    expect((await store.list({ tenant: 'acme', userId: 'kept' })).total).toBe(3);
  });
});

describe.runIf(harness().binaries.redis8)('a retried append after a lost reply', () => {
  it('writes once, even though the first attempt timed out before its reply arrived', async () => {
    // A server of its own: CLIENT PAUSE holds every client of a server, not only this test's.
    const server = await startRedis(harness().binaries.redis8!);
    const f = await sessionFixture({ name: 'own', url: server.url, version: server.version });
    const impatient = await connect({ url: server.url, commandTimeoutMs: 100 });
    try {
      const ref = { userId: 'u', sessionId: 's' };
      // Load the script first (a fresh server answers the first EVALSHA with NOSCRIPT).
      await f.store().session({ userId: 'u', sessionId: 'warm-up' }).append({ role: 'user', content: 'x' });
      // The server holds writes for 400 ms and the client gives up after 100: the reply is lost,
      // but the write itself happens when the pause ends.
      await f.connection.send(['CLIENT', 'PAUSE', '400', 'WRITE']);
      const lost = await new SessionStore(impatient, f.keyspace)
        .session(ref)
        .append({ role: 'user', content: 'once' }, { idempotencyKey: 'req-42' })
        .catch((e: unknown) => e);
      expect(lost).toBeInstanceOf(TimeoutError);
      await sleep(500);
      const chat = f.store().session(ref);
      expect((await chat.messages()).map((m) => m.content)).toEqual(['once']);
      const retry = await chat.append({ role: 'user', content: 'once' }, { idempotencyKey: 'req-42' });
      expect(retry).toMatchObject({ appended: 0, duplicates: 1 });
      expect((await chat.messages()).map((m) => m.content)).toEqual(['once']);
    } finally {
      await impatient.close();
      await f.close();
      await server.stop();
    }
  });
});
