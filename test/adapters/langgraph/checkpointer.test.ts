// AgentMemoryCheckpointer under a real LangGraph graph on Redis 8, Redis 7 and the cluster: a run
// interrupted by `interrupt()` resumes from Redis through a new checkpointer, history lists every
// step, TTL policies hold for the whole thread, tenants and bad configs stay apart.
import { Annotation, Command, END, interrupt, MemorySaver, START, StateGraph } from '@langchain/langgraph';
import { emptyCheckpoint } from '@langchain/langgraph-checkpoint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentMemoryCheckpointer } from '../../../adapters/langgraph/index.js';
import { CheckpointStore } from '../../../src/checkpoint/checkpoint-store.js';
import { Keyspace } from '../../../src/keys.js';
import { InvalidArgumentError, type CheckpointStoreOptions, type RedisConnection } from '../../../src/index.js';
import { connectTo, deletePrefix, scanKeys, targetsWithCluster, uniquePrefix } from '../../harness/index.js';

const State = Annotation.Root({
  log: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
  approved: Annotation<boolean>({ reducer: (_, b) => b, default: () => false }),
});

/** plan → approve (asks a human through interrupt) → act. */
function buildGraph() {
  return new StateGraph(State)
    .addNode('plan', () => ({ log: ['planned'] }))
    .addNode('approve', () => ({ approved: interrupt({ question: 'go ahead?' }) as boolean, log: ['asked'] }))
    .addNode('act', (s) => ({ log: [s.approved ? 'acted' : 'skipped'] }))
    .addEdge(START, 'plan')
    .addEdge('plan', 'approve')
    .addEdge('approve', 'act')
    .addEdge('act', END);
}

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('AgentMemoryCheckpointer (%s)', (_, target) => {
  let connection: RedisConnection;
  const prefix = uniquePrefix('cp');
  const keys = new Keyspace(prefix);
  const saver = (options: CheckpointStoreOptions = {}) => new AgentMemoryCheckpointer(new CheckpointStore(connection, keys, options));
  beforeAll(async () => {
    connection = await connectTo(target);
  });
  afterAll(async () => {
    await deletePrefix(connection, prefix);
    await connection.close();
  });

  it('resumes an interrupted graph from Redis with a new checkpointer, as a new process would', async () => {
    const config = { configurable: { thread_id: 'run-1' } };
    const first = buildGraph().compile({ checkpointer: saver() });
    const paused = await first.invoke({ log: ['start'] }, config);
    expect(paused.log).toEqual(['start', 'planned']);
    expect((paused as { __interrupt__?: unknown[] }).__interrupt__).toHaveLength(1);

    const second = buildGraph().compile({ checkpointer: saver() }); // nothing shared but Redis
    const state = await second.getState(config);
    expect(state.next).toEqual(['approve']);
    expect(state.tasks[0]?.interrupts[0]?.value).toEqual({ question: 'go ahead?' });
    const done = await second.invoke(new Command({ resume: true }), config);
    expect(done).toEqual({ log: ['start', 'planned', 'asked', 'acted'], approved: true });

    // The same run on LangGraph's in-memory saver leaves the same history, step by step.
    const reference = buildGraph().compile({ checkpointer: new MemorySaver() });
    await reference.invoke({ log: ['start'] }, config);
    await reference.invoke(new Command({ resume: true }), config);
    const steps = async (graph: typeof first) => {
      const out: [number | undefined, string[]][] = [];
      for await (const snapshot of graph.getStateHistory(config)) out.push([snapshot.metadata?.step, [...snapshot.next]]);
      return out;
    };
    expect(await steps(second)).toEqual(await steps(reference));
  });

  it('a thread whose pending writes were evicted resumes to the same state: LangGraph re-runs the tasks that lost theirs', async () => {
    // a and b run in one superstep; b asks a human. At the pause, a's writes are pending.
    let runsOfA = 0;
    const Fan = Annotation.Root({ log: Annotation<string[]>({ reducer: (x, y) => [...x, ...y].sort(), default: () => [] }) });
    const fan = () =>
      new StateGraph(Fan)
        .addNode('a', () => {
          runsOfA += 1;
          return { log: ['a'] };
        })
        .addNode('b', () => ({ log: [interrupt('b?') ? 'b' : 'no b'] }))
        .addNode('join', (st) => ({ log: [`joined ${st.log.length}`] }))
        .addEdge(START, 'a')
        .addEdge(START, 'b')
        .addEdge(['a', 'b'], 'join')
        .addEdge('join', END)
        .compile({ checkpointer: saver() });
    const run = async (thread: string, loseWrites: boolean) => {
      const config = { configurable: { thread_id: thread } };
      await fan().invoke({ log: [] }, config);
      const w = keys.checkpointThread(thread).writes;
      expect(await connection.send<number>(['HLEN', w], { key: w })).toBeGreaterThan(0);
      if (loseWrites) await connection.send(['UNLINK', w], { key: w });
      return fan().invoke(new Command({ resume: true }), config);
    };
    const whole = await run('fan-whole', false);
    expect(runsOfA).toBe(1);
    const lost = await run('fan-lost', true);
    expect(lost).toEqual(whole);
    expect(whole).toEqual({ log: ['a', 'b', 'joined 2'] });
    expect(runsOfA).toBe(3); // a ran again in place of its lost writes: at least once, never half
  });

  it('keeps every key of a thread in one hash tag, and deleteThread removes them all', async () => {
    const graph = buildGraph().compile({ checkpointer: saver() });
    await graph.invoke({ log: [] }, { configurable: { thread_id: 'tagged {thread}' } });
    const threadKeys = Object.values(keys.checkpointThread('tagged {thread}'));
    const found = await scanKeys(connection, `${prefix}:{cp:_:${Buffer.from('tagged {thread}').toString('hex')}}:*`);
    expect(found.sort()).toEqual(threadKeys.sort());
    expect(new Set(found.map((k) => /\{[^}]*\}/.exec(k)?.[0])).size).toBe(1);
    await saver().deleteThread('tagged {thread}');
    expect(await scanKeys(connection, `${prefix}:{cp:_:${Buffer.from('tagged {thread}').toString('hex')}}:*`)).toEqual([]);
  });

  it('gives the whole thread one deadline: sliding moves it on reads, fixed never moves it', async () => {
    const sliding = saver({ ttl: { mode: 'sliding', seconds: 60 } });
    const withValue = (id: string) => ({ ...emptyCheckpoint(), id, channel_values: { ch: 'x' }, channel_versions: { ch: 1 } });
    const config = await sliding.put(
      { configurable: { thread_id: 'slide' } },
      withValue('c1'),
      { source: 'input', step: -1, parents: {} },
      { ch: 1 },
    );
    await sliding.putWrites(config, [['ch', 1]], 'task');
    const k = keys.checkpointThread('slide');
    const pttls = async (thread: typeof k) =>
      Promise.all(Object.values(thread).map((key) => connection.send<number>(['PTTL', key], { key })));
    for (const ms of await pttls(k)) expect(ms).toBeGreaterThan(55_000);
    // A read just after a write leaves the deadline alone (it would move by less than 1 s).
    await connection.send(['PEXPIRE', k.blobs, '50000'], { key: k.blobs });
    await sliding.getTuple({ configurable: { thread_id: 'slide' } });
    expect(await connection.send<number>(['PTTL', k.blobs], { key: k.blobs })).toBeLessThanOrEqual(50_000);
    for (const key of Object.values(k)) await connection.send(['PEXPIRE', key, '5000'], { key });
    expect(await sliding.getTuple({ configurable: { thread_id: 'slide' } })).toBeDefined();
    for (const ms of await pttls(k)) expect(ms).toBeGreaterThan(55_000); // the read moved every key

    const fixed = saver({ ttl: { mode: 'fixed', seconds: 60 } });
    const f = keys.checkpointThread('fixed');
    const cfg = await fixed.put(
      { configurable: { thread_id: 'fixed' } },
      withValue('c1'),
      { source: 'input', step: -1, parents: {} },
      { ch: 1 },
    );
    await connection.send(['PEXPIRE', f.ids, '5000'], { key: f.ids });
    await fixed.putWrites(cfg, [['ch', 1]], 'task');
    await fixed.put(cfg, { ...emptyCheckpoint(), id: 'c2' }, { source: 'loop', step: 0, parents: {} }, {});
    expect(await fixed.getTuple({ configurable: { thread_id: 'fixed' } })).toBeDefined();
    for (const ms of await pttls(f)) expect(ms).toBeLessThanOrEqual(5000); // later keys inherit the first deadline
  });

  it('prunes a thread to its newest checkpoints per namespace, keeping every channel value they use', async () => {
    const s = saver();
    const meta = { source: 'loop' as const, step: 0, parents: {} };
    let parent: string | undefined;
    for (let step = 1; step <= 10; step++) {
      const checkpoint = {
        ...emptyCheckpoint(),
        id: `c${String(step).padStart(2, '0')}`,
        channel_values: { doc: 'a long document', step },
        channel_versions: { doc: 1, step },
      };
      const cfg = await s.put(
        { configurable: { thread_id: 'pruned', ...(parent ? { checkpoint_id: parent } : {}) } },
        checkpoint,
        { ...meta, step },
        step === 1 ? { doc: 1, step } : { step },
      );
      await s.putWrites(cfg, [['step', step + 1]], `task-${step}`);
      parent = checkpoint.id;
    }
    for (const id of ['k1', 'k2'])
      await s.put({ configurable: { thread_id: 'pruned', checkpoint_ns: 'child' } }, { ...emptyCheckpoint(), id }, meta, {});
    const k = keys.checkpointThread('pruned');
    const hlen = (key: string) => connection.send<number>(['HLEN', key], { key });
    expect([await hlen(k.blobs), await hlen(k.writes)]).toEqual([12, 10]); // doc once, step ×10, and the field that marks a live thread

    expect(await s.pruneThread('pruned', 3)).toBe(7);
    const listed: string[] = [];
    for await (const t of s.list({ configurable: { thread_id: 'pruned' } }))
      listed.push(`${t.config.configurable?.checkpoint_ns}/${t.checkpoint.id}`);
    expect(listed.sort()).toEqual(['/c08', '/c09', '/c10', 'child/k1', 'child/k2']);
    const latest = await s.getTuple({ configurable: { thread_id: 'pruned' } });
    expect(latest?.checkpoint.channel_values).toEqual({ doc: 'a long document', step: 10 }); // doc was written at step 1
    expect(latest?.pendingWrites).toEqual([['task-10', 'step', 11]]);
    expect([await hlen(k.blobs), await hlen(k.writes)]).toEqual([5, 3]);
    await expect(s.pruneThread('pruned', 0)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('lists only its own tenant’s threads', async () => {
    const a = saver({ tenant: 'acme' });
    const b = saver({ tenant: 'globex' });
    const meta = { source: 'input' as const, step: -1, parents: {} };
    await a.put({ configurable: { thread_id: 'shared-id' } }, { ...emptyCheckpoint(), id: 'a1' }, meta, {});
    await b.put({ configurable: { thread_id: 'shared-id' } }, { ...emptyCheckpoint(), id: 'b1' }, meta, {});
    const ids = async (s: AgentMemoryCheckpointer) => {
      const out: string[] = [];
      for await (const t of s.list({})) out.push(t.checkpoint.id);
      return out;
    };
    expect(await ids(a)).toEqual(['a1']);
    expect(await ids(b)).toEqual(['b1']);
    expect((await a.getTuple({ configurable: { thread_id: 'shared-id' } }))?.checkpoint.id).toBe('a1');
  });

  it('refuses configs without a thread or checkpoint id, and over-long thread ids, with typed errors', async () => {
    const s = saver();
    const meta = { source: 'input' as const, step: -1, parents: {} };
    await expect(s.put({ configurable: {} }, emptyCheckpoint(), meta, {})).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(s.putWrites({ configurable: { thread_id: 't' } }, [['a', 1]], 'task')).rejects.toThrow(/checkpoint_id/);
    await expect(s.put({ configurable: { thread_id: 'x'.repeat(300) } }, emptyCheckpoint(), meta, {})).rejects.toThrow(/thread id/);
    expect(await s.getTuple({ configurable: {} })).toBeUndefined();
  });
});
