// Sessions going quiet, on real servers (Redis 8, Redis 7, the cluster): extraction workers watch
// the sessions they see appends to, announce each quiet spell once (`session.idle`, however many
// workers sweep), and write the session's episode by themselves; a session still talking, or gone,
// is not announced; forgetUser takes the user's sessions out of the watch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserEvent } from '../../src/events/types.js';
import { sweepEveryMs } from '../../src/events/idle.js';
import { rulesExtractor } from '../../src/extraction/rules.js';
import { ExtractionWorker } from '../../src/extraction/worker.js';
import { targetsWithCluster } from '../harness/index.js';
import { type ExtractionFixture, extractionFixture, until } from './fixture.js';

const IDLE_MS = 600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('idle sessions (%s)', (_, target) => {
  let fx: ExtractionFixture;
  const alice = { tenant: 'acme', userId: 'alice' };
  const bob = { tenant: 'acme', userId: 'bob' };
  const carol = { tenant: 'acme', userId: 'carol' };
  const worker = (sessionIdleMs: number | false = IDLE_MS, group = 'extraction') =>
    new ExtractionWorker({
      events: fx.memory.events,
      sessions: fx.memory.sessions,
      memory: fx.longTerm,
      extractor: rulesExtractor(),
      group,
      sessionIdleMs,
      consume: { blockMs: 100 },
    });
  const idleOf = async (user: { tenant: string; userId: string }, sessionId: string): Promise<UserEvent[]> =>
    (await fx.memory.events.of(user)).filter((e) => e.type === 'session.idle' && e.sessionId === sessionId);
  const watchOf = (user: { tenant: string; userId: string }) => {
    const events = fx.memory.events.keys;
    return events.idle(events.partitionOf(fx.memory.keys.user(user).tag));
  };
  const watched = async (user: { tenant: string; userId: string }, sessionId: string): Promise<boolean> => {
    const watch = watchOf(user);
    const member = JSON.stringify([user.tenant, user.userId, sessionId]);
    return (await fx.memory.connection.send(['ZSCORE', watch, member], { key: watch, readonly: true })) !== null;
  };
  const episodesOf = async (user: { tenant: string; userId: string }) =>
    fx.longTerm.recall(user, 'the conversation', { k: 10, filter: { field: 'tags', eq: 'episode' }, trackAccess: 'off' });

  beforeAll(async () => {
    fx = await extractionFixture(target);
  });
  afterAll(async () => {
    await fx.close();
  });

  it('announces each quiet spell once, however many workers sweep, and writes the episode; a session still talking waits', async () => {
    const trip = fx.memory.sessions.session({ ...alice, sessionId: 'trip' });
    const busy = fx.memory.sessions.session({ ...bob, sessionId: 'busy' });
    const workers = [worker().start(), worker().start()]; // one group, two consumers, two sweepers
    let talking = true;
    const chatter = (async () => {
      for (let i = 0; talking; i++) {
        await busy.append({ role: 'user', content: `Still here, message ${i}.` });
        await sleep(IDLE_MS / 10);
      }
    })();
    try {
      await trip.append([
        { role: 'user', content: 'I live in Lisbon.' },
        { role: 'assistant', content: 'Noted: Lisbon.' },
      ]);
      await until(async () => (await idleOf(alice, 'trip')).length === 1);
      const [episode] = await (async () => {
        await until(async () => (await episodesOf(alice)).length === 1);
        return episodesOf(alice);
      })();
      expect(episode!.metadata.source).toMatchObject({ sessionId: 'trip', strategy: 'episode' });
      expect(episode!.text).toMatch(/Lisbon/);
      expect(await watched(alice, 'trip')).toBe(false);

      // Bob kept talking all along (an append every IDLE_MS / 10): never announced.
      expect(await idleOf(bob, 'busy')).toEqual([]);
      expect(await watched(bob, 'busy')).toBe(true);

      // Three more sweep periods: still one announcement for alice's quiet spell.
      await sleep(3 * sweepEveryMs(IDLE_MS));
      expect(await idleOf(alice, 'trip')).toHaveLength(1);

      // A late or re-delivered append event notes the session again: the spell is not announced twice.
      const late = (await fx.memory.events.of(alice)).filter((e) => e.type === 'session.appended' && e.sessionId === 'trip');
      await fx.memory.events.noteActive(late);
      expect(await watched(alice, 'trip')).toBe(true);
      await until(async () => !(await watched(alice, 'trip')));
      expect(await idleOf(alice, 'trip')).toHaveLength(1);

      // A new spell: alice talks again, goes quiet again, and her one episode is rewritten with it.
      await trip.append({ role: 'user', content: 'I work at Contoso.' });
      await until(async () => (await idleOf(alice, 'trip')).length === 2);
      await until(async () => /contoso/i.test((await episodesOf(alice))[0]?.text ?? ''));
      expect(await episodesOf(alice)).toHaveLength(1);
      await until(() => workers.reduce((n, w) => n + w.counts.idle, 0) === 2);

      // Bob stops: announced once too.
      talking = false;
      await chatter;
      await until(async () => (await idleOf(bob, 'busy')).length === 1);
      await sleep(2 * sweepEveryMs(IDLE_MS));
      expect(await idleOf(bob, 'busy')).toHaveLength(1);
      const idle = (await idleOf(bob, 'busy'))[0]!;
      expect(idle).toMatchObject({ type: 'session.idle', tenant: 'acme', userId: 'bob', sessionId: 'busy', ids: [] });
    } finally {
      talking = false;
      await chatter;
      await Promise.all(workers.map((w) => w.stop()));
    }
  });

  it('does not announce a session deleted before it went quiet; forgetUser takes the user out of the watch', async () => {
    const quietMs = 1500; // room for a loaded machine between an append and the worker noting it
    const w = worker(quietMs).start();
    try {
      const gone = fx.memory.sessions.session({ ...alice, sessionId: 'gone' });
      await gone.append({ role: 'user', content: 'Short chat.' });
      await until(() => watched(alice, 'gone'));
      await gone.delete();
      await sleep(quietMs + 3 * sweepEveryMs(quietMs));
      expect(await idleOf(alice, 'gone')).toEqual([]);
      expect(await watched(alice, 'gone')).toBe(false); // dropped, unannounced

      // Carol's partition is new: once the worker has found it (her first event handled), note c1.
      const handled = w.counts.events;
      await fx.memory.sessions.session({ ...carol, sessionId: 'c0' }).append({ role: 'user', content: 'Hello.' });
      await until(() => w.counts.events > handled);
      await fx.memory.sessions.session({ ...carol, sessionId: 'c1' }).append({ role: 'user', content: 'My name is Carol.' });
      await until(() => watched(carol, 'c1'));
      await fx.memory.forgetUser(carol);
      expect(await watched(carol, 'c1')).toBe(false);
      expect(await watched(carol, 'c0')).toBe(false);
      await sleep(quietMs + 2 * sweepEveryMs(quietMs));
      expect(await fx.memory.events.of(carol)).toEqual([]);
      expect(await fx.longTerm.count(carol)).toBe(0);
    } finally {
      await w.stop();
    }
  });

  it('an extraction in flight across forgetUser leaves nothing of the user behind', async () => {
    const dave = { tenant: 'acme', userId: 'dave' };
    let entered!: () => void;
    let release!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const gate = new Promise<void>((r) => (release = r));
    const rules = rulesExtractor();
    const slow = {
      name: 'slow',
      extract: async (input: Parameters<typeof rules.extract>[0]) => {
        entered();
        await gate;
        return rules.extract(input);
      },
    };
    const w = new ExtractionWorker({ events: fx.memory.events, sessions: fx.memory.sessions, memory: fx.longTerm, extractor: slow });
    await fx.memory.sessions.session({ ...dave, sessionId: 'd1' }).append({ role: 'user', content: 'I am allergic to wasps.' });
    const [event] = (await fx.memory.events.of(dave)).filter((e) => e.type === 'session.appended');
    const handling = w.handle(event!);
    await inside; // the extractor has the messages: the forget comes while it works
    await fx.memory.forgetUser(dave);
    release();
    expect((await handling).inserted).toEqual([]);
    expect(await fx.longTerm.count(dave)).toBe(0);
    // The mark the worker checked: named by a digest (no id in it), kept an hour.
    const mark = fx.memory.events.keys.forgotten(dave);
    expect(mark).not.toMatch(/dave|acme/);
    const ttl = await fx.memory.connection.send<number>(['PTTL', mark], { key: mark, readonly: true });
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
    // The same event handled again (a re-delivery) writes nothing either: it predates the forget.
    expect((await w.handle(event!)).inserted).toEqual([]);
    expect(await fx.longTerm.count(dave)).toBe(0);
    // A conversation after the forget is remembered as usual.
    await fx.memory.sessions.session({ ...dave, sessionId: 'd2' }).append({ role: 'user', content: 'I live in Oslo.' });
    const [later] = (await fx.memory.events.of(dave)).filter((e) => e.type === 'session.appended');
    release();
    expect((await w.handle(later!)).inserted).toHaveLength(1);
    expect(await fx.longTerm.count(dave)).toBe(1);
  });

  it('sessionIdleMs false: no watch, no announcement; idle events from elsewhere still write the episode', async () => {
    const w = worker(false, 'no-idle').start();
    try {
      const chat = fx.memory.sessions.session({ ...bob, sessionId: 'quiet' });
      await chat.append({ role: 'user', content: 'I love tea.' });
      await until(() => w.counts.events >= 1);
      await sleep(IDLE_MS + 2 * sweepEveryMs(IDLE_MS));
      expect(await watched(bob, 'quiet')).toBe(false);
      expect(await idleOf(bob, 'quiet')).toEqual([]);
      const report = await w.handle({ ...(await fx.memory.events.of(bob)).at(-1)!, type: 'session.idle', sessionId: 'quiet', ids: [] });
      expect(report.inserted).toHaveLength(1);
      expect(await fx.longTerm.get(bob, report.inserted[0]!)).toMatchObject({ tags: ['episode'] });
    } finally {
      await w.stop();
    }
  });
});
