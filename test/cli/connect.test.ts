// Where the CLI's connection comes from (pure): --url first, else the library's environment variables
// (REDIS_URL, AMR_HOST with an access key or Entra ID), --cluster for the OSS cluster policy, and the prefix.
import { describe, expect, it } from 'vitest';
import { connectionConfigOf, prefixOf } from '../../src/cli/connect.js';

describe('cli connection', () => {
  it('--url wins over the environment; --cluster asks for a cluster-aware client', () => {
    expect(connectionConfigOf({ url: 'redis://a:1' }, { REDIS_URL: 'redis://b:2' })).toEqual({ url: 'redis://a:1' });
    expect(connectionConfigOf({ url: 'redis://a:1', cluster: true }, {})).toEqual({ url: 'redis://a:1', clusterPolicy: 'oss' });
  });

  it('reads REDIS_URL, or AMR_HOST with AMR_ACCESS_KEY, or Entra ID without a key', () => {
    expect(connectionConfigOf({}, { REDIS_URL: 'redis://b:2' })).toEqual({ url: 'redis://b:2' });
    expect(connectionConfigOf({}, { AMR_HOST: 'x.westeurope.redis.azure.net', AMR_ACCESS_KEY: 'k3y' })).toMatchObject({
      host: 'x.westeurope.redis.azure.net',
      auth: { type: 'accessKey', key: 'k3y' },
    });
    expect(connectionConfigOf({}, { AMR_HOST: 'x.westeurope.redis.azure.net' })).toMatchObject({ auth: { type: 'token' } });
    expect(connectionConfigOf({ cluster: true }, { AMR_HOST: 'x.westeurope.redis.azure.net', AMR_ACCESS_KEY: 'k' })).toMatchObject({
      clusterPolicy: 'oss',
    });
    expect(() => connectionConfigOf({}, {})).toThrow(/REDIS_URL/);
  });

  it('prefix: --prefix, else AM_PREFIX, else am', () => {
    expect(prefixOf({ prefix: 'p1' }, { AM_PREFIX: 'p2' })).toBe('p1');
    expect(prefixOf({}, { AM_PREFIX: 'p2' })).toBe('p2');
    expect(prefixOf({}, {})).toBe('am');
  });
});
