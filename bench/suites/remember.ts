// Remember suite: writing long-term memories with deduplication (the default) as a scope grows,
// on vector sets (dim 128, clustered data), against a recall at the same size run in the same
// interleaved rounds; `remember` without deduplication beside it; and the previous way of
// deduplicating (an exact scan of the scope, then the write) as a reference at each size.
// Deduplication finds its candidate by the engine's nearest-neighbour query: `dedupe_agreement`
// is how often remember's decision (merge into which memory, or insert) equals the one an exact
// search of the scope makes.
import { connect } from '../../src/connection/connect.js';
import { Keyspace } from '../../src/keys.js';
import { LongTermMemory } from '../../src/memory/long-term-memory.js';
import { VectorSetIndex } from '../../src/vector/engines/vectorset.js';
import { IndexDefinitionSchema } from '../../src/vector/types.js';
import { compare, measure } from '../lib/measure.js';
import { figure, sampleFigures, type Figure, type SuiteResult } from '../lib/report.js';
import type { SuiteContext } from '../run.js';
import { seededRandom } from '../../scripts/seeded-random.js';
import { clustered } from './vector.js';

const DIM = 128;
const THRESHOLD = 0.97;

export async function rememberSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const sizes = ctx.quick ? [2_000, 5_000] : [10_000, 50_000, 100_000];
  const largest = sizes[sizes.length - 1]!;
  const connection = await connect({ url: ctx.redis8Url, commandTimeoutMs: 60_000 });
  const keyspace = new Keyspace(`benchr${Date.now().toString(36)}`);
  const index = new VectorSetIndex(connection, keyspace, IndexDefinitionSchema.parse({ namespace: 'remember', dim: DIM }));
  await index.ensure();
  const refuse = async (): Promise<number[][]> => {
    throw new Error('the bench gives its vectors');
  };
  const memory = new LongTermMemory(index, { embedQuery: async () => refuse().then((v) => v[0]!), embedDocuments: refuse }, keyspace, {
    dedupeThreshold: THRESHOLD,
  });
  const scope = { userId: 'bench' };
  const s = keyspace.memoryScope(scope);
  const data = clustered(largest, DIM, DIM, 1).map((v) => Array.from(v));
  // What is remembered while measuring: new points of the same clusters (mostly inserts), and
  // what is recalled: others of the same kind.
  const fresh = clustered(20_000, DIM, DIM, 2).map((v) => Array.from(v));
  const queries = clustered(1_000, DIM, DIM, 3).map((v) => Array.from(v));
  const figures: Figure[] = [];
  let loaded = 0;
  let next = 0;
  const remember = (dedupe: boolean) => () => {
    const vector = fresh[next++ % fresh.length]!;
    return memory.rememberMany(scope, [{ text: `remembered ${next}` }], { vectors: [vector], dedupe });
  };
  // The previous deduplication: the exact nearest stored memory (a scan of the scope), then the write.
  const scanThenWrite = async () => {
    const vector = fresh[next++ % fresh.length]!;
    await index.query(s, vector, { k: 1, exact: true });
    return memory.rememberMany(scope, [{ text: `remembered ${next}` }], { vectors: [vector], dedupe: false });
  };

  for (const size of sizes) {
    ctx.progress(`remember: loading to ${size} memories of dim ${DIM}`);
    const batch = data.slice(loaded, size);
    await memory.rememberMany(
      scope,
      batch.map((_, j) => ({ text: `memory ${loaded + j}` })),
      { vectors: batch, dedupe: false, bulk: true },
    );
    loaded = size;
    const label = `${size / 1000}k`;
    ctx.progress(`remember: ${label}, remember vs recall`);
    const ops = ctx.quick ? 150 : 500;
    const result = await compare(
      {
        remember: remember(true),
        recall: (i) => memory.recall(scope, queries[i % queries.length]!, { k: 10, trackAccess: 'off' }),
        rememberNoDedupe: remember(false),
      },
      { ops, concurrency: 1, warmup: 20 },
      ctx.quick ? 3 : 7,
    );
    figures.push(
      ...sampleFigures(`remember.dedupe.n${label}.c1`, result.remember, { recall: result.recall, 'no-dedupe': result.rememberNoDedupe }),
    );
    ctx.progress(`remember: ${label}, the previous exact-scan deduplication`);
    const scan = await measure(scanThenWrite, { ops: ctx.quick ? 10 : 30, concurrency: 1, warmup: 3 });
    figures.push(
      figure(
        `remember.dedupe.n${label}.c1.scan_p50_ms`,
        'ms',
        'lower',
        result.remember.p50Ms,
        { 'exact-scan': scan.p50Ms },
        'ours (nearest-neighbour candidate) against the previous exact scan of the scope, then the write',
      ),
    );
  }

  // Agreement of the decision: near-copies of stored memories (similarity around the threshold)
  // and new points, each decided by the nearest-neighbour candidate and by the exact nearest.
  ctx.progress(`remember: dedupe decision, nearest-neighbour vs exact, at ${largest / 1000}k`);
  const rand = seededRandom(7);
  const probes = Array.from({ length: ctx.quick ? 100 : 400 }, (_, i) => {
    if (i % 2 === 1) return fresh[fresh.length - 1 - i]!;
    const base = data[Math.floor(rand() * data.length)]!;
    const noisy = base.map((x) => x + (rand() - 0.5) * 0.04);
    const norm = Math.hypot(...noisy);
    return noisy.map((x) => x / norm);
  });
  let agree = 0;
  let merges = 0;
  for (const probe of probes) {
    const decide = (hits: { id: string; score: number }[]) => {
      const best = hits.reduce<{ id: string; score: number } | undefined>((b, h) => (!b || h.score > b.score ? h : b), undefined);
      return best && best.score >= THRESHOLD ? best.id : 'insert';
    };
    const exact = decide(await index.query(s, probe, { k: 1, exact: true }));
    // What remember itself decides (it writes: the exact decision above is taken first).
    const [result] = await memory.rememberMany(scope, [{ text: 'probe' }], { vectors: [probe] });
    const ann = result!.status === 'merged' ? result!.id : 'insert';
    if (exact !== 'insert') merges++;
    if (ann === exact) agree++;
  }
  figures.push(
    figure(
      `remember.dedupe_agreement.n${largest / 1000}k`,
      'ratio',
      'higher',
      agree / probes.length,
      {},
      `${probes.length} probes (${merges} of them merge under the exact decision): the share where the nearest-neighbour decision equals the exact one`,
    ),
  );

  await index.dropScope(s);
  await index.dropIndex();
  await connection.close();
  return { suite: 'remember', figures, skipped: [] };
}
