// The pure parts of connecting: where a config points (Azure Managed Redis host names mean TLS on
// 10000), which auth it asks for and which combinations it refuses. Exact outputs, no server needed.
// (Entra ID's builder and the environment-variable form are Azure's: test/azure/.)
import { describe, expect, it } from 'vitest';
import { ConnectionConfigSchema, type ConnectionConfig } from '../../src/connection/config.js';
import { describeEndpoint, resolveEndpoint } from '../../src/connection/endpoint.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { parseInput } from '../../src/validate.js';

const resolve = (config: ConnectionConfig) => resolveEndpoint(parseInput(ConnectionConfigSchema, config, 'connection config'));

const parse = (config: object) => parseInput(ConnectionConfigSchema, config, 'connection config');
const refusal = (config: object) => {
  try {
    parse(config);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('resolveEndpoint', () => {
  it.each([
    ['an AMR host alone', { host: 'cache1.westeurope.redis.azure.net' }, 'rediss://cache1.westeurope.redis.azure.net:10000'],
    [
      'an Enterprise-tier host alone',
      { host: 'c.eastus.redisenterprise.cache.azure.net' },
      'rediss://c.eastus.redisenterprise.cache.azure.net:10000',
    ],
    ['an AMR host with its port', { host: 'c.westeurope.redis.azure.net', port: 6380 }, 'rediss://c.westeurope.redis.azure.net:6380'],
    ['an AMR host with tls: false', { host: 'c.westeurope.redis.azure.net', tls: false }, 'redis://c.westeurope.redis.azure.net:10000'],
    ['another host', { host: 'redis.internal' }, 'redis://redis.internal:6379'],
    ['a rediss URL', { url: 'rediss://:key@c.westeurope.redis.azure.net:10000' }, 'rediss://c.westeurope.redis.azure.net:10000'],
    ['a redis URL with tls', { url: 'redis://h:7000', tls: { ca: 'PEM' } }, 'rediss://h:7000'],
    ['an IPv6 URL', { url: 'redis://[::1]:6380' }, 'redis://[::1]:6380'],
    ['cluster seeds', { nodes: ['redis://a:7000', { host: 'b', port: 7001 }] }, 'redis://a:7000 (cluster)'],
    [
      'an AMR host with the OSS policy',
      { host: 'c.westeurope.redis.azure.net', clusterPolicy: 'oss' },
      'rediss://c.westeurope.redis.azure.net:10000 (cluster)',
    ],
  ] satisfies [string, ConnectionConfig, string][])('%s', (_, config, described) => {
    expect(describeEndpoint(resolve(config))).toBe(described);
  });

  it('reads user, password and database from a URL, decoded, and TLS verification stays on', () => {
    const endpoint = resolve({ url: 'rediss://app%40x:p%2Fw@h:10000/3' });
    expect(endpoint).toMatchObject({
      seeds: [{ host: 'h', port: 10000 }],
      database: 3,
      tls: { rejectUnauthorized: true },
      urlCredentials: { username: 'app@x', password: 'p/w' },
      cluster: false,
    });
  });
});

describe('connection config: auth', () => {
  const credential = { getToken: async () => ({ token: 't', expiresOnTimestamp: 0 }) };
  const token = { type: 'token', credential, scopes: ['redis'] } as const;

  it('fills the token defaults: refresh at 75% of the lifetime, retry 1 s to 30 s, 10 s per token request', () => {
    expect(parse({ host: 'h', auth: { type: 'token', credential, scopes: ['redis'] } }).auth).toEqual({
      type: 'token',
      credential,
      scopes: ['redis'],
      refreshAt: 0.75,
      retry: { initialDelayMs: 1000, maxDelayMs: 30000 },
      tokenTimeoutMs: 10000,
    });
  });

  it.each([
    [
      'two ways at once',
      { url: 'redis://u:pw@h', auth: { type: 'accessKey', key: 'k' } },
      'auth: give credentials one way only (got auth and a password in the URL)',
    ],
    [
      'password and auth',
      { host: 'h', password: 'p', auth: { type: 'password', password: 'q' } },
      'give credentials one way only (got auth and username/password)',
    ],
    ['a username alone', { host: 'h', username: 'u' }, 'password: a username needs a password'],
    ['an empty key', { host: 'h', auth: { type: 'accessKey', key: '' } }, 'auth.key: Too small'],
    ['an unknown auth type', { host: 'h', auth: { type: 'kerberos' } }, 'auth.type'],
    ['a credential without getToken', { host: 'h', auth: { ...token, credential: {} } }, 'auth.credential: must be a TokenCredential'],
    [
      'a token auth without a credential',
      { host: 'h', auth: { type: 'token', scopes: ['redis'] } },
      'auth.credential: must be a TokenCredential',
    ],
    ['a token auth without scopes', { host: 'h', auth: { type: 'token', credential } }, 'auth.scopes'],
    ['refreshAt of 1', { host: 'h', auth: { ...token, refreshAt: 1 } }, 'auth.refreshAt: Too big'],
    ['a token timeout of 0', { host: 'h', auth: { ...token, tokenTimeoutMs: 0 } }, 'auth.tokenTimeoutMs: Too small'],
    [
      'retry delays reversed',
      { host: 'h', auth: { ...token, retry: { initialDelayMs: 5000, maxDelayMs: 10 } } },
      'auth.retry.maxDelayMs: must be at least initialDelayMs',
    ],
    ['an empty user name', { host: 'h', auth: { ...token, username: '' } }, 'auth.username'],
  ])('refuses %s', (_, config, expected) => {
    expect(refusal(config)).toContain(expected);
  });

  it('never echoes a key or password it refuses', () => {
    const message = refusal({ url: 'redis://u:hunter2-pw@h', auth: { type: 'accessKey', key: 'sekrit-key' } });
    expect(message).not.toMatch(/hunter2|sekrit/);
  });
});

describe('connection config: URLs', () => {
  it.each([
    ['a malformed %-escape in the password', 'redis://user:pa%zzss-Word@h:6379', 'url: the password is not validly %-encoded'],
    ['a malformed %-escape in the user name', 'redis://us%e0er:pass-Word@h:6379', 'url: the user name is not validly %-encoded'],
    [
      'a database that is not a number',
      'redis://h:6379/abc',
      'url: the database (the path after the port) must be an integer from 0 to 15',
    ],
    ['a negative database', 'redis://h:6379/-1', 'url: the database (the path after the port) must be an integer from 0 to 15'],
    ['a fractional database', 'redis://h:6379/1.5', 'url: the database (the path after the port) must be an integer from 0 to 15'],
    ['a database out of range', 'redis://h:6379/99', 'url: the database (the path after the port) must be an integer from 0 to 15'],
    [
      'a database in a cluster seed URL',
      ['redis://h:7000/3'],
      'nodes.0: the database (the path after the port) must be 0 on a Redis Cluster',
    ],
  ])('refuses a URL with %s, never echoing its credentials', (_, url, expected) => {
    const message = refusal(Array.isArray(url) ? { nodes: url } : { url });
    expect(message).toContain(expected);
    expect(message).not.toMatch(/pa%zzss|pass-Word|us%e0er/);
  });

  it('a database in a URL with clusterPolicy oss is refused as in a seed URL; database 0 is fine', () => {
    expect(refusal({ url: 'redis://h:7000/2', clusterPolicy: 'oss' })).toContain(
      'url: the database (the path after the port) must be 0 on a Redis Cluster',
    );
    expect(resolve({ url: 'redis://h:7000/0', clusterPolicy: 'oss' }).cluster).toBe(true);
  });

  it('accepts database paths 0 to 15, and none', () => {
    expect(resolve({ url: 'redis://h/0' }).database).toBe(0);
    expect(resolve({ url: 'redis://h:1/15' }).database).toBe(15);
    expect(resolve({ url: 'redis://h:1/' }).database).toBeUndefined();
    expect(resolve({ url: 'redis://h:1' }).database).toBeUndefined();
  });
});
