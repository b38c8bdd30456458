// Where to connect, worked out once from a validated config: host, port, TLS, database and the
// cluster's seed nodes, plus credentials carried by a URL. Pure; it never opens a socket or echoes a secret.
import { AMR_PORT, isAzureManagedRedisHost } from '../azure/managed-redis.js';
import type { ResolvedConnectionConfig, TlsConfig } from './config.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface Endpoint {
  /** The node to connect to (single client) or the first seed (cluster). */
  seeds: HostPort[];
  /** TLS options for node's `tls.connect`, or undefined for plain TCP. */
  tls: TlsConfig | undefined;
  database: number | undefined;
  cluster: boolean;
  /** Credentials written in the URL (`redis://user:password@…`), decoded. */
  urlCredentials: { username?: string; password: string } | undefined;
}

/**
 * Resolves the config's endpoint. An Azure Managed Redis host name given alone means TLS on
 * port 10000, as `rediss://<host>:10000` would; an explicit `port` or `tls: false` wins.
 */
export function resolveEndpoint(config: ResolvedConnectionConfig): Endpoint {
  const cluster = config.clusterPolicy === 'oss' || config.nodes !== undefined;
  const explicitTls: TlsConfig | undefined =
    config.tls === undefined || config.tls === false ? undefined : config.tls === true ? { rejectUnauthorized: true } : config.tls;
  let tls = explicitTls;
  let seeds: HostPort[];
  let database = config.database;
  let urlCredentials: Endpoint['urlCredentials'];

  if (config.url !== undefined) {
    const url = new URL(config.url);
    if (url.protocol === 'rediss:') tls ??= { rejectUnauthorized: true };
    seeds = [{ host: unbracket(url.hostname), port: url.port ? Number(url.port) : 6379 }];
    const path = url.pathname.replace(/^\//, '');
    if (path !== '') database ??= Number(path); // checked by the schema: an integer from 0 to 15
    urlCredentials = credentialsOf(url);
  } else if (config.host !== undefined) {
    const azure = isAzureManagedRedisHost(config.host);
    if (azure && config.tls === undefined) tls = { rejectUnauthorized: true };
    seeds = [{ host: config.host, port: config.port ?? (azure ? AMR_PORT : 6379) }];
  } else {
    seeds = (config.nodes ?? []).map((node) => {
      if (typeof node !== 'string') return node;
      const url = new URL(node);
      if (url.protocol === 'rediss:') tls ??= { rejectUnauthorized: true };
      urlCredentials ??= credentialsOf(url);
      return { host: unbracket(url.hostname), port: url.port ? Number(url.port) : 6379 };
    });
  }
  return { seeds, tls, database, cluster, urlCredentials };
}

/** `redis[s]://host:port`, with `(cluster)` for a cluster: never any credentials. Safe to log. */
export function describeEndpoint(endpoint: Endpoint): string {
  const first = endpoint.seeds[0];
  const host = first?.host.includes(':') ? `[${first.host}]` : first?.host;
  return `${endpoint.tls ? 'rediss' : 'redis'}://${host}:${first?.port}${endpoint.cluster ? ' (cluster)' : ''}`;
}

// The schema has checked that both parts decode, so decodeURIComponent cannot throw here.
function credentialsOf(url: URL): Endpoint['urlCredentials'] {
  if (!url.password) return undefined;
  return url.username
    ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
    : { password: decodeURIComponent(url.password) };
}

const unbracket = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1');
