// The harness starts what it claims: each server reports its own version, and the cluster is up.
import { describe, expect, it } from 'vitest';
import { parseInfo } from '../../src/connection/capabilities.js';
import { connectTo, connectToCluster, harness, targets, targetsWithCluster } from './index.js';

describe('test harness', () => {
  it.each(targets().map((t) => [t.name, t] as const))('%s reports the version it claims (INFO server)', async (_, target) => {
    const conn = await connectTo(target);
    try {
      const version = parseInfo(await conn.send<string>(['INFO', 'server'])).get('redis_version');
      if (target.name === 'redis8') expect(version).toMatch(/^8\./);
      if (target.name === 'redis7') expect(version).toMatch(/^7\./);
      if (target.version) expect(version).toBe(target.version);
      else expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    } finally {
      await conn.close();
    }
  });

  it('starts both Redis 8 and Redis 7 when no REDIS_URL is given', () => {
    if (process.env.REDIS_URL) return expect(targets().map((t) => t.name)).toEqual(['external']);
    expect(targets().map((t) => t.name)).toEqual(['redis8', 'redis7']);
  });

  it.runIf(harness().cluster)('runs a 3-master cluster that serves every slot', async () => {
    const conn = await connectToCluster();
    try {
      const info = parseInfo(await conn.send<string>(['CLUSTER', 'INFO']));
      expect(info.get('cluster_state')).toBe('ok');
      expect(info.get('cluster_slots_assigned')).toBe('16384');
      expect(info.get('cluster_size')).toBe('3');
    } finally {
      await conn.close();
    }
  });

  it.runIf(harness().cluster)('the cluster-acl target connects to every node as the harness’s ACL user', async () => {
    const target = targetsWithCluster({ asAclUser: true }).find((t) => t.name === 'cluster-acl')!;
    const conn = await connectTo(target);
    try {
      // Keys in different slots reach different nodes: each answers as the ACL user.
      const slots = ['{a}', '{b}', '{c}', '{d}', '{e}', '{f}'];
      const whoami = await Promise.all(slots.map((key) => conn.send<string>(['ACL', 'WHOAMI'], { key })));
      expect(new Set(whoami)).toEqual(new Set([harness().cluster!.acl.username]));
    } finally {
      await conn.close();
    }
  });
});
