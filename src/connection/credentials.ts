// The credentials every connection of one config shares (a connection, its duplicates, every
// cluster node), and the node-redis streaming providers through which each live connection
// re-authenticates when they change. It never logs a secret nor puts one in an error.
import type { RedisClientOptions } from '@redis/client';
import { CredentialsError } from '../errors.js';
import { TokenRefresher } from './token-auth.js';
import type { ResolvedAuthConfig } from './config.js';

type AnyProvider = NonNullable<RedisClientOptions['credentialsProvider']>;
type StreamingProvider = Extract<AnyProvider, { type: 'streaming-credentials-provider' }>;
type Listener = Parameters<StreamingProvider['subscribe']>[0];

/** A Redis user name (none: `default`) and its password, key or token. */
export interface BasicCredentials {
  username?: string;
  password: string;
}

/** A node-redis credentials provider bound to one client (or one cluster client). */
export interface ProviderView extends StreamingProvider {
  /** Stops re-authenticating this client; called when it closes. */
  detach(): void;
}

/**
 * Credentials shared by the connections of one config. A static secret (password, access key)
 * changes only through {@link rotate}; a token is refreshed before it expires. Either
 * way every attached connection is told, and node-redis sends `AUTH` on it, queued behind the
 * commands already sent, so nothing in flight fails.
 */
export class SharedCredentials {
  readonly kind: 'token' | 'static';
  #static: BasicCredentials | undefined;
  readonly #tokens: TokenRefresher | undefined;
  readonly #views = new Set<{ listeners: Set<Listener> }>();
  readonly #report: (error: CredentialsError) => void;
  #users = 0;

  constructor(auth: ResolvedAuthConfig, report: (error: CredentialsError) => void) {
    this.#report = report;
    if (auth.type === 'token') {
      this.kind = 'token';
      this.#tokens = new TokenRefresher(auth, (credentials) => this.#publish(credentials), report);
    } else {
      this.kind = 'static';
      this.#static =
        auth.type === 'accessKey'
          ? { password: auth.key }
          : auth.username !== undefined
            ? { username: auth.username, password: auth.password }
            : { password: auth.password };
    }
  }

  /** Credentials valid now (for tokens: the current one, fetched first when there is none). */
  async current(): Promise<BasicCredentials> {
    if (this.#tokens) return this.#tokens.current();
    return this.#static!;
  }

  /**
   * For tokens, with a token request still unanswered: the error that says so, for a caller whose
   * own limit (named `limit`, of `waitedMs`) ran out first. Undefined otherwise.
   */
  pendingFailure(limit: string, waitedMs: number): CredentialsError | undefined {
    return this.#tokens?.pendingFailure(limit, waitedMs);
  }

  /** The user name of a password or access key (undefined: `default`; for tokens: none). */
  get staticUsername(): string | undefined {
    return this.#static?.username;
  }

  /**
   * Replaces a password or access key: every attached connection re-authenticates with it.
   * Tokens are not rotated by hand (they refresh themselves); the caller checks.
   */
  rotate(secret: string): void {
    if (!this.#static) return;
    this.#publish({ ...this.#static, password: secret });
  }

  /**
   * A provider for one node-redis client. `exclusive`: the view serves a single client, so a new
   * subscription (node-redis subscribes again after each reconnect without releasing the old
   * one) replaces the previous; a cluster's view serves every node and keeps them all.
   */
  view(exclusive: boolean): ProviderView {
    const view = { listeners: new Set<Listener>() };
    this.#views.add(view);
    return {
      type: 'streaming-credentials-provider',
      subscribe: async (listener) => {
        const credentials = await this.current();
        if (exclusive) view.listeners.clear();
        view.listeners.add(listener);
        return [credentials, { dispose: () => view.listeners.delete(listener) }];
      },
      onReAuthenticationError: (error) => {
        // node-redis's message is the server's reply (WRONGPASS …) or the provider's: no secret.
        this.#report(
          new CredentialsError(`A live connection could not re-authenticate (${error.message}). ${this.#advice()}`, { cause: error }),
        );
      },
      detach: () => {
        view.listeners.clear();
        this.#views.delete(view);
      },
    };
  }

  /** One more connection uses these credentials (tokens: the refresh runs while any does). */
  acquire(): void {
    this.#users++;
  }

  /** A connection closed; the last one out stops the token refresh. */
  release(): void {
    this.#users = Math.max(0, this.#users - 1);
    if (this.#users === 0) this.#tokens?.stop();
  }

  #advice(): string {
    return this.#tokens ? this.#tokens.hint : 'Check the password or access key.';
  }

  #publish(credentials: BasicCredentials): void {
    if (this.#static) this.#static = credentials;
    for (const view of this.#views) for (const listener of view.listeners) listener.onNext(credentials);
  }
}
