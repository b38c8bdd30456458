// `redis-agent-memory doctor` against the real servers: the report, `--json`, and the exit codes
// (0 healthy, 1 an error-level risk, 2 bad usage or no connection settings).
import { describe, expect, it } from 'vitest';
import { harness, targetsWithCluster } from '../harness/index.js';
import { run, targetArgs } from './run.js';

describe('cli doctor', () => {
  for (const target of targetsWithCluster()) {
    it(`reports the server and the engine auto picks (${target.name})`, async () => {
      const result = await run([...targetArgs(target, 'cli'), '--json', 'doctor']);
      expect(result.stderr).toBe('');
      const report = JSON.parse(result.stdout) as { ok: boolean; endpoint: string; vectorEngine: string; findings: { severity: string }[] };
      expect(report.endpoint).toContain(new URL(target.url).port);
      expect(['redisearch', 'vectorset', 'flat']).toContain(report.vectorEngine);
      expect(result.code).toBe(report.findings.some((f) => f.severity === 'error') ? 1 : 0);
      expect(report.ok).toBe(result.code === 0);
    });
  }

  it('prints text with the engine, and exits 0 on a healthy server', async () => {
    const target = targetsWithCluster()[0]!;
    const result = await run([...targetArgs(target, 'cli'), 'doctor']);
    expect(result.stdout).toMatch(/vector engine: (redisearch|vectorset|flat)/);
    expect(result.code).toBe(0);
  });

  it('exits 1 on an error-level risk: a cluster node reached as a single server', async () => {
    const cluster = harness().cluster;
    if (!cluster) return;
    const node = cluster.nodes[0]!;
    const result = await run(['--url', `redis://${node.host}:${node.port}`, 'doctor']);
    expect(result.stdout).toContain('CLUSTER_CLIENT_MISMATCH');
    expect(result.code).toBe(1);
  });

  it('never prints the password of the URL', async () => {
    const target = targetsWithCluster()[0]!;
    const url = new URL(target.url);
    url.username = 'default';
    url.password = 's3cret-Pa55';
    const result = await run(['--url', url.toString(), 'doctor']);
    expect(result.stdout + result.stderr).not.toContain('s3cret-Pa55');
  });

  it('reads REDIS_URL when --url is absent, and exits 2 without any connection settings', async () => {
    const target = targetsWithCluster()[0]!;
    const fromEnv = await run(['--json', 'doctor'], { REDIS_URL: target.url });
    expect(JSON.parse(fromEnv.stdout).endpoint).toContain(new URL(target.url).port);
    const none = await run(['doctor']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('INVALID_ARGUMENT');
    expect(none.stderr).not.toMatch(/\n\s+at /); // no stack
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['doctor', '--no-such-flag'])).code).toBe(2);
  });
});
