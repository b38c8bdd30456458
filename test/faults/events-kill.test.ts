// kill -9 of an event consumer mid-batch (a child process, events-worker.ts): nothing is lost, a
// consumer of the same group takes over what it left pending (XAUTOCLAIM after claimIdleMs), and
// the effects equal those of an undisturbed run: 0 lost, 0 applied twice (the effect is
// idempotent; the deliveries repeated are exactly among those the killed worker held unacknowledged).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import { deletePrefix, memoryConfig, targetsWithCluster, uniquePrefix, type RedisTarget } from '../harness/index.js';
import { applyEffect, effectsUnder, eventKey } from './events-worker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GROUP = 'g-kill';
const USERS = 32;
const TURNS = 6;

/** Starts events-worker.ts; `onEffect` sees each line it prints for a handled event. */
function startWorker(config: object, onEffect: (line: { key: string; repeat: boolean; running: number }) => void) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/faults/events-worker.ts', JSON.stringify(config)], { stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as { event: string; key: string; repeat: boolean; running: number };
    if (line.event === 'ready') onReady();
    else if (line.event === 'effect') onEffect(line);
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_, signal) => resolve(signal)));
  return { child, ready, exited, stderr: () => stderr };
}

async function until(what: () => Promise<boolean>, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${why()}`);
    await sleep(50);
  }
}

// Redis 8 (or the external server) and the cluster: Redis 7 behaves as Redis 8 here and would only add time.
const killTargets = targetsWithCluster().filter((t) => t.name !== 'redis7');

describe.each(killTargets.map((t) => [t.name, t] as const))('faults: event consumer killed mid-batch (%s)', (_, target: RedisTarget) => {
  const prefix = uniquePrefix('fev');
  let memory: AgentMemory;
  let release: () => Promise<void>;
  /** Every message id appended (as the effect names it). */
  const appended = new Set<string>();

  beforeAll(async () => {
    const { config, release: r } = memoryConfig(target);
    release = r;
    memory = await createAgentMemory({ ...config, prefix, sessions: { events: true, maxMessages: 4 } });
    await Promise.all(
      Array.from({ length: USERS }, async (_, u) => {
        const user = { tenant: 'acme', userId: `u${u}` };
        const chat = memory.sessions.session({ ...user, sessionId: 's' });
        for (let turn = 0; turn < TURNS; turn++) {
          const r = await chat.append([
            { role: 'user', content: `q${turn}` },
            { role: 'assistant', content: `a${turn}` },
          ]);
          for (const id of r.ids) appended.add(`acme/${user.userId}/s/${id}`);
        }
      }),
    );
  });

  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await memory.close();
    await release();
  });

  const hash = async (key: string) => {
    const flat = await memory.connection.send<string[] | Record<string, string>>(['HGETALL', key], { key, readonly: true });
    if (!Array.isArray(flat)) return new Map(flat instanceof Map ? flat : Object.entries(flat));
    const m = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i]!, flat[i + 1]!);
    return m;
  };

  /** Event keys pending with `consumer` in the group, over every partition. */
  const pendingWith = async (consumer: string) => {
    const out = new Set<string>();
    for (const slot of await memory.events.partitions()) {
      const stream = memory.events.keys.stream(slot);
      const rows = await memory.connection.send<[string, string, number, number][]>(
        ['XPENDING', stream, GROUP, '-', '+', '100000', consumer],
        { key: stream, readonly: true },
      );
      for (const [id] of rows) out.add(eventKey({ partition: slot, id }));
    }
    return out;
  };

  it('0 lost, 0 applied twice, the pending entries taken over, the effects equal an undisturbed run', async () => {
    const users = Array.from({ length: USERS }, (_, u) => ({ tenant: 'acme', userId: `u${u}` }));
    const expectedEvents = new Set((await Promise.all(users.map((u) => memory.events.of(u)))).flat().map(eventKey));
    expect(expectedEvents.size).toBe(USERS * (TURNS + 1)); // session.created + one session.appended per turn

    // The worker: 5 ms of work, the effect, 40 ms more before the acknowledgement. It is killed at
    // once when it reports its effect number KILL_AT, so that handler (and any beside it) has
    // applied its effect and not acknowledged it.
    const killAt = Math.floor(expectedEvents.size / 4);
    const fx = effectsUnder(prefix, 'killed');
    const doomed = `doomed-${process.pid}`;
    const redis = target.nodes ? { nodes: target.nodes } : { url: target.url };
    let seen = 0;
    let maxRunning = 0;
    let killedAfter = 0;
    const worker = startWorker(
      { redis, prefix, group: GROUP, consumer: doomed, effects: fx, preMs: 5, postMs: 40, concurrency: 4 },
      (line) => {
        seen++;
        maxRunning = Math.max(maxRunning, line.running);
        if (seen === killAt) {
          worker.child.kill('SIGKILL');
          killedAfter = seen;
        }
      },
    );
    try {
      await Promise.race([
        worker.exited,
        sleep(15_000).then(() => {
          throw new Error(`the worker was not killed within 15 s; stderr: ${worker.stderr()}`);
        }),
      ]);
    } finally {
      worker.child.kill('SIGKILL');
    }
    expect(await worker.exited).toBe('SIGKILL');

    // What the killed worker left: effects applied (some acknowledged, some not), entries pending with it.
    const heldAtKill = await pendingWith(doomed);
    const appliedByDoomed = new Set([...(await hash(fx.events))].filter(([, by]) => by === doomed).map(([k]) => k));
    const appliedNotAcked = [...appliedByDoomed].filter((k) => heldAtKill.has(k));
    const before = await memory.events.stats(GROUP);

    // The rescuer: another consumer of the group, in this process, no delay.
    const rescuerName = `rescuer-${process.pid}`;
    let repeats = 0;
    const rescuer = memory.events.consume(
      GROUP,
      async (event) => {
        if (await applyEffect(memory.connection, fx, rescuerName, event)) repeats++;
      },
      { consumer: rescuerName, claimIdleMs: 500, blockMs: 100, concurrency: 8 },
    );
    const startedAt = Date.now();
    let after = before;
    try {
      await until(
        async () => {
          after = await memory.events.stats(GROUP);
          return after.pending === 0 && after.lag === 0;
        },
        10_000,
        () => `stats ${JSON.stringify(after)}`,
      );
    } finally {
      await rescuer.stop();
    }
    const drainedMs = Date.now() - startedAt;

    // The same events, undisturbed: another group, one consumer that is never killed.
    const calmFx = effectsUnder(prefix, 'calm');
    const calm = memory.events.consume('g-calm', (event) => applyEffect(memory.connection, calmFx, 'calm', event).then(() => undefined), {
      blockMs: 100,
    });
    try {
      await until(
        async () => {
          const s = await memory.events.stats('g-calm');
          return s.pending === 0 && s.lag === 0;
        },
        10_000,
        () => 'the undisturbed run did not finish',
      );
    } finally {
      await calm.stop();
    }

    const deliveries = await hash(fx.deliveries);
    const lastBy = await hash(fx.lastBy);
    const messages = await hash(fx.messages);
    const events = await hash(fx.events);
    const redelivered = [...deliveries].filter(([, n]) => Number(n) > 1).map(([k]) => k);
    console.log(
      `faults: events kill -9 (${target.name}): ${expectedEvents.size} events, ${appended.size} message ids; ` +
        `worker killed after ${killedAfter} effects (at most ${maxRunning} handlers at once, concurrency 4), ` +
        `${heldAtKill.size} left pending (${appliedNotAcked.length} of them with their effect applied), ` +
        `lag ${before.lag} at the kill; the rescuer took over and drained in ${drainedMs} ms ` +
        `(${rescuer.counts.handled} handled); ${redelivered.length} redelivered, ${repeats} repeats found their effect applied`,
    );

    // Killed mid-batch: it had applied some effects, not all, and held entries unacknowledged.
    expect(killedAfter).toBe(killAt);
    expect(appliedByDoomed.size).toBeGreaterThanOrEqual(killAt);
    expect(appliedByDoomed.size).toBeLessThan(expectedEvents.size);
    expect(heldAtKill.size).toBeGreaterThan(0);
    expect(appliedNotAcked.length).toBeGreaterThan(0);

    // Drained: nothing pending, nothing unread, nothing dead-lettered.
    expect(after).toMatchObject({ pending: 0, lag: 0, deadLetters: 0 });

    // 0 lost: every event and every message id has its effect, and nothing else has one.
    expect(new Set(events.keys())).toEqual(expectedEvents);
    expect(new Set(deliveries.keys())).toEqual(expectedEvents);
    expect(new Set(messages.keys())).toEqual(appended);

    // The rescuer claimed every entry the killed worker held and handled it (last to run on it).
    for (const key of heldAtKill) expect(lastBy.get(key), key).toBe(rescuerName);
    expect(rescuer.counts.handled).toBeGreaterThanOrEqual(heldAtKill.size);

    // At least once, never more than needed: only what the killed worker held ran twice, and a
    // repeat found its effect applied exactly when the killed worker had applied it.
    for (const key of redelivered) {
      expect(heldAtKill.has(key), key).toBe(true);
      expect(deliveries.get(key)).toBe('2');
    }
    expect(new Set(redelivered)).toEqual(new Set(appliedNotAcked));
    expect(repeats).toBe(appliedNotAcked.length);

    // The result equals the undisturbed run's.
    expect(messages).toEqual(await hash(calmFx.messages));
    expect(new Set(events.keys())).toEqual(new Set((await hash(calmFx.events)).keys()));
  }, 30_000);
});
