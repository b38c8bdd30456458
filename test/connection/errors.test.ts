// Every failure that leaves a connection is an AgentMemoryError with a code: each error class
// node-redis exports (a table of their exact mapping, which also fails when node-redis adds one),
// socket errors, and the real faults behind them: a connection reset mid-command, a client destroyed
// under a command, a transaction whose commands fail after EXEC.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import * as redis from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/connection/connect.js';
import { translateError } from '../../src/connection/failures.js';
import {
  AgentMemoryError,
  ConflictError,
  ConnectionError,
  CredentialsError,
  OutOfMemoryError,
  RedisCommandError,
  ServerUnavailableError,
  TimeoutError,
} from '../../src/errors.js';
import { connectTo, targets } from '../harness/index.js';

const opened: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const c of opened.splice(0).reverse()) await c.close();
});

type Class = abstract new (...args: never[]) => unknown;
const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });
const reply = (message: string) => new redis.SimpleError(message);

/** Each node-redis error class, one instance of it, and the library error it must become. */
const NODE_REDIS_ERRORS: [string, Error, Class][] = [
  ['AbortError', new redis.AbortError(), ConnectionError],
  ['ClientClosedError', new redis.ClientClosedError(), ConnectionError],
  ['ClientOfflineError', new redis.ClientOfflineError(), ConnectionError],
  ['DisconnectsClientError', new redis.DisconnectsClientError(), ConnectionError],
  ['SocketClosedUnexpectedlyError', new redis.SocketClosedUnexpectedlyError(), ConnectionError],
  ['RootNodesUnavailableError', new redis.RootNodesUnavailableError(), ConnectionError],
  ['ScanIteratorInterruptedError', new redis.ScanIteratorInterruptedError(), ConnectionError],
  ['ReconnectStrategyError', new redis.ReconnectStrategyError(new Error('gave up'), reset), ConnectionError],
  ['ConnectionTimeoutError', new redis.ConnectionTimeoutError(), TimeoutError],
  ['SocketTimeoutError', new redis.SocketTimeoutError(1000), TimeoutError],
  ['TimeoutError', new redis.TimeoutError(), TimeoutError],
  ['SocketTimeoutDuringMaintenanceError', new redis.SocketTimeoutDuringMaintenanceError(1000), TimeoutError],
  ['CommandTimeoutDuringMaintenanceError', new redis.CommandTimeoutDuringMaintenanceError(1000), TimeoutError],
  ['MaxCommandRedirectionsError', new redis.MaxCommandRedirectionsError(reply('MOVED 1 127.0.0.1:7001')), ServerUnavailableError],
  ['WatchError', new redis.WatchError(), ConflictError],
  ['ErrorReply', new redis.ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value'), RedisCommandError],
  ['SimpleError', reply('ERR syntax error'), RedisCommandError],
  ['BlobError', new redis.BlobError('ERR blob'), RedisCommandError],
  ['MultiErrorReply', new redis.MultiErrorReply([reply('WRONGTYPE wrong kind'), 'OK' as never], [0]), RedisCommandError],
  ['OpenTelemetryError', new redis.OpenTelemetryError('OpenTelemetry already initialized'), RedisCommandError],
];

describe('translateError', () => {
  it('covers every error class node-redis exports', () => {
    const exported = Object.entries(redis)
      .filter(([, v]) => typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof Error)
      .map(([name]) => name)
      .sort();
    expect(NODE_REDIS_ERRORS.map(([name]) => name).sort()).toEqual(exported);
  });

  it.each(NODE_REDIS_ERRORS)('%s becomes the typed error, with the original as its cause', (_, error, expected) => {
    const translated = translateError(error, 'GET');
    expect(translated).toBeInstanceOf(expected);
    expect(translated).toBeInstanceOf(AgentMemoryError);
    expect(translated.cause).toBe(error);
  });

  it.each([
    ["OOM command not allowed when used memory > 'maxmemory'.", OutOfMemoryError, true],
    ["EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.", OutOfMemoryError, true],
    ['LOADING Redis is loading the dataset in memory', ServerUnavailableError, true],
    ['BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.', ServerUnavailableError, true],
    ['CLUSTERDOWN The cluster is down', ServerUnavailableError, true],
    ['TRYAGAIN Multiple keys request during rehashing of slot', ServerUnavailableError, true],
    ["MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", ServerUnavailableError, true],
    ["READONLY You can't write against a read only replica.", ServerUnavailableError, true],
    ["EXECABORT Transaction discarded because of: READONLY You can't write against a read only replica.", ServerUnavailableError, true],
    ['WRONGPASS invalid username-password pair or user is disabled.', CredentialsError, false],
    ["NOPERM User x has no permissions to run the 'flushall' command", CredentialsError, false],
    ['BUSYKEY Target key name already exists.', RedisCommandError, false],
    ['BUSYGROUP Consumer Group name already exists', RedisCommandError, false],
    ['NOSCRIPT No matching script. Please use EVAL.', RedisCommandError, false],
  ] as const)('the reply %s is %o (transient: %s)', (message, expected, transient) => {
    const translated = translateError(reply(message), 'SET');
    expect(translated).toBeInstanceOf(expected);
    expect(translated.transient).toBe(transient);
  });

  it('says what to do about OOM: Redis is at maxmemory, nothing was written, reads still work', () => {
    const { message } = translateError(reply("OOM command not allowed when used memory > 'maxmemory'."), 'SET');
    expect(message).toContain('maxmemory');
    expect(message).toMatch(/nothing was written/i);
    expect(message).toContain('reads still work');
    expect(message).toContain('maxmemory-policy');
  });

  it.each([
    ['ECONNRESET', reset],
    ['EPIPE', Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' })],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', syscall: 'connect' })],
    ['ETIMEDOUT', Object.assign(new Error('read ETIMEDOUT'), { code: 'ETIMEDOUT', syscall: 'read' })],
    ['ENOTFOUND', Object.assign(new Error('getaddrinfo ENOTFOUND nowhere'), { code: 'ENOTFOUND', syscall: 'getaddrinfo' })],
    ['a TLS error', Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' })],
  ])('a socket error (%s) is a transient ConnectionError', (_, error) => {
    const translated = translateError(error, 'GET');
    expect(translated).toBeInstanceOf(ConnectionError);
    expect(translated.transient).toBe(true);
    expect(translated.cause).toBe(error);
    expect(translated.message).toContain(error.message);
  });

  it('an unknown error or a thrown non-error is still typed, never returned raw', () => {
    const unknown = new Error('Cannot find node 10.0.0.9:7000');
    const translated = translateError(unknown, 'GET');
    expect(translated).toBeInstanceOf(RedisCommandError);
    expect(translated.cause).toBe(unknown);
    expect(translated.message).toContain('Cannot find node 10.0.0.9:7000');
    expect(translateError('a string', 'GET')).toBeInstanceOf(RedisCommandError);
    expect(translateError(undefined, 'GET')).toBeInstanceOf(RedisCommandError);
  });

  it('leaves an AgentMemoryError as it is, and one a reconnect strategy gave up with', () => {
    const own = new CredentialsError('refused');
    expect(translateError(own, 'GET')).toBe(own);
    expect(translateError(new redis.ReconnectStrategyError(own, reset), 'GET')).toBe(own);
  });
});

/**
 * A TCP relay in front of a real server that can reset (RST) every connection through it, as a
 * load balancer or a failing network does. It only moves bytes; Redis answers.
 */
async function resettingRelay(port: number): Promise<{ port: number; resetAll(): void; close(): Promise<unknown> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client);
    client.pipe(upstream).pipe(client);
    const forget = () => {
      sockets.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', forget).on('close', forget);
    upstream.on('error', forget).on('close', forget);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    resetAll: () => {
      for (const s of sockets) s.resetAndDestroy();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

describe.each(
  targets()
    .slice(0, 1)
    .map((t) => [t.name, t] as const),
)('real faults (%s)', (_, target) => {
  it('a connection reset under a command in flight is a transient ConnectionError, and the connection comes back', async () => {
    const relay = await resettingRelay(Number(new URL(target.url).port));
    opened.push(relay);
    const errors: Error[] = [];
    const conn = await connect({ host: '127.0.0.1', port: relay.port, onError: (e) => errors.push(e) });
    opened.push(conn);
    const pending = conn.send(['BLPOP', `reset:${randomBytes(4).toString('hex')}`, '2']).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    relay.resetAll();
    const error = (await pending) as AgentMemoryError;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.transient).toBe(true);
    expect(error.message).toMatch(/BLPOP/);
    await expect.poll(() => conn.send(['PING']).catch((e: unknown) => e), { timeout: 5000 }).toBe('PONG');
    // What onError receives is typed too.
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toBeInstanceOf(AgentMemoryError);
  });

  it('a client destroyed under a command in flight is a ConnectionError', async () => {
    const conn = await connectTo(target);
    opened.push(conn);
    const pending = conn.send(['BLPOP', `destroyed:${randomBytes(4).toString('hex')}`, '2']).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    conn.client.destroy();
    const error = await pending;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(await conn.send(['PING']).catch((e: unknown) => e)).toBeInstanceOf(ConnectionError);
  });

  it('a transaction whose command fails after EXEC names the reply and says the others ran', async () => {
    const conn = await connectTo(target);
    opened.push(conn);
    const key = `multi:${randomBytes(4).toString('hex')}`;
    opened.push({ close: () => conn.send(['DEL', key]) });
    const error = await conn
      .transaction(
        [
          ['SET', key, 'x'],
          ['LPUSH', key, 'y'],
          ['GET', key],
        ],
        key,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisCommandError);
    expect((error as Error).message).toContain('LPUSH');
    expect((error as Error).message).toContain('WRONGTYPE');
    expect((error as Error).message).toMatch(/the others ran/);
    expect(await conn.send(['GET', key])).toBe('x');
  });

  it('a malformed command is a RedisCommandError with the reply', async () => {
    const conn = await connectTo(target);
    opened.push(conn);
    const error = await conn.send(['SET', 'only-a-key']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisCommandError);
    expect((error as Error).message).toContain('wrong number of arguments');
  });

  it('a scan that fails is typed too', async () => {
    const conn = await connectTo(target);
    opened.push(conn);
    const scanning = (async () => {
      for await (const _ of conn.scan('*', -1)) void _;
    })();
    await expect(scanning).rejects.toBeInstanceOf(RedisCommandError);
  });
});
