// `redis-agent-memory worker` on Redis 8 and the cluster: the real binary consumes a conversation's
// events and writes its memories, prints its stats, and on SIGTERM stops gracefully with exit code 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentMemory } from '../../src/index.js';
import { deletePrefix, redis8Targets, targetsWithCluster, uniquePrefix } from '../harness/index.js';
import { openMemory } from './fixture.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { fileURLToPath } from 'node:url';
import { start, targetArgs } from './run.js';

/** Starts the binary and collects its stdout as it comes. */
function run(args: string[]) {
  const child = start(args);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { child, stdout: () => out, code };
}

const targets = targetsWithCluster().filter((t) => t.name === 'cluster' || redis8Targets().some((r) => r.name === t.name));

describe.each(targets.map((t) => [t.name, t] as const))('cli worker on %s', (_, target) => {
  const prefix = uniquePrefix('cw');
  let memory: AgentMemory;

  beforeAll(async () => {
    memory = await openMemory(target, prefix);
  });

  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await memory.close();
  });

  it('turns a conversation into memories, reports stats, and exits 0 on SIGTERM', async () => {
    const child = start([
      ...targetArgs(target, prefix),
      'worker',
      '--namespace',
      'learned',
      '--embedder',
      'hashing',
      '--dim',
      '64',
      '--stats-every',
      '0.2',
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = async (ok: () => boolean | Promise<boolean>, what: string) => {
      const deadline = Date.now() + 15_000;
      while (!(await ok())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stdout: ${stdout}; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until(() => stdout.includes('started'), 'the worker to start');
      const user = { tenant: 'acme', userId: 'dana' };
      await memory.sessions.session({ ...user, sessionId: 's1' }).append([
        { role: 'user', content: 'I live in Oslo' },
        { role: 'assistant', content: 'Nice!' },
      ]);
      const learned = await memory.longTerm({ namespace: 'learned', embedder: new HashingEmbeddings(64) });
      await until(async () => (await learned.count(user)) > 0, 'a memory');
      const [best] = await learned.recall(user, 'where does dana live', { k: 1 });
      expect(best!.text).toMatch(/Oslo/);
      await until(() => /handled [1-9]\d* events and \d+ idle sessions, wrote [1-9]\d* memories/.test(stdout), 'a stats line');
      expect(stdout).toMatch(/pending \d+, lag \S+, dead letters 0/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('stopped (SIGTERM)');
    expect(stderr).toBe('');
  });

  it('--module plugs in the application’s embedder and extractor; SIGINT stops it too', async () => {
    const module = fileURLToPath(new URL('./fixtures/setup.mjs', import.meta.url));
    const result = run([
      ...targetArgs(target, prefix),
      '--json',
      'worker',
      '--namespace',
      'echoed',
      '--module',
      module,
      '--stats-every',
      '0',
    ]);
    const child = result.child;
    const user = { tenant: 'acme', userId: 'eve' };
    const echoed = async () => memory.longTerm({ namespace: 'echoed', embedder: new HashingEmbeddings(48) });
    const deadline = Date.now() + 15_000;
    while (!result.stdout().includes('"started"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await memory.sessions.session({ ...user, sessionId: 's1' }).append([{ role: 'user', content: 'tabs over spaces' }]);
    let texts: string[] = [];
    while (texts.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      texts = (await (await echoed()).recall(user, 'tabs', { k: 5 })).map((m) => m.text);
    }
    child.kill('SIGINT');
    expect(await result.code).toBe(0);
    expect(texts).toEqual(['The user said: tabs over spaces']);
    const lines = result
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'started', namespace: 'echoed', group: 'extraction' });
    expect(lines.at(-1)).toMatchObject({ event: 'stopped', signal: 'SIGINT' });
  });
});
