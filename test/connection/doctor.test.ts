// doctor(): the findings for real servers started with the settings that matter, and the pure
// rules on hand-made capabilities.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type LocalRedis } from '../../scripts/local-redis.js';
import type { ServerCapabilities } from '../../src/connection/capabilities.js';
import { diagnose, formatDoctorReport } from '../../src/connection/doctor.js';
import { createAgentMemory } from '../../src/index.js';
import { harness } from '../harness/index.js';

const codes = (report: { findings: { code: string }[] }) => report.findings.map((f) => f.code);

describe.runIf(harness().binaries.redis7)('doctor() against servers started with a given policy', () => {
  const servers: Record<string, LocalRedis> = {};

  beforeAll(async () => {
    const binary = harness().binaries.redis7!;
    const [lru, volatile, appendonly] = await Promise.all([
      startRedis(binary, ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']),
      startRedis(binary, ['--maxmemory', '64mb', '--maxmemory-policy', 'volatile-lru']),
      startRedis(binary, ['--maxmemory', '64mb', '--maxmemory-policy', 'noeviction', '--appendonly', 'yes']),
    ]);
    Object.assign(servers, { lru, volatile, appendonly });
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  });

  const doctorOf = async (server: LocalRedis) => {
    const memory = await createAgentMemory({ redis: { url: server.url } });
    try {
      return await memory.doctor();
    } finally {
      await memory.close();
    }
  };

  it('allkeys-lru: warns that permanent memories can be evicted', async () => {
    const report = await doctorOf(servers.lru!);
    expect(report.ok).toBe(true);
    const finding = report.findings.find((f) => f.code === 'EVICTION_ALLKEYS');
    expect(finding).toMatchObject({ severity: 'warning' });
    expect(finding?.message).toContain('allkeys-lru');
    expect(finding?.recommendation).toMatch(/volatile-lru or volatile-ttl/);
  });

  it('volatile-lru: no eviction finding; the report says what eviction can take and what it costs', async () => {
    const report = await doctorOf(servers.volatile!);
    expect(report.eviction.evicts).toBe('keys with a TTL');
    expect(report.eviction.cost).toMatch(/a session that loses any of its keys reads as gone \(never half\)/);
    expect(formatDoctorReport(report)).toMatch(/eviction takes keys with a TTL: /);
    expect(codes(report)).not.toContain('EVICTION_ALLKEYS');
    expect(codes(report)).not.toContain('EVICTION_NOEVICTION');
    // Redis 7 without modules: vector search falls back to the flat engine; no persistence.
    expect(codes(report)).toEqual(['NO_VECTOR_SEARCH', 'NO_PERSISTENCE']);
    expect(report.vectorEngine).toBe('flat');
  });

  it('noeviction with a memory limit: warns that writes will fail with OOM; AOF counts as persistence', async () => {
    const report = await doctorOf(servers.appendonly!);
    expect(codes(report)).toContain('EVICTION_NOEVICTION');
    expect(codes(report)).not.toContain('NO_PERSISTENCE');
    expect(formatDoctorReport(report)).toMatch(/\[warning\] EVICTION_NOEVICTION/);
  });
});

describe('diagnose (pure rules)', () => {
  const base: ServerCapabilities = {
    version: '8.0.2',
    major: 8,
    minor: 0,
    mode: 'standalone',
    modules: [{ name: 'vectorset', version: 1 }],
    search: null,
    json: null,
    vectorSets: true,
    maxmemory: 1 << 30,
    maxmemoryPolicy: 'volatile-ttl',
    persistence: { rdb: true, aof: false },
    configReadable: true,
  };
  const context = { endpoint: 'redis://h:1', clientMode: 'single' as const };

  it('a well-set Redis 8 has no findings and picks vector sets', () => {
    const report = diagnose(base, context);
    expect(report).toMatchObject({ ok: true, vectorEngine: 'vectorset', findings: [] });
    expect(formatDoctorReport(report)).toContain('no findings');
  });

  it('prefers RediSearch when present', () => {
    expect(diagnose({ ...base, search: { version: 21020 } }, context).vectorEngine).toBe('redisearch');
  });

  it.each(['allkeys-lru', 'allkeys-lfu', 'allkeys-random'])('%s is an eviction warning', (policy) => {
    expect(codes(diagnose({ ...base, maxmemoryPolicy: policy }, context))).toEqual(['EVICTION_ALLKEYS']);
    expect(diagnose({ ...base, maxmemoryPolicy: policy }, context).eviction.evicts).toBe('any key');
  });

  it('an old server and a cluster reached by a single client are errors, listed first', () => {
    const report = diagnose({ ...base, version: '6.0.9', major: 6, minor: 0, mode: 'cluster', maxmemoryPolicy: 'allkeys-lru' }, context);
    expect(report.ok).toBe(false);
    expect(codes(report)).toEqual(['SERVER_TOO_OLD', 'CLUSTER_CLIENT_MISMATCH', 'EVICTION_ALLKEYS']);
    expect(codes(diagnose({ ...base, mode: 'cluster' }, { ...context, clientMode: 'cluster' }))).toEqual([]);
  });

  it('a managed server that hides CONFIG: persistence unknown, said as information', () => {
    const report = diagnose({ ...base, configReadable: false, persistence: { rdb: null, aof: false } }, context);
    expect(report.ok).toBe(true);
    expect(codes(report)).toEqual(['PERSISTENCE_UNKNOWN', 'CONFIG_UNREADABLE']);
  });
});
