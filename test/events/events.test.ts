// The event backbone on real servers (Redis 8, Redis 7, the cluster): every acknowledged append has
// exactly one event, consumer groups hand each event to one consumer and acknowledge it, dead
// consumers' events are taken over, failing handlers dead-letter, caps hold, forgetUser removes
// a user's events and no one else's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import { rulesExtractor } from '../../src/entries/events.js';
import type { AgentEvent } from '../../src/events/types.js';
import { deletePrefix, memoryConfig, targetsWithCluster, uniquePrefix } from '../harness/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await what();
    if (ok(value) || Date.now() > deadline) return value;
    await sleep(25);
  }
}

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('events on %s', (_, target) => {
  let memory: AgentMemory;
  let quiet: AgentMemory;
  let release: () => Promise<void>;
  const prefix = uniquePrefix('ev');
  const users = Array.from({ length: 12 }, (_, i) => ({ tenant: 'acme', userId: `user-${i}` }));

  beforeAll(async () => {
    const { config, release: r } = memoryConfig(target);
    release = r;
    memory = await createAgentMemory({
      ...config,
      prefix,
      sessions: { events: true, maxMessages: 5 },
      events: { maxLen: 1000, live: true },
    });
    quiet = await createAgentMemory({ ...memoryConfig(target).config, prefix: `${prefix}q` });
  });

  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await deletePrefix(memory.connection, `${prefix}q`);
    await quiet.close();
    await memory.close();
    await release();
  });

  it('every acknowledged append has exactly one event, with the ids written; a retry adds none', async () => {
    const written = new Map<string, string[]>();
    await Promise.all(
      users.map(async (user) => {
        const chat = memory.sessions.session({ ...user, sessionId: 'a' });
        const ids: string[] = [];
        for (let turn = 0; turn < 4; turn++) {
          const r = await chat.append(
            [
              { role: 'user', content: `question ${turn}` },
              { role: 'assistant', content: `answer ${turn}` },
            ],
            { idempotencyKey: `turn-${turn}` },
          );
          ids.push(...r.ids);
          // The retry of a call whose reply was lost: nothing written, no event.
          const again = await chat.append([{ role: 'user', content: 'x' }], { idempotencyKey: `turn-${turn}` });
          expect(again.appended).toBe(0);
        }
        written.set(user.userId, ids);
      }),
    );
    for (const user of users) {
      const events = (await memory.events.of(user)).filter((e) => e.sessionId === 'a');
      expect(events.map((e) => e.type)).toEqual(['session.created', ...Array(4).fill('session.appended')]);
      expect(events.flatMap((e) => e.ids)).toEqual(written.get(user.userId));
      expect(new Set(events.map((e) => e.partition)).size).toBe(1);
      for (const e of events) expect(e).toMatchObject({ tenant: 'acme', userId: user.userId });
    }
    // Users spread over partitions (hash slots), not one stream for everyone.
    expect((await memory.events.partitions()).length).toBeGreaterThan(3);
  });

  it('publishes clear, delete and state changes; a store without events writes no stream', async () => {
    const user = { tenant: 'acme', userId: 'lifecycle' };
    const chat = memory.sessions.session({ ...user, sessionId: 'l' });
    await chat.append({ role: 'user', content: 'hi' });
    await chat.state.set({ step: 1 });
    await chat.clear();
    await chat.delete();
    await chat.delete(); // nothing left to delete: no event
    const types = (await memory.events.of(user)).map((e) => e.type);
    expect(types).toEqual(['session.created', 'session.appended', 'session.state', 'session.cleared', 'session.ended']);

    await quiet.sessions.session({ ...user, sessionId: 'l' }).append({ role: 'user', content: 'hi' });
    expect(await quiet.events.of(user)).toEqual([]);
    expect(await quiet.events.partitions()).toEqual([]);
  });

  it('a group hands every event to one of its consumers, once, and ends with nothing pending', async () => {
    const seen: AgentEvent[] = [];
    const handler = async (e: AgentEvent) => {
      seen.push(e);
    };
    const a = memory.events.consume('g-all', handler, { concurrency: 4, blockMs: 200 });
    const b = memory.events.consume('g-all', handler, { concurrency: 4, blockMs: 200 });
    const extra = users.slice(0, 6).map((u) => memory.sessions.session({ ...u, sessionId: 'late' }));
    await Promise.all(extra.map((chat) => chat.append({ role: 'user', content: 'late news' })));
    const expected = (await Promise.all([...users, { tenant: 'acme', userId: 'lifecycle' }].map((u) => memory.events.of(u)))).flat();
    await until(
      () => seen.length,
      (n) => n >= expected.length,
    );
    await sleep(300);
    await Promise.all([a.stop(), b.stop()]);
    expect(seen.map((e) => `${e.partition}/${e.id}`).sort()).toEqual(expected.map((e) => `${e.partition}/${e.id}`).sort());
    expect(a.counts.handled + b.counts.handled).toBe(expected.length);
    const stats = await memory.events.stats('g-all');
    expect(stats).toMatchObject({ pending: 0, deadLetters: 0 });
    expect(stats.lag === null || stats.lag === 0).toBe(true);
  });

  it('concurrency caps the handlers running at once, over many users', async () => {
    let running = 0;
    let most = 0;
    let seen = 0;
    const c = memory.events.consume(
      'g-cap',
      async () => {
        running++;
        most = Math.max(most, running);
        await sleep(2);
        running--;
        seen++;
      },
      { concurrency: 2, blockMs: 100 },
    );
    const total = (await Promise.all(users.map((u) => memory.events.of(u)))).flat().length;
    await until(
      () => seen,
      (n) => n >= total,
    );
    await c.stop();
    expect(seen).toBeGreaterThanOrEqual(total);
    expect(most).toBe(2);
  });

  it("from: 'latest' skips what was there, and reads new users' events, in partitions found after it started", async () => {
    const seen: AgentEvent[] = [];
    const c = memory.events.consume('g-latest', (e) => void seen.push(e), { from: 'latest', blockMs: 100 });
    await sleep(200);
    const newcomers = Array.from({ length: 5 }, (_, i) => ({ tenant: 'fresh', userId: `new-${i}` }));
    await Promise.all(newcomers.map((u) => memory.sessions.session({ ...u, sessionId: 'n' }).append({ role: 'user', content: 'hello' })));
    await until(
      () => seen.length,
      (n) => n >= 10,
    );
    await c.stop();
    expect(seen.every((e) => e.tenant === 'fresh')).toBe(true);
    expect(seen.filter((e) => e.type === 'session.created')).toHaveLength(5);
  });

  it('events of one user reach the handler in order, one at a time', async () => {
    const user = { tenant: 'acme', userId: 'ordered' };
    const chat = memory.sessions.session({ ...user, sessionId: 'o' });
    for (let i = 0; i < 10; i++) await chat.append({ role: 'user', content: `m${i}` });
    const order: string[] = [];
    let running = 0;
    let overlap = false;
    const c = memory.events.consume(
      'g-order',
      async (e) => {
        if (e.userId !== 'ordered') return;
        running++;
        if (running > 1) overlap = true;
        await sleep(5);
        order.push(e.id);
        running--;
      },
      { concurrency: 8, types: ['session.appended'], blockMs: 200 },
    );
    await until(
      () => order.length,
      (n) => n >= 10,
    );
    await c.stop();
    const ids = (await memory.events.of(user)).filter((e) => e.type === 'session.appended').map((e) => e.id);
    expect(order).toEqual(ids);
    expect(overlap).toBe(false);
  });

  it('a handler that always throws sends its events to the dead letters after maxAttempts, with the error', async () => {
    const user = { tenant: 'acme', userId: 'poison' };
    await memory.sessions.session({ ...user, sessionId: 'p' }).append({ role: 'user', content: 'boom' });
    let calls = 0;
    const warned: Record<string, unknown>[] = [];
    const logger = memory.connection.logger;
    memory.connection.logger = { ...logger, warn: (fields, msg) => warned.push({ ...fields, msg }) };
    const c = memory.events.consume(
      'g-dead',
      (e) => {
        if (e.userId !== 'poison') return;
        calls++;
        throw new Error('cannot handle this');
      },
      { maxAttempts: 3, blockMs: 200 },
    );
    await until(
      () => memory.events.deadLetters('g-dead'),
      (d) => d.length >= 2,
    );
    // Every other event handled too (a stop() before that would hand the unstarted ones back, pending).
    await until(
      () => memory.events.stats('g-dead'),
      (s) => s.pending === 0 && s.lag === 0,
    );
    await c.stop();
    const dead = await memory.events.deadLetters('g-dead');
    expect(dead.map((d) => d.event.type).sort()).toEqual(['session.appended', 'session.created']);
    for (const d of dead) expect(d).toMatchObject({ error: 'cannot handle this', attempts: 3, event: { userId: 'poison' } });
    expect(calls).toBe(6);
    expect(c.counts.deadLettered).toBe(2);
    expect((await memory.events.stats('g-dead')).pending).toBe(0);
    // Each dead letter is logged once, by entry, without the user or the handler's error text.
    memory.connection.logger = logger;
    const logged = warned.filter((w) => w.group === 'g-dead');
    expect(logged.map((w) => w.entry).sort()).toEqual(dead.map((d) => d.event.id).sort());
    for (const w of logged)
      expect(w).toMatchObject({ component: 'events', attempts: 3, msg: expect.stringMatching(/dead letters of g-dead after 3 attempts/) });
    expect(JSON.stringify(logged)).not.toMatch(/poison|cannot handle/);
  });

  it('events a stalled consumer holds are taken over after claimIdleMs', async () => {
    const user = { tenant: 'acme', userId: 'stalled' };
    await memory.sessions.session({ ...user, sessionId: 's' }).append({ role: 'user', content: 'help' });
    // `stuck` reads everything and never finishes its handler for this user (a consumer that hung).
    const stuck = memory.events.consume('g-claim', (e) => (e.userId === 'stalled' ? new Promise(() => undefined) : undefined), {
      blockMs: 100,
      claimIdleMs: 60_000,
    });
    await until(
      () => memory.events.stats('g-claim'),
      (s) => s.pending === 2,
    );
    const taken: AgentEvent[] = [];
    const rescuer = memory.events.consume(
      'g-claim',
      (e) => {
        if (e.userId === 'stalled') taken.push(e);
      },
      { blockMs: 100, claimIdleMs: 300 },
    );
    await until(
      () => taken.length,
      (n) => n >= 2,
    );
    await rescuer.stop();
    expect(taken.map((e) => e.type).sort()).toEqual(['session.appended', 'session.created']);
    expect((await memory.events.stats('g-claim')).pending).toBe(0);
    await stuck.stop({ timeoutMs: 50 });
  });

  it('an event delivered more than maxDeliveries times (its consumers kept dying) is dead-lettered unhandled', async () => {
    const user = { tenant: 'acme', userId: 'cursed' };
    await memory.sessions.session({ ...user, sessionId: 'c' }).append({ role: 'user', content: 'x' });
    const hang = (e: AgentEvent) => (e.userId === 'cursed' ? new Promise<void>(() => undefined) : undefined);
    const first = memory.events.consume('g-cursed', hang, { blockMs: 100, claimIdleMs: 60_000 });
    await until(
      () => memory.events.stats('g-cursed'),
      (s) => s.pending === 2,
    );
    let handled = 0;
    const second = memory.events.consume(
      'g-cursed',
      (e) => {
        if (e.userId === 'cursed') handled++;
      },
      { blockMs: 100, claimIdleMs: 200, maxDeliveries: 1 },
    );
    const dead = await until(
      () => memory.events.deadLetters('g-cursed'),
      (d) => d.length >= 2,
    );
    await second.stop();
    await first.stop({ timeoutMs: 50 });
    expect(handled).toBe(0);
    for (const d of dead) expect(d.error).toMatch(/delivered 2 times without being acknowledged/);
    expect((await memory.events.stats('g-cursed')).pending).toBe(0);
  });

  it('stop() hands back events read but not started: another consumer takes them at once', async () => {
    const user = { tenant: 'acme', userId: 'handback' };
    const chat = memory.sessions.session({ ...user, sessionId: 'h' });
    for (let i = 0; i < 6; i++) await chat.append({ role: 'user', content: `m${i}` });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const first: string[] = [];
    const slow = memory.events.consume(
      'g-back',
      async (e) => {
        if (e.userId !== 'handback') return;
        first.push(e.id);
        await gate;
      },
      { blockMs: 100, claimIdleMs: 5_000 },
    );
    await until(
      () => first.length,
      (n) => n >= 1,
    );
    const stopping = slow.stop({ timeoutMs: 5_000 });
    release();
    await stopping;
    const rest: string[] = [];
    const next = memory.events.consume(
      'g-back',
      (e) => {
        if (e.userId === 'handback') rest.push(e.id);
      },
      { blockMs: 100, claimIdleMs: 5_000 },
    );
    const all = (await memory.events.of(user)).map((e) => e.id);
    await until(
      () => first.length + rest.length,
      (n) => n >= all.length,
      4_000,
    );
    await next.stop();
    expect([...first, ...rest].sort()).toEqual([...all].sort());
  });

  it('long-term memory with events on publishes what it wrote and forgot (ids and namespace, never text)', async () => {
    const user = { tenant: 'acme', userId: 'rememberer' };
    const facts = await memory.longTerm({ embedder: new HashingEmbeddings(64), namespace: `facts${prefix}`, events: true });
    const live: AgentEvent[] = [];
    const unsubscribe = await memory.events.subscribe((e) => live.push(e));
    const [a, b] = await facts.rememberMany(user, [{ text: 'likes green tea' }, { text: 'lives in Lisbon' }]);
    await facts.forget(user, { ids: [a!.id] });
    const events = await until(
      () => memory.events.of(user),
      (e) => e.length >= 2,
    );
    expect(events.map((e) => [e.type, e.ids, e.namespace])).toEqual([
      ['memory.written', [a!.id, b!.id], `facts${prefix}`],
      ['memory.forgotten', [a!.id], `facts${prefix}`],
    ]);
    expect(JSON.stringify(events)).not.toContain('Lisbon');
    // The same events, live, to a subscriber without a group.
    await until(
      () => live.length,
      (n) => n >= 2,
    );
    // The same events; on a cluster pub/sub may deliver them out of order (docs/events.md says so).
    const key = (e: AgentEvent) => `${e.type} ${e.id} ${e.userId}`;
    expect(live.map(key).sort()).toEqual(events.map(key).sort());
    await unsubscribe();
    await facts.dropAll();
  });

  it('a partition stream that vanishes (eviction takes it, group and all) is recreated: later events still arrive', async () => {
    const user = { tenant: 'acme', userId: 'evicted' };
    const chat = memory.sessions.session({ ...user, sessionId: 'e' });
    await chat.append({ role: 'user', content: 'before' });
    const seen: string[] = [];
    const c = memory.events.consume(
      'g-evict',
      (e) => {
        if (e.userId === 'evicted' && e.type === 'session.appended') seen.push(...e.ids);
      },
      { blockMs: 100, onError: () => undefined },
    );
    await until(
      () => seen.length,
      (n) => n >= 1,
    );
    const stream = memory.events.keys.stream(memory.events.keys.partitionOf(memory.keys.user(user).tag));
    await memory.connection.send(['UNLINK', stream], { key: stream });
    const after = await chat.append({ role: 'user', content: 'after' });
    await until(
      () => seen.length,
      (n) => n >= 2,
    );
    await c.stop();
    expect(seen.at(-1)).toBe(after.ids[0]);
  });

  it('forgetUser removes the user’s events, pending and dead-lettered ones included, and no one else’s', async () => {
    const victim = { tenant: 'acme', userId: 'poison' };
    const other = users[0]!;
    const before = (await memory.events.of(other)).length;
    expect((await memory.events.of(victim)).length).toBeGreaterThan(0);
    await memory.forgetUser(victim);
    expect(await memory.events.of(victim)).toEqual([]);
    expect((await memory.events.deadLetters('g-dead')).filter((d) => d.event.userId === 'poison')).toEqual([]);
    expect((await memory.events.of(other)).length).toBe(before);
  });
});

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('summaries in the background on %s', (_, target) => {
  it('an append that trims does not wait for the summarizer; the worker folds the trimmed messages in', async () => {
    const prefix = uniquePrefix('evs');
    const { config, release } = memoryConfig(target);
    let calls = 0;
    const summarizer = ({ summary, messages }: { summary: string | null; messages: { content: unknown }[] }) => {
      calls++;
      return [summary, ...messages.map((m) => String(m.content))].filter(Boolean).join(' | ');
    };
    const memory = await createAgentMemory({
      ...config,
      prefix,
      sessions: { events: true, maxMessages: 2, summarizer, summarizeIn: 'background' },
    });
    try {
      const user = { userId: 'talker' };
      const chat = memory.sessions.session({ ...user, sessionId: 'long' });
      for (let i = 1; i <= 5; i++) await chat.append({ role: 'user', content: `m${i}` });
      expect(calls).toBe(0);
      expect(await chat.summary()).toBeNull();
      const learned = await memory.longTerm({ embedder: new HashingEmbeddings(32), namespace: 'bg' });
      const worker = memory.extraction({ memory: learned, extractor: rulesExtractor(), consume: { blockMs: 100 } }).start();
      const summary = await until(
        () => chat.summary(),
        (v) => v?.includes('m3') === true,
      );
      await worker.stop();
      expect(summary).toBe('m1 | m2 | m3');
      expect((await chat.window()).messages.map((m) => m.content)).toEqual(['m4', 'm5']);
    } finally {
      await deletePrefix(memory.connection, prefix);
      await memory.close();
      await release();
    }
  });

  it("refuses summarizeIn: 'background' without events", async () => {
    const { config, release } = memoryConfig(target);
    await expect(createAgentMemory({ ...config, sessions: { summarizer: () => '', summarizeIn: 'background' } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('needs events: true'),
    });
    await release();
  });
});

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('event stream caps on %s', (_, target) => {
  it('each partition stays near maxLen under load (XADD MAXLEN ~)', async () => {
    const prefix = uniquePrefix('evc');
    const { config, release } = memoryConfig(target);
    const memory = await createAgentMemory({ ...config, prefix, sessions: { events: true, maxMessages: 2 }, events: { maxLen: 100 } });
    try {
      const user = { userId: 'loud' };
      const chat = memory.sessions.session({ ...user, sessionId: 'x' });
      await Promise.all(
        Array.from({ length: 40 }, (_, w) =>
          (async () => {
            for (let i = 0; i < 25; i++) await chat.append({ role: 'user', content: `${w}-${i}` });
          })(),
        ),
      );
      const stream = memory.events.keys.stream(memory.events.keys.partitionOf(memory.keys.user(user).tag));
      const length = await memory.connection.send<number>(['XLEN', stream], { key: stream });
      // ~ trims whole nodes of stream-node-max-entries (100): never more than cap + one node.
      expect(length).toBeGreaterThanOrEqual(100);
      expect(length).toBeLessThanOrEqual(200);
    } finally {
      await deletePrefix(memory.connection, prefix);
      await memory.close();
      await release();
    }
  });
});
