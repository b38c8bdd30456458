// The connection options: one zod schema, defaults documented here once. It validates shape and
// ranges only; turning a config into a client is connect.ts's job. Never echo a value: it may be secret.
import { z } from 'zod';
import { authView, connectionView, printsAs, tlsView } from './redact.js';

const parseRedisUrl = (value: string): URL | undefined => {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname.length > 0 ? url : undefined;
  } catch {
    return undefined;
  }
};

const isRedisUrl = (value: string): boolean => parseRedisUrl(value) !== undefined;

/** The highest database `database` and a URL's path accept (Redis's default `databases 16`). */
const MAX_DATABASE = 15;

const decodes = (part: string): boolean => {
  try {
    decodeURIComponent(part);
    return true;
  } catch {
    return false;
  }
};

/** The database a URL's path names (`/3` → 3), undefined without one, NaN for anything else. */
const databaseOf = (url: URL): number | undefined => {
  const path = url.pathname.replace(/^\//, '');
  if (path === '') return undefined;
  return /^\d{1,9}$/.test(path) ? Number(path) : Number.NaN;
};

/**
 * What is wrong with a Redis URL, if anything, without repeating any part of it (the user name and
 * password are credentials). `cluster`: a cluster's seed, whose database can only be 0.
 */
function urlProblems(value: string, cluster: boolean): string[] {
  const url = parseRedisUrl(value);
  if (!url) return ['must be a URL of the form redis[s]://[[user][:password]@]host[:port][/db]'];
  const problems: string[] = [];
  const escaping = 'is not validly %-encoded (a % must start an escape such as %25 for a literal %)';
  if (!decodes(url.username)) problems.push(`the user name ${escaping}`);
  if (!decodes(url.password)) problems.push(`the password ${escaping}`);
  const database = databaseOf(url);
  if (database !== undefined) {
    if (cluster && database !== 0) problems.push('the database (the path after the port) must be 0 on a Redis Cluster');
    else if (!(database >= 0 && database <= MAX_DATABASE)) {
      problems.push(`the database (the path after the port) must be an integer from 0 to ${MAX_DATABASE}`);
    }
  }
  return problems;
}

const redisUrlSchema = (cluster: boolean) =>
  z.string().superRefine((value, ctx) => {
    for (const message of urlProblems(value, cluster)) ctx.addIssue({ code: 'custom', message });
  });

const RedisUrlSchema = redisUrlSchema(false);

const PortSchema = z.number().int().min(1).max(65535);

const NodeSchema = z.union([redisUrlSchema(true), z.object({ host: z.string().min(1), port: PortSchema }).strict()]);

const PemSchema = z.union([z.string(), z.instanceof(Buffer)]);

/** TLS settings. The server's certificate is verified unless `rejectUnauthorized: false`. */
export const TlsConfigSchema = z
  .object({
    /** CA certificate(s) (PEM) to trust in addition to Node's defaults. */
    ca: z.union([PemSchema, z.array(PemSchema)]).optional(),
    /** Client certificate and key (PEM), for servers that ask for mutual TLS. */
    cert: PemSchema.optional(),
    key: PemSchema.optional(),
    /** Server name to verify the certificate against (SNI); defaults to the host. */
    servername: z.string().min(1).optional(),
    /** Verify the server's certificate. Default true; turning it off is for local testing only. */
    rejectUnauthorized: z.boolean().default(true),
  })
  .strict();

export type TlsConfig = z.output<typeof TlsConfigSchema>;

/** A token and its expiry, as a token credential returns it. */
export interface AccessTokenLike {
  token: string;
  /** When the token expires, in ms since the epoch. */
  expiresOnTimestamp: number;
}

/**
 * Anything with `getToken(scopes)` that returns a token and its expiry: Azure's TokenCredential
 * classes fit as they are (`ManagedIdentityCredential`, `ClientSecretCredential`, …), and so does
 * any other issuer's adapter. Typed structurally so that the core never loads a vendor's SDK.
 */
export interface TokenCredentialLike {
  getToken(scopes: string | string[], options?: object): Promise<AccessTokenLike | null>;
}

/** A {@link TokenCredentialLike}: an object with a `getToken` method. */
export const TokenCredentialSchema = z.custom<TokenCredentialLike>(
  (v) => typeof v === 'object' && v !== null && typeof (v as { getToken?: unknown }).getToken === 'function',
  'must be a TokenCredential (an object with a getToken method)',
);

/** Reads the Redis user name from a token; throws a CredentialsError (never echoing the token) when it cannot. */
export type TokenUsername = (token: string) => string;

const SecretSchema = z.string().min(1);

const DelaySchema = z.number().int().min(1).max(3_600_000);

/**
 * Token auth, for any issuer: a token for `scopes` from `credential` is the password, refreshed
 * before it expires, and every connection re-authenticates with each new one. For Microsoft Entra
 * ID, build it with `entraId()` from `redis-agent-memory/azure` (scope, user name and messages set).
 *
 * @example { type: 'token', credential: myIssuer, scopes: ['redis'], username: 'app' }
 */
export const TokenAuthSchema = z
  .object({
    type: z.literal('token'),
    credential: TokenCredentialSchema,
    /** The scopes asked for in each `getToken` call. */
    scopes: z.array(z.string().min(1)).min(1),
    /**
     * The Redis user name: a fixed one, or a function that reads it from each token (entraId()
     * reads the `oid` claim). Default: none, so the token is the `default` user's password.
     */
    username: z.union([z.string().min(1), z.custom<TokenUsername>((v) => typeof v === 'function')]).optional(),
    /** What error messages call the issuer (`'Microsoft Entra ID'` makes "a Microsoft Entra ID token"). */
    issuer: z.string().min(1).optional(),
    /** What error messages tell the user to check when a token cannot be had or is refused. */
    hint: z.string().min(1).optional(),
    /**
     * Fraction of a token's lifetime after which a new one is fetched and every connection
     * re-authenticates. Default 0.75 (45 minutes into a 60-minute token).
     */
    refreshAt: z.number().gt(0).lt(1).default(0.75),
    /** Retries of a failed refresh: exponential backoff with jitter, until a token comes. */
    retry: z
      .object({
        /** Default 1000. */
        initialDelayMs: DelaySchema.default(1_000),
        /** Default 30000. */
        maxDelayMs: DelaySchema.default(30_000),
      })
      .strict()
      .default({ initialDelayMs: 1_000, maxDelayMs: 30_000 }),
    /**
     * Time allowed for one token request (the credential's `getToken`, and whatever it loads
     * first), in ms. A request still unanswered then fails with a CredentialsError naming the
     * credential (a refresh is then retried, as any failed one). Default 10000.
     */
    tokenTimeoutMs: z.number().int().min(1).max(600_000).default(10_000),
  })
  .strict();

/** An access key (Azure Managed Redis's, say): the password of the `default` user. */
export const AccessKeyAuthSchema = z.object({ type: z.literal('accessKey'), key: SecretSchema }).strict();

/** An ACL user and its password (user `default` when no username is given). */
export const PasswordAuthSchema = z
  .object({ type: z.literal('password'), username: z.string().min(1).optional(), password: SecretSchema })
  .strict();

export const AuthConfigSchema = z.discriminatedUnion('type', [TokenAuthSchema, AccessKeyAuthSchema, PasswordAuthSchema]);

export type AuthConfig = z.input<typeof AuthConfigSchema>;
export type ResolvedAuthConfig = z.output<typeof AuthConfigSchema>;
export type TokenAuthConfig = z.input<typeof TokenAuthSchema>;
export type ResolvedTokenAuth = z.output<typeof TokenAuthSchema>;

const ReconnectSchema = z
  .object({
    /** First delay before reconnecting, in ms; doubles on each attempt (with jitter). Default 50. */
    initialDelayMs: z.number().int().min(1).max(60_000).default(50),
    /** Cap on the delay between attempts, in ms. Default 2000. */
    maxDelayMs: z.number().int().min(1).max(300_000).default(2_000),
    /** Give up after this many attempts in a row (the client then closes). Default: never give up. */
    maxAttempts: z.number().int().min(1).optional(),
  })
  .strict();

/**
 * How to reach Redis. Give exactly one of `url`, `host` or `nodes`.
 *
 * @example { url: 'redis://localhost:6379' }
 * @example { host: 'my-cache.westeurope.redis.azure.net', auth: entraId() } // entraId from 'redis-agent-memory/azure'
 * @example { host: 'my-cache.westeurope.redis.azure.net', auth: { type: 'accessKey', key: process.env.AMR_ACCESS_KEY } }
 * @example { nodes: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000'], clusterPolicy: 'oss' }
 */
export const ConnectionConfigSchema = z
  .object({
    /** `redis://` or `rediss://` (TLS) URL; may carry user, password and database. */
    url: RedisUrlSchema.optional(),
    /** A host name; an Azure Managed Redis one (`*.redis.azure.net`) alone means TLS on port 10000. */
    host: z.string().min(1).optional(),
    /** Default 6379 (10000 for an Azure Managed Redis host). */
    port: PortSchema.optional(),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** How to authenticate: tokens (Microsoft Entra ID: `entraId()`), an access key, or a user and password. */
    auth: AuthConfigSchema.optional(),
    /** Logical database (single server only), as a URL's path may also give it. Default 0. */
    database: z.number().int().min(0).max(MAX_DATABASE).optional(),
    /**
     * `true` for TLS with Node's trusted CAs, or TLS settings. Implied by a `rediss://` URL and by
     * an Azure Managed Redis host name.
     */
    tls: z.union([z.boolean(), TlsConfigSchema]).optional(),
    /**
     * How the server shards: `'enterprise'` (one endpoint hides the shards, as Azure Managed
     * Redis's Enterprise policy) and no value use one connection; `'oss'` (Redis Cluster, or
     * Azure Managed Redis's OSS policy) uses a cluster-aware client that talks to every shard.
     */
    clusterPolicy: z.enum(['enterprise', 'oss']).optional(),
    /** Seed nodes of a Redis Cluster (implies `clusterPolicy: 'oss'`). */
    nodes: z.array(NodeSchema).min(1).optional(),
    /** Time allowed for the first connection, all retries included, in ms. Default 5000. */
    connectTimeoutMs: z.number().int().min(1).max(600_000).default(5_000),
    /** Time allowed for one command before it fails with a TimeoutError, in ms. Default 5000. */
    commandTimeoutMs: z.number().int().min(1).max(600_000).default(5_000),
    /** Reconnection after a dropped connection: exponential backoff with jitter. */
    reconnect: ReconnectSchema.default({ initialDelayMs: 50, maxDelayMs: 2_000 }),
    /**
     * A node-redis credentials provider of your own, for a scheme `auth` does not cover. The
     * library's re-authentication and `rotateSecret` do not apply to it.
     */
    credentialsProvider: z.custom<object>((v) => typeof v === 'object' && v !== null).optional(),
    /** Name shown in `CLIENT LIST`. Default `redis-agent-memory`. */
    clientName: z
      .string()
      .regex(/^[!-~]+$/, 'must be printable ASCII without spaces')
      .default('redis-agent-memory'),
    /** Receives errors the client recovers from by itself (dropped connections, retries). */
    onError: z.custom<(error: Error) => void>((v) => typeof v === 'function').optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const given = (['url', 'host', 'nodes'] as const).filter((k) => config[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: given.length === 0 ? 'give one of url, host or nodes' : `give only one of url, host or nodes (got ${given.join(' and ')})`,
      });
    }
    if (config.nodes && config.clusterPolicy === 'enterprise') {
      ctx.addIssue({ code: 'custom', path: ['clusterPolicy'], message: "nodes are for clusterPolicy 'oss'" });
    }
    if (config.database !== undefined && (config.nodes || config.clusterPolicy === 'oss')) {
      ctx.addIssue({ code: 'custom', path: ['database'], message: 'a Redis Cluster has only database 0' });
    }
    const givenUrl = config.url === undefined ? undefined : parseRedisUrl(config.url);
    if (config.clusterPolicy === 'oss' && givenUrl && (databaseOf(givenUrl) ?? 0) !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'the database (the path after the port) must be 0 on a Redis Cluster',
      });
    }
    const urls = [config.url, ...(config.nodes ?? [])].filter((u): u is string => typeof u === 'string');
    const urlHasPassword = urls.some((u) => isRedisUrl(u) && new URL(u).password !== '');
    const ways = [
      config.auth && 'auth',
      (config.username !== undefined || config.password !== undefined) && 'username/password',
      urlHasPassword && 'a password in the URL',
      config.credentialsProvider && 'credentialsProvider',
    ].filter((w): w is string => typeof w === 'string');
    if (ways.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['auth'], message: `give credentials one way only (got ${ways.join(' and ')})` });
    }
    if (config.username !== undefined && config.password === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'a username needs a password' });
    }
    if (config.auth?.type === 'token' && config.auth.retry.maxDelayMs < config.auth.retry.initialDelayMs) {
      ctx.addIssue({ code: 'custom', path: ['auth', 'retry', 'maxDelayMs'], message: 'must be at least initialDelayMs' });
    }
    if (config.reconnect.maxDelayMs < config.reconnect.initialDelayMs) {
      ctx.addIssue({ code: 'custom', path: ['reconnect', 'maxDelayMs'], message: 'must be at least initialDelayMs' });
    }
  })
  // The resolved config is what RedisConnection.config (and so `memory.connection`) exposes: it, its
  // auth and its TLS settings print with their secrets redacted, wherever they are inspected.
  .transform((config) => {
    if (config.auth) printsAs(config.auth, authView);
    if (typeof config.tls === 'object') printsAs(config.tls, tlsView);
    return printsAs(config, connectionView);
  });

export type ConnectionConfig = z.input<typeof ConnectionConfigSchema>;
export type ResolvedConnectionConfig = z.output<typeof ConnectionConfigSchema>;
