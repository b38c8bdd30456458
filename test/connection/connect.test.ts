// Connecting: a working connection on every target, and every way it can fail (refused, silent
// server, wrong password, bad URL, slow command) ends in a typed error within its time limit with
// nothing left running.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/connection/connect.js';
import { ConnectionError, InvalidArgumentError, TimeoutError } from '../../src/errors.js';
import { FaultProxy } from '../faults/proxy.js';
import { connectTo, targets } from '../harness/index.js';

interface Outcome {
  ok: boolean;
  elapsedMs: number;
  name?: string;
  code?: string | null;
  message?: string;
}

/** Runs the connect fixture in a fresh Node process; resolves with its outcome and wall time. */
function connectInChildProcess(config: object, limitMs: number): Promise<Outcome & { exitedAfterMs: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/connection/fixtures/connect-and-report.ts', JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      if (signal === 'SIGKILL') return reject(new Error(`process still running after ${limitMs} ms: ${out}${err}`));
      if (code !== 0) return reject(new Error(`fixture failed (${code}): ${err}`));
      resolve({ ...(JSON.parse(out.trim().split('\n').at(-1)!) as Outcome), exitedAfterMs: Date.now() - started });
    });
  });
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe.each(targets().map((t) => [t.name, t] as const))('connect (%s)', (_, target) => {
  it('connects, runs a command and closes', async () => {
    const conn = await connectTo(target);
    expect(conn.mode).toBe('single');
    expect(conn.endpoint).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await conn.send(['PING'])).toBe('PONG');
    await conn.close();
    await conn.close(); // twice is harmless
  });

  it('fails a command that gets no reply in commandTimeoutMs with a TimeoutError, then recovers', async () => {
    const conn = await connectTo(target, { commandTimeoutMs: 150 });
    try {
      const started = Date.now();
      const error = await conn.send(['BLPOP', `blocked:${randomBytes(4).toString('hex')}`, '1']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).message).toBe('BLPOP got no reply within 150 ms');
      expect(Date.now() - started).toBeLessThan(1000);
      // Once the server's 1 s block is over, the connection serves commands again. Redis ends a
      // block on its own timer (up to 100 ms late at hz 10), and a loaded machine adds more: wait
      // well past it, so the PING is not queued behind the BLPOP's reply within its 150 ms.
      await new Promise((r) => setTimeout(r, 1600));
      expect(await conn.send(['PING'])).toBe('PONG');
    } finally {
      await conn.close();
    }
  });

  it('a transaction also fails with a TimeoutError when it gets no reply, and runs atomically otherwise', async () => {
    const conn = await connectTo(target, { commandTimeoutMs: 150 });
    const blocker = await connectTo(target);
    const key = `tx:${randomBytes(4).toString('hex')}`;
    try {
      expect(
        await conn.transaction(
          [
            ['SET', key, '1'],
            ['INCR', key],
            ['GET', key],
          ],
          key,
        ),
      ).toEqual(['OK', 2, '2']);
      // A one-second blocking read ahead of it on the same connection: the MULTI waits behind it.
      const blocked = conn.send(['BLPOP', `${key}:list`, '1']).catch((e: unknown) => e);
      const error = await conn.transaction([['INCR', key]], key).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toBe('MULTI got no reply within 150 ms');
      expect(await blocked).toBeInstanceOf(TimeoutError);
    } finally {
      await blocker.send(['DEL', key]);
      await Promise.all([conn.close(), blocker.close()]);
    }
  });

  it('a read sent without node-redis’s queue timeout (harmless if late) still fails with a TimeoutError at its deadline', async () => {
    const conn = await connectTo(target, { commandTimeoutMs: 150 });
    const key = `late:${randomBytes(4).toString('hex')}`;
    try {
      // A one-second blocking read ahead of it on the same connection (the same node): no reply comes in time.
      const blocked = conn.send(['BLPOP', key, '1'], { key }).catch((e: unknown) => e);
      const started = Date.now();
      const error = await conn.send(['GET', key], { key, harmlessIfLate: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toBe('GET got no reply within 150 ms');
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await blocked).toBeInstanceOf(TimeoutError);
      await new Promise((r) => setTimeout(r, 1000));
      expect(await conn.send(['GET', key], { key, harmlessIfLate: true })).toBeNull();
    } finally {
      await conn.close();
    }
  });

  it.skipIf(target.nodes)(
    'a command queued while the server is out of reach fails at its deadline and is never sent after it',
    async () => {
      const upstream = new URL(target.url);
      const proxy = await FaultProxy.start({ host: upstream.hostname, port: Number(upstream.port) });
      const through = new URL(target.url);
      through.port = String(proxy.port);
      const conn = await connectTo({ ...target, url: through.toString() }, { commandTimeoutMs: 200, connectTimeoutMs: 500 });
      const admin = await connectTo(target);
      const held: net.Socket[] = [];
      const silent = net.createServer((socket) => held.push(socket));
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const key = `queued:${randomBytes(4).toString('hex')}`;
      try {
        // The connection drops, and every reconnection hangs (a server that never answers its
        // handshake) until the proxy points at Redis again: commands wait in node-redis's queue.
        proxy.retarget({ host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port });
        await admin.send(['CLIENT', 'KILL', 'ID', String(await conn.send<number>(['CLIENT', 'ID']))]);
        await expect.poll(() => (conn.client as { isReady: boolean }).isReady, { timeout: 5000 }).toBe(false);
        const [write, read] = await Promise.all([
          conn.send(['SET', key, 'late']).catch((e: unknown) => e),
          conn.send(['GET', key], { key, harmlessIfLate: true }).catch((e: unknown) => e),
        ]);
        expect(write).toBeInstanceOf(TimeoutError);
        expect(read).toBeInstanceOf(TimeoutError);
        proxy.retarget({ host: upstream.hostname, port: Number(upstream.port) });
        for (const socket of held) socket.destroy(); // the hanging reconnection ends; the next one reaches Redis
        await expect.poll(() => conn.send(['PING']).catch(() => 'not yet'), { timeout: 10_000 }).toBe('PONG');
        expect(await admin.send(['GET', key])).toBeNull(); // the SET timed out: it must never be applied
      } finally {
        await Promise.all([conn.close(), admin.close()]);
        await proxy.close();
        for (const socket of held) socket.destroy();
        await new Promise((r) => silent.close(r));
      }
    },
  );

  it('reconnects by itself after the server drops the connection', async () => {
    const errors: Error[] = [];
    const conn = await connectTo(target, { onError: (e: Error) => errors.push(e) });
    const admin = await connectTo(target);
    try {
      const id = await conn.send<number>(['CLIENT', 'ID']);
      await admin.send(['CLIENT', 'KILL', 'ID', String(id)]);
      await expect.poll(() => conn.send(['PING']), { timeout: 5000 }).toBe('PONG');
      expect(await conn.send<number>(['CLIENT', 'ID'])).not.toBe(id);
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await Promise.all([conn.close(), admin.close()]);
    }
  });

  it('refuses a wrong password with a CredentialsError that does not contain the password', async () => {
    const admin = await connectTo(target);
    const user = `am-test-${randomBytes(4).toString('hex')}`;
    try {
      await admin.send(['ACL', 'SETUSER', user, 'on', '>right-secret', '~*', '+@all']);
      const url = new URL(target.url);
      url.username = user;
      url.password = 'wrong-secret-value';
      const outcome = await connectInChildProcess({ url: url.toString(), connectTimeoutMs: 3000 }, 10_000);
      expect(outcome).toMatchObject({ ok: false, name: 'CredentialsError', code: 'CREDENTIALS' });
      expect(outcome.message).not.toContain('wrong-secret-value');
      expect(outcome.message).toContain('refused the credentials');
      expect(outcome.elapsedMs).toBeLessThan(3000); // not retried until the deadline

      url.password = 'right-secret';
      expect(await connectInChildProcess({ url: url.toString() }, 10_000)).toMatchObject({ ok: true });
    } finally {
      await admin.send(['ACL', 'DELUSER', user]);
      await admin.close();
    }
  });
});

describe('connect failures', () => {
  let silent: net.Server;
  let silentPort: number;
  const held: net.Socket[] = [];

  beforeAll(async () => {
    // A server that accepts TCP connections and never answers: the worst case for a client.
    silent = net.createServer((socket) => held.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('an unreachable port gives a ConnectionError within connectTimeoutMs and the process exits', async () => {
    const port = await closedPort();
    const outcome = await connectInChildProcess({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 800 }, 8000);
    expect(outcome).toMatchObject({ ok: false, name: 'ConnectionError', code: 'CONNECTION_FAILED' });
    expect(outcome.message).toContain(`Could not connect to redis://127.0.0.1:${port}`);
    expect(outcome.message).toContain('ECONNREFUSED');
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(700);
    expect(outcome.elapsedMs).toBeLessThan(800 + 500);
  });

  it('a server that never answers gives a TimeoutError within connectTimeoutMs and the process exits', async () => {
    const outcome = await connectInChildProcess({ url: `redis://user:hunter2@127.0.0.1:${silentPort}`, connectTimeoutMs: 800 }, 8000);
    expect(outcome).toMatchObject({ ok: false, name: 'TimeoutError', code: 'TIMEOUT' });
    expect(outcome.message).toBe(
      `Could not connect to redis://127.0.0.1:${silentPort} within 800 ms. Check the host, port and TLS setting, and that the server is running and reachable.`,
    );
    expect(outcome.elapsedMs).toBeLessThan(800 + 500);
  });

  it('the same failures in this process reject with the typed errors', async () => {
    const port = await closedPort();
    await expect(connect({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300 })).rejects.toBeInstanceOf(ConnectionError);
    await expect(connect({ host: '127.0.0.1', port: silentPort, connectTimeoutMs: 300 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it.each([
    ['not a URL', { url: 'not a url' }, 'url: must be a URL of the form'],
    ['wrong scheme', { url: 'http://localhost:6379' }, 'url: must be a URL of the form'],
    ['no endpoint', {}, 'give one of url, host or nodes'],
    ['two endpoints', { url: 'redis://a', host: 'b' }, 'give only one of url, host or nodes (got url and host)'],
    ['port out of range', { host: 'h', port: 70000 }, 'port: Too big'],
    ['negative timeout', { host: 'h', connectTimeoutMs: -1 }, 'connectTimeoutMs: Too small'],
    ['unknown option', { host: 'h', hots: 'x' }, 'Unrecognized key: "hots"'],
    ['database on a cluster', { nodes: ['redis://a:1'], database: 1 }, 'database: a Redis Cluster has only database 0'],
    ['a malformed %-escape in the URL', { url: 'redis://u:%zz@h' }, 'url: the password is not validly %-encoded'],
    ['a database path that is not a number', { url: 'redis://h:6379/abc' }, 'url: the database (the path after the port) must be'],
  ])('a bad config (%s) is an InvalidArgumentError before anything is sent', async (_, config, expected) => {
    const error = await connect(config as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toContain('Invalid connection config: ');
    expect((error as Error).message).toContain(expected);
  });

  it('a bad URL never echoes the password it carries', async () => {
    const error = await connect({ url: 'redis://user:s3cret-pw@ho st:6379' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).not.toContain('s3cret-pw');
  });
});
