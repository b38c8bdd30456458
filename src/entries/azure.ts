/**
 * `redis-agent-memory/azure`: what is particular to Azure Managed Redis. Microsoft Entra ID auth
 * ({@link entraId}), its host and port rules, and the environment-variable config. Only this entry
 * loads `@azure/identity` (an optional peer: `npm install @azure/identity`), and only when an
 * `entraId()` without a credential asks for its first token. The core entry never loads it.
 *
 * @example
 * import { createAgentMemory } from 'redis-agent-memory';
 * import { entraId } from 'redis-agent-memory/azure';
 * // A host name alone means TLS on port 10000; the user name is the token's oid claim.
 * const memory = await createAgentMemory({ redis: { host: 'my-cache.westeurope.redis.azure.net', auth: entraId() } });
 *
 * **Access keys, and rotating them.** `auth: { type: 'accessKey', key }` is the core's (an access key
 * is the `default` user's password). To rotate one without a restart, switch to the other key, then
 * regenerate the old one: `await memory.connection.rotateSecret(secondaryKey)` checks the secondary
 * key on a fresh connection first (a refusal is a CredentialsError and nothing changes), then every
 * live connection (duplicates, subscribers, each cluster node) re-authenticates with it; then run
 * `az redisenterprise database regenerate-key --key-type Primary …`. Next time, rotate back the
 * same way. Entra ID tokens need none of this: they refresh themselves.
 *
 * **Why not `@redis/entraid`.** Measured (6.1.0) and not adopted: it subscribes its token manager
 * again on every reconnect without releasing the old subscription (AUTHs double), its refresh timer
 * keeps the process alive, its default retry policy stops for good on a generic credential failure,
 * a `getToken` that never answers is never given up, a token without an `oid` logs in as `default`,
 * and it depends on `@azure/identity` and MSAL (~51 MB). A provider of its own can still be passed
 * as the connection's `credentialsProvider` (the library's re-authentication and `rotateSecret`
 * then do not apply).
 *
 * @packageDocumentation
 */
// Must never export anything the core needs: src/connection/ imports only ./azure/managed-redis.ts.
export { entraId } from '../azure/entra-id.js';
export type { EntraIdOptions } from '../azure/entra-id.js';
export { AMR_PORT, ENTRA_REDIS_SCOPE, isAzureManagedRedisHost } from '../azure/managed-redis.js';
export { CONNECTION_ENV_VARS, connectionConfigFromEnv } from '../azure/env.js';
