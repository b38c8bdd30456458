// Session suite: append and read-last-20, at concurrency 1 and 64, on one Redis 8 server, against
//   raw             the cheapest raw node-redis form of the same work, with the same shortcuts ours
//                   takes: one MULTI/EXEC that appends, trims, updates metadata and the idempotency
//                   set (trimmed every 100th call), and, at most once per TTL step (1 s) per
//                   session, the index score and every key's TTL (remembered in this process); a
//                   read is LRANGE alone, with the PEXPIREs once per step. It cannot skip
//                   duplicates nor tell a whole session from leftovers (that needs a condition, so
//                   a script): it does a little less than we do;
//   langchain-redis @langchain/redis RedisChatMessageHistory (LPUSH then EXPIRE; reads the whole
//                   list and keeps the last 20).
// Two comparisons, each of like with like: the core API (plain messages) against raw, and the
// core API through the LangChain translation (what a LangChain user pays) against langchain-redis.
import { HumanMessage } from '@langchain/core/messages';
import { RedisChatMessageHistory } from '@langchain/redis';
import { createClient } from 'redis';
import { toLangChainMessage, toMessageInput } from '../../adapters/langchain/messages.js';
import { connect } from '../../src/connection/connect.js';
import { Keyspace } from '../../src/keys.js';
import { SessionStore } from '../../src/session/store.js';
import { serverCostFigures } from '../lib/commandstats.js';
import { compare, type RunOptions } from '../lib/measure.js';
import { sampleFigures, type SuiteResult } from '../lib/report.js';
import type { SuiteContext } from '../run.js';

const TTL_SECONDS = 86_400;
const MAX_MESSAGES = 100;
const READ_SESSION_LENGTH = 500;
const TEXT =
  'Could you check where my order is? It was supposed to arrive on Tuesday and the tracking page has not changed since the weekend.';

export async function sessionSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const url = ctx.redis8Url;
  const ours = await connect({ url });
  const raw = createClient({ url });
  // One config object: @langchain/redis keeps one shared client per config, as its users get.
  const lcConfig = { url };
  await raw.connect();
  const prefix = `bench${Date.now().toString(36)}`;
  const store = new SessionStore(ours, new Keyspace(prefix), { ttl: { mode: 'sliding', seconds: TTL_SECONDS }, maxMessages: MAX_MESSAGES });
  const keys = new Keyspace(`${prefix}raw`);
  const message = new HumanMessage(TEXT);
  const plain = { role: 'user' as const, content: TEXT };
  const sessionsOf = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`);

  // What the raw baseline remembers per session, as a raw client would to do no more than it must.
  const STEP_MS = Math.min(TTL_SECONDS * 10, 1000);
  const rawSeen = new Map<string, { calls: number; touchedAt: number }>();
  const rawDue = (sessionId: string) => {
    const seen = rawSeen.get(sessionId) ?? { calls: 0, touchedAt: -Infinity };
    rawSeen.set(sessionId, seen);
    seen.calls++;
    const now = Date.now();
    const touch = now - seen.touchedAt >= STEP_MS;
    if (touch) seen.touchedAt = now;
    return { first: seen.calls === 1, trim: seen.calls % 100 === 0, touch, now };
  };
  const rawExpireAll = (multi: ReturnType<typeof raw.multi>, sessionId: string) => {
    const user = keys.user({ userId: 'u' });
    const k = user.session(sessionId);
    const ms = TTL_SECONDS * 1000;
    for (const key of [k.messages, k.meta, k.state, k.tools, k.idempotency, k.pending, user.sessions]) multi.pExpire(key, ms);
    return multi;
  };
  const rawAppend = (sessionId: string, requestId: string) => {
    const user = keys.user({ userId: 'u' });
    const k = user.session(sessionId);
    const due = rawDue(sessionId);
    const json = JSON.stringify({ role: 'user', content: TEXT, id: requestId, createdAt: due.now });
    const multi = raw
      .multi()
      .rPush(k.messages, json)
      .lTrim(k.messages, -MAX_MESSAGES, -1)
      .hSet(k.meta, 'updated', String(due.now))
      .hIncrBy(k.meta, 'total', 1)
      .zAdd(k.idempotency, { score: due.now, value: `b:${requestId}` });
    if (due.first) multi.hSetNX(k.meta, 'created', String(due.now));
    if (due.trim) multi.zRemRangeByRank(k.idempotency, 0, -1001);
    if (due.touch) rawExpireAll(multi.zAdd(user.sessions, { score: due.now, value: sessionId }), sessionId);
    return multi.exec();
  };
  const rawReadLast20 = async (sessionId: string) => {
    const k = keys.user({ userId: 'u' }).session(sessionId);
    const due = rawDue(`read:${sessionId}`);
    const list = due.touch
      ? ((await rawExpireAll(raw.multi().lRange(k.messages, -20, -1), sessionId).exec())[0] as unknown as string[])
      : await raw.lRange(k.messages, -20, -1);
    return list.map((j) => JSON.parse(j));
  };
  const lcHistory = (sessionId: string) =>
    new RedisChatMessageHistory({ sessionId: `${prefix}lc:${sessionId}`, sessionTTL: TTL_SECONDS, config: lcConfig });

  const figures = [];
  let request = 0;
  for (const concurrency of [1, 64]) {
    const options: RunOptions = { ops: ctx.quick ? (concurrency === 1 ? 200 : 2000) : concurrency === 1 ? 1000 : 10_000, concurrency };
    const sessions = sessionsOf(concurrency);
    const oursSessions = sessions.map((id) => store.session({ userId: 'u', sessionId: id }));
    const lcSessions = sessions.map(lcHistory);
    ctx.progress(`session: append at concurrency ${concurrency}`);
    const append = await compare(
      {
        ours: (i) => oursSessions[i % concurrency]!.append(plain, { idempotencyKey: `r${request++}` }),
        raw: (i) => rawAppend(sessions[i % concurrency]!, `r${request++}`),
        oursLangChain: (i) => oursSessions[i % concurrency]!.append(toMessageInput(message), { idempotencyKey: `r${request++}` }),
        'langchain-redis': (i) => lcSessions[i % concurrency]!.addMessage(message),
      },
      options,
    );
    figures.push(...sampleFigures(`session.append.c${concurrency}`, append.ours, { raw: append.raw }));
    figures.push(
      ...sampleFigures(`session.append_langchain.c${concurrency}`, append.oursLangChain, { 'langchain-redis': append['langchain-redis'] }),
    );
  }

  const one = store.session({ userId: 'u', sessionId: 'rt' });
  const lcOne = lcHistory('rt');
  figures.push(
    ...(await serverCostFigures(
      'session.append',
      ours,
      url,
      {
        ours: () => one.append(plain, { idempotencyKey: `r${request++}` }),
        raw: () => rawAppend('rt', `r${request++}`),
        'langchain-redis': () => lcOne.addMessage(message),
      },
      200,
    )),
  );

  // Read the last 20 messages of a 500-message session.
  const reader = store.session({ userId: 'u', sessionId: 'read' }, { ttl: { mode: 'sliding', seconds: TTL_SECONDS } });
  const longStore = new SessionStore(ours, new Keyspace(prefix), { maxMessages: 0 });
  const lcReader = lcHistory('read');
  for (let i = 0; i < READ_SESSION_LENGTH; i++) {
    await longStore.session({ userId: 'u', sessionId: 'read' }).append(toMessageInput(message));
    await rawAppendNoTrim(i);
    await lcReader.addMessage(message);
  }
  async function rawAppendNoTrim(i: number) {
    const k = keys.user({ userId: 'u' }).session('read');
    await raw.rPush(k.messages, JSON.stringify({ role: 'user', content: TEXT, id: `m${i}`, createdAt: Date.now() }));
  }
  for (const concurrency of [1, 64]) {
    ctx.progress(`session: read the last 20 of ${READ_SESSION_LENGTH} at concurrency ${concurrency}`);
    const options: RunOptions = { ops: ctx.quick ? (concurrency === 1 ? 200 : 2000) : concurrency === 1 ? 1000 : 10_000, concurrency };
    const read = await compare(
      {
        ours: () => reader.messages({ last: 20 }),
        raw: () => rawReadLast20('read'),
        oursLangChain: async () => (await reader.messages({ last: 20 })).map(toLangChainMessage),
        'langchain-redis': async () => (await lcReader.getMessages()).slice(-20),
      },
      options,
    );
    figures.push(...sampleFigures(`session.read_last20.c${concurrency}`, read.ours, { raw: read.raw }));
    figures.push(
      ...sampleFigures(`session.read_last20_langchain.c${concurrency}`, read.oursLangChain, { 'langchain-redis': read['langchain-redis'] }),
    );
  }
  figures.push(
    ...(await serverCostFigures(
      'session.read_last20',
      ours,
      url,
      {
        ours: () => reader.messages({ last: 20 }),
        raw: () => rawReadLast20('read'),
        'langchain-redis': () => lcReader.getMessages(),
      },
      200,
    )),
  );

  for await (const batch of raw.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (batch.length) await raw.unlink(batch);
  await Promise.all([ours.close(), raw.close(), lcReader.client.quit()]);
  return { suite: 'session', figures, skipped: [] };
}
