// Every ```ts sample of README.md and docs/*.md compiles against the built package, as a user's code
// would (convention: docs/README.md). The checker is tested first on fixtures, so that a green run
// means the samples compile, not that nothing was checked.
import { afterAll, describe, expect, it } from 'vitest';
import { checkSamples, defaultPages, extractSamples, formatFailures, readSamples } from './samples-check.js';

const FIXTURE = [
  '# A page',
  '<!-- page-setup (a label, not code)',
  'declare const shared: number;',
  '-->',
  '',
  '```ts',
  'const doubled: number = shared * 2;',
  '```',
  '',
  '<!-- setup: declare const name: string; -->',
  '',
  '```typescript',
  'const upper: string = name.toUpperCase();',
  '```',
  '',
  '- in a list:',
  '',
  '  ```ts',
  '  const doubled: string = shared;',
  '  ```',
  '',
  'Inline ```` ```ts ```` is no fence.',
  '',
  '```sh',
  'this is not typescript',
  '```',
  '',
  '```ts',
  'const fine = await Promise.resolve(shared);',
  'console.log(fine, name);',
  '```',
  '',
  '```ts',
  "import { nothing } from 'redis-agent-memory/no-such-entry';",
  '```',
].join('\n');

describe('the sample checker', () => {
  const samples = extractSamples('fixture.md', FIXTURE);

  it('extracts ts blocks only, with page setup everywhere and block setup where it stands', () => {
    expect(samples.map((s) => [s.block, s.line])).toEqual([
      [1, 6],
      [2, 12],
      [3, 18],
      [4, 28],
      [5, 33],
    ]);
    expect(samples.every((s) => s.source.startsWith('declare const shared: number;\n'))).toBe(true);
    expect(samples.map((s) => s.source.includes('declare const name'))).toEqual([false, true, false, false, false]);
    expect(samples[2]!.source).toContain('\nconst doubled: string = shared;\n');
  });

  it('fails exactly the broken blocks, naming page, block and page line', () => {
    const result = checkSamples(samples);
    expect(result.otherErrors).toEqual([]);
    expect(result.failures.map((f) => [f.sample.block, f.errors.map((e) => [e.line, e.code])])).toEqual([
      [3, [[19, 'TS2322']]], // a number is not a string
      [4, [[30, 'TS2304']]], // `name` was set up for block 2 only
      [5, [[34, 'TS2307']]], // a subpath package.json does not export
    ]);
    expect(result.failures.map((f) => f.awaitsExports)).toEqual([false, false, true]);
    expect(formatFailures(result)).toContain('fixture.md block 3 (line 18)');
    expect(formatFailures(result)).toMatch(/waiting for a subpath[\s\S]*fixture\.md block 5/);
  }, 120_000);
});

describe('the documentation samples', () => {
  const pages = defaultPages();
  const samples = readSamples(pages);
  let report = '';
  afterAll(() => {
    if (report) console.log(report);
  });

  it('are found on the README and the docs pages', () => {
    expect(pages).toContain('README.md');
    expect(pages).toContain('docs/sessions.md');
    expect(samples.length).toBeGreaterThanOrEqual(15);
    expect(new Set(samples.map((s) => s.page)).size).toBeGreaterThanOrEqual(7);
  });

  it('all compile', () => {
    const result = checkSamples(samples);
    report = formatFailures(result);
    const failing = result.failures.map((f) => `${f.sample.page} block ${f.sample.block} (line ${f.sample.line})`);
    expect(result.otherErrors, report).toEqual([]);
    expect(failing, report).toEqual([]);
  }, 180_000);
});
