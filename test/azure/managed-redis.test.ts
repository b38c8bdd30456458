// Azure Managed Redis's host-name rule and port: the one place they live (the core's endpoint.ts
// applies them to a host given alone; test/connection/endpoint.test.ts checks that).
import { describe, expect, it } from 'vitest';
import { AMR_PORT, isAzureManagedRedisHost } from '../../src/azure/managed-redis.js';

describe('Azure Managed Redis host names', () => {
  it.each([
    ['my-cache.westeurope.redis.azure.net', true],
    ['MY-CACHE.WESTEUROPE.REDIS.AZURE.NET', true],
    ['c.eastus.redisenterprise.cache.azure.net', true],
    ['c.redis.cache.windows.net', false], // Azure Cache for Redis (Basic/Standard/Premium): port 6380, not this rule
    ['redis.azure.net.example.com', false],
    ['localhost', false],
  ])('%s: %s', (host, expected) => {
    expect(isAzureManagedRedisHost(host)).toBe(expected);
  });

  it('listens on 10000', () => {
    expect(AMR_PORT).toBe(10000);
  });
});
