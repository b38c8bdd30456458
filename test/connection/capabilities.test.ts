// The capability probe: pure parsing of the raw RESP3 replies (including servers that refuse CONFIG
// or HELLO), and the real probe against Redis 8, Redis 7 and the cluster.
import { describe, expect, it } from 'vitest';
import { parseCapabilities, parseInfo, probeCapabilities } from '../../src/connection/capabilities.js';
import { RedisCommandError } from '../../src/errors.js';
import { connectTo, connectToCluster, harness, targets } from '../harness/index.js';

const INFO_74 = [
  '# Server',
  'redis_version:7.4.1',
  'redis_mode:standalone',
  '# Memory',
  'maxmemory:1073741824',
  'maxmemory_policy:volatile-lru',
  '# Persistence',
  'aof_enabled:0',
  '# Modules',
  'module:name=search,ver=21020,api=1,filters=0,usedby=[],using=[],options=[]',
  'module:name=ReJSON,ver=20809,api=1,filters=0,usedby=[search],using=[],options=[]',
  '# Cluster',
  'cluster_enabled:0',
  '',
].join('\r\n');

describe('parseInfo', () => {
  it('flattens sections into key → value and skips headers', () => {
    const info = parseInfo('# Server\r\nredis_version:8.0.2\r\nexecutable:/a:b\r\n\r\n# Cluster\r\ncluster_enabled:1\r\n');
    expect(Object.fromEntries(info)).toEqual({ redis_version: '8.0.2', executable: '/a:b', cluster_enabled: '1' });
  });
});

describe('parseCapabilities', () => {
  it('reads a managed server that refuses CONFIG and MODULE-style commands from INFO alone', () => {
    const refused = new RedisCommandError("Redis rejected CONFIG: ERR unknown command 'CONFIG'");
    const caps = parseCapabilities({ hello: refused, info: INFO_74, config: refused, commands: refused });
    expect(caps).toEqual({
      version: '7.4.1',
      major: 7,
      minor: 4,
      mode: 'standalone',
      modules: [
        { name: 'search', version: 21020 },
        { name: 'ReJSON', version: 20809 },
      ],
      search: { version: 21020 },
      json: { version: 20809 },
      vectorSets: false,
      maxmemory: 1073741824,
      maxmemoryPolicy: 'volatile-lru',
      persistence: { rdb: null, aof: false },
      configReadable: false,
    });
  });

  it('reads HELLO (RESP3 map), CONFIG and COMMAND INFO when they answer', () => {
    const caps = parseCapabilities({
      hello: {
        server: 'redis',
        version: '8.0.2',
        proto: 3,
        mode: 'standalone',
        modules: [{ name: 'vectorset', ver: 1, path: '', args: [] }],
      },
      info: 'redis_version:8.0.2\r\ncluster_enabled:0\r\n',
      config: [{ maxmemory: '0' }, { 'maxmemory-policy': 'allkeys-lru' }, { save: '' }, { appendonly: 'no' }],
      commands: [['vadd', -1], null, null],
    });
    expect(caps).toMatchObject({
      major: 8,
      vectorSets: true,
      search: null,
      json: null,
      maxmemory: 0,
      maxmemoryPolicy: 'allkeys-lru',
      persistence: { rdb: false, aof: false },
      configReadable: true,
    });
  });

  it('reads a cluster node with the search module from HELLO and COMMAND INFO', () => {
    const caps = parseCapabilities({
      hello: {
        server: 'redis',
        version: '7.2.4',
        proto: 3,
        mode: 'cluster',
        modules: [{ name: 'search', ver: 20803, path: '', args: [] }],
      },
      info: 'redis_version:7.2.4\r\ncluster_enabled:1\r\n',
      config: [{ maxmemory: '100' }, { 'maxmemory-policy': 'noeviction' }, { save: '3600 1' }, { appendonly: 'yes' }],
      commands: [null, ['ft.search', -2], null],
    });
    expect(caps).toMatchObject({
      version: '7.2.4',
      mode: 'cluster',
      modules: [{ name: 'search', version: 20803 }],
      search: { version: 20803 },
      vectorSets: false,
      maxmemory: 100,
      persistence: { rdb: true, aof: true },
      configReadable: true,
    });
  });

  it('reads maps only as RESP3 decodes them (objects): a flat array is no map, and INFO answers instead', () => {
    const caps = parseCapabilities({
      hello: ['server', 'redis', 'version', '9.9.9', 'modules', [['name', 'search', 'ver', 1]]],
      info: INFO_74,
      config: [['maxmemory', '100']],
      commands: [null, null, null],
    });
    expect(caps).toMatchObject({
      version: '7.4.1',
      modules: [
        { name: 'search', version: 21020 },
        { name: 'ReJSON', version: 20809 },
      ],
      maxmemory: 1073741824,
      configReadable: false,
    });
  });
});

describe.each(targets().map((t) => [t.name, t] as const))('probeCapabilities (%s)', (name, target) => {
  it('reports the version, vector sets and the harness settings', async () => {
    const conn = await connectTo(target);
    try {
      const caps = await probeCapabilities(conn);
      expect(caps.configReadable).toBe(true);
      expect(caps.mode).toBe('standalone');
      if (name === 'redis8') {
        expect(caps.major).toBe(8);
        expect(caps.vectorSets).toBe(true);
        expect(caps.modules.map((m) => m.name)).toContain('vectorset');
      }
      if (name === 'redis7') {
        expect(caps.major).toBe(7);
        expect(caps.vectorSets).toBe(false);
      }
      if (name !== 'external') {
        // The harness starts servers with --save "" --appendonly no and no memory limit.
        expect(caps.persistence).toEqual({ rdb: false, aof: false });
        expect(caps.maxmemory).toBe(0);
        expect(caps.maxmemoryPolicy).toBe('noeviction');
      }
    } finally {
      await conn.close();
    }
  });
});

describe.runIf(harness().cluster)('probeCapabilities (cluster)', () => {
  it('reports cluster mode', async () => {
    const conn = await connectToCluster();
    try {
      expect(conn.mode).toBe('cluster');
      const caps = await probeCapabilities(conn);
      expect(caps.mode).toBe('cluster');
      expect(caps.vectorSets).toBe(true);
    } finally {
      await conn.close();
    }
  });
});
