// `redis-agent-memory migrate` with the real binary on Redis 8 and the cluster: plain progress
// lines off a TTY, and resumability: a run killed with SIGKILL mid-way and started again continues
// from its checkpoint and ends with exactly the data of an undisturbed run (nothing twice, nothing lost).
import { mapChatMessagesToStoredMessages } from '@langchain/core/messages';
import { AIMessage, HumanMessage } from '@langchain/core/messages';
import { RedisVectorStore } from '@langchain/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import type { AgentMemory } from '../../src/index.js';
import { namespaceScopes } from '../../src/inspect.js';
import { deletePrefix, redis8Targets, targetsWithCluster, uniquePrefix } from '../harness/index.js';
import { embedder, openMemory } from './fixture.js';
import { run, start, targetArgs } from './run.js';

const targets = targetsWithCluster().filter((t) => t.name === 'cluster' || redis8Targets().some((r) => r.name === t.name));
const USERS = 4;
const PER_USER = 50;

describe.each(targets.map((t) => [t.name, t] as const))('cli migrate on %s', (_, target) => {
  const prefix = uniquePrefix('cm');
  let memory: AgentMemory;
  const args = (...rest: string[]) => [...targetArgs(target, prefix), ...rest];

  /** Every memory of a namespace by scope, as [scope, id, text, createdAt, expiresAt], sorted; and the engine's own count. */
  async function contents(namespace: string) {
    const lt = await memory.longTerm({ namespace, embedder: new HashingEmbeddings(namespace === 'old' ? 64 : 32) });
    const rows: string[] = [];
    let counted = 0;
    for (const { tag } of await namespaceScopes(memory.connection, memory.keys, namespace)) {
      const userId = tag.slice(1, -1).split(':')[1]!;
      const scope = memory.keys.memoryScope({ tenant: 'acme', userId });
      counted += await lt.index.count(scope);
      for (const id of await lt.index.ids(scope)) {
        const m = (await lt.get({ tenant: 'acme', userId }, id))!;
        rows.push(JSON.stringify([tag, m.id, m.text, m.createdAt, m.expiresAt]));
      }
    }
    return { rows: rows.sort(), counted };
  }

  beforeAll(async () => {
    memory = await openMemory(target, prefix);
    const old = await memory.longTerm({ namespace: 'old', embedder });
    for (let u = 0; u < USERS; u++) {
      await old.rememberMany(
        { tenant: 'acme', userId: `u${u}` },
        Array.from({ length: PER_USER }, (_, i) => ({ id: `m${String(i).padStart(3, '0')}`, text: `user ${u} fact number ${i}` })),
        { dedupe: false },
      );
    }
  });

  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await memory.close();
  });

  it('an undisturbed run copies everything and prints plain progress lines off a TTY', async () => {
    const result = await run(
      args('--json', 'migrate', 'memory', '--from', 'old', '--to', 'ref', '--embedder', 'hashing', '--dim', '32', '--batch-size', '20'),
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`^migrated ${USERS * PER_USER}/${USERS * PER_USER} \\(\\d+/s, ETA 0s\\)$`, 'm'));
    expect(result.stderr).not.toContain('\r');
    expect(JSON.parse(result.stdout)).toMatchObject({ finished: true, migrated: USERS * PER_USER, resumed: 0, total: USERS * PER_USER });
    const again = await run(args('migrate', 'memory', '--from', 'old', '--to', 'ref', '--embedder', 'hashing', '--dim', '32'));
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already finished');
  });

  it('killed with SIGKILL mid-way, a second run resumes and ends with the same data', async () => {
    const migrateArgs = args(
      '--json',
      'migrate',
      'memory',
      '--from',
      'old',
      '--to',
      'new',
      '--embedder',
      'hashing',
      '--dim',
      '32',
      '--batch-size',
      '10',
    );
    const child = start([...migrateArgs, '--rate', '100']);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal === 'SIGKILL' ? -9 : _code)));
    const key = memory.keys.migrationCheckpoint('memory.old.new');
    const doneSoFar = async () => {
      const fields = await memory.connection.send<Record<string, string> | string[]>(['HGETALL', key], { key });
      const values = Array.isArray(fields) ? fields.filter((_, i) => i % 2 === 1) : Object.values(fields ?? {});
      return values.reduce((a, v) => a + Number(v), 0);
    };
    const deadline = Date.now() + 15_000;
    while ((await doneSoFar()) < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    expect(await exited).toBe(-9);
    const atKill = await doneSoFar();
    expect(atKill).toBeGreaterThanOrEqual(60);
    expect(atKill).toBeLessThan(USERS * PER_USER); // really mid-way

    const resumed = await run(migrateArgs);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('resuming migration memory.old.new');
    const report = JSON.parse(resumed.stdout);
    expect(report.resumed).toBeGreaterThanOrEqual(atKill);
    expect(report.migrated).toBe(USERS * PER_USER - report.resumed);

    const [copied, reference, source] = await Promise.all([contents('new'), contents('ref'), contents('old')]);
    expect(copied.rows).toHaveLength(USERS * PER_USER);
    expect(copied.counted).toBe(USERS * PER_USER);
    expect(copied.rows).toEqual(reference.rows.map((r) => r)); // same as the undisturbed run
    expect(copied.rows).toEqual(source.rows);
  });

  it('imports @langchain/redis chat lists into sessions, once', async () => {
    const lists = ['lc-chat-1', 'lc-chat-2', 'message_store:3'];
    for (const key of lists) {
      const stored = mapChatMessagesToStoredMessages([new HumanMessage(`hi from ${key}`), new AIMessage('hello')]);
      // RedisChatMessageHistory LPUSHes: the head is the newest.
      await memory.connection.send(['LPUSH', key, ...stored.map((m) => JSON.stringify(m))], { key });
    }
    try {
      const first = await run(args('--json', 'migrate', 'langchain-chat', '--match', 'lc-chat-*', '--user', 'carol', '--tenant', 'acme'));
      expect(first.stderr).toMatch(/^imported 2\/2 /m);
      expect(JSON.parse(first.stdout)).toMatchObject({ lists: 2, appended: 4, resumed: 0 });
      const messages = await memory.sessions.session({ tenant: 'acme', userId: 'carol', sessionId: 'lc-chat-1' }).messages();
      expect(messages.map((m) => [m.role, m.content])).toEqual([
        ['user', 'hi from lc-chat-1'],
        ['assistant', 'hello'],
      ]);
      const restarted = await run(
        args('--json', 'migrate', 'langchain-chat', '--match', 'lc-chat-*', '--user', 'carol', '--tenant', 'acme', '--restart'),
      );
      expect(JSON.parse(restarted.stdout)).toMatchObject({ lists: 2, appended: 0 }); // nothing twice
      const odd = await run(
        args('--json', 'migrate', 'langchain-chat', '--match', 'message_store:*', '--user', 'carol', '--tenant', 'acme'),
      );
      expect(JSON.parse(odd.stdout)).toMatchObject({ lists: 1, appended: 2 });
    } finally {
      for (const key of lists) await memory.connection.send(['UNLINK', key], { key });
    }
  });

  it('imports a @langchain/redis RedisVectorStore’s hashes into a namespace, the same ids again on a rerun', async () => {
    const encoders = new RedisVectorStore(new HashingEmbeddings(32), { redisClient: undefined as never, indexName: 'x' });
    const base = `lcdocs-${prefix}:`;
    const texts = ['Lyon is on the Rhône', 'Bananas are rich in potassium', 'Oslo is in Norway'];
    for (const [i, text] of texts.entries()) {
      const key = `${base}${i}`;
      const vector = encoders['getFloat32Buffer'](await new HashingEmbeddings(32).embedQuery(text));
      await memory.connection.send(
        ['HSET', key, 'content', text, 'metadata', encoders['escapeSpecialChars']('{"n":1}'), 'content_vector', vector],
        { key },
      );
    }
    const importArgs = args(
      '--json',
      'migrate',
      'langchain-vectors',
      '--key-prefix',
      base,
      '--namespace',
      'docs',
      '--user',
      'carol',
      '--tenant',
      'acme',
      '--embedder',
      'hashing',
      '--dim',
      '32',
    );
    try {
      const first = await run(importArgs);
      expect(first.stderr).toBe('');
      expect(JSON.parse(first.stdout)).toMatchObject({ imported: 3, skipped: [] });
      expect((await run(importArgs)).stdout).toContain('"finished": true');
      const again = await run([...importArgs, '--restart']);
      expect(JSON.parse(again.stdout)).toMatchObject({ imported: 3 });
      const docs = await memory.longTerm({ namespace: 'docs', embedder: new HashingEmbeddings(32) });
      expect(await docs.count({ tenant: 'acme', userId: 'carol' })).toBe(3); // the same ids, not six
      const [top] = await docs.recall({ tenant: 'acme', userId: 'carol' }, 'Which river flows through Lyon?', { k: 1 });
      expect(top!.text).toBe('Lyon is on the Rhône');
    } finally {
      for (const i of texts.keys()) await memory.connection.send(['UNLINK', `${base}${i}`], { key: `${base}${i}` });
    }
  });
});
