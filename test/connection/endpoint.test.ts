// The pure parts of connecting: where a config points (Azure Managed Redis host names mean TLS on
// 10000), which auth it asks for and which combinations it refuses, and the environment-variable
// form. Exact outputs, no server needed.
import { describe, expect, it } from 'vitest';
import { ConnectionConfigSchema, type ConnectionConfig } from '../../src/connection/config.js';
import { objectIdOf } from '../../src/connection/entra.js';
import { describeEndpoint, resolveEndpoint } from '../../src/connection/endpoint.js';
import { connectionConfigFromEnv } from '../../src/connection/env.js';
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
    ['an Enterprise-tier host alone', { host: 'c.eastus.redisenterprise.cache.azure.net' }, 'rediss://c.eastus.redisenterprise.cache.azure.net:10000'],
    ['an AMR host with its port', { host: 'c.westeurope.redis.azure.net', port: 6380 }, 'rediss://c.westeurope.redis.azure.net:6380'],
    ['an AMR host with tls: false', { host: 'c.westeurope.redis.azure.net', tls: false }, 'redis://c.westeurope.redis.azure.net:10000'],
    ['another host', { host: 'redis.internal' }, 'redis://redis.internal:6379'],
    ['a rediss URL', { url: 'rediss://:key@c.westeurope.redis.azure.net:10000' }, 'rediss://c.westeurope.redis.azure.net:10000'],
    ['a redis URL with tls', { url: 'redis://h:7000', tls: { ca: 'PEM' } }, 'rediss://h:7000'],
    ['an IPv6 URL', { url: 'redis://[::1]:6380' }, 'redis://[::1]:6380'],
    ['cluster seeds', { nodes: ['redis://a:7000', { host: 'b', port: 7001 }] }, 'redis://a:7000 (cluster)'],
    ['an AMR host with the OSS policy', { host: 'c.westeurope.redis.azure.net', clusterPolicy: 'oss' }, 'rediss://c.westeurope.redis.azure.net:10000 (cluster)'],
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
  it('fills the Entra ID defaults: scope, refresh at 75% of the lifetime, retry 1 s to 30 s, 10 s per token request', () => {
    expect(parse({ host: 'h', auth: { type: 'entra' } }).auth).toEqual({
      type: 'entra',
      scopes: ['https://redis.azure.com/.default'],
      refreshAt: 0.75,
      retry: { initialDelayMs: 1000, maxDelayMs: 30000 },
      tokenTimeoutMs: 10000,
    });
  });

  it.each([
    ['two ways at once', { url: 'redis://u:pw@h', auth: { type: 'accessKey', key: 'k' } }, 'auth: give credentials one way only (got auth and a password in the URL)'],
    ['password and auth', { host: 'h', password: 'p', auth: { type: 'password', password: 'q' } }, 'give credentials one way only (got auth and username/password)'],
    ['a username alone', { host: 'h', username: 'u' }, 'password: a username needs a password'],
    ['an empty key', { host: 'h', auth: { type: 'accessKey', key: '' } }, 'auth.key: Too small'],
    ['an unknown auth type', { host: 'h', auth: { type: 'kerberos' } }, 'auth.type'],
    ['a credential without getToken', { host: 'h', auth: { type: 'entra', credential: {} } }, 'auth.credential: must be a TokenCredential'],
    ['refreshAt of 1', { host: 'h', auth: { type: 'entra', refreshAt: 1 } }, 'auth.refreshAt: Too big'],
    ['a token timeout of 0', { host: 'h', auth: { type: 'entra', tokenTimeoutMs: 0 } }, 'auth.tokenTimeoutMs: Too small'],
    ['retry delays reversed', { host: 'h', auth: { type: 'entra', retry: { initialDelayMs: 5000, maxDelayMs: 10 } } }, 'auth.retry.maxDelayMs: must be at least initialDelayMs'],
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
    ['a database that is not a number', 'redis://h:6379/abc', 'url: the database (the path after the port) must be an integer from 0 to 15'],
    ['a negative database', 'redis://h:6379/-1', 'url: the database (the path after the port) must be an integer from 0 to 15'],
    ['a fractional database', 'redis://h:6379/1.5', 'url: the database (the path after the port) must be an integer from 0 to 15'],
    ['a database out of range', 'redis://h:6379/99', 'url: the database (the path after the port) must be an integer from 0 to 15'],
    ['a database in a cluster seed URL', ['redis://h:7000/3'], 'nodes.0: the database (the path after the port) must be 0 on a Redis Cluster'],
  ])('refuses a URL with %s, never echoing its credentials', (_, url, expected) => {
    const message = refusal(Array.isArray(url) ? { nodes: url } : { url });
    expect(message).toContain(expected);
    expect(message).not.toMatch(/pa%zzss|pass-Word|us%e0er/);
  });

  it('a database in a URL with clusterPolicy oss is refused as in a seed URL; database 0 is fine', () => {
    expect(refusal({ url: 'redis://h:7000/2', clusterPolicy: 'oss' })).toContain('url: the database (the path after the port) must be 0 on a Redis Cluster');
    expect(resolve({ url: 'redis://h:7000/0', clusterPolicy: 'oss' }).cluster).toBe(true);
  });

  it('accepts database paths 0 to 15, and none', () => {
    expect(resolve({ url: 'redis://h/0' }).database).toBe(0);
    expect(resolve({ url: 'redis://h:1/15' }).database).toBe(15);
    expect(resolve({ url: 'redis://h:1/' }).database).toBeUndefined();
    expect(resolve({ url: 'redis://h:1' }).database).toBeUndefined();
  });
});

describe('objectIdOf', () => {
  const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
  it('reads the oid claim of a JWT, and nothing from what is not one', () => {
    expect(objectIdOf(jwt({ oid: '0a1b', exp: 1 }))).toBe('0a1b');
    expect(objectIdOf(jwt({ sub: 'x' }))).toBeUndefined();
    expect(objectIdOf('not-a-jwt')).toBeUndefined();
    expect(objectIdOf('a.%%%.c')).toBeUndefined();
  });
});

describe('connectionConfigFromEnv', () => {
  it.each([
    ['REDIS_URL', { REDIS_URL: 'rediss://:k@h:10000', AMR_HOST: 'ignored' }, { url: 'rediss://:k@h:10000' }],
    ['REDIS_URL on an OSS cluster', { REDIS_URL: 'redis://h:7000', AMR_CLUSTER_POLICY: 'oss' }, { url: 'redis://h:7000', clusterPolicy: 'oss' }],
    ['AMR_HOST with Entra ID', { AMR_HOST: 'c.westeurope.redis.azure.net' }, { host: 'c.westeurope.redis.azure.net', auth: { type: 'entra' } }],
    ['AMR_HOST with an object id', { AMR_HOST: 'c', AMR_OBJECT_ID: 'oid-1' }, { host: 'c', auth: { type: 'entra', objectId: 'oid-1' } }],
    ['AMR_HOST with an access key', { AMR_HOST: 'c', AMR_ACCESS_KEY: 'k' }, { host: 'c', auth: { type: 'accessKey', key: 'k' } }],
    ['AMR_PORT', { AMR_HOST: 'c', AMR_PORT: '10001', AMR_CLUSTER_POLICY: 'oss' }, { host: 'c', port: 10001, tls: true, clusterPolicy: 'oss', auth: { type: 'entra' } }],
  ])('%s', (_, env, expected) => {
    expect(connectionConfigFromEnv(env)).toEqual(expected);
  });

  it.each([
    [{}, 'REDIS_URL: set REDIS_URL, or AMR_HOST for Azure Managed Redis'],
    [{ AMR_HOST: 'c', AMR_PORT: 'ten' }, 'AMR_PORT: must be a port number'],
    [{ REDIS_URL: 'redis://h', AMR_CLUSTER_POLICY: 'sharded' }, "AMR_CLUSTER_POLICY: must be 'enterprise' or 'oss'"],
  ])('refuses %j', (env, expected) => {
    expect(() => connectionConfigFromEnv(env)).toThrow(expected);
  });
});
