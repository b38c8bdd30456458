// Turns what the server can do into findings a person can act on: eviction that can delete
// permanent memories, no vector search, no persistence, a client that does not match the server's
// cluster mode. Pure: it reads ServerCapabilities, it never talks to Redis.
import type { ServerCapabilities } from './capabilities.js';

export type Severity = 'info' | 'warning' | 'error';

export interface Finding {
  /** Stable identifier, e.g. `EVICTION_ALLKEYS`. */
  code: string;
  severity: Severity;
  /** What is the matter. */
  message: string;
  /** What to do about it. */
  recommendation?: string;
}

export interface DoctorReport {
  /** False when any finding is an error. */
  ok: boolean;
  /** The endpoint, without credentials. */
  endpoint: string;
  /** Which vector engine `engine: 'auto'` would pick on this server. */
  vectorEngine: 'redisearch' | 'vectorset' | 'flat';
  /** What the eviction policy can take when memory fills, and what that costs the library's entities. */
  eviction: { evicts: 'nothing' | 'keys with a TTL' | 'any key' | 'unknown'; cost: string };
  server: ServerCapabilities;
  findings: Finding[];
}

/** The oldest server the library runs on (GETEX, LMPOP-free scripts, `SET … GET`). */
export const MIN_REDIS_VERSION = { major: 6, minor: 2 } as const;

const EVICTS_ANY_KEY = new Set(['allkeys-lru', 'allkeys-lfu', 'allkeys-random']);
const EVICTS_KEYS_WITH_TTL = new Set(['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']);

/**
 * What eviction costs the library's entities, whichever policy: Redis evicts key by key, and
 * each entity is built to stay correct when any one of its keys goes (see the README).
 */
const PIECEWISE_EVICTION =
  'Redis evicts one key at a time, so it can take one piece of an entity: a session that loses any of its keys reads as gone (never half), ' +
  'a cache entry or its tag set is dropped (an invalidated tag is still never served), a user’s session index is rebuilt by a SCAN on the next list(), ' +
  'and forgetUser still finds every key by SCAN.';

/** Examines a server's capabilities. Pure; the order of findings is most severe first. */
export function diagnose(server: ServerCapabilities, context: { endpoint: string; clientMode: 'single' | 'cluster' }): DoctorReport {
  const findings: Finding[] = [];
  const add = (finding: Finding) => findings.push(finding);

  if (server.major < MIN_REDIS_VERSION.major || (server.major === MIN_REDIS_VERSION.major && server.minor < MIN_REDIS_VERSION.minor)) {
    add({
      code: 'SERVER_TOO_OLD',
      severity: 'error',
      message: `Redis ${server.version} is older than ${MIN_REDIS_VERSION.major}.${MIN_REDIS_VERSION.minor}, the oldest this library supports.`,
      recommendation: 'Upgrade the server (Azure Managed Redis runs 7.4; Redis 8 adds vector sets).',
    });
  }

  if (server.mode === 'cluster' && context.clientMode === 'single') {
    add({
      code: 'CLUSTER_CLIENT_MISMATCH',
      severity: 'error',
      message: 'The server is a Redis Cluster node but the client talks to one node only; keys on other shards fail with MOVED.',
      recommendation: "Connect with clusterPolicy: 'oss' (or list the cluster's nodes).",
    });
  }

  const policy = server.maxmemoryPolicy;
  if (policy !== null && EVICTS_ANY_KEY.has(policy)) {
    add({
      code: 'EVICTION_ALLKEYS',
      severity: 'warning',
      message: `maxmemory-policy is ${policy}: when memory fills, Redis may evict any key, including long-term memories and sessions that have no TTL. ${PIECEWISE_EVICTION}`,
      recommendation:
        'Use volatile-lru or volatile-ttl when permanent data and TTL-bound caches share this instance, so only keys with a TTL are evicted; or keep caches on their own instance.',
    });
  } else if (policy === 'noeviction' && server.maxmemory !== null && server.maxmemory > 0) {
    add({
      code: 'EVICTION_NOEVICTION',
      severity: 'warning',
      message:
        'maxmemory-policy is noeviction: once maxmemory is reached every write fails with an OutOfMemoryError (OUT_OF_MEMORY, nothing half-written), caches included; reads keep working.',
      recommendation: 'Use volatile-lru or volatile-ttl so expiring cache entries make room, or size maxmemory with headroom.',
    });
  }
  if (server.maxmemory === 0) {
    add({
      code: 'MAXMEMORY_UNBOUNDED',
      severity: 'info',
      message: 'maxmemory is 0 (no limit): Redis grows until the operating system runs out of memory, and no eviction policy applies.',
      recommendation: 'Set maxmemory below the machine’s memory (managed services set it for you).',
    });
  }

  const vectorEngine = server.search ? 'redisearch' : server.vectorSets ? 'vectorset' : 'flat';
  if (vectorEngine === 'flat') {
    add({
      code: 'NO_VECTOR_SEARCH',
      severity: 'warning',
      message:
        'The server has neither RediSearch nor vector sets: long-term memory uses the flat engine, which scores every memory of a scope in the client.',
      recommendation:
        'Fine for a few thousand memories per user. For more, use Redis 8 (vector sets), Redis Stack, or Azure Managed Redis with the RediSearch module.',
    });
  }

  const { rdb, aof } = server.persistence;
  if (rdb === false && aof === false) {
    add({
      code: 'NO_PERSISTENCE',
      severity: 'warning',
      message: 'Neither RDB snapshots nor AOF are enabled: a restart loses every session and long-term memory.',
      recommendation: 'Enable AOF (appendonly yes) or RDB snapshots, or on Azure turn on data persistence.',
    });
  } else if (rdb === null || aof === null) {
    add({
      code: 'PERSISTENCE_UNKNOWN',
      severity: 'info',
      message: 'The server does not say whether it persists data (CONFIG GET is not allowed here).',
      recommendation: "Check the service's data persistence setting; without it a restart loses long-term memories.",
    });
  }

  if (!server.configReadable) {
    add({
      code: 'CONFIG_UNREADABLE',
      severity: 'info',
      message: 'CONFIG GET is refused (usual on managed services); memory settings were read from INFO instead.',
    });
  }

  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  findings.sort((a, b) => rank[a.severity] - rank[b.severity]);
  return {
    ok: !findings.some((f) => f.severity === 'error'),
    endpoint: context.endpoint,
    vectorEngine,
    eviction: evictionOf(policy),
    server,
    findings,
  };
}

function evictionOf(policy: string | null): DoctorReport['eviction'] {
  if (policy === null)
    return {
      evicts: 'unknown',
      cost: `The policy could not be read (CONFIG is hidden); assume keys with a TTL may be evicted. ${PIECEWISE_EVICTION}`,
    };
  if (EVICTS_ANY_KEY.has(policy))
    return { evicts: 'any key', cost: `Long-term memories and sessions without a TTL can be evicted too. ${PIECEWISE_EVICTION}` };
  if (EVICTS_KEYS_WITH_TTL.has(policy)) {
    return {
      evicts: 'keys with a TTL',
      cost: `Caches, sessions with a TTL and expiring memories can be evicted; keys without a TTL stay. ${PIECEWISE_EVICTION}`,
    };
  }
  return {
    evicts: 'nothing',
    cost: 'Nothing is evicted: at maxmemory every write fails with OUT_OF_MEMORY and writes nothing; reads keep working.',
  };
}

/** A doctor report as a few lines of text, for a terminal or a log. */
export function formatDoctorReport(report: DoctorReport): string {
  const { server } = report;
  const lines = [
    `Redis ${server.version} (${server.mode}) at ${report.endpoint}`,
    `  modules: ${server.modules.map((m) => m.name).join(', ') || 'none'}; vector engine: ${report.vectorEngine}`,
    `  maxmemory: ${server.maxmemory ?? 'unknown'}; policy: ${server.maxmemoryPolicy ?? 'unknown'}; ` +
      `persistence: rdb ${server.persistence.rdb ?? 'unknown'}, aof ${server.persistence.aof ?? 'unknown'}`,
    `  eviction takes ${report.eviction.evicts}: ${report.eviction.cost}`,
  ];
  for (const f of report.findings) {
    lines.push(`  [${f.severity}] ${f.code}: ${f.message}`);
    if (f.recommendation) lines.push(`      → ${f.recommendation}`);
  }
  if (report.findings.length === 0) lines.push('  no findings');
  return lines.join('\n');
}
