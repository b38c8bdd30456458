// Checkpoint suite: LangGraph checkpointers on the work of one graph step (put a checkpoint whose
// messages channel changed, then getTuple the thread's latest), and list of a thread's last 10, at
// concurrency 1 and 32, against
//   postgres  @langchain/langgraph-checkpoint-postgres on the machine's PostgreSQL (127.0.0.1:5432),
//   memory    LangGraph's in-memory MemorySaver (the floor: no network, no storage).
// Every saver gets the same checkpoints, the same threads and the same concurrency.
// Durability differs, so it is stated and matched: the bench's Redis keeps nothing on disk, while
// PostgreSQL (fsync on, synchronous_commit on) has fsynced every commit before it answers. The
// `put_get_durable` rows give ours on a Redis with AOF `appendfsync always` (fsync before every
// reply: PostgreSQL's promise) and `everysec` (at most a second lost) beside PostgreSQL.
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { emptyCheckpoint, MemorySaver, uuid6, type BaseCheckpointSaver, type Checkpoint } from '@langchain/langgraph-checkpoint';
import { AgentMemoryCheckpointer } from '../../adapters/langgraph/checkpointer.js';
import { CheckpointStore } from '../../src/checkpoint/checkpoint-store.js';
import { connect } from '../../src/connection/connect.js';
import { Keyspace } from '../../src/keys.js';
import { serverCostFigures } from '../lib/commandstats.js';
import { compare, type RunOptions } from '../lib/measure.js';
import { sampleFigures, type Figure, type SuiteResult } from '../lib/report.js';
import type { SuiteContext } from '../run.js';
import { findRedisServer, startRedis, type LocalRedis, type Persistence } from '../../scripts/local-redis.js';

const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MESSAGES = 20;
const TEXT =
  'Could you check where my order is? It was supposed to arrive on Tuesday and the tracking page has not changed since the weekend.';
/** A channel that does not change after the first step (a retrieved document, say). */
const CONTEXT = 'policy '.repeat(600);

/** The checkpoint of step `step` of a conversation: 20 messages, a counter, and a context document. */
function stepCheckpoint(step: number): { checkpoint: Checkpoint; newVersions: Record<string, number> } {
  const checkpoint = emptyCheckpoint();
  checkpoint.id = uuid6(-1);
  checkpoint.channel_values = {
    messages: Array.from({ length: MESSAGES }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `${TEXT} (${step}.${i})` })),
    step,
    context: CONTEXT,
  };
  checkpoint.channel_versions = { messages: step + 1, step: step + 1, context: 1 };
  checkpoint.versions_seen = { agent: { messages: step } };
  return { checkpoint, newVersions: step === 0 ? { messages: 1, step: 1, context: 1 } : { messages: step + 1, step: step + 1 } };
}

export async function checkpointSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const skipped: string[] = [];
  const connection = await connect({ url: ctx.redis8Url });
  const prefix = `bench${Date.now().toString(36)}`;
  const savers: Record<string, BaseCheckpointSaver> = {
    ours: new AgentMemoryCheckpointer(new CheckpointStore(connection, new Keyspace(prefix))),
    memory: new MemorySaver(),
  };
  const schema = `bench_${Date.now().toString(36)}`;
  let postgres: PostgresSaver | undefined;
  try {
    postgres = PostgresSaver.fromConnString(POSTGRES_URL, { schema });
    await postgres.setup();
    savers.postgres = postgres;
  } catch (error) {
    skipped.push(`postgres baseline: cannot reach PostgreSQL at ${POSTGRES_URL.replace(/\/\/[^@]*@/, '//')} (${(error as Error).message})`);
    postgres = undefined;
  }

  // One graph step: put the next checkpoint of a thread, then read the thread's latest back.
  const threadSteps = new Map<string, { step: number; parent: string | undefined }>();
  const step = async (saver: BaseCheckpointSaver, threadId: string) => {
    const state = threadSteps.get(threadId) ?? { step: 0, parent: undefined };
    const { checkpoint, newVersions } = stepCheckpoint(state.step);
    const config = { configurable: { thread_id: threadId, checkpoint_ns: '', ...(state.parent ? { checkpoint_id: state.parent } : {}) } };
    const saved = await saver.put(config, checkpoint, { source: 'loop', step: state.step, parents: {} }, newVersions);
    threadSteps.set(threadId, { step: state.step + 1, parent: checkpoint.id });
    const tuple = await saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } });
    // At high concurrency another step of the same thread may have landed since: never an older one.
    if (!tuple || tuple.checkpoint.id < String(saved.configurable?.checkpoint_id))
      throw new Error(`${threadId}: read back an older checkpoint`);
  };

  const figures: Figure[] = [];
  for (const concurrency of [1, 32]) {
    ctx.progress(`checkpoint: put + getTuple at concurrency ${concurrency}`);
    const options: RunOptions = { ops: ctx.quick ? (concurrency === 1 ? 200 : 1000) : concurrency === 1 ? 1000 : 5000, concurrency };
    const cases = Object.fromEntries(
      Object.entries(savers).map(([name, saver]) => [name, (i: number) => step(saver, `${name}-c${concurrency}-t${i % concurrency}`)]),
    );
    const result = await compare(cases, options);
    const baselines = Object.fromEntries(Object.entries(result).filter(([name]) => name !== 'ours'));
    figures.push(...sampleFigures(`checkpoint.put_get.c${concurrency}`, result.ours!, baselines));
  }

  // Matched durability: ours on Redis servers that fsync (their own, started here), beside PostgreSQL.
  const binary = findRedisServer(8);
  if (!binary) skipped.push('put_get_durable: no Redis 8 binary to start with AOF');
  else {
    const durable: { server: LocalRedis; connection: Awaited<ReturnType<typeof connect>> }[] = [];
    try {
      const durableSavers: Record<string, BaseCheckpointSaver> = {};
      for (const persistence of ['aof-always', 'aof-everysec'] satisfies Persistence[]) {
        const server = await startRedis(binary, [], { persistence });
        const c = await connect({ url: server.url });
        durable.push({ server, connection: c });
        durableSavers[persistence] = new AgentMemoryCheckpointer(new CheckpointStore(c, new Keyspace(prefix)));
      }
      if (postgres) durableSavers.postgres = postgres;
      for (const concurrency of [1, 32]) {
        ctx.progress(`checkpoint: put + getTuple at concurrency ${concurrency}, matched durability`);
        const options: RunOptions = { ops: ctx.quick ? (concurrency === 1 ? 100 : 500) : concurrency === 1 ? 500 : 2000, concurrency };
        const cases = Object.fromEntries(
          Object.entries(durableSavers).map(([name, saver]) => [
            name,
            (i: number) => step(saver, `${name}-d${concurrency}-t${i % concurrency}`),
          ]),
        );
        const result = await compare(cases, options);
        const { 'aof-always': always, 'aof-everysec': everysec, postgres: pg } = result;
        figures.push(...sampleFigures(`checkpoint.put_get_durable.c${concurrency}`, always!, pg ? { postgres: pg } : {}));
        figures.push(...sampleFigures(`checkpoint.put_get_everysec.c${concurrency}`, everysec!, pg ? { postgres: pg } : {}));
      }
    } finally {
      for (const { server, connection: c } of durable) {
        await c.close();
        await server.stop();
      }
    }
  }

  // list: the newest 10 checkpoints of a 50-step thread.
  for (const [name, saver] of Object.entries(savers)) for (let i = 0; i < 50; i++) await step(saver, `${name}-history`);
  const list = async (saver: BaseCheckpointSaver, threadId: string) => {
    let n = 0;
    for await (const _ of saver.list({ configurable: { thread_id: threadId } }, { limit: 10 })) n++;
    if (n !== 10) throw new Error(`${threadId}: listed ${n}`);
  };
  for (const concurrency of [1, 32]) {
    ctx.progress(`checkpoint: list 10 at concurrency ${concurrency}`);
    const options: RunOptions = { ops: ctx.quick ? 200 : concurrency === 1 ? 500 : 2000, concurrency };
    const result = await compare(
      Object.fromEntries(Object.entries(savers).map(([name, saver]) => [name, () => list(saver, `${name}-history`)])),
      options,
    );
    const baselines = Object.fromEntries(Object.entries(result).filter(([name]) => name !== 'ours'));
    figures.push(...sampleFigures(`checkpoint.list10.c${concurrency}`, result.ours!, baselines));
  }

  // Round trips per operation, from the server's own command counts.
  const ours = savers.ours!;
  figures.push(
    ...(await serverCostFigures('checkpoint.put_get', connection, ctx.redis8Url, { ours: (i) => step(ours, `rt-${i % 4}`) }, 200)),
  );
  figures.push(
    ...(await serverCostFigures('checkpoint.list10', connection, ctx.redis8Url, { ours: () => list(ours, 'ours-history') }, 50)),
  );

  for await (const batch of connection.scan(`${prefix}*`)) await connection.send(['UNLINK', ...batch], { key: batch[0] });
  if (postgres) {
    await postgres.end();
    const { Client } = await import('pg');
    const admin = new Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
  await connection.close();
  return { suite: 'checkpoint', figures, skipped };
}
