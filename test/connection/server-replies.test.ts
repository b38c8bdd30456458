// The replies a server gives when it cannot serve yet or cannot store more, on servers of this file's
// own (never the shared ones: it reloads, blocks and fills them): LOADING and BUSY are retried within
// the command deadline and a write lands exactly once; a deadline spent on them is a
// ServerUnavailableError naming the reply; OOM fails at once, reads still work; a database the
// server does not have fails the connect at once.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawCommand, startRedis, type LocalRedis } from '../../scripts/local-redis.js';
import { connect, type RedisConnection } from '../../src/connection/connect.js';
import { InvalidArgumentError, OutOfMemoryError, ServerUnavailableError, TimeoutError } from '../../src/errors.js';
import { harness } from '../harness/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const key = (label: string) => `${label}:${randomBytes(4).toString('hex')}`;

/** Binaries to run on: Redis 8, and Redis 7 when the harness has one. */
const binaries = (): [string, string][] =>
  Object.entries(harness().binaries).filter((e): e is [string, string] => typeof e[1] === 'string');

describe.each(binaries())('server replies (%s)', (_, binary) => {
  let server: LocalRedis;
  let conn: RedisConnection;

  beforeAll(async () => {
    // DEBUG RELOAD with a per-key delay makes a LOADING phase of a known length; a short busy
    // threshold makes a running script answer BUSY to everyone else after 20 ms.
    server = await startRedis(binary, ['--enable-debug-command', 'yes', '--busy-reply-threshold', '20']);
    conn = await connect({ url: server.url });
    await conn.send(['DEBUG', 'POPULATE', '20000', 'filler']);
    await conn.send(['CONFIG', 'SET', 'loading-process-events-interval-bytes', '1024']);
  });
  afterAll(async () => {
    await conn?.close();
    await server?.stop();
  });

  /** Reloads the data set over a raw socket, taking about `keyDelayUs` × 20000 µs; resolves when done. */
  async function reload(keyDelayUs: number): Promise<void> {
    await conn.send(['CONFIG', 'SET', 'key-load-delay', String(keyDelayUs)]);
    const done = rawCommand(server.port, 'DEBUG RELOAD', 60_000);
    // Wait until the server is in its loading phase.
    for (let i = 0; i < 200 && !(await rawCommand(server.port, 'GET x').catch(() => '')).startsWith('-LOADING'); i++) await sleep(5);
    await done.then((r) => expect(r).toMatch(/^\+OK/));
  }

  it('a command that meets LOADING is retried until the data set is loaded, and writes once', async () => {
    const counter = key('loading');
    const reloading = reload(40); // about 1 s
    await sleep(150);
    const started = Date.now();
    const [incr, tx] = await Promise.all([
      conn.send(['INCR', counter]),
      conn.transaction(
        [
          ['INCR', `${counter}:tx`],
          ['INCR', `${counter}:tx`],
        ],
        `${counter}:tx`,
      ),
    ]);
    await reloading;
    expect(Date.now() - started).toBeGreaterThan(200); // it did wait for the load
    expect(incr).toBe(1);
    expect(tx).toEqual([1, 2]);
    expect(await conn.send(['MGET', counter, `${counter}:tx`])).toEqual(['1', '2']);
  });

  it('LOADING that outlasts commandTimeoutMs is a ServerUnavailableError naming it, and nothing was written', async () => {
    const short = await connect({ url: server.url, commandTimeoutMs: 400 });
    try {
      const counter = key('loading-long');
      const reloading = reload(100); // about 2 s
      await sleep(150);
      const started = Date.now();
      const [sent, tx] = await Promise.all([
        short.send(['INCR', counter]).catch((e: unknown) => e),
        short.transaction([['INCR', counter]], counter).catch((e: unknown) => e),
      ]);
      const elapsed = Date.now() - started;
      for (const error of [sent, tx]) {
        // A retry still in flight when the deadline passes may yet run, so that one is a
        // TimeoutError (naming the LOADING replies before it): on a loaded machine it happens.
        expect(
          [ServerUnavailableError, TimeoutError].some((Class) => error instanceof Class),
          String(error),
        ).toBe(true);
        expect((error as ServerUnavailableError).transient).toBe(true);
        expect((error as Error).message).toContain('LOADING');
        expect((error as Error).message).toContain('400 ms');
      }
      expect(elapsed).toBeGreaterThanOrEqual(350);
      expect(elapsed).toBeLessThan(900);
      await reloading;
      expect(await short.send(['GET', counter])).toBeNull();
    } finally {
      await short.close();
    }
  });

  it('a command that meets BUSY (a long script) is retried until the script ends, and writes once', async () => {
    const counter = key('busy');
    const spin =
      "local t = redis.call('TIME') while true do local n = redis.call('TIME') " +
      'if (n[1] - t[1]) * 1000000 + (n[2] - t[2]) > 500000 then return 1 end end';
    const blocker = await connect({ url: server.url });
    try {
      const script = blocker.send(['EVAL', spin, '0']);
      await sleep(100);
      const started = Date.now();
      expect(await conn.send(['INCR', counter])).toBe(1);
      expect(Date.now() - started).toBeGreaterThan(150);
      expect(await script).toBe(1);
      expect(await conn.send(['GET', counter])).toBe('1');
    } finally {
      await blocker.close();
    }
  });

  it('a server that never answers is still a TimeoutError, not a ServerUnavailableError', async () => {
    const short = await connect({ url: server.url, commandTimeoutMs: 200 });
    const admin = rawCommand(server.port, 'DEBUG SLEEP 0.6', 5000);
    try {
      await sleep(50);
      const error = await short.send(['PING']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
    } finally {
      await admin;
      await short.close();
    }
  });

  it('at maxmemory a write is an OutOfMemoryError at once (not retried), and reads still work', async () => {
    const kept = key('oom-kept');
    await conn.send(['SET', kept, 'v']);
    await conn.send(['CONFIG', 'SET', 'maxmemory', '1']);
    try {
      const started = Date.now();
      const sent = await conn.send(['SET', key('oom'), 'v']).catch((e: unknown) => e);
      const other = key('oom-tx');
      const tx = await conn
        .transaction(
          [
            ['SET', other, 'v'],
            ['GET', other],
          ],
          other,
        )
        .catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(200);
      for (const error of [sent, tx]) {
        expect(error).toBeInstanceOf(OutOfMemoryError);
        expect((error as OutOfMemoryError).code).toBe('OUT_OF_MEMORY');
        expect((error as Error).message).toMatch(/nothing was written/i);
      }
      expect(await conn.send(['GET', kept])).toBe('v');
      expect(await conn.send(['EXISTS', other])).toBe(0);
    } finally {
      await conn.send(['CONFIG', 'SET', 'maxmemory', '0']);
    }
  });
});

describe.runIf(harness().binaries.redis8)('a database the server does not have', () => {
  let server: LocalRedis;
  beforeAll(async () => {
    server = await startRedis(harness().binaries.redis8!, ['--databases', '2']);
  });
  afterAll(async () => server?.stop());

  it.each([
    ['in the URL', (url: string) => ({ url: `${url}/5` })],
    ['as database', (url: string) => ({ url, database: 5 })],
  ])('given %s fails the connect at once with an InvalidArgumentError, not retried until the deadline', async (_, config) => {
    const started = Date.now();
    const error = await connect({ ...config(server.url), connectTimeoutMs: 3000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toContain('database');
    expect((error as Error).message).toContain('5');
    expect((error as Error).message).toContain('DB index is out of range');
    expect(Date.now() - started).toBeLessThan(1000);
    const fine = await connect({ url: `${server.url}/1` });
    expect(await fine.send(['PING'])).toBe('PONG');
    await fine.close();
  });
});
