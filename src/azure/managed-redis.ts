// The fixed facts of Azure Managed Redis: its port, its host names and its Entra ID token scope,
// in one place. Pure and dependency-free: the core's endpoint.ts imports it, so it must never import
// the Azure SDK (or anything else that a user without Azure would have to load).

/** The port Azure Managed Redis listens on (TLS only). */
export const AMR_PORT = 10000;

/**
 * Host names of Azure Managed Redis (`<name>.<region>.redis.azure.net`) and of the older Azure
 * Cache for Redis Enterprise (`….redisenterprise.cache.azure.net`): TLS on port 10000.
 */
const AZURE_REDIS_HOST = /\.(redis\.azure\.net|redisenterprise\.cache\.azure\.net)$/i;

/**
 * True for an Azure Managed Redis host name: given alone as `host`, it means TLS on port 10000.
 *
 * @example isAzureManagedRedisHost('my-cache.westeurope.redis.azure.net') // true
 */
export const isAzureManagedRedisHost = (host: string): boolean => AZURE_REDIS_HOST.test(host);

/** The scope of Azure Managed Redis's Microsoft Entra ID tokens. */
export const ENTRA_REDIS_SCOPE = 'https://redis.azure.com/.default';
