// Microsoft Entra ID on real servers: a local TokenCredential mints short-lived JWT-shaped tokens,
// an ACL user named by their oid follows them as Entra does, and connections still on an expired
// token are closed as Azure closes them. Under load, across 10+ rotations, nothing may fail.
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/cache.js';
import { connect } from '../../src/connection/connect.js';
import type { ConnectionConfig } from '../../src/connection/config.js';
import { entraId } from '../../src/azure/entra-id.js';
import { CredentialsError, InvalidArgumentError } from '../../src/errors.js';
import { Keyspace } from '../../src/keys.js';
import { SessionStore } from '../../src/session/store.js';
import { FakeEntra, SIGNATURE_MARK } from '../harness/fake-entra.js';
import { deletePrefix, harness, targets, uniquePrefix, type RedisTarget } from '../harness/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Redis 8 and the cluster (Redis 7 shares the ACL model; the rotation is not repeated on it). */
const rotationTargets = (): RedisTarget[] => {
  const single = targets().filter((t) => t.name !== 'redis7');
  const cluster = harness().cluster;
  return cluster ? [...single, { name: 'cluster', url: '', nodes: cluster.nodes, version: cluster.version }] : single;
};

const nodesOf = (target: RedisTarget) => {
  if (target.nodes) return target.nodes;
  const url = new URL(target.url);
  return [{ host: url.hostname, port: Number(url.port) }];
};

const endpointOf = (target: RedisTarget): ConnectionConfig => (target.nodes ? { nodes: target.nodes } : { url: target.url });

/** Every string in an error's message and cause chain. */
function messagesOf(error: unknown): string {
  const parts: string[] = [];
  for (let e = error as { message?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    parts.push(String(e.message), JSON.stringify(e, Object.getOwnPropertyNames(e)));
  }
  return parts.join('\n');
}

/** Closed after each test, last opened first. */
const opened: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const c of opened.splice(0).reverse()) await c.close();
});

describe.each(rotationTargets().map((t) => [t.name, t] as const))('Entra ID token rotation (%s)', (name, target) => {
  it('re-authenticates every connection across 10+ rotations under load: zero failed commands', async () => {
    const entra = new FakeEntra({ nodes: nodesOf(target), lifetimeMs: 1200 });
    await entra.start();
    opened.push({ close: () => entra.stop() });
    const reported: Error[] = [];
    const conn = await connect({
      ...endpointOf(target),
      auth: entraId({ credential: entra.credential, refreshAt: 0.5 }),
      onError: (e) => reported.push(e),
    });
    opened.push(conn);
    const subscriber = await conn.duplicate();
    const blocker = await conn.duplicate();
    opened.push(subscriber, blocker);

    const prefix = uniquePrefix('entra');
    const keyspace = new Keyspace(prefix);
    const sessions = new SessionStore(conn, keyspace);
    const cache = new Cache(conn, keyspace, { name: 'rot' });
    opened.push({
      close: async () => {
        await cache.close();
        await deletePrefix(conn, prefix);
      },
    });
    const channel = `${prefix}:events`;
    const received: string[] = [];
    await subscriber.subscribe(channel, (m) => received.push(m));

    const failures: unknown[] = [];
    let published = 0;
    let appended = 0;
    const until = Date.now() + 7_000;
    const attempt = async (work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (error) {
        failures.push(error);
      }
    };
    const worker = async (w: number) => {
      const chat = sessions.session({ tenant: 'acme', userId: `u${w}`, sessionId: 'rotation' });
      for (let i = 0; Date.now() < until; i++) {
        await attempt(async () => {
          await chat.append({ role: 'user', content: `message ${i}` });
          appended++;
          await chat.window({ last: 5 });
          await cache.getOrCompute(`q${i % 7}`, async () => ({ answer: i }));
          await cache.set(`doc-${w}-${i}`, i, { tags: [`w${w}`] });
          if (i % 10 === 9) await cache.invalidateTag(`w${w}`);
          const key = `${prefix}:{w${w}}:counter`;
          await conn.transaction(
            [
              ['INCR', key],
              ['PEXPIRE', key, '60000'],
            ],
            key,
          );
          await conn.send(['RPUSH', `${prefix}:{jobs}`, `job-${w}-${i}`], { key: `${prefix}:{jobs}` });
          await conn.send(['PUBLISH', channel, `m${published++}`]);
        });
        await sleep(5);
      }
    };
    const blockingReader = async () => {
      while (Date.now() < until) await attempt(() => blocker.send(['BLPOP', `${prefix}:{jobs}`, '0.2'], { key: `${prefix}:{jobs}` }));
    };
    await Promise.all([worker(1), worker(2), worker(3), blockingReader()]);
    await sleep(100);

    expect(failures).toEqual([]);
    expect(reported).toEqual([]);
    expect(appended).toBeGreaterThan(50);
    expect(received).toHaveLength(published); // the subscriber missed nothing across the rotations
    expect(entra.minted.length).toBeGreaterThanOrEqual(11); // 10 rotations after the first token
    expect(entra.closedForExpiry).toEqual([]); // no connection was ever left on an expired token
    expect(await entra.aclLog()).toEqual([]); // and no AUTH was refused

    // CLIENT LIST: every connection of this identity (command, subscriber, blocking; every node of
    // the cluster) is authenticated as the oid, and the monitor saw each one AUTH again every time.
    const clients = await entra.clients();
    expect(clients.length).toBeGreaterThanOrEqual(name === 'cluster' ? 9 : 3);
    expect(clients.some((line) => /\bflags=P\b/.test(line))).toBe(true); // the subscriber
    for (const line of clients) {
      const address = /\baddr=(\S+)/.exec(line)![1]!;
      expect(entra.authsByAddress.get(address)?.length, line).toBeGreaterThanOrEqual(entra.minted.length - 1);
    }
  });
});

describe('Entra ID failures', () => {
  const target = targets()[0]!;

  it('a credential that starts failing: typed errors with no token in them, then recovery', async () => {
    const entra = new FakeEntra({ nodes: nodesOf(target), lifetimeMs: 1000 });
    await entra.start();
    opened.push({ close: () => entra.stop() });
    const reported: Error[] = [];
    const conn = await connect({
      ...endpointOf(target),
      commandTimeoutMs: 2000,
      auth: entraId({ credential: entra.credential, refreshAt: 0.5, retry: { initialDelayMs: 100, maxDelayMs: 200 } }),
      onError: (e) => reported.push(e),
    });
    opened.push(conn);
    expect(await conn.send(['PING'])).toBe('PONG');

    const outage = new Error('ManagedIdentityCredential: no managed identity endpoint found');
    outage.name = 'CredentialUnavailableError';
    entra.failWith(outage);
    // Refreshes fail (reported, retried); once the token expires the server closes the connection,
    // and while no token comes its commands fail at once with the CredentialsError.
    const failure = await expect
      .poll(
        () =>
          conn.send(['PING']).then(
            () => null,
            (e: unknown) => e,
          ),
        { timeout: 5000, interval: 50 },
      )
      .toBeInstanceOf(CredentialsError)
      .then(() => conn.send(['PING']).catch((e: unknown) => e));
    expect(failure).toBeInstanceOf(CredentialsError);
    const error = failure as CredentialsError;
    expect(error.code).toBe('CREDENTIALS');
    expect(error.message).toContain('Could not get a Microsoft Entra ID token for https://redis.azure.com/.default');
    expect(error.message).toContain('CredentialUnavailableError');
    expect(error.message).toMatch(/identity.*scope/);
    expect(entra.closedForExpiry.length).toBeGreaterThan(0);
    expect(reported.filter((e) => e instanceof CredentialsError).length).toBeGreaterThan(0);

    // No token, signature or secret in any message or cause, reported or thrown.
    for (const e of [error, ...reported]) {
      const text = messagesOf(e);
      expect(text).not.toContain(SIGNATURE_MARK);
      for (const m of entra.minted) expect(text).not.toContain(m.token.split('.')[2]!);
    }

    entra.failWith(null);
    await expect.poll(() => conn.send(['PING']).catch((e: unknown) => e), { timeout: 5000, interval: 50 }).toBe('PONG');
  });

  it('connecting with a credential that fails gives a CredentialsError at once', async () => {
    const started = Date.now();
    const error = await connect({
      url: target.url,
      connectTimeoutMs: 5000,
      auth: entraId({ credential: { getToken: async () => Promise.reject(new Error('AADSTS700016: application not found')) } }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain('(Error: AADSTS700016: application not found)');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a credential that never answers: a CredentialsError naming it after auth.tokenTimeoutMs, not a network timeout', async () => {
    class StuckManagedIdentityCredential {
      getToken(): Promise<never> {
        return new Promise(() => undefined);
      }
    }
    const started = Date.now();
    const error = await connect({
      url: target.url,
      connectTimeoutMs: 5000,
      auth: entraId({ credential: new StuckManagedIdentityCredential(), tokenTimeoutMs: 300 }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain('StuckManagedIdentityCredential');
    expect((error as Error).message).toContain('no answer within 300 ms');
    expect((error as Error).message).toContain('auth.tokenTimeoutMs');
    expect((error as Error).message).not.toContain('host, port');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a token request still pending when connectTimeoutMs runs out is a CredentialsError, not a TimeoutError', async () => {
    const started = Date.now();
    const error = await connect({
      url: target.url,
      connectTimeoutMs: 600,
      auth: entraId({ credential: { getToken: () => new Promise<never>(() => undefined) }, objectId: 'oid-of-app' }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain('Microsoft Entra ID token');
    expect((error as Error).message).toContain('oid-of-app');
    expect((error as Error).message).toContain('600 ms');
    expect((error as Error).message).not.toContain('host, port');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a refresh that hangs is given up after tokenTimeoutMs, reported, and retried until a token comes', async () => {
    const entra = new FakeEntra({ nodes: nodesOf(target), lifetimeMs: 1000 });
    await entra.start();
    opened.push({ close: () => entra.stop() });
    let hanging = false;
    let asked = 0;
    const credential = {
      getToken: (scopes: string | string[]) => {
        asked++;
        return hanging ? new Promise<never>(() => undefined) : entra.credential.getToken(scopes);
      },
    };
    const reported: Error[] = [];
    const conn = await connect({
      ...endpointOf(target),
      auth: entraId({ credential, refreshAt: 0.3, tokenTimeoutMs: 150, retry: { initialDelayMs: 50, maxDelayMs: 100 } }),
      onError: (e) => reported.push(e),
    });
    opened.push(conn);
    hanging = true;
    const before = asked;
    await expect.poll(() => reported.filter((e) => e instanceof CredentialsError).length, { timeout: 3000 }).toBeGreaterThan(1);
    expect(asked).toBeGreaterThan(before + 1); // not stuck on the first hung request
    expect(reported.find((e) => e instanceof CredentialsError)!.message).toContain('no answer within 150 ms');
    hanging = false;
    await expect.poll(() => conn.send(['PING']).catch((e: unknown) => e), { timeout: 5000, interval: 50 }).toBe('PONG');
    const minted = entra.minted.length;
    await expect.poll(() => entra.minted.length, { timeout: 3000 }).toBeGreaterThan(minted); // refreshing again
  });

  it('a token the server refuses says to check the access policy, and carries no token', async () => {
    const oid = randomUUID();
    const token = `e30.${Buffer.from(JSON.stringify({ oid })).toString('base64url')}.${SIGNATURE_MARK}refused`;
    const error = await connect({
      url: target.url,
      auth: entraId({ credential: { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 60_000 }) } }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain('refused the credentials');
    expect((error as Error).message).toContain('access policy assignment');
    expect(messagesOf(error)).not.toContain(SIGNATURE_MARK);
  });

  it('a token without an oid claim asks for entraId({ objectId }); objectId is then the user name', async () => {
    const entra = new FakeEntra({ nodes: nodesOf(target), lifetimeMs: 60_000, omitOid: true });
    await entra.start();
    opened.push({ close: () => entra.stop() });
    const error = await connect({ url: target.url, auth: entraId({ credential: entra.credential }) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain('entraId({ objectId })');
    expect(messagesOf(error)).not.toContain(SIGNATURE_MARK);

    const conn = await connect({ url: target.url, auth: entraId({ credential: entra.credential, objectId: entra.oid }) });
    opened.push(conn);
    expect(await conn.send(['ACL', 'WHOAMI'])).toBe(entra.oid);
  });

  it('rotateSecret is refused for Entra ID (tokens refresh themselves)', async () => {
    const entra = new FakeEntra({ nodes: nodesOf(target), lifetimeMs: 60_000 });
    await entra.start();
    opened.push({ close: () => entra.stop() });
    const conn = await connect({ url: target.url, auth: entraId({ credential: entra.credential }) });
    opened.push(conn);
    await expect(conn.rotateSecret('x')).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('without a credential, DefaultAzureCredential is loaded then and its failure is a CredentialsError', async () => {
    // Here (no Azure identity) the chain fails; on an Azure VM it gets a token the server refuses.
    const error = await connect({ url: target.url, connectTimeoutMs: 20_000, auth: entraId() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
  }, 30_000);

  it('no source file imports @azure/identity statically (users without Azure never load it)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : [join(dir, d.name)]));
    const offenders = [...files('src'), ...files('adapters')]
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /^\s*import\s[^;]*from\s+'@azure\/identity'/m.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
    expect(readFileSync('src/azure/entra-id.ts', 'utf8')).toContain("import('@azure/identity')");
    // The core names no Azure SDK at all: only src/azure/ and the `/azure` entry module may.
    const core = [...files('src'), ...files('adapters')].filter(
      (f) => f.endsWith('.ts') && !/^src[\\/](azure[\\/]|entries[\\/]azure\.ts$)/.test(f),
    );
    expect(core.filter((f) => /@azure\/identity|DefaultAzureCredential/.test(readFileSync(f, 'utf8')))).toEqual([]);
  });
});

describe('token auth of another issuer (the core, without entraId)', () => {
  const target = targets()[0]!;

  it('logs in as the fixed user name with the token as password, and its failures name no Azure', async () => {
    const admin = await connect({ url: target.url });
    opened.push(admin);
    const user = `tok-${randomUUID()}`;
    const token = `opaque-${randomUUID()}`;
    await admin.send(['ACL', 'SETUSER', user, 'on', `>${token}`, '~*', '&*', '+@all']);
    opened.push({ close: () => admin.send(['ACL', 'DELUSER', user]) });
    const issued = { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 60_000 }) };
    const conn = await connect({ url: target.url, auth: { type: 'token', credential: issued, scopes: ['redis'], username: user } });
    opened.push(conn);
    expect(await conn.send(['ACL', 'WHOAMI'])).toBe(user);

    class OtherIssuer {
      getToken(): Promise<never> {
        return Promise.reject(new Error('issuer down'));
      }
    }
    const error = await connect({ url: target.url, auth: { type: 'token', credential: new OtherIssuer(), scopes: ['redis'] } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain('Could not get a token for redis (Error: issuer down)');
    expect((error as Error).message).not.toMatch(/Entra|Azure|access policy/);
  });
});
