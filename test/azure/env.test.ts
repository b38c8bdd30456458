// connectionConfigFromEnv: REDIS_URL, or AMR_HOST with an access key or Entra ID. Exact outputs, no
// server; the Entra ID auth it builds is entraId()'s, so nothing is loaded until a token is asked for.
import { describe, expect, it } from 'vitest';
import { entraId } from '../../src/azure/entra-id.js';
import { connectionConfigFromEnv } from '../../src/azure/env.js';

describe('connectionConfigFromEnv', () => {
  it.each([
    ['REDIS_URL', { REDIS_URL: 'rediss://:k@h:10000', AMR_HOST: 'ignored' }, { url: 'rediss://:k@h:10000' }],
    [
      'REDIS_URL on an OSS cluster',
      { REDIS_URL: 'redis://h:7000', AMR_CLUSTER_POLICY: 'oss' },
      { url: 'redis://h:7000', clusterPolicy: 'oss' },
    ],
    ['AMR_HOST with Entra ID', { AMR_HOST: 'c.westeurope.redis.azure.net' }, { host: 'c.westeurope.redis.azure.net', auth: entraId() }],
    ['AMR_HOST with an object id', { AMR_HOST: 'c', AMR_OBJECT_ID: 'oid-1' }, { host: 'c', auth: entraId({ objectId: 'oid-1' }) }],
    ['AMR_HOST with an access key', { AMR_HOST: 'c', AMR_ACCESS_KEY: 'k' }, { host: 'c', auth: { type: 'accessKey', key: 'k' } }],
    [
      'AMR_PORT',
      { AMR_HOST: 'c', AMR_PORT: '10001', AMR_CLUSTER_POLICY: 'oss' },
      { host: 'c', port: 10001, tls: true, clusterPolicy: 'oss', auth: entraId() },
    ],
  ])('%s', (_, env, expected) => {
    expect(connectionConfigFromEnv(env)).toEqual(expected);
  });

  it("an object id is the user name; without one, the token's oid claim is", () => {
    const withId = connectionConfigFromEnv({ AMR_HOST: 'c', AMR_OBJECT_ID: 'oid-1' }).auth;
    expect(withId).toMatchObject({ type: 'token', username: 'oid-1', issuer: 'Microsoft Entra ID' });
    expect(connectionConfigFromEnv({ AMR_HOST: 'c' }).auth).toMatchObject({ type: 'token', username: expect.any(Function) });
  });

  it.each([
    [{}, 'REDIS_URL: set REDIS_URL, or AMR_HOST for Azure Managed Redis'],
    [{ AMR_HOST: 'c', AMR_PORT: 'ten' }, 'AMR_PORT: must be a port number'],
    [{ REDIS_URL: 'redis://h', AMR_CLUSTER_POLICY: 'sharded' }, "AMR_CLUSTER_POLICY: must be 'enterprise' or 'oss'"],
  ])('refuses %j', (env, expected) => {
    expect(() => connectionConfigFromEnv(env)).toThrow(expected);
  });
});
