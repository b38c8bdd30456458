// `@azure/identity` is an optional peer that only the `/azure` entry loads, and only when an
// entraId() without a credential asks for its first token. Each case runs in a child process under
// a resolve hook that records every module asked for, so nothing this test process loaded counts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

type Line = { mark: string } | { specifier: string; parent?: string | null; url?: string };

const dir = mkdtempSync(join(tmpdir(), 'am-graph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs load-entry.ts with `mode`; returns the log split at its marks: step name → lines before it. */
function load(mode: 'core' | 'azure'): Map<string, Line[]> {
  const log = join(dir, `${mode}.jsonl`);
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', './test/azure/fixtures/record-resolutions.mjs', 'test/azure/fixtures/load-entry.ts', mode],
    { env: { ...process.env, RESOLUTIONS_LOG: log }, encoding: 'utf8', timeout: 60_000 },
  );
  expect(run.status, run.stderr).toBe(0);
  const steps = new Map<string, Line[]>();
  let current: Line[] = [];
  for (const text of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
    const line = JSON.parse(text) as Line;
    if ('mark' in line) {
      steps.set(line.mark, current);
      current = [];
    } else current.push(line);
  }
  return steps;
}

const azureIdentity = (lines: Line[]) =>
  lines.filter((l) => 'specifier' in l && (l.specifier === '@azure/identity' || /[\\/]@azure[\\/]identity[\\/]/.test(l.url ?? '')));

const ourFiles = (lines: Line[]) =>
  lines.flatMap((l) =>
    'url' in l && l.url?.includes('/src/') && !l.url.includes('/node_modules/') ? [l.url.replace(/^.*\/src\//, 'src/')] : [],
  );

describe('the module graph', () => {
  it('the core entry never resolves @azure/identity, even parsing a token auth', () => {
    const steps = load('core');
    const lines = steps.get('core imported')!;
    expect(ourFiles(lines)).toContain('src/connection/config.ts'); // the hook saw the core load
    expect(azureIdentity(lines)).toEqual([]);
    // Of src/azure/, the core loads only the dependency-free Azure Managed Redis host rules.
    expect([...new Set(ourFiles(lines).filter((f) => f.startsWith('src/azure')))]).toEqual(['src/azure/managed-redis.ts']);
  }, 60_000);

  it('the /azure entry resolves it only when entraId() without a credential asks for a token', () => {
    const steps = load('azure');
    expect(ourFiles(steps.get('azure imported')!)).toContain('src/azure/entra-id.ts');
    expect(azureIdentity(steps.get('azure imported')!)).toEqual([]);
    expect(azureIdentity(steps.get('entraId built')!)).toEqual([]); // building the config loads nothing
    const asked = azureIdentity(steps.get('token asked')!);
    expect(asked.some((l) => 'url' in l && l.url !== undefined)).toBe(true);
    expect(asked[0]).toMatchObject({ specifier: '@azure/identity', parent: expect.stringMatching(/\/src\/azure\/entra-id\.ts$/) });
  }, 60_000);
});
