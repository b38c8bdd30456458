// Checks the documentation's code samples without the test harness (no Redis servers started):
// `node scripts/docs-samples.mjs [--keep] [page.md ...]`. The extractor and checker live in
// test/docs/samples-check.ts (loaded through tsx); test/docs/samples.test.ts runs the same check.
// Needs a build (`npm run build`): samples import `redis-agent-memory` as users do, from dist/.
import { register } from 'tsx/esm/api';

register();
const { checkSamples, defaultPages, formatFailures, readSamples } = await import('../test/docs/samples-check.ts');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const pages = args.filter((a) => !a.startsWith('--'));
const samples = readSamples(pages.length ? pages : defaultPages());
const result = checkSamples(samples, { keep });
const count = (list) => new Set(list.map((s) => s.page)).size;
console.log(
  `${samples.length} ts samples on ${count(samples)} pages; ${samples.length - result.failures.length} compile, ${result.failures.length} do not.`,
);
if (result.failures.length || result.otherErrors.length) {
  console.log(formatFailures(result));
  process.exitCode = 1;
}
