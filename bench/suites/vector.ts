// Vector suite: N clustered synthetic vectors (seeded, so every run sees the same data), dims 100
// and 384. For each engine that runs here: recall@10 against exact ground truth computed in the
// client, and query latency against the raw engine command with the same parameters (vectorset:
// VSIM as Redis runs it by default, on its thread pool, and the same VSIM with NOTHREAD, on the
// main thread; at concurrency 1 on one connection, and at concurrency 8 spread over 8 connections,
// one per worker as 8 processes would have: a connection waits for its threaded VSIM, so only
// several connections can use the pool).
//   vectorset NOQUANT and Q8, one vector set of N items, loaded with upsertMany;   flat: a scope of 5 000 items.
// Bulk insert (dim 128, NOQUANT, clustered and uneven data): upsertMany against raw pipelined
// VADD … CAS and VADD of the same items (one connection), and against upsert (one MULTI per 500).
// With REDISEARCH_URL: the redisearch engine (HNSW and FLAT) on that server, interleaved with
// @langchain/redis's RedisVectorStore and the raw FT.SEARCH on the same server and data, recall
// beside latency, and at LangChain's EF_RUNTIME too (equal effort).
// Also: bytes per vector in Redis.
import { createClient } from 'redis';
import { createRequire } from 'node:module';
import { Document } from '@langchain/core/documents';
import { RedisVectorStore } from '@langchain/redis';
import { connect } from '../../src/connection/connect.js';
import { Keyspace } from '../../src/keys.js';
import { FlatIndex } from '../../src/vector/engines/flat.js';
import { RediSearchIndex } from '../../src/vector/engines/redisearch.js';
import { buildKnnSearchArgs } from '../../src/vector/engines/redisearch/query.js';
import { VectorSetIndex } from '../../src/vector/engines/vectorset.js';
import { vectorBytes } from '../../src/vector/items.js';
import { IndexDefinitionSchema, type Scope, type VectorIndex } from '../../src/vector/types.js';
import { compare, measure } from '../lib/measure.js';
import { figure, sampleFigures, type Figure, type SuiteResult } from '../lib/report.js';
import type { SuiteContext } from '../run.js';
import { seededRandom } from '../../scripts/seeded-random.js';

const CLUSTERS = 200;
const QUERIES = 200;
const K = 10;
const FLAT_SCOPE = 5_000;

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
}

/**
 * `n` vectors around CLUSTERS random centres (from `centreSeed`, so data and queries share them),
 * each cluster with its own spread (0.1 to 0.5 per dimension), normalised (cosine). Points come
 * from `pointSeed`: queries are new points of the same clusters, as a question lands near memories.
 * `uneven`: cluster sizes fall off as 1/rank (the largest holds ~17% of the points, the smallest
 * a few dozen) and spreads range from 0.05 (tight knots) to 0.8 (diffuse clouds), as real memories
 * pile up around a few topics.
 */
export function clustered(n: number, dim: number, centreSeed: number, pointSeed: number, uneven = false): Float32Array[] {
  const centresRand = seededRandom(centreSeed);
  const centres = Array.from({ length: CLUSTERS }, () => ({
    at: Float32Array.from({ length: dim }, () => gaussian(centresRand)),
    spread: uneven ? 0.05 + 0.75 * centresRand() : 0.1 + 0.4 * centresRand(),
  }));
  const weights = centres.map((_, c) => (uneven ? 1 / (c + 1) : 1));
  const cumulative: number[] = [];
  weights.reduce((sum, w, c) => (cumulative[c] = sum + w), 0);
  const total = cumulative[cumulative.length - 1]!;
  const rand = seededRandom(pointSeed);
  const pick = (): number => {
    const x = rand() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return Array.from({ length: n }, () => {
    const c = centres[pick()]!;
    const v = Float32Array.from(c.at, (x) => x + c.spread * gaussian(rand));
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

/** Exact top-k ids (indexes) by dot product of normalised vectors. */
function groundTruth(data: Float32Array[], query: Float32Array, k: number): number[] {
  const best: { i: number; s: number }[] = [];
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    let s = 0;
    for (let j = 0; j < v.length; j++) s += v[j]! * query[j]!;
    if (best.length < k || s > best[best.length - 1]!.s) {
      best.push({ i, s });
      best.sort((a, b) => b.s - a.s);
      if (best.length > k) best.pop();
    }
  }
  return best.map((b) => b.i);
}

/** The bare VSIM our query sends (threaded), or the same search on the main thread (NOTHREAD): the raw baselines. */
function rawVsimArgs(vectorSet: string, query: Float32Array, ef: number, nothread: boolean): (string | Buffer)[] {
  return [
    'VSIM',
    vectorSet,
    'FP32',
    vectorBytes(query),
    'WITHSCORES',
    'COUNT',
    String(K),
    'EF',
    String(ef),
    ...(nothread ? ['NOTHREAD'] : []),
  ];
}

const SCOPE: Scope = { tag: '{bench:vectors}', token: Buffer.from('{bench:vectors}').toString('hex') };

/** Loads with the bulk path (upsertMany, chunks of 500); items per second. */
async function load(index: VectorIndex, data: Float32Array[], progress: (line: string) => void, label: string): Promise<number> {
  const started = performance.now();
  const items = data.map((v, i) => ({ id: `v${i}`, vector: v, payload: String(i) }));
  await index.upsertMany(SCOPE, items, {
    onProgress: ({ written, total }) => {
      if (written % 20_000 === 0 || written === total) progress(`${label}: loaded ${written} of ${total}`);
    },
  });
  return (data.length / (performance.now() - started)) * 1000;
}

/** Loads with the small-write path (upsert, one MULTI per 500); items per second. */
async function loadByUpsert(index: VectorIndex, data: Float32Array[]): Promise<number> {
  const started = performance.now();
  const batch = 500;
  for (let i = 0; i < data.length; i += batch) {
    await index.upsert(
      SCOPE,
      data.slice(i, i + batch).map((v, j) => ({ id: `v${i + j}`, vector: v, payload: String(i + j) })),
    );
  }
  return (data.length / (performance.now() - started)) * 1000;
}

async function recallAt10(index: VectorIndex, queries: Float32Array[], truth: number[][]): Promise<number> {
  let found = 0;
  for (const [q, query] of queries.entries()) {
    const hits = await index.query(SCOPE, query, { k: K });
    const want = new Set(truth[q]!.map((i) => `v${i}`));
    found += hits.filter((h) => want.has(h.id)).length;
  }
  return found / (queries.length * K);
}

export async function vectorSuite(ctx: SuiteContext): Promise<SuiteResult> {
  const n = ctx.quick ? 5_000 : 100_000;
  const connection = await connect({ url: ctx.redis8Url, commandTimeoutMs: 60_000 });
  const raw = createClient({ url: ctx.redis8Url });
  await raw.connect();
  const figures: Figure[] = [];
  const prefix = `benchv${Date.now().toString(36)}`;
  const keyspace = new Keyspace(prefix);
  const skipped: string[] = [];
  if (!ctx.redisearchUrl)
    skipped.push(
      'redisearch HNSW/FLAT and @langchain/redis RedisVectorStore: need the RediSearch module (set REDISEARCH_URL to a server that has it)',
    );

  for (const dim of [100, 384]) {
    ctx.progress(`vector: ${n} clustered vectors of dim ${dim}, ground truth for ${QUERIES} queries`);
    const data = clustered(n, dim, dim, 1);
    const queries = clustered(QUERIES, dim, dim, 2);
    const truth = queries.map((q) => groundTruth(data, q, K));
    // Out of distribution: points of other clusters, far from every item, where HNSW's greedy
    // search has the least to go on (an agent does get questions unlike anything it remembers).
    const foreign = clustered(QUERIES, dim, dim + 1_000_000, 3);
    const foreignTruth = foreign.map((q) => groundTruth(data, q, K));

    for (const quantization of ['noquant', 'q8'] as const) {
      const label = `vectorset ${quantization} dim ${dim}`;
      const index = new VectorSetIndex(
        connection,
        keyspace,
        IndexDefinitionSchema.parse({ namespace: `bench-${quantization}-${dim}`, dim, quantization }),
      );
      await index.ensure();
      const insertsPerSecond = await load(index, data, ctx.progress, label);
      const recall = await recallAt10(index, queries, truth);
      const recallForeign = await recallAt10(index, foreign, foreignTruth);
      const vset = keyspace.vector(index.definition.namespace).scope(SCOPE.tag).vectorSet;
      const bytes = Number(await raw.sendCommand(['MEMORY', 'USAGE', vset, 'SAMPLES', '0']));
      ctx.progress(`${label}: recall@10 ${recall.toFixed(3)}, querying`);
      const rawArgs = (q: Float32Array, nothread = false) => rawVsimArgs(vset, q, index.definition.efRuntime, nothread);
      const ops = ctx.quick ? 300 : 2000;
      const latency = await compare(
        {
          ours: (i) => index.query(SCOPE, queries[i % QUERIES]!, { k: K }),
          raw: (i) => raw.sendCommand(rawArgs(queries[i % QUERIES]!)),
          nothread: (i) => raw.sendCommand(rawArgs(queries[i % QUERIES]!, true)),
        },
        { ops, concurrency: 1 },
      );
      ctx.progress(`${label}: querying at concurrency 8 over 8 connections`);
      const many = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const c = await connect({ url: ctx.redis8Url, commandTimeoutMs: 60_000 });
          const r = createClient({ url: ctx.redis8Url });
          await r.connect();
          return { connection: c, raw: r, index: new VectorSetIndex(c, keyspace, index.definition) };
        }),
      );
      const at = (i: number) => many[i % many.length]!;
      const latency8 = await compare(
        {
          ours: (i) => at(i).index.query(SCOPE, queries[i % QUERIES]!, { k: K }),
          raw: (i) => at(i).raw.sendCommand(rawArgs(queries[i % QUERIES]!)),
          nothread: (i) => at(i).raw.sendCommand(rawArgs(queries[i % QUERIES]!, true)),
        },
        { ops: ops * 4, concurrency: 8 },
      );
      await Promise.all(many.flatMap((m) => [m.connection.close(), m.raw.close()]));
      const id = `vector.vectorset_${quantization}.d${dim}`;
      figures.push(
        figure(
          `${id}.recall_at_10`,
          'recall',
          'higher',
          recall,
          {},
          `${n} vectors, ${QUERIES} queries from the same clusters, EF ${index.definition.efRuntime}`,
        ),
      );
      figures.push(
        figure(
          `${id}.recall_at_10_ood`,
          'recall',
          'higher',
          recallForeign,
          {},
          `${QUERIES} queries from other clusters, EF ${index.definition.efRuntime}`,
        ),
      );
      figures.push(...sampleFigures(`${id}.query_c1`, latency.ours, { 'raw-vsim': latency.raw, 'raw-vsim-nothread': latency.nothread }));
      figures.push(...sampleFigures(`${id}.query_c8`, latency8.ours, { 'raw-vsim': latency8.raw, 'raw-vsim-nothread': latency8.nothread }));
      figures.push(
        figure(`${id}.bytes_per_vector`, 'bytes', 'lower', bytes / n, { 'float32-payload': dim * 4 }, 'MEMORY USAGE of the vector set'),
      );
      figures.push(figure(`${id}.inserts_per_s`, 'items/s', 'higher', insertsPerSecond, {}, 'upsertMany, chunks of 500'));
      await index.dropScope(SCOPE);
    }

    ctx.progress(`vector: flat, a scope of ${FLAT_SCOPE} (dim ${dim})`);
    const flatData = data.slice(0, ctx.quick ? 1_000 : FLAT_SCOPE);
    const flatTruth = queries.map((q) => groundTruth(flatData, q, K));
    const flat = new FlatIndex(connection, keyspace, IndexDefinitionSchema.parse({ namespace: `bench-flat-${dim}`, dim }));
    await flat.ensure();
    await load(flat, flatData, ctx.progress, `flat dim ${dim}`);
    const flatRecall = await recallAt10(flat, queries, flatTruth);
    const flatLatency = await measure((i) => flat.query(SCOPE, queries[i % QUERIES]!, { k: K }), {
      ops: ctx.quick ? 30 : 200,
      concurrency: 1,
      warmup: 5,
    });
    figures.push(
      figure(`vector.flat_5k.d${dim}.recall_at_10`, 'recall', 'higher', flatRecall, {}, `exact: ${FLAT_SCOPE} items scored in the client`),
    );
    figures.push(...sampleFigures(`vector.flat_5k.d${dim}.query_c1`, flatLatency, {}));
    await flat.dropScope(SCOPE);

    if (ctx.redisearchUrl) {
      try {
        figures.push(...(await rediSearchFigures(ctx, dim, data, queries, truth, n)));
      } catch (error) {
        skipped.push(`redisearch at dim ${dim}: failed on REDISEARCH_URL (${(error as Error).message})`);
      }
    }
  }

  figures.push(...(await bulkFigures(ctx, connection, raw, keyspace, prefix)));

  for await (const batch of raw.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (batch.length) await raw.unlink(batch);
  await Promise.all([connection.close(), raw.close()]);
  return { suite: 'vector', figures, skipped };
}

const BULK_DIM = 128;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Bulk insert at dim 128 (NOQUANT, the definition's defaults: M 16, EF 200), each side into an
 * empty set, in rotating order: upsertMany (hash staged, VADD, id set + expiry committed), the
 * raw pipelined VADD of the same items (the cheapest form of the same indexing: no hash, no id
 * set), the raw pipelined VADD … CAS (candidate search on the thread pool; one connection waits
 * for each, so they run one after another), and
 * upsert (one MULTI per 500: VADD inside MULTI runs on the main thread). Chunks of 500 everywhere.
 * On tight clusters and on uneven ones (recall@10 and query latency of the loaded set beside).
 */
async function bulkFigures(
  ctx: SuiteContext,
  connection: Awaited<ReturnType<typeof connect>>,
  raw: { sendCommand(args: (string | Buffer)[]): Promise<unknown>; del(key: string): Promise<unknown> },
  keyspace: Keyspace,
  prefix: string,
): Promise<Figure[]> {
  const n = ctx.quick ? 5_000 : 100_000;
  const rounds = ctx.quick ? 3 : 1;
  const figures: Figure[] = [];
  const rawKey = `${prefix}:rawbulk`;
  const rawLoad = async (data: Float32Array[], cas: boolean): Promise<number> => {
    await raw.del(rawKey);
    const started = performance.now();
    for (let i = 0; i < data.length; i += 500) {
      await Promise.all(
        data
          .slice(i, i + 500)
          .map((v, j) =>
            raw.sendCommand([
              'VADD',
              rawKey,
              'FP32',
              vectorBytes(v),
              `v${i + j}`,
              ...(cas ? ['CAS'] : []),
              'NOQUANT',
              'EF',
              '200',
              'M',
              '16',
            ]),
          ),
      );
    }
    const rate = (data.length / (performance.now() - started)) * 1000;
    await raw.del(rawKey);
    return rate;
  };
  for (const uneven of [false, true]) {
    const shape = uneven ? 'uneven' : 'tight';
    const data = clustered(n, BULK_DIM, BULK_DIM, 1, uneven);
    const rates = { ours: [] as number[], cas: [] as number[], plain: [] as number[], multi: [] as number[] };
    let kept: VectorSetIndex | null = null;
    for (let r = 0; r < rounds; r++) {
      const sides: [keyof typeof rates, () => Promise<number>][] = [
        [
          'ours',
          async () => {
            const index = new VectorSetIndex(
              connection,
              keyspace,
              IndexDefinitionSchema.parse({ namespace: `bulk-${shape}-${r}`, dim: BULK_DIM }),
            );
            await index.ensure();
            const rate = await load(index, data, ctx.progress, `bulk ${shape} round ${r + 1}`);
            if (kept) await kept.dropScope(SCOPE);
            kept = index;
            return rate;
          },
        ],
        ['cas', () => rawLoad(data, true)],
        ['plain', () => rawLoad(data, false)],
        [
          'multi',
          async () => {
            const index = new VectorSetIndex(
              connection,
              keyspace,
              IndexDefinitionSchema.parse({ namespace: `bulkm-${shape}`, dim: BULK_DIM }),
            );
            await index.ensure();
            const rate = await loadByUpsert(index, data);
            await index.dropScope(SCOPE);
            return rate;
          },
        ],
      ];
      for (let s = 0; s < sides.length; s++) {
        const [name, run] = sides[(s + r) % sides.length]!;
        rates[name].push(await run());
      }
      ctx.progress(
        `bulk ${shape} round ${r + 1}: ours ${Math.round(rates.ours.at(-1)!)}/s, raw VADD CAS ${Math.round(rates.cas.at(-1)!)}/s`,
      );
    }
    const id = `vector.vectorset_noquant.d${BULK_DIM}${uneven ? '_uneven' : ''}`;
    figures.push(
      figure(
        `${id}.bulk_inserts_per_s`,
        'items/s',
        'higher',
        median(rates.ours),
        { 'raw-vadd-cas': median(rates.cas), 'raw-vadd': median(rates.plain), 'upsert-multi': median(rates.multi) },
        `${n} ${shape}-cluster vectors into an empty set, chunks of 500, median of ${rounds} rotating round(s)`,
      ),
    );
    const index = kept as VectorSetIndex | null;
    if (!index) continue;
    const queries = clustered(QUERIES, BULK_DIM, BULK_DIM, 2, uneven);
    const truth = queries.map((q) => groundTruth(data, q, K));
    const recall = await recallAt10(index, queries, truth);
    figures.push(
      figure(
        `${id}.recall_at_10`,
        'recall',
        'higher',
        recall,
        {},
        `${n} ${shape}-cluster vectors loaded by upsertMany, EF ${index.definition.efRuntime}`,
      ),
    );
    const vset = keyspace.vector(index.definition.namespace).scope(SCOPE.tag).vectorSet;
    const vsim = (q: Float32Array, nothread: boolean) => raw.sendCommand(rawVsimArgs(vset, q, index.definition.efRuntime, nothread));
    const latency = await compare(
      {
        ours: (i) => index.query(SCOPE, queries[i % QUERIES]!, { k: K }),
        raw: (i) => vsim(queries[i % QUERIES]!, false),
        nothread: (i) => vsim(queries[i % QUERIES]!, true),
      },
      { ops: ctx.quick ? 300 : 2000, concurrency: 1 },
    );
    figures.push(...sampleFigures(`${id}.query_c1`, latency.ours, { 'raw-vsim': latency.raw, 'raw-vsim-nothread': latency.nothread }));
    await index.dropScope(SCOPE);
  }
  return figures;
}

/**
 * The redisearch engine on REDISEARCH_URL against @langchain/redis's RedisVectorStore, on the same
 * server and data, queried in interleaved rounds (measure.ts `compare`) with recall@10 beside each
 * latency: ours at its default EF_RUNTIME (200), ours at LangChain's (10: equal effort), LangChain's
 * store with its defaults, and the raw FT.SEARCH of our own query (what the library adds on top).
 * FLAT (exact) on its own. Runs only where a server has the module; not run on the machine this
 * suite was written on.
 */
async function rediSearchFigures(
  ctx: SuiteContext,
  dim: number,
  data: Float32Array[],
  queries: Float32Array[],
  truth: number[][],
  n: number,
): Promise<Figure[]> {
  const url = ctx.redisearchUrl!;
  const connection = await connect({ url, commandTimeoutMs: 60_000 });
  const raw = createClient({ url });
  await raw.connect();
  const prefix = `benchrs${Date.now().toString(36)}`;
  const keyspace = new Keyspace(prefix);
  const figures: Figure[] = [];
  const ops = ctx.quick ? 300 : 2000;
  // @langchain/redis takes a node-redis v4 client: its own dependency's.
  const nested = createRequire(createRequire(import.meta.url).resolve('@langchain/redis'))('redis') as {
    createClient(o: { url: string }): { connect(): Promise<unknown>; quit(): Promise<unknown> };
  };
  const client = nested.createClient({ url });
  await client.connect();
  try {
    const flat = new RediSearchIndex(
      connection,
      keyspace,
      IndexDefinitionSchema.parse({ namespace: `bench-rs-flat-${dim}`, dim, algorithm: 'flat' }),
    );
    await flat.ensure();
    const flatInserts = await load(flat, data, ctx.progress, `redisearch flat dim ${dim}`);
    const flatRecall = await recallAt10(flat, queries, truth);
    const flatLatency = await measure((i) => flat.query(SCOPE, queries[i % QUERIES]!, { k: K }), { ops, concurrency: 1 });
    figures.push(figure(`vector.redisearch_flat.d${dim}.recall_at_10`, 'recall', 'higher', flatRecall, {}, `${n} vectors, exact`));
    figures.push(figure(`vector.redisearch_flat.d${dim}.inserts_per_s`, 'items/s', 'higher', flatInserts, {}, 'batches of 500'));
    figures.push(...sampleFigures(`vector.redisearch_flat.d${dim}.query_c1`, flatLatency, {}));
    await flat.dropScope(SCOPE);

    const hnsw = new RediSearchIndex(connection, keyspace, IndexDefinitionSchema.parse({ namespace: `bench-rs-hnsw-${dim}`, dim }));
    await hnsw.ensure();
    const inserts = await load(hnsw, data, ctx.progress, `redisearch hnsw dim ${dim}`);
    const unused = { embedQuery: async () => [] as number[], embedDocuments: async () => [] as number[][] };
    const theirs = new RedisVectorStore(unused, {
      redisClient: client as never,
      indexName: `${prefix}-lc-${dim}`,
      keyPrefix: `${prefix}:lc:${dim}:`,
    });
    ctx.progress(`@langchain/redis RedisVectorStore dim ${dim}: loading`);
    for (let i = 0; i < data.length; i += 500) {
      const slice = data.slice(i, i + 500);
      await theirs.addVectors(
        slice.map((v) => Array.from(v)),
        slice.map((_, j) => new Document({ pageContent: String(i + j) })),
        { keys: slice.map((_, j) => `${prefix}:lc:${dim}:v${i + j}`) },
      );
    }
    const alias = hnsw.indexName;
    const efDefault = hnsw.definition.efRuntime;
    const EF_LANGCHAIN = 10;
    const rawArgs = (q: Float32Array) => buildKnnSearchArgs(alias, SCOPE.token, undefined, K, efDefault, vectorBytes(q)) as string[];
    const recallOf = async (search: (q: Float32Array) => Promise<string[]>) => {
      let found = 0;
      for (const [q, query] of queries.entries()) {
        const want = new Set(truth[q]!.map((i) => `v${i}`));
        found += (await search(query)).filter((id) => want.has(id)).length;
      }
      return found / (queries.length * K);
    };
    const ids = {
      ours: (q: Float32Array) => hnsw.query(SCOPE, q, { k: K }).then((hits) => hits.map((h) => h.id)),
      oursEf10: (q: Float32Array) => hnsw.query(SCOPE, q, { k: K, ef: EF_LANGCHAIN }).then((hits) => hits.map((h) => h.id)),
      langchain: (q: Float32Array) =>
        theirs.similaritySearchVectorWithScore(Array.from(q), K).then((hits) => hits.map(([doc]) => `v${doc.pageContent}`)),
    };
    const recall = { ours: await recallOf(ids.ours), oursEf10: await recallOf(ids.oursEf10), langchain: await recallOf(ids.langchain) };
    ctx.progress(
      `redisearch hnsw dim ${dim}: recall@10 ${recall.ours.toFixed(3)} (EF ${efDefault}), ${recall.oursEf10.toFixed(3)} (EF ${EF_LANGCHAIN}), langchain ${recall.langchain.toFixed(3)}; querying, interleaved`,
    );
    const latency = await compare(
      {
        ours: (i) => hnsw.query(SCOPE, queries[i % QUERIES]!, { k: K }),
        oursEf10: (i) => hnsw.query(SCOPE, queries[i % QUERIES]!, { k: K, ef: EF_LANGCHAIN }),
        langchain: (i) => theirs.similaritySearchVectorWithScore(Array.from(queries[i % QUERIES]!), K),
        raw: (i) => raw.sendCommand(rawArgs(queries[i % QUERIES]!)),
      },
      { ops, concurrency: 1 },
    );
    const id = `vector.redisearch_hnsw.d${dim}`;
    figures.push(
      figure(
        `${id}.recall_at_10`,
        'recall',
        'higher',
        recall.ours,
        { [`ours-ef${EF_LANGCHAIN}`]: recall.oursEf10, 'langchain-redis': recall.langchain },
        `${n} vectors, EF_RUNTIME ${efDefault} (ours), ${EF_LANGCHAIN} (ours at LangChain's effort; LangChain's default)`,
      ),
    );
    figures.push(figure(`${id}.inserts_per_s`, 'items/s', 'higher', inserts, {}, 'batches of 500'));
    figures.push(...sampleFigures(`${id}.query_c1`, latency.ours, { 'raw-ft-search': latency.raw, 'langchain-redis': latency.langchain }));
    figures.push(...sampleFigures(`${id}.query_c1_ef${EF_LANGCHAIN}`, latency.oursEf10, { 'langchain-redis': latency.langchain }));
    await hnsw.dropScope(SCOPE);
    await theirs.dropIndex(true);
  } finally {
    await client.quit();
    for await (const batch of connection.scan(`${prefix}*`)) await connection.send(['UNLINK', ...batch], { key: batch[0] });
    await Promise.all([connection.close(), raw.close()]);
  }
  return figures;
}
