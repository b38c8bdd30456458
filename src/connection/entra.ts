// Microsoft Entra ID tokens for Redis: fetched from a TokenCredential (DefaultAzureCredential,
// loaded only when no credential is given) within auth.tokenTimeoutMs, refreshed at a fraction of
// their lifetime with retries and backoff. A failure becomes a CredentialsError that says what to
// check and names the credential; never a token.
import { CredentialsError } from '../errors.js';
import { backoffDelay } from './backoff.js';
import { ENTRA_REDIS_SCOPE, type AccessTokenLike, type ResolvedEntraAuth, type TokenCredentialLike } from './config.js';
import type { BasicCredentials } from './credentials.js';

interface Held {
  credentials: BasicCredentials;
  issuedAt: number;
  expiresAt: number;
}

/**
 * The current token of one identity, kept fresh while a connection uses it: a new one is fetched
 * once `refreshAt` of the lifetime has passed, and handed to `publish` (every connection then
 * re-authenticates). A failed fetch is reported and retried with exponential backoff and jitter,
 * for as long as connections remain.
 */
export class EntraTokens {
  readonly #auth: ResolvedEntraAuth;
  readonly #publish: (credentials: BasicCredentials) => void;
  readonly #report: (error: CredentialsError) => void;
  #credential: TokenCredentialLike | undefined;
  #held: Held | undefined;
  #fetching: Promise<Held> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #stopped = false;
  #refreshing = false;

  constructor(auth: ResolvedEntraAuth, publish: (c: BasicCredentials) => void, report: (e: CredentialsError) => void) {
    this.#auth = auth;
    this.#credential = auth.credential;
    this.#publish = publish;
    this.#report = report;
  }

  /** A token that has not expired: the one held, or a new one (which also starts the refresh). */
  async current(): Promise<BasicCredentials> {
    this.#stopped = false;
    const held = this.#held && this.#held.expiresAt > Date.now() ? this.#held : await this.#fetch();
    if (!this.#timer && !this.#refreshing) this.#timer = this.#schedule(this.#refreshDelay(held));
    return held.credentials;
  }

  /** Stops refreshing (the last connection closed). A later `current()` starts again. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #refreshDelay(held: Held): number {
    const due = held.issuedAt + this.#auth.refreshAt * (held.expiresAt - held.issuedAt);
    return Math.max(0, due - Date.now());
  }

  #schedule(delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => void this.#refresh(), delayMs);
    timer.unref();
    return timer;
  }

  async #refresh(): Promise<void> {
    this.#timer = undefined;
    if (this.#stopped) return;
    this.#refreshing = true;
    let next: number;
    try {
      const held = await this.#fetch();
      this.#failures = 0;
      if (!this.#stopped) this.#publish(held.credentials);
      next = this.#refreshDelay(held);
    } catch (error) {
      this.#failures++;
      if (!this.#stopped) this.#report(error as CredentialsError);
      const { initialDelayMs, maxDelayMs } = this.#auth.retry;
      next = backoffDelay(this.#failures - 1, initialDelayMs, maxDelayMs);
    } finally {
      this.#refreshing = false;
    }
    if (!this.#stopped && !this.#timer) this.#timer = this.#schedule(next);
  }

  /**
   * The error to give when a token request is still unanswered after `waitedMs` (the limit named
   * `limit` ran out first, e.g. connectTimeoutMs); undefined when no request is pending.
   */
  pendingFailure(limit: string, waitedMs: number): CredentialsError | undefined {
    return this.#fetching ? this.#unanswered(limit, waitedMs) : undefined;
  }

  /** One token request at a time; concurrent callers share it. */
  #fetch(): Promise<Held> {
    this.#fetching ??= this.#request().finally(() => {
      this.#fetching = undefined;
    });
    return this.#fetching;
  }

  /** `DefaultAzureCredential` when none was given, else the credential's class name: never its contents. */
  #credentialName(): string {
    if (!this.#auth.credential) return 'DefaultAzureCredential';
    const name = (this.#auth.credential as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' && name !== 'Object' ? name : 'the given credential';
  }

  #unanswered(limit: string, waitedMs: number): CredentialsError {
    const identity = this.#auth.objectId ? ` for object id ${this.#auth.objectId}` : '';
    return new CredentialsError(
      `The Microsoft Entra ID token request to ${this.#credentialName()}${identity} got no answer within ` +
        `${waitedMs} ms (${limit}). Check that the identity can get a token here (the managed identity ` +
        'endpoint on Azure, AZURE_CLIENT_ID for a user-assigned identity, `az login` for development); ' +
        'if it is only slow, raise auth.tokenTimeoutMs.',
    );
  }

  /** Asks the credential for a token, giving up after tokenTimeoutMs (a late answer is dropped). */
  async #ask(scopes: string[]): Promise<AccessTokenLike | null> {
    const limitMs = this.#auth.tokenTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.#unanswered('auth.tokenTimeoutMs', limitMs)), limitMs);
      timer.unref();
    });
    const asking = (async () => {
      this.#credential ??= await defaultCredential();
      return this.#credential.getToken(scopes);
    })();
    try {
      return await Promise.race([asking, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #request(): Promise<Held> {
    const scopes = this.#auth.scopes;
    let token: AccessTokenLike | null;
    const issuedAt = Date.now();
    try {
      token = await this.#ask(scopes);
    } catch (error) {
      if (error instanceof CredentialsError) throw error;
      throw new CredentialsError(
        `Could not get a Microsoft Entra ID token for ${scopes.join(' ')}${describeCause(error)}. ` +
          'Check that the identity is available here (managed identity enabled on this resource, ' +
          'AZURE_CLIENT_ID for a user-assigned one, `az login` for development), and that the scope is ' +
          `${ENTRA_REDIS_SCOPE}.`,
        { cause: error },
      );
    }
    if (!token || typeof token.token !== 'string' || token.token === '') {
      throw new CredentialsError('The credential returned no Microsoft Entra ID token. Check the identity and the scope.');
    }
    const username = this.#auth.objectId ?? objectIdOf(token.token);
    if (username === undefined) {
      throw new CredentialsError(
        'The Microsoft Entra ID token has no oid (object id) claim, which Redis needs as the user name. ' +
          "Set auth.objectId to the identity's object id.",
      );
    }
    const expiresAt = Number.isFinite(token.expiresOnTimestamp) ? token.expiresOnTimestamp : issuedAt;
    const held: Held = { credentials: { username, password: token.token }, issuedAt, expiresAt };
    this.#held = held;
    return held;
  }
}

/**
 * `DefaultAzureCredential`, imported only now so that users without Azure never load it:
 * `@azure/identity` is an optional peer dependency. Without it, a CredentialsError says to install
 * it or to pass `auth.credential` (and so does a broken install). `load` is the import (replaced in tests).
 */
export async function defaultCredential(load: () => Promise<{ DefaultAzureCredential: new () => TokenCredentialLike }> = () => import('@azure/identity')): Promise<TokenCredentialLike> {
  let identity: { DefaultAzureCredential: new () => TokenCredentialLike };
  try {
    identity = await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') {
      throw new CredentialsError(`@azure/identity could not be loaded for DefaultAzureCredential (${(error as Error)?.name ?? 'Error'}); reinstall it, or pass auth.credential.`, { cause: error });
    }
    throw new CredentialsError(
      "auth type 'entra' without a credential uses @azure/identity's DefaultAzureCredential, and @azure/identity is not installed: " +
        'run npm install @azure/identity (an optional peer dependency of redis-agent-memory), or pass auth.credential (any object with getToken).',
      { cause: error },
    );
  }
  return new identity.DefaultAzureCredential();
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

/** ` (Name: message)` of a credential's error, with anything shaped like a JWT cut out. */
function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return '';
  const message = error.message.replace(/eyJ[\w-]*\.[\w-]*\.?[\w-]*/g, '[token]').split('\n')[0]!.slice(0, 300);
  return ` (${error.name}: ${message})`;
}
