// Vitest global setup: starts the real servers every suite runs against (Redis 8, with a TLS port
// signed by a throwaway CA, Redis 7, a 3-master Redis 8 cluster with an ACL user) on free loopback ports, and stops
// them afterwards, and beside them a PostgreSQL with pgvector (the cold tier's store). REDIS_URL
// replaces the local Redis servers with an external one, POSTGRES_URL the local PostgreSQL;
// REDISEARCH_URL enables the RediSearch suites.
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import {
  findRedisServer,
  rawCommand,
  makeTestCertificates,
  startCluster,
  startRedis,
  type LocalCluster,
  type LocalRedis,
  type TestCertificates,
} from '../../scripts/local-redis.js';
import { describePostgres, findPgvector, startPostgres, type LocalPostgres } from '../../scripts/local-postgres.js';
import type { HarnessInfo } from './index.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: (LocalRedis | LocalCluster | LocalPostgres)[] = [];
  const say = (line: string) => console.log(`harness: ${line}`);
  const info: HarnessInfo = {
    targets: [],
    cluster: null,
    tls: null,
    binaries: {},
    redisearchUrl: process.env.REDISEARCH_URL ?? null,
    postgres: null,
  };
  let certificates: TestCertificates | undefined;
  // Started now, awaited once the Redis servers are up, so that both start side by side. Should a
  // Redis server fail to start, local-postgres.ts's exit handler stops it with the process.
  const postgres = startHarnessPostgres(say);
  postgres.catch(() => {});

  if (process.env.REDIS_URL) {
    info.targets.push({ name: 'external', url: process.env.REDIS_URL, version: null });
    say('REDIS_URL is set: every suite runs against that server; the local servers and cluster are not started.');
  } else {
    const redis8 = findRedisServer(8);
    const redis7 = findRedisServer(7);
    if (!redis8) throw new Error('No Redis 8 server: run scripts/provision-redis.sh');
    info.binaries = { redis8, ...(redis7 ? { redis7 } : {}) };
    certificates = makeTestCertificates();
    const [r8, r7, cluster] = await Promise.all([
      startRedis(redis8, [], { tls: certificates }),
      redis7 ? startRedis(redis7) : Promise.resolve(null),
      startCluster(redis8, 3),
    ]);
    started.push(r8, cluster, ...(r7 ? [r7] : []));
    info.targets.push({ name: 'redis8', url: r8.url, version: r8.version });
    say(`Redis ${r8.version} at ${r8.url} (TLS on port ${r8.tlsPort})`);
    info.tls = { host: r8.host, port: r8.tlsPort!, ca: certificates.ca };
    if (r7) {
      info.targets.push({ name: 'redis7', url: r7.url, version: r7.version });
      say(`Redis ${r7.version} at ${r7.url}`);
    } else {
      say('no Redis 7 binary (apt-get install redis-server): the Redis 7 runs are skipped.');
    }
    // An ACL user on every node (ACL users are per node), for suites that run as one, as on
    // Azure Managed Redis where the default user is off.
    const acl = { username: 'am-harness', password: randomBytes(16).toString('hex') };
    await Promise.all(cluster.nodes.map((n) => rawCommand(n.port, `ACL SETUSER ${acl.username} on >${acl.password} ~* &* +@all`)));
    info.cluster = { nodes: cluster.nodes, version: cluster.version, acl };
    say(`Redis Cluster (${cluster.nodes.length} masters, Redis ${cluster.version}) at ${cluster.nodes.map((n) => n.port).join(', ')}`);
  }
  const pg = await postgres;
  if (pg.server) started.push(pg.server);
  info.postgres = pg.description;
  if (!info.redisearchUrl) {
    say('REDISEARCH_URL is not set: the RediSearch integration suites are skipped (set it to a server with the RediSearch module).');
  }

  project.provide('harness', info);
  return async () => {
    await Promise.all(started.map((s) => s.stop()));
    certificates?.remove();
  };
}

/** POSTGRES_URL's server (checked: the vector extension is created there), or a local one. */
async function startHarnessPostgres(
  say: (line: string) => void,
): Promise<{ server?: LocalPostgres; description: HarnessInfo['postgres'] }> {
  const external = process.env.POSTGRES_URL;
  if (external) {
    const { version, vectorVersion } = await describePostgres(external);
    say(`POSTGRES_URL is set: the PostgreSQL suites run against that server (PostgreSQL ${version}, pgvector ${vectorVersion}).`);
    return { description: { url: external, version } };
  }
  const binDir = findPgvector();
  if (!binDir) throw new Error('No PostgreSQL with pgvector: run scripts/provision-pgvector.sh');
  const server = await startPostgres(binDir);
  say(`PostgreSQL ${server.version} (pgvector ${server.vectorVersion}) at ${server.url}`);
  return { server, description: { url: server.url, version: server.version } };
}
