// No secret shows when a connection or its config is printed: util.inspect at any depth, console.log,
// JSON.stringify, string interpolation. On a real connection with a password (a server of this
// file's own, its requirepass set), every way a config can carry a secret.
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type LocalRedis } from '../../scripts/local-redis.js';
import { entraId } from '../../src/azure/entra-id.js';
import { ConnectionConfigSchema } from '../../src/connection/config.js';
import { connect } from '../../src/connection/connect.js';
import { parseInput } from '../../src/validate.js';
import { harness } from '../harness/index.js';

const PASSWORD = 'pw-Very-Secret-1';

/** Every way to print a value a user might try. */
function printed(value: unknown): string {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => lines.push(args.map((a) => inspect(a)).join(' '));
  try {
    console.log(value);
  } finally {
    console.log = original;
  }
  return [
    inspect(value, { depth: 10 }),
    inspect(value, { depth: Infinity, showHidden: true }),
    inspect(value, { depth: 10, customInspect: true, getters: true }),
    JSON.stringify(value) ?? '',
    String((value as { config?: unknown }).config ?? ''),
    ...lines,
  ].join('\n');
}

describe.runIf(harness().binaries.redis8)('secrets in printed configs', () => {
  let server: LocalRedis;
  beforeAll(async () => {
    // The harness waits for an unauthenticated PONG, so the password is set once it is up.
    server = await startRedis(harness().binaries.redis8!);
    const setup = await connect({ url: server.url });
    await setup.send(['CONFIG', 'SET', 'requirepass', PASSWORD]);
    await setup.close();
  });
  afterAll(async () => server?.stop());

  const urlWithPassword = () => `redis://:${PASSWORD}@127.0.0.1:${server.port}`;

  it.each([
    ['a password in the URL', () => ({ url: urlWithPassword() })],
    ['password', () => ({ url: server.url, password: PASSWORD })],
    ['auth password', () => ({ url: server.url, auth: { type: 'password' as const, password: PASSWORD } })],
    ['an access key', () => ({ url: server.url, auth: { type: 'accessKey' as const, key: PASSWORD } })],
  ])('a live connection given %s never prints it, and still works', async (_, config) => {
    const conn = await connect(config());
    try {
      expect(await conn.send(['PING'])).toBe('PONG');
      const text = printed(conn) + printed(conn.config) + printed(conn.config.auth ?? {});
      expect(text).not.toContain(PASSWORD);
      expect(text).toContain('[redacted]');
      expect(text).toContain(String(server.port)); // the rest is still shown
      // The config still carries the secret for the library's own use: a duplicate connects.
      const copy = await conn.duplicate();
      expect(await copy.send(['PING'])).toBe('PONG');
      await copy.close();
    } finally {
      await conn.close();
    }
  });

  it('createAgentMemory: util.inspect(memory, { depth: 10 }) shows no password', async () => {
    const { createAgentMemory } = await import('../../src/index.js');
    const memory = await createAgentMemory({ redis: { url: urlWithPassword() } });
    try {
      expect(await memory.connection.send(['PING'])).toBe('PONG');
      const text = printed(memory) + printed(memory.connection.config);
      expect(text).not.toContain(PASSWORD);
      expect(JSON.stringify(memory.connection.config)).toContain('[redacted]');
    } finally {
      await memory.close();
    }
  });
});

describe('secrets in a resolved config (no server)', () => {
  const parse = (config: object) => parseInput(ConnectionConfigSchema, config, 'connection config');

  it('hides an Entra credential object, a TLS private key and a credentials provider', () => {
    class ClientSecretCredential {
      clientSecret = 'client-Secret-Value';
      async getToken() {
        return { token: 'tok', expiresOnTimestamp: 0 };
      }
    }
    const secrets = ['client-Secret-Value', 'PRIVATE-KEY-PEM', 'provider-Secret'];
    const configs = [
      parse({ host: 'h', auth: entraId({ credential: new ClientSecretCredential(), objectId: 'oid-1' }) }),
      parse({ host: 'h', tls: { key: 'PRIVATE-KEY-PEM', cert: 'CERT-PEM' } }),
      parse({
        host: 'h',
        credentialsProvider: { type: 'async-credentials-provider', secret: 'provider-Secret', credentials: async () => ({}) },
      }),
    ];
    const text = configs.map((c) => printed(c) + printed(c.auth ?? {}) + printed(c.tls ?? {})).join('\n');
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).toContain('ClientSecretCredential'); // which credential, not what is in it
    expect(text).toContain('oid-1');
    expect(text).toContain('CERT-PEM');
  });

  it('a config parsed twice (createAgentMemory passes a parsed one to connect) is still hidden and equal', () => {
    const once = parse({ url: 'redis://u:s3cret@h:1/2' });
    const twice = parse(once);
    expect(printed(twice)).not.toContain('s3cret');
    expect(twice.url).toBe('redis://u:s3cret@h:1/2');
    expect({ ...twice }).toEqual({ ...once });
  });
});
