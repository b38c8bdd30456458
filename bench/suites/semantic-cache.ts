// Semantic cache suite: lookups in a semantic cache of 10 000 entries (dim 384, vector sets,
// efRuntime 64): hit rate of a stored prompt asked again, and hit and miss latency. Embedding time
// is excluded: the embedder hands back precomputed vectors (the vector suite's clustered data).
import { Cache } from '../../src/cache/cache.js';
import { SEMANTIC_CACHE_EF_RUNTIME, SemanticCache } from '../../src/cache/semantic-cache.js';
import { connect } from '../../src/connection/connect.js';
import { Keyspace } from '../../src/keys.js';
import { VectorSetIndex } from '../../src/vector/engines/vectorset.js';
import { IndexDefinitionSchema } from '../../src/vector/types.js';
import { measure } from '../lib/measure.js';
import { figure, sampleFigures, type SuiteResult } from '../lib/report.js';
import type { SuiteContext } from '../run.js';
import { clustered } from './vector.js';

const ENTRIES = 10_000;
const DIM = 384;

export async function semanticCacheSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const connection = await connect({ url: ctx.redis8Url, commandTimeoutMs: 60_000 });
  const keyspace = new Keyspace(`benchsc${Date.now().toString(36)}`);
  const vectors = clustered(ctx.quick ? 2_000 : ENTRIES, DIM, DIM, 1);
  const queries = clustered(200, DIM, DIM, 2);
  const byText = new Map<string, number[]>();
  for (const [i, v] of vectors.entries()) byText.set(`prompt ${i}`, Array.from(v));
  for (const [i, q] of queries.entries()) byText.set(`query ${i}`, Array.from(q));
  const embedder = {
    embedQuery: async (t: string) => byText.get(t)!,
    embedDocuments: async (ts: string[]) => ts.map((t) => byText.get(t)!),
  };
  const index = new VectorSetIndex(
    connection,
    keyspace,
    IndexDefinitionSchema.parse({ namespace: 'bench-semantic', dim: DIM, efRuntime: SEMANTIC_CACHE_EF_RUNTIME }),
  );
  await index.ensure();
  const cache = new SemanticCache(index, embedder, keyspace, new Cache(connection, keyspace, { name: 'bench-semantic' }), {
    threshold: 0.9,
  });
  ctx.progress(`semantic-cache: storing ${vectors.length} entries`);
  for (let i = 0; i < vectors.length; i++) await cache.store(`prompt ${i}`, `answer ${i}`, { model: 'm' });
  ctx.progress('semantic-cache: lookups');
  let asked = 0;
  let served = 0;
  const hitLatency = await measure(
    async (i) => {
      const found = await cache.lookup(`prompt ${(i * 31) % vectors.length}`, { model: 'm' });
      asked++;
      if (found.hit && found.prompt === `prompt ${(i * 31) % vectors.length}`) served++;
    },
    { ops: ctx.quick ? 300 : 2000, concurrency: 1 },
  );
  const missLatency = await measure((i) => cache.lookup(`query ${i % queries.length}`, { model: 'm', threshold: 0.999 }), {
    ops: ctx.quick ? 300 : 2000,
    concurrency: 1,
  });
  await cache.clear({ model: 'm' });
  for await (const batch of connection.scan(`${keyspace.prefix}*`)) await connection.send(['UNLINK', ...batch], { key: batch[0] });
  await connection.close();
  return {
    suite: 'semantic-cache',
    figures: [
      figure('semantic_cache.hit_rate.10k', 'fraction', 'higher', served / asked, {}, 'a stored prompt asked again finds its own entry'),
      ...sampleFigures('semantic_cache.lookup_hit.10k', hitLatency, {}),
      ...sampleFigures('semantic_cache.lookup_miss.10k', missLatency, {}),
    ],
    skipped: [],
  };
}
