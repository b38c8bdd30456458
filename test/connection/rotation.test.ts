// Passwords and access keys rotated without a restart: rotateSecret checks the new secret, then
// every live connection (duplicates, subscribers, every cluster node) re-authenticates with it, and
// reconnections use it. On a single server, a cluster, and a server with an access key.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis, type LocalRedis } from '../../scripts/local-redis.js';
import { connect, type RedisConnection } from '../../src/connection/connect.js';
import type { ConnectionConfig } from '../../src/connection/config.js';
import { CredentialsError } from '../../src/errors.js';
import { harness, targetsWithCluster, type RedisTarget } from '../harness/index.js';

const opened: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const c of opened.splice(0).reverse()) await c.close();
});

const endpointOf = (target: RedisTarget): ConnectionConfig => (target.nodes ? { nodes: target.nodes } : { url: target.url });

/** One admin connection per node (ACL users live on each node of a cluster). */
async function admins(target: RedisTarget): Promise<RedisConnection[]> {
  const nodes = target.nodes ?? [{ host: new URL(target.url).hostname, port: Number(new URL(target.url).port) }];
  const conns = await Promise.all(nodes.map((n) => connect({ host: n.host, port: n.port })));
  opened.push(...conns);
  return conns;
}

/** `CLIENT LIST` lines of `user`'s connections, on every node. */
async function clientsOf(nodes: RedisConnection[], user: string): Promise<string[]> {
  const lists = await Promise.all(nodes.map((n) => n.send<string>(['CLIENT', 'LIST'])));
  return lists.flatMap((l) => l.split('\n')).filter((line) => line.includes(` user=${user} `));
}

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('rotateSecret (%s)', (_, target) => {
  it('every live connection re-authenticates with the new password; reconnections use it', async () => {
    const nodes = await admins(target);
    const user = `rot-${randomBytes(4).toString('hex')}`;
    const every = (args: string[]) => Promise.all(nodes.map((n) => n.send(args)));
    await every(['ACL', 'SETUSER', user, 'on', '>old-secret', '~*', '&*', '+@all']);
    opened.push({ close: () => every(['ACL', 'DELUSER', user]) });

    const errors: Error[] = [];
    const conn = await connect({
      ...endpointOf(target),
      auth: { type: 'password', username: user, password: 'old-secret' },
      onError: (e) => errors.push(e),
    });
    opened.push(conn);
    const subscriber = await conn.duplicate();
    opened.push(subscriber);
    const received: string[] = [];
    await subscriber.subscribe(`${user}:ch`, (m) => received.push(m));
    const before = await clientsOf(nodes, user);
    expect(before.length).toBeGreaterThanOrEqual(target.nodes ? 4 : 2);

    // The server learns the new secret (both valid for a while, as Azure's two keys), the app rotates.
    await every(['ACL', 'SETUSER', user, '>new-secret']);
    await conn.rotateSecret('new-secret');
    // Each live connection ran AUTH: it is the last command of every idle one.
    await expect.poll(async () => (await clientsOf(nodes, user)).filter((l) => / cmd=auth /.test(l)).length).toBe(before.length);

    // The old secret goes; connections dropped now come back with the new one, subscriber included.
    await every(['ACL', 'SETUSER', user, '<old-secret']);
    await every(['CLIENT', 'KILL', 'USER', user]);
    await expect.poll(() => conn.send(['PUBLISH', `${user}:ch`, 'after']).catch(() => -1), { timeout: 5000 }).toBeGreaterThan(0);
    await expect.poll(() => received, { timeout: 5000 }).toContain('after');
    expect(await conn.send(['ACL', 'WHOAMI'])).toBe(user);
    expect(errors.filter((e) => e instanceof CredentialsError)).toEqual([]);
  });

  it('a new secret the server refuses is not pushed: CredentialsError, the connections keep the old one', async () => {
    const nodes = await admins(target);
    const user = `rot-${randomBytes(4).toString('hex')}`;
    const every = (args: string[]) => Promise.all(nodes.map((n) => n.send(args)));
    await every(['ACL', 'SETUSER', user, 'on', '>kept-secret', '~*', '&*', '+@all']);
    opened.push({ close: () => every(['ACL', 'DELUSER', user]) });
    const conn = await connect({ ...endpointOf(target), auth: { type: 'password', username: user, password: 'kept-secret' } });
    opened.push(conn);

    const error = await conn.rotateSecret('typo-secret').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain('refused the new secret; the connections keep the old one');
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error)) + (error as Error).message).not.toContain('typo-secret');
    await every(['CLIENT', 'KILL', 'USER', user]);
    await expect.poll(() => conn.send(['PING']).catch((e: unknown) => e), { timeout: 5000 }).toBe('PONG');
  });
});

describe.runIf(harness().binaries.redis8)('access keys', () => {
  it("rotates an access key (the default user's password) on a server of its own", async () => {
    const server: LocalRedis = await startRedis(harness().binaries.redis8!);
    opened.push({ close: () => server.stop() });
    const setup = await connect({ url: server.url });
    await setup.send(['CONFIG', 'SET', 'requirepass', 'primary-key']);
    await setup.close();
    const conn = await connect({ url: server.url, auth: { type: 'accessKey', key: 'primary-key' } });
    opened.push(conn);
    expect(await conn.send(['ACL', 'WHOAMI'])).toBe('default');

    // As on Azure: switch the app to the secondary key, then regenerate the primary.
    await conn.send(['ACL', 'SETUSER', 'default', '>secondary-key']);
    await conn.rotateSecret('secondary-key');
    await conn.send(['ACL', 'SETUSER', 'default', '<primary-key']);
    await conn.send(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'no']).catch(() => undefined);
    await expect.poll(() => conn.send(['PING']).catch((e: unknown) => e), { timeout: 5000 }).toBe('PONG');
    const fresh = await connect({ url: server.url, auth: { type: 'accessKey', key: 'primary-key' } }).catch((e: unknown) => e);
    expect(fresh).toBeInstanceOf(CredentialsError);
  });
});
