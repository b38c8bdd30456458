// The extraction worker end to end on real servers (Redis 8 and the cluster): a conversation
// appended with events on becomes recalled memories with provenance, per user; a re-delivered
// event writes nothing twice; a near-copy from another session merges into what is known; an
// episode is one memory per session; a bad extractor reply writes nothing.
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatModelExtractor } from '../../adapters/langchain/extractor.js';
import type { AgentEvent } from '../../src/events/types.js';
import { InvalidArgumentError } from '../../src/errors.js';
import type { Extractor } from '../../src/extraction/extractor.js';
import { rulesExtractor } from '../../src/extraction/rules.js';
import { customStrategy } from '../../src/extraction/strategies.js';
import { ExtractionWorker } from '../../src/extraction/worker.js';
import { SessionStore } from '../../src/session/store.js';
import { targetsWithCluster } from '../harness/index.js';
import { type ExtractionFixture, extractionFixture, until } from './fixture.js';

const targets = targetsWithCluster().filter((t) => t.name === 'redis8' || t.name === 'cluster');

describe.each(targets.map((t) => [t.name, t] as const))('extraction worker (%s)', (_, target) => {
  let fx: ExtractionFixture;
  const alice = { tenant: 'acme', userId: 'alice' };
  const bob = { tenant: 'acme', userId: 'bob' };
  const worker = (extractor: Extractor = rulesExtractor(), group = 'extraction') =>
    new ExtractionWorker({
      events: fx.memory.events,
      sessions: fx.memory.sessions,
      memory: fx.longTerm,
      extractor,
      group,
      consume: { blockMs: 100 },
    });
  const appended = async (user: { tenant: string; userId: string }, sessionId: string) =>
    (await fx.memory.events.of(user)).filter((e) => e.type === 'session.appended' && e.sessionId === sessionId);

  beforeAll(async () => {
    fx = await extractionFixture(target);
  });
  afterAll(async () => {
    await fx.close();
  });

  it('turns a conversation into recalled memories with provenance, per user; a re-delivery writes nothing', async () => {
    const chat = fx.memory.sessions.session({ ...alice, sessionId: 'trip' });
    const [hello] = (await chat.append({ role: 'user', content: "Hi, my name is Alice and I'm allergic to peanuts." })).ids;
    await chat.append({ role: 'assistant', content: 'Nice to meet you, Alice! I love helping.' });
    const [likes] = (await chat.append({ role: 'user', content: 'I love sushi. Do you like jazz?' })).ids;
    await fx.memory.sessions.session({ ...bob, sessionId: 'b1' }).append({ role: 'user', content: 'I live in Bergen.' });

    const running = worker().start();
    try {
      await until(() => running.counts.events >= 4);
    } finally {
      await running.stop();
    }
    expect(running.counts).toMatchObject({ events: 4, inserted: 4, merged: 0, unchanged: 0, missingMessages: 0 });
    expect(await fx.longTerm.count(alice)).toBe(3);
    expect(await fx.longTerm.count(bob)).toBe(1);

    const [top] = await fx.longTerm.recall(alice, 'what is the user allergic to?', { k: 1 });
    expect(top).toMatchObject({ text: 'The user is allergic to peanuts', tags: ['fact', 'health'], importance: 0.9 });
    expect(top!.metadata.source).toEqual({
      sessionId: 'trip',
      messageIds: [hello],
      extractor: 'rules',
      strategy: 'facts',
      at: expect.any(Number),
    });
    const [pref] = await fx.longTerm.recall(alice, 'sushi', { k: 1, filter: { field: 'tags', eq: 'preference' } });
    expect(pref).toMatchObject({ text: 'The user loves sushi', metadata: { source: { strategy: 'preferences', messageIds: [likes] } } });
    expect((await fx.longTerm.recall(bob, 'where does the user live', { k: 5 })).map((m) => m.text)).toEqual(['The user lives in Bergen']);

    // Re-delivery: the same events handled again (by this worker, or by a fresh one) write nothing.
    const events = await appended(alice, 'trip');
    expect(events).toHaveLength(3);
    for (const again of [running, worker()]) {
      for (const event of events) {
        const report = await again.handle(event);
        expect(report.inserted).toEqual([]);
        expect(report.merged).toEqual([]);
      }
    }
    expect(await fx.longTerm.count(alice)).toBe(3);
    const [same] = await fx.longTerm.recall(alice, 'what is the user allergic to?', { k: 1 });
    expect(same!.updatedAt).toBe(top!.updatedAt);
  });

  it('merges a near-copy said in another session into what is known, once however often delivered', async () => {
    const w = worker();
    const chat = fx.memory.sessions.session({ ...alice, sessionId: 'later' });
    const [said] = (await chat.append({ role: 'user', content: 'I am allergic to peanuts!' })).ids;
    const [event] = await appended(alice, 'later');
    const before = await fx.longTerm.count(alice);
    const first = await w.handle(event!);
    expect(first.inserted).toEqual([]);
    expect(first.merged).toHaveLength(1);
    expect(await fx.longTerm.count(alice)).toBe(before);
    const merged = await fx.longTerm.get(alice, first.merged[0]!);
    expect(merged!.metadata.source).toMatchObject({ sessionId: 'later', messageIds: [said] });
    expect(merged!.metadata.extractionIds).toHaveLength(2);
    expect(await w.handle(event!)).toMatchObject({ inserted: [], merged: [], unchanged: [expect.any(String)] });
    expect(await fx.longTerm.get(alice, first.merged[0]!)).toMatchObject({ updatedAt: merged!.updatedAt });
  });

  it('two consumers handling the same event at once (a claimed entry whose owner was only slow) write it once', async () => {
    const chat = fx.memory.sessions.session({ ...alice, sessionId: 'race' });
    await chat.append({ role: 'user', content: 'I work as a pilot and I hate turbulence.' });
    const [event] = await appended(alice, 'race');
    const before = await fx.longTerm.count(alice);
    const reports = await Promise.all([worker().handle(event!), worker().handle(event!)]);
    expect(await fx.longTerm.count(alice)).toBe(before + 2);
    expect(reports.map((r) => r.inserted.length + r.unchanged.length)).toEqual([2, 2]);
  });

  it('finds appended messages far back in a long session, and counts those the window trimmed away', async () => {
    const chat = fx.memory.sessions.session({ ...alice, sessionId: 'long' });
    const [said] = (await chat.append({ role: 'user', content: 'I live in Trondheim.' })).ids;
    await chat.append(Array.from({ length: 40 }, (_, i) => ({ role: 'assistant' as const, content: `filler ${i}` })));
    const [early] = await appended(alice, 'long');
    const w = worker();
    expect((await w.handle(early!)).inserted).toHaveLength(1);
    const [top] = await fx.longTerm.recall(alice, 'Trondheim', { k: 1 });
    expect(top).toMatchObject({ text: 'The user lives in Trondheim', metadata: { source: { messageIds: [said] } } });

    const short = await extractionFixture(target, { maxMessages: 2 });
    try {
      await short.memory.sessions
        .session({ ...alice, sessionId: 's' })
        .append(['I live in Oslo.', 'I work at Contoso.', 'I love skiing.'].map((content) => ({ role: 'user' as const, content })));
      const [event] = (await short.memory.events.of(alice)).filter((e) => e.type === 'session.appended');
      const trimmed = new ExtractionWorker({
        events: short.memory.events,
        sessions: short.memory.sessions,
        memory: short.longTerm,
        extractor: rulesExtractor(),
      });
      expect(await trimmed.handle(event!)).toMatchObject({ inserted: [expect.any(String), expect.any(String)], missingMessages: 1 });
      expect((await short.longTerm.recall(alice, 'user', { k: 5 })).map((m) => m.text).sort()).toEqual([
        'The user loves skiing',
        'The user works at Contoso',
      ]);
    } finally {
      await short.close();
    }
  });

  it('skips message ids no longer in the window, and ignores events of other types', async () => {
    const w = worker();
    const gone: AgentEvent = {
      id: '1-0',
      partition: 0,
      type: 'session.appended',
      at: 1,
      tenant: 'acme',
      userId: 'alice',
      sessionId: 'trip',
      ids: ['trimmed-long-ago'],
    };
    expect(await w.handle(gone)).toEqual({ inserted: [], merged: [], unchanged: [], missingMessages: 1 });
    expect(await w.handle({ ...gone, type: 'session.ended', ids: [] })).toEqual({
      inserted: [],
      merged: [],
      unchanged: [],
      missingMessages: 0,
    });
    expect(w.counts).toMatchObject({ events: 1, missingMessages: 1, inserted: 0 });
  });

  it('summarizeSession writes one episode per session: again unchanged, after more messages replaced', async () => {
    const w = worker();
    const ref = { ...alice, sessionId: 'trip' };
    const before = await fx.longTerm.count(alice);
    const first = await w.summarizeSession(ref);
    expect(first.inserted).toHaveLength(1);
    const episode = await fx.longTerm.get(alice, first.inserted[0]!);
    expect(episode).toMatchObject({ tags: ['episode'], metadata: { source: { strategy: 'episode', sessionId: 'trip' } } });
    expect(episode!.text).toMatch(
      /^Conversation on \d{4}-\d\d-\d\d \(3 messages, 2 from the user\) that began with: "Hi, my name is Alice/,
    );
    expect(await w.summarizeSession(ref)).toMatchObject({ inserted: [], merged: [], unchanged: first.inserted });
    await fx.memory.sessions.session(ref).append({ role: 'user', content: 'Thanks, bye!' });
    expect(await w.summarizeSession(ref)).toMatchObject({ inserted: [], merged: first.inserted });
    expect((await fx.longTerm.get(alice, first.inserted[0]!))!.text).toContain('(4 messages, 3 from the user)');
    expect(await fx.longTerm.count(alice)).toBe(before + 1);
    expect(await w.summarizeSession({ ...alice, sessionId: 'never-was' })).toMatchObject({ inserted: [], merged: [] });
  });

  it('a bad reply from one strategy fails the event whole: nothing of the others is written', async () => {
    const chat = fx.memory.sessions.session({ ...alice, sessionId: 'bad' });
    await chat.append({ role: 'user', content: 'I work at Contoso.' });
    const [event] = await appended(alice, 'bad');
    const before = await fx.longTerm.count(alice);
    const broken = new ExtractionWorker({
      events: fx.memory.events,
      sessions: fx.memory.sessions,
      memory: fx.longTerm,
      extractor: rulesExtractor(),
      strategies: ['facts', customStrategy({ name: 'broken', run: () => [{ text: 'x', kind: 'fact', sourceMessageIds: [] }] })],
    });
    await expect(broken.handle(event!)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await fx.longTerm.count(alice)).toBe(before);
  });

  it('runs a LangChain chat model as its extractor (FakeListChatModel): recalled, with the model named in provenance', async () => {
    const chat = fx.memory.sessions.session({ ...alice, sessionId: 'pets' });
    const [said] = (await chat.append({ role: 'user', content: 'My cat Minou turned five today.' })).ids;
    const [event] = await appended(alice, 'pets');
    const reply = {
      memories: [{ text: 'The user has a cat named Minou', kind: 'fact', tags: ['pets'], importance: 0.6, sourceMessageIds: [] }],
    };
    const model = new FakeListChatModel({ responses: [JSON.stringify(reply)] });
    const w = new ExtractionWorker({
      events: fx.memory.events,
      sessions: fx.memory.sessions,
      memory: fx.longTerm,
      extractor: chatModelExtractor(model, { name: 'fake-model' }),
      strategies: ['facts'],
    });
    expect((await w.handle(event!)).inserted).toHaveLength(1);
    const [top] = await fx.longTerm.recall(alice, 'a cat named Minou', { k: 1 });
    expect(top).toMatchObject({
      text: 'The user has a cat named Minou',
      tags: ['fact', 'pets'],
      metadata: { source: { extractor: 'fake-model', strategy: 'facts', sessionId: 'pets', messageIds: [said] } },
    });
  });

  it('refuses options that are not what it needs, and to start on sessions that publish nothing', () => {
    expect(() => new ExtractionWorker({ extractor: rulesExtractor() } as never)).toThrow(/events: must be the event log/);
    expect(
      () =>
        new ExtractionWorker({
          events: fx.memory.events,
          sessions: fx.memory.sessions,
          memory: fx.longTerm,
          extractor: { extract: async () => [] } as unknown as Extractor,
        }),
    ).toThrow(/extractor: must be an Extractor/);
    const silent = new SessionStore(fx.memory.connection, fx.memory.keys);
    const idle = new ExtractionWorker({ events: fx.memory.events, sessions: silent, memory: fx.longTerm, extractor: rulesExtractor() });
    expect(() => idle.start()).toThrow(/sessions: publishes no events/);
    expect(idle.running).toBe(false);
  });
});
