// `redis-agent-memory worker` on Redis 8 and the cluster: the real binary consumes a conversation's
// events and writes its memories, prints its stats, and on SIGTERM stops gracefully with exit code 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentMemory } from '../../src/index.js';
import { deletePrefix, redis8Targets, targetsWithCluster, uniquePrefix } from '../harness/index.js';
import { openMemory } from './fixture.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { start, targetArgs } from './run.js';

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
      await until(() => /handled [1-9]\d* events, wrote [1-9]\d* memories/.test(stdout), 'a stats line');
      expect(stdout).toMatch(/pending \d+, lag \S+, dead letters 0/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('stopped (SIGTERM)');
    expect(stderr).toBe('');
  });
});
