// A connection config from environment variables (REDIS_URL, or AMR_HOST with an access key or
// Entra ID), for twelve-factor deployments on Azure. Reads only the object it is given, never echoes a
// value; Entra ID's DefaultAzureCredential is only created here, loaded at the first token request.
import type { ConnectionConfig } from '../connection/config.js';
import { InvalidArgumentError } from '../errors.js';
import { entraId } from './entra-id.js';

/**
 * The variables {@link connectionConfigFromEnv} reads:
 * - `REDIS_URL`: `redis[s]://[user:password@]host:port[/db]`, used as is;
 * - `AMR_HOST`: an Azure Managed Redis host name (TLS on port 10000), with `AMR_PORT` to override;
 * - `AMR_ACCESS_KEY`: use this access key; without it, Microsoft Entra ID (`entraId()`: DefaultAzureCredential,
 *   which reads `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, … itself);
 * - `AMR_OBJECT_ID`: the identity's object id, when its tokens carry no `oid` claim;
 * - `AMR_CLUSTER_POLICY`: `enterprise` (default) or `oss`.
 */
export const CONNECTION_ENV_VARS = ['REDIS_URL', 'AMR_HOST', 'AMR_PORT', 'AMR_ACCESS_KEY', 'AMR_OBJECT_ID', 'AMR_CLUSTER_POLICY'] as const;

/**
 * Builds a connection config from environment variables: `REDIS_URL` wins; otherwise `AMR_HOST`
 * with `AMR_ACCESS_KEY` (access key) or Entra ID (`entraId()`, which needs `@azure/identity`).
 * Throws an InvalidArgumentError naming the variable when neither is set or a value is malformed;
 * the result is validated again by connect().
 *
 * @example const memory = await createAgentMemory({ redis: connectionConfigFromEnv() });
 */
export function connectionConfigFromEnv(env: Record<string, string | undefined> = process.env): ConnectionConfig {
  const value = (name: (typeof CONNECTION_ENV_VARS)[number]) => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const policy = value('AMR_CLUSTER_POLICY');
  if (policy !== undefined && policy !== 'enterprise' && policy !== 'oss') {
    throw new InvalidArgumentError('environment', [{ path: 'AMR_CLUSTER_POLICY', message: "must be 'enterprise' or 'oss'" }]);
  }
  const clusterPolicy = policy === 'oss' ? { clusterPolicy: 'oss' as const } : {};

  const url = value('REDIS_URL');
  if (url !== undefined) return { url, ...clusterPolicy };

  const host = value('AMR_HOST');
  if (host === undefined) {
    throw new InvalidArgumentError('environment', [{ path: 'REDIS_URL', message: 'set REDIS_URL, or AMR_HOST for Azure Managed Redis' }]);
  }
  const portText = value('AMR_PORT');
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new InvalidArgumentError('environment', [{ path: 'AMR_PORT', message: 'must be a port number' }]);
  }
  const key = value('AMR_ACCESS_KEY');
  const objectId = value('AMR_OBJECT_ID');
  return {
    host,
    ...(port !== undefined ? { port, tls: true } : {}),
    ...clusterPolicy,
    auth: key !== undefined ? { type: 'accessKey', key } : entraId(objectId !== undefined ? { objectId } : {}),
  };
}
