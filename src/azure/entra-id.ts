// Microsoft Entra ID for Azure Managed Redis: the core's token auth with Entra's scope, its user name
// (the token's oid claim, or the object id given) and its advice in every error. The only file that
// imports @azure/identity, and only on the first token request of a DefaultAzureCredential.
import { z } from 'zod';
import { CredentialsError } from '../errors.js';
import { TokenAuthSchema, TokenCredentialSchema, type TokenAuthConfig, type TokenCredentialLike } from '../connection/config.js';
import { parseInput } from '../validate.js';
import { ENTRA_REDIS_SCOPE } from './managed-redis.js';

/** What every Entra ID failure says to check (no token, no secret: it is fixed text). */
const ENTRA_HINT =
  'Check that the identity can get a token here (managed identity enabled on this resource, AZURE_CLIENT_ID ' +
  'for a user-assigned one, `az login` for development), that the scope is ' +
  `${ENTRA_REDIS_SCOPE}, and that the identity has an access policy assignment on the cache.`;

/** Options of {@link entraId}; every one may be left out. */
export const EntraIdOptionsSchema = z
  .object({
    /** Any `@azure/identity` TokenCredential. Default: `DefaultAzureCredential`, loaded on the first token request. */
    credential: TokenCredentialSchema.optional(),
    /** The identity's object id, the Redis user name. Default: the `oid` claim of each token. */
    objectId: z.string().min(1).optional(),
    /** Default `['https://redis.azure.com/.default']`. */
    scopes: TokenAuthSchema.shape.scopes.optional(),
    refreshAt: TokenAuthSchema.shape.refreshAt.unwrap().optional(),
    retry: TokenAuthSchema.shape.retry.unwrap().optional(),
    tokenTimeoutMs: TokenAuthSchema.shape.tokenTimeoutMs.unwrap().optional(),
  })
  .strict();

export type EntraIdOptions = z.input<typeof EntraIdOptionsSchema>;

/**
 * Microsoft Entra ID auth for Azure Managed Redis: a token for `https://redis.azure.com/.default`
 * from `credential`, refreshed at 75% of its lifetime, with the token's `oid` claim (or `objectId`)
 * as the Redis user name. Without a credential, `DefaultAzureCredential` from the optional peer
 * `@azure/identity`, imported on the first token request (inside `tokenTimeoutMs`); its absence is
 * then a CredentialsError saying `npm install @azure/identity` or pass a credential.
 *
 * @example createAgentMemory({ redis: { host: 'my-cache.westeurope.redis.azure.net', auth: entraId() } })
 * @example entraId({ credential: new ManagedIdentityCredential({ clientId }) })
 */
export function entraId(options: EntraIdOptions = {}): TokenAuthConfig {
  const { credential, objectId, scopes, ...lifecycle } = parseInput(EntraIdOptionsSchema, options, 'entraId options');
  return {
    type: 'token',
    credential: credential ?? new DefaultAzureCredential(),
    scopes: scopes ?? [ENTRA_REDIS_SCOPE],
    username: objectId ?? oidClaim,
    issuer: 'Microsoft Entra ID',
    hint: ENTRA_HINT,
    ...lifecycle,
  };
}

type IdentityModule = { DefaultAzureCredential: new () => TokenCredentialLike };

/**
 * `@azure/identity`'s DefaultAzureCredential, created on the first `getToken` (so that building a
 * config loads nothing) and shared by every later one. Named as what it stands for, so that errors
 * and a printed config say `DefaultAzureCredential`. A failed load is retried on the next request.
 */
class DefaultAzureCredential implements TokenCredentialLike {
  #credential: Promise<TokenCredentialLike> | undefined;

  async getToken(scopes: string | string[], options?: object) {
    this.#credential ??= defaultCredential().catch((error: unknown) => {
      this.#credential = undefined;
      throw error;
    });
    return (await this.#credential).getToken(scopes, options);
  }
}

/**
 * `DefaultAzureCredential`, imported only now so that users without Azure never load it:
 * `@azure/identity` is an optional peer dependency. Without it, a CredentialsError says to install
 * it or to pass a credential (and so does a broken install). `load` is the import (replaced in tests).
 */
export async function defaultCredential(
  load: () => Promise<IdentityModule> = () => import('@azure/identity'),
): Promise<TokenCredentialLike> {
  let identity: IdentityModule;
  try {
    identity = await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') {
      throw new CredentialsError(
        `@azure/identity could not be loaded for DefaultAzureCredential (${(error as Error)?.name ?? 'Error'}); reinstall it, or pass entraId({ credential }).`,
        { cause: error },
      );
    }
    throw new CredentialsError(
      "entraId() without a credential uses @azure/identity's DefaultAzureCredential, and @azure/identity is not installed: " +
        'run npm install @azure/identity (an optional peer dependency of redis-agent-memory), or pass entraId({ credential }) (any object with getToken).',
      { cause: error },
    );
  }
  return new identity.DefaultAzureCredential();
}

/** The Redis user name of an Entra token: its `oid` claim. The token never leaves this function. */
function oidClaim(token: string): string {
  const oid = objectIdOf(token);
  if (oid === undefined) {
    throw new CredentialsError(
      'The Microsoft Entra ID token has no oid (object id) claim, which Redis needs as the user name. ' +
        "Pass the identity's object id: entraId({ objectId }).",
    );
  }
  return oid;
}

/** The `oid` claim of a JWT, or undefined. The token itself never leaves this function. */
export function objectIdOf(jwt: string): string | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { oid?: unknown };
    return typeof claims.oid === 'string' && claims.oid !== '' ? claims.oid : undefined;
  } catch {
    return undefined;
  }
}
