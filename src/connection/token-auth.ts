// Token auth for any issuer: a token fetched from a TokenCredential within auth.tokenTimeoutMs,
// refreshed at a fraction of its lifetime with retries and backoff, its Redis user name fixed or read
// from it. A failure becomes a CredentialsError that says what to check and names the credential;
// never a token. Provider-neutral: an issuer's name and advice come in the config (entraId() sets them).
import { CredentialsError } from '../errors.js';
import { backoffDelay } from './backoff.js';
import type { AccessTokenLike, ResolvedTokenAuth } from './config.js';
import type { BasicCredentials } from './credentials.js';

interface Held {
  credentials: BasicCredentials;
  issuedAt: number;
  expiresAt: number;
}

/** What a token failure says to check when the config gives no `hint`. */
const DEFAULT_HINT = 'Check the credential, the scopes and that the identity may use this server.';

/**
 * The current token of one identity, kept fresh while a connection uses it: a new one is fetched
 * once `refreshAt` of the lifetime has passed, and handed to `publish` (every connection then
 * re-authenticates). A failed fetch is reported and retried with exponential backoff and jitter,
 * for as long as connections remain.
 */
export class TokenRefresher {
  readonly #auth: ResolvedTokenAuth;
  readonly #publish: (credentials: BasicCredentials) => void;
  readonly #report: (error: CredentialsError) => void;
  #held: Held | undefined;
  #fetching: Promise<Held> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #stopped = false;
  #refreshing = false;

  constructor(auth: ResolvedTokenAuth, publish: (c: BasicCredentials) => void, report: (e: CredentialsError) => void) {
    this.#auth = auth;
    this.#publish = publish;
    this.#report = report;
  }

  /** What the config says to check after a failure (or refusal) of its tokens. */
  get hint(): string {
    return this.#auth.hint ?? DEFAULT_HINT;
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

  /** `a token`, or `a Microsoft Entra ID token` when the config names its issuer. */
  get #aToken(): string {
    return this.#auth.issuer ? `a ${this.#auth.issuer} token` : 'a token';
  }

  /** The credential's class name, never its contents. */
  #credentialName(): string {
    const name = (this.#auth.credential as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' && name !== 'Object' ? name : 'the given credential';
  }

  #unanswered(limit: string, waitedMs: number): CredentialsError {
    const user = typeof this.#auth.username === 'string' ? ` for user ${this.#auth.username}` : '';
    return new CredentialsError(
      `The request for ${this.#aToken} to ${this.#credentialName()}${user} got no answer within ` +
        `${waitedMs} ms (${limit}). ${this.hint} If it is only slow, raise auth.tokenTimeoutMs.`,
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
    try {
      return await Promise.race([this.#auth.credential.getToken(scopes), timedOut]);
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
      throw new CredentialsError(`Could not get ${this.#aToken} for ${scopes.join(' ')}${describeCause(error)}. ${this.hint}`, {
        cause: error,
      });
    }
    if (!token || typeof token.token !== 'string' || token.token === '') {
      throw new CredentialsError(`${this.#credentialName()} returned no token for ${scopes.join(' ')}. ${this.hint}`);
    }
    const username = this.#usernameOf(token.token);
    const expiresAt = Number.isFinite(token.expiresOnTimestamp) ? token.expiresOnTimestamp : issuedAt;
    const credentials: BasicCredentials = username === undefined ? { password: token.token } : { username, password: token.token };
    const held: Held = { credentials, issuedAt, expiresAt };
    this.#held = held;
    return held;
  }

  /** The Redis user name for `token`: the fixed one, the one the config's function reads, or none. */
  #usernameOf(token: string): string | undefined {
    const { username } = this.#auth;
    if (typeof username !== 'function') return username;
    let name: unknown;
    try {
      name = username(token);
    } catch (error) {
      if (error instanceof CredentialsError) throw error;
      // The function's message might quote the token: only its class is kept.
      throw new CredentialsError(`auth.username could not read a user name from the token (${(error as Error)?.name ?? 'Error'}).`);
    }
    if (typeof name !== 'string' || name === '') {
      throw new CredentialsError('auth.username read no user name from the token; give the user name as a string.');
    }
    return name;
  }
}

/** ` (Name: message)` of a credential's error, with anything shaped like a JWT cut out. */
function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return '';
  const message = error.message
    .replace(/eyJ[\w-]*\.[\w-]*\.?[\w-]*/g, '[token]')
    .split('\n')[0]!
    .slice(0, 300);
  return ` (${error.name}: ${message})`;
}
