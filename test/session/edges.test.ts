// Sessions at the edges, on Redis 8, Redis 7 and the cluster: any single key of a session or of a
// user removed (as eviction does, key by key), TTL policy switches, pages of listings with
// expired sessions, odd input. And at maxmemory (a throwaway server of this file's own): writes
// fail typed with nothing half-written, reads still work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../src/connection/connect.js';
import { AgentMemoryError } from '../../src/errors.js';
import { Keyspace, SESSION_KEY_SUFFIXES, type SessionKeys } from '../../src/keys.js';
import { SessionStore } from '../../src/session/store.js';
import { findRedisServer, startRedis, type LocalRedis } from '../../scripts/local-redis.js';
import { harness, targetsWithCluster, uniquePrefix } from '../harness/index.js';
import { sessionFixture, sleep, type SessionFixture } from './fixture.js';

const KINDS = Object.keys(SESSION_KEY_SUFFIXES) as (keyof SessionKeys)[];

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('session edges (%s)', (_, target) => {
  let f: SessionFixture;
  beforeAll(async () => {
    f = await sessionFixture(target);
  });
  afterAll(() => f.close());

  const del = (key: string) => f.connection.send(['DEL', key], { key });
  /** A session with every kind of key: messages, meta, state, tools, idempotency, pending. */
  const full = async (store: SessionStore, userId: string, sessionId: string) => {
    const s = store.session({ userId, sessionId });
    await s.append(
      [1, 2, 3].map((n) => ({ role: 'user' as const, content: `old ${n}` })),
      { idempotencyKey: 'first' },
    );
    await s.setToolResult('call-1', { ok: true });
    await s.state.set({ step: 1 });
    return s;
  };
  const keeper = () =>
    f.store({
      maxMessages: 2,
      summarizer: () => {
        throw new Error('keep them pending');
      },
    });

  it.each(KINDS)('a session whose %s key vanished reads as gone and starts anew, never mixing leftovers', async (kind) => {
    const store = keeper();
    const s = await full(store, 'evict', `lost-${kind}`);
    await del(f.keyspace.user({ userId: 'evict' }).session(`lost-${kind}`)[kind]);

    expect(await s.messages()).toEqual([]);
    expect(await s.info()).toBeNull();
    expect(await s.state.get()).toEqual({ value: {}, version: 0 });
    expect(await s.toolResults()).toEqual({});

    const again = await s.append({ role: 'user', content: 'new' }, { idempotencyKey: 'first' });
    expect(again.appended).toBe(1); // the old idempotency key went with the session
    expect((await s.messages()).map((m) => m.content)).toEqual(['new']);
    expect((await s.info())!.totalMessages).toBe(1);
    expect(await s.toolResults()).toEqual({});
    // nothing of the old session is left beside the new one
    const left = await f.keys(`{_:evict}:s:lost-${kind}:*`);
    expect(left.map((k) => k.slice(k.lastIndexOf(':'))).sort()).toEqual([':idem', ':meta', ':msgs']);
  });

  it.each(['messages', 'idempotency', 'meta'] as const)(
    'a session read a moment ago (its next read skips the script) whose %s key vanished reads as gone',
    async (kind) => {
      const store = f.store({ ttl: { mode: 'sliding', seconds: 1000 } });
      const s = store.session({ userId: 'evict', sessionId: `skip-${kind}` });
      await s.append({ role: 'user', content: 'm1' }, { idempotencyKey: 'k' });
      expect((await s.messages()).map((m) => m.content)).toEqual(['m1']); // the script read: no deadline due for 1 s
      expect((await s.messages()).map((m) => m.content)).toEqual(['m1']); // a plain read
      await del(f.keyspace.user({ userId: 'evict' }).session(`skip-${kind}`)[kind]);
      expect(await s.messages()).toEqual([]);
      expect(await s.info()).toBeNull();
      expect(await s.count()).toBe(0);
    },
  );

  it('a policy another store changed is seen by a read that skips the script, which moves a due deadline', async () => {
    const ref = { userId: 'evict', sessionId: 'skip-policy' };
    const reader = f.store({ ttl: { mode: 'sliding', seconds: 1000 } }).session(ref);
    await reader.append({ role: 'user', content: 'm1' });
    await reader.messages(); // remembered: nothing due for 1 s
    const other = f.store().session(ref);
    await other.setTtl({ mode: 'sliding', seconds: 2 });
    await sleep(300);
    const meta = f.keyspace.user({ userId: 'evict' }).session('skip-policy').meta;
    expect(await f.pttl(meta)).toBeLessThan(1800);
    expect((await reader.messages()).map((m) => m.content)).toEqual(['m1']);
    expect(await f.pttl(meta)).toBeGreaterThan(1800); // the stored 2 s policy, moved by the read
  });

  it('a session whose state alone vanished does not take a compare-and-set over a lost version', async () => {
    const store = f.store();
    const s = await full(store, 'evict', 'cas');
    await s.state.set({ step: 2 });
    await del(f.keyspace.user({ userId: 'evict' }).session('cas').state);
    await expect(s.state.set({ step: 3 }, { expectedVersion: 2 })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('an index that vanished hides no live session from list(), and forgetUser still deletes every key', async () => {
    const store = f.store();
    for (const id of ['a', 'b', 'c']) await full(store, 'noindex', id);
    await del(f.keyspace.user({ userId: 'noindex' }).sessions);
    await store.session({ userId: 'noindex', sessionId: 'd' }).append({ role: 'user', content: 'after' }); // recreates the index with d only
    const listed = await store.list({ userId: 'noindex' });
    expect(listed.total).toBe(4);
    expect(listed.sessions.map((x) => x.sessionId).sort()).toEqual(['a', 'b', 'c', 'd']);

    await del(f.keyspace.user({ userId: 'noindex' }).sessions);
    expect(await store.forgetUser({ userId: 'noindex' })).toBe(4);
    expect(await f.keys('{_:noindex}*')).toEqual([]);
  });

  it('forgetUser touches no other user, not even one whose id extends this one', async () => {
    const store = f.store();
    await full(store, 'bob', 'x');
    await full(store, 'bobby', 'x');
    await full(store, 'bob', 'y');
    expect(await store.forgetUser({ userId: 'bob' })).toBe(2);
    expect(await f.keys('{_:bob}*')).toEqual([]);
    expect((await store.list({ userId: 'bobby' })).total).toBe(1);
  });

  it('list() pages over live sessions only: expired ones neither fill a page nor count', async () => {
    const store = f.store();
    const short = f.store({ ttl: { mode: 'fixed', seconds: 0.3 } });
    await store.session({ userId: 'pages', sessionId: 'live-1' }).append({ role: 'user', content: '1' });
    await store.session({ userId: 'pages', sessionId: 'live-2' }).append({ role: 'user', content: '2' });
    for (const id of ['gone-1', 'gone-2', 'gone-3'])
      await short.session({ userId: 'pages', sessionId: id }).append({ role: 'user', content: id });
    await sleep(450);
    const first = await store.list({ userId: 'pages' }, { limit: 1 });
    expect(first.total).toBe(2);
    expect(first.sessions.map((x) => x.sessionId)).toEqual(['live-2']);
    const second = await store.list({ userId: 'pages' }, { offset: 1, limit: 1 });
    expect(second.sessions.map((x) => x.sessionId)).toEqual(['live-1']);
  });

  const ttls = async (userId: string, sessionId: string) => {
    const keys = f.keyspace.user({ userId }).session(sessionId);
    const out: Record<string, number> = {};
    for (const kind of KINDS) {
      const pttl = await f.pttl(keys[kind]);
      if (pttl !== -2) out[kind] = pttl;
    }
    return out;
  };

  it.each([
    ['sliding', { mode: 'sliding', seconds: 60 }],
    ['fixed', { mode: 'fixed', seconds: 60 }],
  ] as const)('setTtl({ mode: none }) on a %s session keeps every key forever', async (_, policy) => {
    const s = await full(
      f.store({
        ttl: policy,
        maxMessages: 2,
        summarizer: () => {
          throw new Error('pending');
        },
      }),
      'ttl',
      `to-none-${policy.mode}`,
    );
    await s.setTtl({ mode: 'none' });
    const after = await ttls('ttl', `to-none-${policy.mode}`);
    expect(Object.keys(after).sort()).toEqual([...KINDS].sort());
    for (const [kind, pttl] of Object.entries(after)) expect(pttl, kind).toBe(-1);
    expect((await s.info())!.ttl).toMatchObject({ mode: 'none', expiresAt: null });
  });

  it('writing through session(ref, { ttl: none }) persists a session that had a TTL; switching back gives every key one', async () => {
    const store = f.store({ ttl: { mode: 'fixed', seconds: 60 } });
    await full(store, 'ttl', 'switch');
    await store.session({ userId: 'ttl', sessionId: 'switch' }, { ttl: { mode: 'none' } }).append({ role: 'user', content: 'forever' });
    for (const [kind, pttl] of Object.entries(await ttls('ttl', 'switch'))) expect(pttl, kind).toBe(-1);
    // the stored policy wins for writers without an explicit one: still none
    await store.session({ userId: 'ttl', sessionId: 'switch' }).setToolResult('later', 1);
    for (const [kind, pttl] of Object.entries(await ttls('ttl', 'switch'))) expect(pttl, kind).toBe(-1);
    await store.session({ userId: 'ttl', sessionId: 'switch' }).setTtl({ mode: 'fixed', seconds: 30 });
    for (const [kind, pttl] of Object.entries(await ttls('ttl', 'switch'))) {
      expect(pttl, kind).toBeGreaterThan(25_000);
      expect(pttl, kind).toBeLessThanOrEqual(30_000);
    }
  });

  it('a positive TTL below a millisecond never becomes forever', async () => {
    const s = f.store({ ttl: { mode: 'fixed', seconds: 0.0001 } }).session({ userId: 'ttl', sessionId: 'tiny' });
    await s.append({ role: 'user', content: 'x' });
    await sleep(20);
    expect(await s.info()).toBeNull();
  });

  it.each([
    ['state.update with a string', (s: ReturnType<SessionStore['session']>) => s.state.update('x' as never)],
    ['state.set with a string', (s: ReturnType<SessionStore['session']>) => s.state.set('x' as never)],
    ['append with a number', (s: ReturnType<SessionStore['session']>) => s.append(42 as never)],
    ['setMetadata with null', (s: ReturnType<SessionStore['session']>) => s.setMetadata(null as never)],
    ['state.set with NaN', (s: ReturnType<SessionStore['session']>) => s.state.set({ n: Number.NaN } as never)],
    ['setToolResult with a BigInt', (s: ReturnType<SessionStore['session']>) => s.setToolResult('t', 1n as never)],
  ])('%s is a typed error that writes nothing', async (_, call) => {
    const s = f.store().session({ userId: 'odd', sessionId: 'input' });
    const error = await call(s).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AgentMemoryError);
    expect((error as AgentMemoryError).code).toBe('INVALID_ARGUMENT');
    expect(await f.keys('{_:odd}:s:input:*')).toEqual([]);
  });

  it('a summarizer that returns no string fails summarize() with a typed error and keeps the pending messages', async () => {
    const store = f.store({ maxMessages: 1, summarizer: () => 42 as never });
    const s = store.session({ userId: 'odd', sessionId: 'summary' });
    const result = await s.append([
      { role: 'user', content: 'a' },
      { role: 'user', content: 'b' },
    ]);
    expect(result.summaryError).toBeInstanceOf(AgentMemoryError);
    await expect(s.summarize()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('__proto__ keys in message, session and state metadata round-trip exactly', async () => {
    const s = f.store().session({ userId: 'odd', sessionId: 'proto' });
    const evil = JSON.parse('{"__proto__": {"polluted": 1}, "ok": 2}') as Record<string, unknown>;
    await s.append({ role: 'user', content: 'x', metadata: evil as never });
    await s.setMetadata(evil as never);
    await s.state.set(evil as never);
    await s.setToolResult('t', evil as never);
    const [message] = await s.messages();
    expect(JSON.stringify(message!.metadata)).toBe(JSON.stringify(evil));
    expect(JSON.stringify((await s.info())!.metadata)).toBe(JSON.stringify(evil));
    expect(JSON.stringify((await s.state.get()).value)).toBe(JSON.stringify(evil));
    expect(JSON.stringify(await s.toolResult('t'))).toBe(JSON.stringify(evil));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe.skipIf(!harness().binaries.redis8)('sessions at maxmemory (noeviction)', () => {
  let server: LocalRedis;
  let connection: RedisConnection;
  let store: SessionStore;
  const prefix = uniquePrefix('oom');

  beforeAll(async () => {
    server = await startRedis(findRedisServer(8)!, ['--maxmemory-policy', 'noeviction']);
    connection = await connect({ url: server.url });
    store = new SessionStore(connection, new Keyspace(prefix), { ttl: { mode: 'sliding', seconds: 60 } });
  });
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  /** Ballast, then a limit below what is used: every write that needs memory is refused from now on. */
  const fillUp = async () => {
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 32; i++) await connection.send(['SET', `${prefix}:ballast:${i}`, big]);
    const used = Number(/used_memory:(\d+)/.exec(await connection.send<string>(['INFO', 'memory']))![1]);
    await connection.send(['CONFIG', 'SET', 'maxmemory', String(used - 512 * 1024)]);
  };

  it('every write fails with OUT_OF_MEMORY and leaves nothing half-written; every read works', async () => {
    const s = store.session({ userId: 'full', sessionId: 'one' });
    await s.append([{ role: 'user', content: 'before' }]);
    await s.state.set({ a: 1, b: 2 });
    await s.setToolResult('t', 1);
    await fillUp();
    const writes: [string, () => Promise<unknown>][] = [
      ['append', () => s.append({ role: 'user', content: 'y'.repeat(1000) })],
      ['state.set', () => s.state.set({ c: 'z'.repeat(1000) })],
      ['state.patch', () => s.state.patch({ a: 3 })],
      ['state.update', () => s.state.update(() => ({ a: 4 }))],
      ['setToolResult', () => s.setToolResult('u', 'w'.repeat(1000))],
      ['setMetadata', () => s.setMetadata({ k: 'v' })],
      ['new session', () => store.session({ userId: 'full', sessionId: 'two' }).append({ role: 'user', content: 'x' })],
    ];
    for (const [name, write] of writes) {
      const error = await write().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(AgentMemoryError);
      expect((error as AgentMemoryError).code, name).toBe('OUT_OF_MEMORY');
      expect((error as AgentMemoryError).transient, name).toBe(true);
    }
    expect((await s.messages()).map((m) => m.content)).toEqual(['before']);
    expect(await s.state.get()).toEqual({ value: { a: 1, b: 2 }, version: 1 });
    expect(await s.toolResults()).toEqual({ t: 1 });
    expect((await s.info())!.metadata).toEqual({});
    expect(await store.session({ userId: 'full', sessionId: 'two' }).info()).toBeNull();
    expect((await store.list({ userId: 'full' })).total).toBe(1);
  });
});
