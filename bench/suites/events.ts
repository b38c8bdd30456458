// Events suite (#17), on one Redis 8 server, three questions side by side in one run:
//   append         a session append with events on against the same store with events off
//                  (interleaved rounds, c1 and c64): what publishing costs the hot path (target:
//                  p50 at most 10% slower, a ratio ≥ 0.91), and the server calls it adds;
//   consume        events per second through a consumer group (concurrency 1 and 16, trivial
//                  handler) over a pre-filled backlog spread over many partitions, against `raw`:
//                  one client reading every stream with XREADGROUP and acknowledging each batch
//                  with one XACK per stream (no per-user order, no bound on work in flight);
//   e2e            from the append call to the handler seeing its event, with a consumer running
//                  (default options, blockMs 1000) at a steady modest append rate; and for users
//                  in partitions the running consumer has not seen yet (found by rediscovery);
//   e2e_recall     from the append call of a message that states a fact to `recall` returning the
//                  memory the extraction worker (rules extractor, default consume options) made of it.
import { createAgentMemory } from '../../src/agent-memory.js';
import { connect } from '../../src/connection/connect.js';
import type { RedisConnection } from '../../src/connection/connection.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { rulesExtractor } from '../../src/entries/events.js';
import { EventLog, type RawEntry } from '../../src/events/event-log.js';
import type { AgentEvent } from '../../src/events/types.js';
import { Keyspace } from '../../src/keys.js';
import type { LongTermMemory } from '../../src/memory/long-term-memory.js';
import { SessionStore } from '../../src/session/store.js';
import { serverCostFigures } from '../lib/commandstats.js';
import { compare, type RunOptions } from '../lib/measure.js';
import { figure, sampleFigures, type Figure, type SuiteResult } from '../lib/report.js';
import type { SuiteContext } from '../run.js';

const TTL_SECONDS = 86_400;
const MAX_MESSAGES = 100;
const TEXT =
  'Could you check where my order is? It was supposed to arrive on Tuesday and the tracking page has not changed since the weekend.';
const plain = { role: 'user' as const, content: TEXT };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `send(i, at)` for each i below `count` at a steady `rate` a second (`at`: when it was sent,
 * performance.now()); each returns its append. Resolves once every append is written, with their
 * latencies in ms, sorted.
 */
async function atSteadyRate(count: number, rate: number, send: (i: number, at: number) => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  const writes: Promise<unknown>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const at = performance.now();
    writes.push(send(i, at).then(() => latencies.push(performance.now() - at)));
  }
  await Promise.all(writes);
  return latencies.sort((a, b) => a - b);
}
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Waits until `done()` holds (checked every ms), or throws after `timeoutMs`. */
async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`events bench: timed out waiting for ${what}`);
    await sleep(1);
  }
}

const STEPS = ['append', 'consume', 'e2e', 'e2e_recall'] as const;

/** The steps to run: every one, or those named in BENCH_EVENTS_STEPS (comma-separated), to look at one step alone. */
function stepsWanted(): Set<string> {
  const named = process.env.BENCH_EVENTS_STEPS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!named?.length) return new Set(STEPS);
  for (const step of named)
    if (!(STEPS as readonly string[]).includes(step)) throw new Error(`events bench: unknown step ${step}; steps: ${STEPS.join(', ')}`);
  return new Set(named);
}

export async function eventsSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const url = ctx.redis8Url;
  const connection = await connect({ url });
  const prefix = `benchev${Date.now().toString(36)}`;
  const figures: Figure[] = [];
  const steps = stepsWanted();
  try {
    if (steps.has('append')) figures.push(...(await appendFigures(ctx, connection, url, new Keyspace(`${prefix}a`))));
    if (steps.has('consume'))
      figures.push(...(await consumeFigures(ctx, connection, new Keyspace(`${prefix}c`), new Keyspace(`${prefix}o`))));
    if (steps.has('e2e')) figures.push(...(await endToEndFigures(ctx, connection, new Keyspace(`${prefix}e`))));
    if (steps.has('e2e_recall')) figures.push(...(await recallFigures(ctx, url, `${prefix}r`)));
  } finally {
    for await (const batch of connection.scan(`${prefix}*`)) for (const key of batch) await connection.send(['UNLINK', key], { key });
    await connection.close();
  }
  return { suite: 'events', figures, skipped: [] };
}

/** Stores alike but for `events`, on one keyspace and one event log. */
function storesOf(connection: RedisConnection, keys: Keyspace, log: EventLog) {
  const options = { ttl: { mode: 'sliding' as const, seconds: TTL_SECONDS }, maxMessages: MAX_MESSAGES };
  return {
    on: new SessionStore(connection, keys, { ...options, events: true }, log),
    off: new SessionStore(connection, keys, { ...options, events: false }, log),
  };
}

/** 1. Append with events on vs off, c1 and c64 (one user and one session per worker), and the server calls of each. */
async function appendFigures(ctx: SuiteContext, connection: RedisConnection, url: string, keys: Keyspace): Promise<Figure[]> {
  const { on, off } = storesOf(connection, keys, new EventLog(connection, keys));
  const figures: Figure[] = [];
  let request = 0;
  for (const concurrency of [1, 64]) {
    const options: RunOptions = { ops: ctx.quick ? (concurrency === 1 ? 200 : 2000) : concurrency === 1 ? 1000 : 10_000, concurrency };
    const users = Array.from({ length: concurrency }, (_, i) => `u${i}`);
    const onSessions = users.map((userId) => on.session({ userId, sessionId: 'on' }));
    const offSessions = users.map((userId) => off.session({ userId, sessionId: 'off' }));
    ctx.progress(`events: append with events on vs off at concurrency ${concurrency}`);
    const append = await compare(
      {
        'events-on': (i) => onSessions[i % concurrency]!.append(plain, { idempotencyKey: `r${request++}` }),
        'events-off': (i) => offSessions[i % concurrency]!.append(plain, { idempotencyKey: `r${request++}` }),
      },
      options,
    );
    figures.push(...sampleFigures(`events.append.c${concurrency}`, append['events-on'], { 'events-off': append['events-off'] }));
  }
  const oneOn = on.session({ userId: 'rt', sessionId: 'on' });
  const oneOff = off.session({ userId: 'rt', sessionId: 'off' });
  figures.push(
    ...(await serverCostFigures(
      'events.append',
      connection,
      url,
      {
        ours: () => oneOn.append(plain, { idempotencyKey: `r${request++}` }),
        'events-off': () => oneOff.append(plain, { idempotencyKey: `r${request++}` }),
      },
      200,
    )),
  );
  return figures;
}

/** 2. Events per second through a consumer group over pre-filled backlogs; each round consumes all of one in a new group. */
async function consumeFigures(ctx: SuiteContext, connection: RedisConnection, keys: Keyspace, oneUserKeys: Keyspace): Promise<Figure[]> {
  const log = new EventLog(connection, keys);
  const users = ctx.quick ? 128 : 512;
  const appends = ctx.quick ? 4000 : 40_000;
  ctx.progress(`events: pre-filling ${appends} appends over ${users} users`);
  const many = await prefill(connection, keys, log, users, appends);
  const figures = await consumeRounds(ctx, connection, log, many, 'consume', [1, 16]);
  figures.push(await handlersInFlight(log, many.total));

  // One user's backlog: one partition, every event on one chain (the user's order).
  const oneLog = new EventLog(connection, oneUserKeys);
  const oneAppends = ctx.quick ? 1000 : 10_000;
  ctx.progress(`events: pre-filling ${oneAppends} appends of one user`);
  const one = await prefill(connection, oneUserKeys, oneLog, 1, oneAppends);
  figures.push(...(await consumeRounds(ctx, connection, oneLog, one, 'consume_one_user', [16])));
  return figures;
}

interface Backlog {
  streams: string[];
  total: number;
}

/** `appends` appends (events on) spread over `users` users, 64 at once; checks every event is there. */
async function prefill(connection: RedisConnection, keys: Keyspace, log: EventLog, users: number, appends: number): Promise<Backlog> {
  const { on } = storesOf(connection, keys, log);
  const sessions = Array.from({ length: users }, (_, i) => on.session({ tenant: 'bench', userId: `user-${i}`, sessionId: 's' }));
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = next++; i < appends; i = next++) await sessions[i % users]!.append(plain);
    }),
  );
  const streams = (await log.partitions()).map((p) => log.keys.stream(p));
  let total = 0;
  for (const stream of streams) total += await connection.send<number>(['XLEN', stream], { key: stream, readonly: true });
  // Every append wrote one event, and each user's first one a session.created too; none trimmed.
  if (total !== appends + users) throw new Error(`events bench: ${total} events in the streams, expected ${appends + users}`);
  return { streams, total };
}

/** The library's consumer at each concurrency and the raw baseline, in interleaved rounds, each consuming the whole backlog. */
async function consumeRounds(
  ctx: SuiteContext,
  connection: RedisConnection,
  log: EventLog,
  { streams, total }: Backlog,
  id: string,
  concurrencies: number[],
): Promise<Figure[]> {
  const dropGroup = (group: string) =>
    Promise.all(streams.map((s) => connection.send(['XGROUP', 'DESTROY', s, group], { key: s }).catch(() => 0)));

  /** The library's consumer: from its start until every event is acknowledged (stop() not timed). */
  const viaConsumer = (concurrency: number) => async (group: string) => {
    let seen = 0;
    const started = performance.now();
    const consumer = log.consume(
      group,
      () => {
        seen++;
      },
      { concurrency },
    );
    await until(() => consumer.counts.handled >= total, 120_000, `${group} to acknowledge ${total} events`);
    const elapsed = performance.now() - started;
    await consumer.stop();
    const stats = await log.stats(group);
    if (consumer.counts.handled !== total || seen !== total || stats.pending !== 0 || consumer.counts.deadLettered !== 0) {
      throw new Error(
        `events bench: ${group} acknowledged ${consumer.counts.handled}, handled ${seen}, pending ${stats.pending}, expected ${total} and 0`,
      );
    }
    return elapsed;
  };

  /** The raw baseline: one client, XGROUP CREATE on each stream, then XREADGROUP over all and one XACK per stream and read. */
  const viaRaw = async (group: string) => {
    let acked = 0;
    const started = performance.now();
    await Promise.all(streams.map((s) => connection.send(['XGROUP', 'CREATE', s, group, '0'], { key: s })));
    const read = ['XREADGROUP', 'GROUP', group, 'raw', 'COUNT', '64', 'STREAMS', ...streams, ...streams.map(() => '>')];
    while (acked < total) {
      const reply = await connection.send<unknown>(read, { key: streams[0] });
      const pairs: [string, RawEntry[]][] =
        reply instanceof Map ? [...reply] : Array.isArray(reply) ? reply : Object.entries((reply ?? {}) as Record<string, RawEntry[]>);
      const acks = pairs.map(([stream, entries]) => {
        // As much decoding as the trivial handler is given: each entry's fields as an object.
        for (const [, fields] of entries) {
          const event: Record<string, string> = {};
          for (let i = 0; fields && i + 1 < fields.length; i += 2) event[fields[i]!] = fields[i + 1]!;
        }
        return connection.send<number>(['XACK', stream, group, ...entries.map((e) => e[0])], { key: stream });
      });
      for (const n of await Promise.all(acks)) acked += n;
    }
    const elapsed = performance.now() - started;
    if (acked !== total) throw new Error(`events bench: raw acknowledged ${acked}, expected ${total}`);
    return elapsed;
  };

  const cases: Record<string, (group: string) => Promise<number>> = Object.fromEntries([
    ...concurrencies.map((c) => [`c${c}`, viaConsumer(c)] as const),
    ['raw', viaRaw] as const,
  ]);
  const names = Object.keys(cases);
  const rounds = ctx.quick ? 3 : 7;
  const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    ctx.progress(`events: ${id}: ${total} events from ${streams.length} partitions, round ${r + 1} of ${rounds}`);
    for (let j = 0; j < names.length; j++) {
      const name = names[(r + j) % names.length]!;
      const group = `bench-${name}-${r}`;
      const ms = await cases[name]!(group);
      rates[name]!.push((total / ms) * 1000);
      await dropGroup(group);
    }
  }
  return concurrencies.map((c) => {
    const name = `c${c}`;
    const f = figure(
      `events.${id}.${name}.events_per_s`,
      'ev/s',
      'higher',
      median(rates[name]!),
      { raw: median(rates.raw!) },
      `${total} events over ${streams.length} partitions, trivial handler; median of ${rounds} rounds`,
    );
    const perRound = rates[name]!.map((v, i) => v / rates.raw![i]!).sort((a, b) => a - b);
    f.baselines.raw!.spread = [round2(percentile(perRound, 25)), round2(percentile(perRound, 75))];
    return f;
  });
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * How many handlers run at once under `concurrency: 1` (the option says "events handled at once, at
 * most"), with a handler that takes a timer tick: the most seen at any moment, over the backlog.
 */
async function handlersInFlight(log: EventLog, total: number): Promise<Figure> {
  let now = 0;
  let most = 0;
  const consumer = log.consume(
    'bench-in-flight',
    async () => {
      most = Math.max(most, ++now);
      await sleep(1);
      now--;
    },
    { concurrency: 1 },
  );
  const enough = Math.min(total, 1000);
  await until(() => consumer.counts.handled >= enough, 120_000, `bench-in-flight to acknowledge ${enough} events`);
  await consumer.stop();
  return figure(
    'events.consume.c1.handlers_in_flight_max',
    'handlers',
    'lower',
    most,
    {},
    `concurrency 1, ${enough} events of a 1 ms handler`,
  );
}

/** 3. Append to handler, at a steady rate, with a consumer running on default options. */
async function endToEndFigures(ctx: SuiteContext, connection: RedisConnection, keys: Keyspace): Promise<Figure[]> {
  const log = new EventLog(connection, keys);
  const { on } = storesOf(connection, keys, log);
  const users = 64;
  const sessions = Array.from({ length: users }, (_, i) => on.session({ tenant: 'bench', userId: `user-${i}`, sessionId: 's' }));
  // Every user's partition exists before the consumer starts (a new one is found only by rediscovery: measured apart).
  await Promise.all(sessions.map((s) => s.append(plain)));
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  const consumer = log.consume('bench-e2e', (event: AgentEvent) => {
    const seenAt = performance.now();
    for (const id of event.ids) {
      const at = sent.get(id);
      if (at !== undefined) latencies.push(seenAt - at);
    }
  });
  try {
    await until(() => consumer.counts.handled >= users * 2, 30_000, 'the e2e consumer to catch up');

    const rate = 200;
    const count = ctx.quick ? 400 : 2000;
    ctx.progress(`events: end to end, ${count} appends at ${rate}/s`);
    const appendSorted = await atSteadyRate(count, rate, (i, at) => {
      const id = `e2e-${i}`;
      sent.set(id, at);
      return sessions[i % users]!.append({ ...plain, id });
    });
    await until(() => latencies.length >= count, 30_000, `the handler to see ${count} appends`);
    const sorted = [...latencies].sort((a, b) => a - b);
    const note = `${count} appends at ${rate}/s over ${users} users, consumer on default options; baseline: the append call's own latency`;
    const figures = [
      figure(`events.e2e.rate${rate}.p50_ms`, 'ms', 'lower', percentile(sorted, 50), { append: percentile(appendSorted, 50) }, note),
      figure(`events.e2e.rate${rate}.p99_ms`, 'ms', 'lower', percentile(sorted, 99), { append: percentile(appendSorted, 99) }, note),
    ];

    // Users in partitions the running consumer has never read: their first events wait for rediscovery.
    const fresh = ctx.quick ? 8 : 32;
    ctx.progress(`events: end to end for ${fresh} users in new partitions`);
    latencies.length = 0;
    const spreadMs = 2000;
    await Promise.all(
      Array.from({ length: fresh }, async (_, i) => {
        await sleep((i * spreadMs) / fresh);
        const id = `fresh-${i}`;
        sent.set(id, performance.now());
        await on.session({ tenant: 'bench', userId: `fresh-${i}`, sessionId: 's' }).append({ ...plain, id });
      }),
    );
    await until(() => latencies.length >= fresh, 30_000, `the handler to see ${fresh} appends in new partitions`);
    const freshSorted = [...latencies].sort((a, b) => a - b);
    const freshNote = `${fresh} new users' first appends, spread over ${spreadMs / 1000} s, consumer on default options`;
    figures.push(
      figure('events.e2e.new_partition.p50_ms', 'ms', 'lower', percentile(freshSorted, 50), {}, freshNote),
      figure('events.e2e.new_partition.max_ms', 'ms', 'lower', freshSorted.at(-1)!, {}, freshNote),
    );
    // Stopping an idle consumer (its blocking read waiting for events): how long stop() takes.
    await sleep(100);
    const stopping = performance.now();
    await consumer.stop();
    figures.push(
      figure('events.consume.stop_idle_ms', 'ms', 'lower', performance.now() - stopping, {}, 'stop() of an idle consumer, blockMs 1000'),
    );
    return figures;
  } finally {
    await consumer.stop();
  }
}

/** A fact's place in the recall step: the variants tried, in order, until one is far enough from the user's other facts. */
const FACT_STEMS = [
  ['City', 'Town', 'Harbor', 'Valley', 'Meadow', 'Summit'],
  ['Pollen', 'Dust', 'Mold', 'Feathers', 'Latex', 'Shellfish'],
] as const;
/**
 * How similar a fact may be to another of its user's, at most, on the library's score scale
 * ((1 + cos) / 2, the scale of `dedupeThreshold`, default 0.97, i.e. a cosine of 0.94): below the
 * threshold, with room for the vector set's quantization.
 */
const FACT_SCORE_MAX = 0.95;

/**
 * For fact `i` of a user, what the user says and the memory the rules extractor makes of it:
 * unique per message, and at most FACT_SCORE_MAX similar to the user's earlier facts, so that none
 * is merged into another. (With `City<i>` alone, full size, 4 facts scored 0.972–0.975 against an
 * earlier one of their user under HashingEmbeddings(128), were merged, and never became
 * recallable as themselves.)
 */
function factFor(i: number, earlier: readonly number[][], embedder: HashingEmbeddings): { said: string; text: string; vector: number[] } {
  const kind = i % 2;
  for (const stem of FACT_STEMS[kind]!) {
    const place = `${stem}${i}`;
    const text = kind === 0 ? `The user lives in ${place}` : `The user is allergic to ${place}`;
    const vector = embedder.embed(text);
    if (earlier.every((e) => (1 + cosine(e, vector)) / 2 <= FACT_SCORE_MAX)) {
      return { said: kind === 0 ? `I live in ${place}` : `I am allergic to ${place}`, text, vector };
    }
  }
  throw new Error(`events bench: no wording of fact ${i} is far enough from its user's other facts`);
}
const cosine = (a: readonly number[], b: readonly number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0); // unit vectors

/**
 * 4. Append to recallable, at a steady rate over many users, with an extraction worker running (rules
 * extractor, default consume options). Each message states one new fact, so each should become one
 * new memory. The watch is cheap: a fact still waiting is recalled again only once the worker has
 * written to its user's memory since that fact's last recall began (the worker writes through a
 * wrapper that counts writes per user; nothing else changes), so there is about one recall per
 * fact, and a recall that starts after the fact's own write returns it. (It used to wait for the
 * worker's total `inserted` to grow: every insert then recalled every waiting fact of every user,
 * and once the worker fell a little behind, those recalls took the machine from it, and it fell
 * further: 78 000 recalls for 215 facts in 60 s, full size.)
 */
async function recallFigures(ctx: SuiteContext, url: string, prefix: string): Promise<Figure[]> {
  const memory = await createAgentMemory({ redis: { url }, prefix, sessions: { events: true } });
  const embedder = new HashingEmbeddings(128);
  const learned = await memory.longTerm({ embedder, namespace: 'learned' });
  /** Per user id, how many writes of the worker to their memory have returned. */
  const writes = new Map<string, number>();
  const worker = memory.extraction({ memory: countingWrites(learned, writes), extractor: rulesExtractor(), consume: {} });
  const users = 128;
  const scopes = Array.from({ length: users }, (_, i) => ({ tenant: 'bench', userId: `user-${i}` }));
  const sessions = scopes.map((scope) => memory.sessions.session({ ...scope, sessionId: 's' }));
  let finished = false;
  try {
    // Every user's partition known before the worker starts; the opening message states nothing.
    await Promise.all(sessions.map((s) => s.append(plain)));
    worker.start();
    await until(() => worker.counts.events >= users, 30_000, 'the extraction worker to catch up');
    const before = worker.counts;

    interface Waiting {
      scope: (typeof scopes)[number];
      text: string;
      at: number;
      /** Its user's write count when this fact's last recall began (at the append: none yet). */
      checkedAt: number;
      inFlight: boolean;
    }
    const waiting = new Set<Waiting>();
    const latencies: number[] = [];
    let recalls = 0;
    let failure: Error | undefined;
    const watch = (async () => {
      while (!finished) {
        for (const w of waiting) {
          const written = writes.get(w.scope.userId) ?? 0;
          if (w.inFlight || w.checkedAt >= written) continue;
          w.inFlight = true;
          w.checkedAt = written;
          recalls++;
          learned.recall(w.scope, w.text, { k: 1, trackAccess: 'off' }).then(
            (hits) => {
              w.inFlight = false;
              if (hits[0]?.text !== w.text) return;
              latencies.push(performance.now() - w.at);
              waiting.delete(w);
            },
            (error: Error) => {
              failure ??= error;
            },
          );
        }
        await sleep(1);
      }
    })();

    const rate = 100;
    const count = ctx.quick ? 300 : 1500;
    ctx.progress(`events: append to recallable, ${count} facts at ${rate}/s over ${users} users, extraction worker running`);
    const earlier = scopes.map((): number[][] => []);
    const facts = Array.from({ length: count }, (_, i) => {
      const fact = factFor(i, earlier[i % users]!, embedder);
      earlier[i % users]!.push(fact.vector);
      return fact;
    });
    const appendSorted = await atSteadyRate(count, rate, (i, at) => {
      const { said, text } = facts[i]!;
      const scope = scopes[i % users]!;
      waiting.add({ scope, text, at, checkedAt: writes.get(scope.userId) ?? 0, inFlight: false });
      return sessions[i % users]!.append({ role: 'user', content: said });
    });
    await until(
      () => latencies.length >= count || failure !== undefined,
      60_000,
      `${count} facts to be recallable (${waiting.size} still waiting, worker counts ${JSON.stringify(worker.counts)}, ${recalls} recalls)`,
    );
    finished = true;
    await watch;
    if (failure) throw failure;
    const after = worker.counts;
    if (after.inserted - before.inserted !== count || after.merged !== before.merged || after.events - before.events !== count) {
      throw new Error(
        `events bench: the worker handled ${after.events - before.events} events, inserted ${after.inserted - before.inserted} and merged ${after.merged - before.merged} memories, expected ${count}, ${count} and 0`,
      );
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const note = `${count} facts at ${rate}/s over ${users} users, extraction worker (rules, default consume options), HashingEmbeddings(128), vector sets; a fact recalled once its user's memory was written; baseline: the append call's own latency`;
    return [
      figure(`events.e2e_recall.rate${rate}.p50_ms`, 'ms', 'lower', percentile(sorted, 50), { append: percentile(appendSorted, 50) }, note),
      figure(`events.e2e_recall.rate${rate}.p99_ms`, 'ms', 'lower', percentile(sorted, 99), { append: percentile(appendSorted, 99) }, note),
      figure(`events.e2e_recall.rate${rate}.count`, 'facts', 'higher', latencies.length, {}, note),
      figure(
        `events.e2e_recall.rate${rate}.recalls_per_fact`,
        'calls',
        'lower',
        recalls / count,
        {},
        "recalls the watch sent per fact (1 is the least: a user's write also recalls their other waiting facts)",
      ),
    ];
  } finally {
    finished = true;
    await worker.stop();
    await memory.close();
  }
}

/**
 * `memory` as the worker sees it, counting in `writes` (per user id) every insert or merge once it
 * has returned: the watch's signal that a user's facts may now be recallable.
 */
function countingWrites(memory: LongTermMemory, writes: Map<string, number>): LongTermMemory {
  const counted = (scope: { userId: string }) => writes.set(scope.userId, (writes.get(scope.userId) ?? 0) + 1);
  return new Proxy(memory, {
    get(target, property) {
      if (property === 'rememberMany' || property === 'update') {
        const write = target[property].bind(target) as (scope: { userId: string }, ...rest: never[]) => Promise<unknown>;
        return async (scope: { userId: string }, ...rest: never[]) => {
          const result = await write(scope, ...rest);
          counted(scope);
          return result;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
