// The `logger` option: background failures and advice reach the caller's pino-shaped logger (fields
// first, then the message), never process warnings, and never carry contents or user ids; without
// the option they stay process warnings. Real servers: a harness target and a Redis 8 at maxmemory.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createAgentMemory, type AgentMemory } from '../../src/agent-memory.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { AgentMemoryError, OutOfMemoryError } from '../../src/errors.js';
import { FLAT_SCOPE_WARNING } from '../../src/vector/engines/flat.js';
import { harness, memoryConfig, ownRedis8, targets, uniquePrefix } from '../harness/index.js';
import type { LogFields, Logger } from '../../src/observe/logger.js';

type Line = { level: keyof Logger; fields: LogFields; message: string };

/** A logger that keeps what it is given, as a test double of pino (the library only calls it). */
function capture(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: keyof Logger) =>
    (fields: LogFields, message: string): void => {
      lines.push({ level, fields, message });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Process warnings raised while `act` runs (and shortly after, for work left in the background). */
async function processWarnings(act: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const listen = (w: Error) => seen.push(w.message);
  process.on('warning', listen);
  try {
    await act();
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off('warning', listen);
  }
  return seen;
}

const SECRET_TEXT = 'my locker code is 7741';
const USER = { tenant: 'acme', userId: 'user-9f3c' };

describe('logger option', () => {
  const target = targets()[0]!;
  const opened: AgentMemory[] = [];
  afterAll(async () => Promise.all(opened.map((m) => m.close())));
  const open = async (logger?: Logger): Promise<AgentMemory> => {
    const { config } = memoryConfig(target);
    const memory = await createAgentMemory({ ...config, prefix: uniquePrefix('log'), ...(logger ? { logger } : {}) });
    opened.push(memory);
    return memory;
  };

  it('is refused unless it has the four levels', async () => {
    const { config } = memoryConfig(target);
    await expect(createAgentMemory({ ...config, logger: { warn: () => undefined } as unknown as Logger })).rejects.toThrow(
      /logger.*debug, info, warn and error/,
    );
  });

  it('takes the flat engine’s size advice, with fields and no contents, instead of a process warning', async () => {
    const logger = capture();
    const memory = await open(logger);
    const facts = await memory.longTerm({ embedder: new HashingEmbeddings(8), engine: 'flat' });
    const inputs = Array.from({ length: FLAT_SCOPE_WARNING + 1 }, (_, i) => ({ text: `${SECRET_TEXT} #${i}` }));
    await facts.rememberMany(USER, inputs, { bulk: true, dedupe: false });
    const warnings = await processWarnings(() => facts.recall(USER, 'locker', { k: 1 }));

    expect(warnings.filter((w) => w.includes('redis-agent-memory'))).toEqual([]);
    const advice = logger.lines.filter((l) => l.fields.component === 'vector');
    expect(advice).toHaveLength(1);
    expect(advice[0]).toMatchObject({ level: 'warn', fields: { engine: 'flat', items: FLAT_SCOPE_WARNING + 1 } });
    expect(advice[0]!.message).toMatch(/flat engine scores 10001 items/);
    const logged = JSON.stringify(logger.lines);
    for (const secret of ['locker code', USER.userId, USER.tenant]) expect(logged).not.toContain(secret);
    // Duplicates (subscribers, consumer readers) report to the same logger.
    const duplicate = await memory.connection.duplicate();
    expect(duplicate.logger).toBe(logger);
    await duplicate.close();
  });

  it('is a pino logger as it is: JSON lines with the fields', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const memory = await open(pino({ level: 'debug' }, sink).child({ lib: 'agent-memory' }));
    const facts = await memory.longTerm({ embedder: new HashingEmbeddings(8), engine: 'flat' });
    const inputs = Array.from({ length: FLAT_SCOPE_WARNING + 1 }, (_, i) => ({ text: `${SECRET_TEXT} #${i}` }));
    const user = { userId: 'pino-user' }; // the flat engine advises once per scope and process
    await facts.rememberMany(user, inputs, { bulk: true, dedupe: false });
    await facts.recall(user, 'locker', { k: 1 });
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, lib: 'agent-memory', component: 'vector', engine: 'flat', items: FLAT_SCOPE_WARNING + 1 }),
    ]);
    expect(lines[0]!.msg).toMatch(/^the flat engine scores 10001 items/);
  });

  it('is process warnings by default', async () => {
    const memory = await open();
    const facts = await memory.longTerm({ embedder: new HashingEmbeddings(8), engine: 'flat' });
    const user = { userId: 'default-logger' };
    await facts.rememberMany(
      user,
      Array.from({ length: FLAT_SCOPE_WARNING + 1 }, (_, i) => ({ text: `fact ${i}` })),
      { bulk: true, dedupe: false },
    );
    const warnings = await processWarnings(() => facts.recall(user, 'fact', { k: 1 }));
    expect(warnings.filter((w) => w.startsWith('redis-agent-memory: the flat engine scores 10001 items'))).toHaveLength(1);
  });
});

describe.runIf(harness().binaries.redis8)('logger and outages', () => {
  const own = ownRedis8();

  it('hears of an outage once at warn (the attempts after it at debug) and of the return at info, per connection', async () => {
    const logger = capture();
    const memory = await createAgentMemory({ redis: { url: own.server.url }, prefix: uniquePrefix('out'), logger });
    try {
      const subscriber = memory.cache({ name: 'near', nearCache: { maxEntries: 10 } });
      await subscriber.listen();
      await own.server.kill();
      await new Promise((r) => setTimeout(r, 400)); // a few reconnect attempts
      await own.server.restart();
      for (let i = 0; i < 100 && logger.lines.filter((l) => l.level === 'info').length < 2; i++)
        await new Promise((r) => setTimeout(r, 50));
      const of = (level: keyof Logger) => logger.lines.filter((l) => l.level === level && l.fields.component === 'connection');
      // The main connection and the near cache's subscriber: one warning and one return each.
      expect(
        of('warn')
          .map((l) => l.fields.role)
          .sort(),
      ).toEqual(['main', 'subscriber']);
      expect(
        of('info')
          .map((l) => l.fields.role)
          .sort(),
      ).toEqual(['main', 'subscriber']);
      for (const line of of('warn')) {
        expect(line.message).toBe(`connection to ${own.server.url} lost; reconnecting`);
        expect(line.fields.err).toBeInstanceOf(AgentMemoryError);
      }
      for (const line of of('info')) expect(line.fields.downMs).toBeGreaterThanOrEqual(400);
      expect(of('debug').length).toBeGreaterThan(0);
      expect(await memory.health()).toMatchObject({ ok: true });
    } finally {
      await memory.close();
    }
  });

  it('stays out of a client of your own', async () => {
    const logger = capture();
    const { createClient } = await import('@redis/client');
    const client = createClient({ url: own.server.url, RESP: 3 });
    client.on('error', () => undefined);
    const memory = await createAgentMemory({ client, prefix: uniquePrefix('own'), logger });
    try {
      await own.server.kill();
      await new Promise((r) => setTimeout(r, 200));
      await own.server.restart();
      for (let i = 0; i < 100 && !client.isReady; i++) await new Promise((r) => setTimeout(r, 50));
      expect(logger.lines.filter((l) => l.fields.component === 'connection')).toEqual([]);
    } finally {
      await memory.close();
      await client.close();
    }
  });
});

describe.runIf(harness().binaries.redis8)('logger at maxmemory', () => {
  const own = ownRedis8(['--maxmemory-policy', 'noeviction']);

  it('gets the failed background access record of a recall, with its error, while the recall answers', async () => {
    const logger = capture();
    const memory = await createAgentMemory({ redis: { url: own.server.url }, prefix: uniquePrefix('oom'), logger });
    try {
      const facts = await memory.longTerm({ embedder: new HashingEmbeddings(8), engine: 'vectorset' });
      await facts.remember(USER, { text: SECRET_TEXT });
      await own.connection.send(['CONFIG', 'SET', 'maxmemory', '1']);
      const warnings = await processWarnings(async () => {
        expect(await facts.recall(USER, 'locker', { k: 1 })).toHaveLength(1);
      });
      expect(warnings.filter((w) => w.includes('redis-agent-memory'))).toEqual([]);
      const failed = logger.lines.find((l) => l.message === 'could not record memory accesses');
      expect(failed).toMatchObject({ level: 'warn', fields: { component: 'memory' } });
      expect(failed!.fields.err).toBeInstanceOf(OutOfMemoryError);
      expect(JSON.stringify(logger.lines)).not.toContain(USER.userId);
    } finally {
      await own.connection.send(['CONFIG', 'SET', 'maxmemory', '0']);
      await memory.close();
    }
  });
});
