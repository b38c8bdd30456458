// Memory suite: bytes Redis holds per stored item (MEMORY USAGE, every key of the item counted),
// against the payload itself and, for messages, @langchain/redis's stored form of the same ones.
//   session: 1 000 messages of ~130 characters, with idempotency keys, in one session;
//   long-term memory: 1 000 memories of ~60 characters with 384-d vectors, on vector sets (noquant,
//   q8, bin) and flat, each with its recall@10.
import { HumanMessage } from '@langchain/core/messages';
import { RedisChatMessageHistory } from '@langchain/redis';
import { createClient } from 'redis';
import { connect } from '../../src/connection/connect.js';
import { Keyspace } from '../../src/keys.js';
import { LongTermMemory } from '../../src/memory/long-term-memory.js';
import { SessionStore } from '../../src/session/store.js';
import { FlatIndex } from '../../src/vector/engines/flat.js';
import { VectorSetIndex } from '../../src/vector/engines/vectorset.js';
import { IndexDefinitionSchema } from '../../src/vector/types.js';
import { figure, type Figure, type SuiteResult } from '../lib/report.js';
import type { SuiteContext } from '../run.js';
import { clustered } from './vector.js';

/** Indexes of the `k` vectors most similar to `query` (normalised vectors: the dot product). */
function topIds(data: Float32Array[], query: Float32Array, k: number): number[] {
  return data
    .map((v, i) => ({ i, s: v.reduce((sum, x, j) => sum + x * query[j]!, 0) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((b) => b.i);
}

const TEXT = 'Could you check where my order is? It was supposed to arrive on Tuesday and nothing has moved.';

export async function memorySuite(ctx: SuiteContext): Promise<SuiteResult> {
  const COUNT = ctx.quick ? 300 : 1000;
  const prefix = `benchm${Date.now().toString(36)}`;
  const connection = await connect({ url: ctx.redis8Url });
  const raw = createClient({ url: ctx.redis8Url });
  await raw.connect();
  const usage = async (pattern: string) => {
    let bytes = 0;
    for await (const keys of raw.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
      for (const key of keys) bytes += Number(await raw.sendCommand(['MEMORY', 'USAGE', key, 'SAMPLES', '0']));
    }
    return bytes;
  };
  const figures: Figure[] = [];

  ctx.progress('memory: 1 000 session messages');
  const session = new SessionStore(connection, new Keyspace(prefix), { maxMessages: 0 }).session({ userId: 'u', sessionId: 's' });
  for (let i = 0; i < COUNT; i++) await session.append({ role: 'user', content: TEXT }, { idempotencyKey: `req-${i}` });
  const ours = await usage(`${prefix}:*`);
  const lc = new RedisChatMessageHistory({ sessionId: `${prefix}lc`, config: { url: ctx.redis8Url } });
  for (let i = 0; i < COUNT; i++) await lc.addMessage(new HumanMessage(TEXT));
  const theirs = await usage(`${prefix}lc`);
  figures.push(
    figure(
      'memory.session.bytes_per_message',
      'bytes',
      'lower',
      ours / COUNT,
      { payload: Buffer.byteLength(TEXT), 'langchain-redis': theirs / COUNT },
      'every key of the session (list, metadata, idempotency set, index) / messages; ours keeps id, role, createdAt and an idempotency key per message',
    ),
  );
  await lc.client.quit();

  // Long-term memories: each layout (engine and quantization) with its bytes and its recall@10 on
  // the same memories and questions (exact top 10 computed here), so the smallest layout that
  // keeps recall is visible. The figure id without a quantization is vector sets' default, noquant.
  const vectors = clustered(COUNT, 384, 384, 1);
  const questions = clustered(100, 384, 384, 2);
  const truth = questions.map((q) => topIds(vectors, q, 10));
  const embedder = {
    embedQuery: async () => Array.from(vectors[0]!),
    embedDocuments: async (texts: string[]) => texts.map((t) => Array.from(vectors[Number(t.split('#')[1])]!)),
  };
  const layouts = [
    ['vectorset', 'vectorset', 'noquant'],
    ['vectorset_q8', 'vectorset', 'q8'],
    ['vectorset_bin', 'vectorset', 'bin'],
    ['flat', 'flat', 'noquant'],
  ] as const;
  for (const [name, engine, quantization] of layouts) {
    ctx.progress(`memory: ${COUNT} long-term memories (${name})`);
    const definition = IndexDefinitionSchema.parse({ namespace: `mem-${name.replace('_', '-')}`, dim: 384, quantization });
    const index =
      engine === 'vectorset'
        ? new VectorSetIndex(connection, new Keyspace(prefix), definition)
        : new FlatIndex(connection, new Keyspace(prefix), definition);
    await index.ensure();
    const ltm = new LongTermMemory(index, embedder, new Keyspace(prefix), { dedupeThreshold: 1 });
    for (let i = 0; i < COUNT; i += 100)
      await ltm.rememberMany(
        { userId: 'u' },
        Array.from({ length: Math.min(100, COUNT - i) }, (_, j) => ({
          text: `User fact number ${i + j}, worth remembering later #${i + j}`,
        })),
      );
    const bytes = await usage(`${prefix}:ltm:${index.definition.namespace}:*`);
    let found = 0;
    for (const [q, question] of questions.entries()) {
      const recalled = await ltm.recall({ userId: 'u' }, Array.from(question), { k: 10, trackAccess: 'off' });
      const want = new Set(truth[q]!);
      found += recalled.filter((r) => want.has(Number(r.text.split('#')[1]))).length;
    }
    figures.push(
      figure(
        `memory.long_term.${name}.bytes_per_memory`,
        'bytes',
        'lower',
        bytes / COUNT,
        { payload: 60 + 384 * 4 },
        'item hashes + id set (+ vector set) / memories; payload = text + float32 vector',
      ),
      figure(`memory.long_term.${name}.recall_at_10`, 'ratio', 'higher', found / (questions.length * 10), {}, 'target ≥ 0.95'),
    );
  }

  for await (const keys of raw.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (keys.length) await raw.unlink(keys);
  await Promise.all([connection.close(), raw.close()]);
  return { suite: 'memory', figures, skipped: [] };
}
