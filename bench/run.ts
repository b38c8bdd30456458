// `npm run bench [-- <suite>] [--quick]`: starts the servers (or uses REDIS_URL), runs the suites,
// prints one line a figure with its ratios, and writes bench/results/latest.json and latest.md.
// Speed is judged here, by ratios against baselines run side by side, never in the test suite.
import { fileURLToPath } from 'node:url';
import { binaryVersion, findRedisServer, startRedis, type LocalRedis } from '../scripts/local-redis.js';
import { findPgvector, startPostgres, type LocalPostgres } from '../scripts/local-postgres.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { machine, markdown, replaceReport, summaryLine, writeReport, type Report, type SuiteResult } from './lib/report.js';
import { cacheSuite } from './suites/cache.js';
import { checkpointSuite } from './suites/checkpoint.js';
import { eventsSuite } from './suites/events.js';
import { memorySuite } from './suites/memory.js';
import { rememberSuite } from './suites/remember.js';
import { semanticCacheSuite } from './suites/semantic-cache.js';
import { sessionSuite } from './suites/session.js';
import { telemetrySuite } from './suites/telemetry.js';
import { tieredSuite } from './suites/tiered.js';
import { vectorSuite } from './suites/vector.js';

export interface SuiteContext {
  redis8Url: string;
  /** A server with the RediSearch module (REDISEARCH_URL), or null. */
  redisearchUrl: string | null;
  /**
   * A PostgreSQL with the `vector` extension created (POSTGRES_URL, else one started here like
   * Redis 8). The checkpoint suite's baseline keeps its own choice (POSTGRES_URL, else 127.0.0.1:5432).
   */
  postgresUrl: string;
  quick: boolean;
  progress(line: string): void;
}

const SUITES: Record<string, (ctx: SuiteContext) => Promise<SuiteResult>> = {
  session: sessionSuite,
  checkpoint: checkpointSuite,
  cache: cacheSuite,
  vector: vectorSuite,
  'semantic-cache': semanticCacheSuite,
  memory: memorySuite,
  remember: rememberSuite,
  events: eventsSuite,
  tiered: tieredSuite,
  telemetry: telemetrySuite,
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
// A full run of every suite is the report of record: it replaces the one in bench/README.md.
const ofRecord = !quick && args.every((a) => a.startsWith('--'));
const wanted = args.filter((a) => !a.startsWith('--'));
for (const name of wanted) if (!SUITES[name]) throw new Error(`unknown suite ${name}; suites: ${Object.keys(SUITES).join(', ')}`);

const started: (LocalRedis | LocalPostgres)[] = [];
let redis8Url = process.env.REDIS_URL;
const versions: Record<string, string> = {};
if (!redis8Url) {
  const binary = findRedisServer(8)!;
  const server = await startRedis(binary);
  started.push(server);
  redis8Url = server.url;
  versions.redis8 = server.version;
} else {
  versions.external = 'REDIS_URL';
}
let postgresUrl = process.env.POSTGRES_URL;
if (!postgresUrl) {
  const server = await startPostgres(findPgvector()!);
  started.push(server);
  postgresUrl = server.url;
}
const redis7 = findRedisServer(7);
if (redis7) versions.redis7 = binaryVersion(redis7) ?? 'unknown';

const report: Report = { machine: machine(versions), figures: [], skipped: {} };
const t0 = Date.now();
const progress = (line: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
try {
  for (const [name, run] of Object.entries(SUITES)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    progress(`suite ${name}${quick ? ' (quick)' : ''}`);
    const result = await run({ redis8Url, redisearchUrl: process.env.REDISEARCH_URL ?? null, postgresUrl, quick, progress });
    report.figures.push(...result.figures);
    if (result.skipped.length) report.skipped[name] = result.skipped;
    for (const f of result.figures) console.log(summaryLine(f));
    for (const reason of result.skipped) console.log(`${name}: skipped: ${reason}`);
  }
} finally {
  await Promise.all(started.map((s) => s.stop()));
}
const dir = fileURLToPath(new URL('./results', import.meta.url));
writeReport(report, dir);
console.log(`\nwrote ${dir}/latest.json and latest.md`);
if (ofRecord) {
  const readme = fileURLToPath(new URL('./README.md', import.meta.url));
  writeFileSync(readme, replaceReport(readFileSync(readme, 'utf8'), markdown(report)));
  console.log(`updated the latest full report in ${readme}`);
}
