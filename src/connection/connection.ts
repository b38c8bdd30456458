// One RedisConnection over a node-redis client or cluster, whoever made it: commands routed by key,
// each within its deadline and retried while the server cannot serve, every failure translated.
// It never decides how the client was made or who closes it: its origin (open.ts, adopt.ts) does.
import { RESP_TYPES, type ErrorReply, type RedisArgument, type RedisClientType, type RedisClusterType } from '@redis/client';
import { TimeoutError, type CredentialsError } from '../errors.js';
import { processWarningLogger, type Logger } from '../observe/logger.js';
import { Telemetry } from '../observe/telemetry.js';
import { backoffDelay } from './backoff.js';
import { watchOutages } from './outages.js';
import type { ResolvedConnectionConfig } from './config.js';
import { asOwnMajorError } from './foreign-errors.js';
import { isReplicaReply, isUnavailableReply, translateError, unavailableError } from './failures.js';

export type SingleClient = RedisClientType;
export type ClusterClient = RedisClusterType;

/** Where a command goes on a cluster: the node owning `key`; any node when there is no key. */
export interface CommandRoute {
  key?: string | undefined;
  readonly?: boolean | undefined;
  /** Return bulk strings as Buffers (binary values) instead of UTF-8 strings. */
  buffers?: boolean | undefined;
  /**
   * Sending the command after its caller gave up changes nothing the caller relies on: a read,
   * or a read that moves a TTL (`GETEX`). Such a command skips node-redis's per-command queue
   * timeout while the client is connected (see send); its deadline holds all the same. `readonly`
   * commands are harmless if late too.
   */
  harmlessIfLate?: boolean | undefined;
}

/**
 * What a connection applies itself. An owned connection's is its whole resolved config; an adopted
 * client's holds only the command deadline and the backoff of the retries after LOADING, BUSY and
 * the like (`reconnect`), since everything else is the client's own.
 */
export type ConnectionSettings = Pick<ResolvedConnectionConfig, 'commandTimeoutMs' | 'reconnect'> &
  Partial<Omit<ResolvedConnectionConfig, 'commandTimeoutMs' | 'reconnect'>>;

/**
 * What a connection is for, as `memory.health()` lists it. `main`: the connection the library was
 * created with. `subscriber`: a duplicate in pub/sub mode (a near cache's invalidations, live
 * events). `blocking-reader`: a duplicate that holds blocking reads (a consumer group's
 * `XREADGROUP BLOCK`). `duplicate`: any other duplicate.
 */
export type ConnectionRole = 'main' | 'subscriber' | 'blocking-reader' | 'duplicate';

/** Why a duplicate is opened: its role, and what it serves (a channel, a consumer), safe to log. */
export interface ConnectionPurpose {
  readonly role: Exclude<ConnectionRole, 'main'>;
  /** e.g. the channel a subscriber listens to, or `group/consumer` of a reader. No secrets. */
  readonly name?: string | undefined;
}

/** How a connection came to be, and so how it duplicates, rotates credentials and closes. */
export interface ConnectionOrigin {
  /** True when the node-redis client is the caller's (see adopt.ts). */
  readonly adopted: boolean;
  readonly cluster: boolean;
  /** `redis[s]://host:port`, safe to log. */
  readonly endpoint: string;
  readonly settings: ConnectionSettings;
  /** Set while reconnecting fails on credentials: commands then fail at once with it instead of waiting. */
  credentialsFailure(): CredentialsError | undefined;
  duplicate(): Promise<RedisConnection>;
  rotateSecret(secret: string, endpoint: string): Promise<void>;
  /** Ends what the library owns of this connection (the client it opened, its credentials); nothing else. */
  release(): Promise<void>;
}

/** One command (all its attempts) waiting for its reply, due by `at`. */
class Deadline {
  /** An attempt is on its way to the server (false while waiting to retry). */
  inFlight = false;
  /** The last unavailable reply (LOADING, BUSY…) an attempt got, if any. */
  unavailable: ErrorReply | undefined = undefined;
  attempts = 0;

  constructor(
    readonly at: number,
    /** The command's arguments, or its name: named only when it fails. */
    private readonly command: readonly RedisArgument[] | string,
    /** Sends the command once, with the ms left until `at`. */
    readonly attempt: (remainingMs: number) => Promise<unknown>,
    readonly resolve: (reply: unknown) => void,
    readonly reject: (error: Error) => void,
    /** A transaction's commands, for its error message. */
    readonly names: readonly string[] | undefined,
  ) {}

  name(): string {
    return typeof this.command === 'string' ? this.command : commandName(this.command);
  }
}

// Every command names its typeMapping: a client's own (an adopted client's maps as Map, strings as
// Buffers…) would otherwise reach the library's reply parsers, which expect node-redis's defaults.
const AS_STRINGS = { typeMapping: {} } as const;
const AS_BUFFERS = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } as const;
// The same with node-redis's queue timeout off (an owned client's default sets one): for commands
// harmless if late, sent on a connected client (see send).
const UNTIMED_STRINGS = { ...AS_STRINGS, timeout: 0 } as const;
const UNTIMED_BUFFERS = { ...AS_BUFFERS, timeout: 0 } as const;

/** One live connection (or cluster client) to Redis. Create with `connect` (or `adopt` for a client of yours). */
export class RedisConnection {
  /** `'cluster'` when the client talks to every shard of a Redis Cluster. */
  readonly mode: 'single' | 'cluster';
  /** The endpoint, without credentials, e.g. `rediss://host:10000`. Safe to log. */
  readonly endpoint: string;
  /** The settings in force (for an adopted client: only the command deadline and retry backoff). */
  readonly config: ConnectionSettings;
  /** True when the node-redis client is yours (passed as `client`): `close()` leaves it open. */
  readonly adopted: boolean;
  /**
   * Where the stores on this connection report background failures and advice (the memory's
   * `logger` option; duplicates share it). Default: warnings and errors as process warnings.
   */
  logger: Logger = processWarningLogger;
  /**
   * The spans and metrics of the stores on this connection (the memory's `telemetry` option;
   * duplicates share it). Default: off.
   */
  telemetry: Telemetry = Telemetry.off;
  readonly #client: SingleClient | ClusterClient;
  /** The client without its own typeMapping, for the multis it makes (they take it when made). */
  readonly #plain: SingleClient | ClusterClient;
  readonly #origin: ConnectionOrigin;
  #closed = false;
  #purpose: { readonly role: ConnectionRole; readonly name?: string | undefined } = { role: 'main' };
  /** The connection this one was duplicated from, first of all (itself when it is the first). */
  #root: RedisConnection = this;
  /** The root's live duplicates (of any depth), so health checks see every connection without each store reporting its own. */
  readonly #duplicates = new Set<RedisConnection>();

  /** @internal use `connect` or `adopt` */
  constructor(client: SingleClient | ClusterClient, origin: ConnectionOrigin) {
    this.#client = client;
    this.#plain = client.withTypeMapping({}) as SingleClient | ClusterClient;
    this.#origin = origin;
    this.mode = origin.cluster ? 'cluster' : 'single';
    this.config = origin.settings;
    this.endpoint = origin.endpoint;
    this.adopted = origin.adopted;
    // The library's own sockets report their outages to the logger; a caller's client is the caller's.
    if (!origin.adopted) watchOutages(client, origin.cluster, this);
  }

  /** The underlying node-redis client, for commands this library does not wrap. */
  get client(): SingleClient | ClusterClient {
    return this.#client;
  }

  /**
   * Sends one command. On a cluster it goes to the node that owns `route.key`. Errors come back
   * as AgentMemoryErrors: TimeoutError after `commandTimeoutMs`, ConnectionError when the server
   * cannot be reached, OutOfMemoryError at maxmemory, RedisCommandError when Redis rejects the
   * command. A reply that says the server cannot serve yet (LOADING, BUSY, CLUSTERDOWN, TRYAGAIN,
   * MASTERDOWN) is retried within the same deadline, then is a ServerUnavailableError.
   */
  send<T = unknown>(args: readonly RedisArgument[], route: CommandRoute = {}): Promise<T> {
    const failure = this.#origin.credentialsFailure();
    if (failure && this.mode === 'single' && !(this.#client as SingleClient).isReady) return Promise.reject(failure);
    const buffers = route.buffers === true;
    const harmlessIfLate = route.harmlessIfLate === true || route.readonly === true;
    return this.#run(args, (remainingMs) => {
      if (this.mode === 'cluster') {
        const options = { ...(buffers ? AS_BUFFERS : AS_STRINGS), timeout: remainingMs };
        return (this.#client as ClusterClient).sendCommand<T>(route.key, route.readonly ?? false, args as RedisArgument[], options);
      }
      const client = this.#client as SingleClient;
      // node-redis drops a command still queued at `timeout`, so an attempt is never sent after
      // its deadline; but that is an AbortSignal and a timer a command, dearer than a GET. A
      // command harmless if late goes without it on a connected client, which writes it at once
      // (only a socket lost within the same tick could keep it queued, and sending it late changes
      // nothing). Queued on a client that is not connected, it keeps the timeout: queues stay bounded.
      const options =
        harmlessIfLate && client.isReady
          ? buffers
            ? UNTIMED_BUFFERS
            : UNTIMED_STRINGS
          : { ...(buffers ? AS_BUFFERS : AS_STRINGS), timeout: remainingMs };
      return client.sendCommand<T>(args as RedisArgument[], options);
    });
  }

  /**
   * Runs `attempt` until it succeeds or fails for good, within one deadline of commandTimeoutMs.
   * An unavailable reply (LOADING, BUSY…) means the command was not executed, so sending it again
   * cannot apply it twice: it is retried after a short backoff, as a reconnect would be. Every
   * failure leaves translated; `names` are a transaction's commands, for its error message.
   * `command`: the command's arguments (named only if it fails) or its name.
   */
  #run<T>(command: readonly RedisArgument[] | string, attempt: (remainingMs: number) => Promise<T>, names?: readonly string[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline = new Deadline(
        Date.now() + this.config.commandTimeoutMs,
        command,
        attempt,
        resolve as (reply: unknown) => void,
        reject,
        names,
      );
      this.#deadlines.add(deadline);
      this.#sweep();
      this.#attempt(deadline);
    });
  }

  // #run's steps are methods, not closures made per command: a hit's whole budget is a few microseconds.
  #attempt(deadline: Deadline): void {
    deadline.attempts++;
    deadline.inFlight = true;
    deadline.attempt(Math.max(1, deadline.at - Date.now())).then(
      // Once the sweeper has answered for a deadline (it is no longer held), later outcomes of its attempt are dropped.
      (reply) => {
        if (this.#deadlines.delete(deadline)) deadline.resolve(reply);
      },
      (raw: unknown) => this.#attemptFailed(deadline, raw),
    );
  }

  #attemptFailed(deadline: Deadline, raw: unknown): void {
    const error = asOwnMajorError(raw);
    deadline.inFlight = false;
    if (!this.#deadlines.has(deadline)) return;
    if (!isUnavailableReply(error)) {
      this.#fail(deadline, translateError(error, deadline.name(), deadline.names ? { commands: deadline.names } : {}));
      return;
    }
    deadline.unavailable = error as ErrorReply;
    if (isReplicaReply(error)) this.#leaveReplica();
    const left = deadline.at - Date.now();
    if (left <= 0 || this.#closed) {
      this.#fail(deadline, this.#unavailable(deadline));
      return;
    }
    setTimeout(
      () => {
        if (!this.#deadlines.has(deadline)) return;
        if (Date.now() >= deadline.at) this.#fail(deadline, this.#unavailable(deadline));
        else this.#attempt(deadline);
      },
      Math.min(left, this.#retryDelay(deadline.attempts - 1)),
    );
  }

  #fail(deadline: Deadline, error: Error): void {
    this.#deadlines.delete(deadline);
    deadline.reject(error);
  }

  /**
   * After a failover behind one address (a DNS name or a virtual IP that now names the new
   * primary), this connection still talks to the old primary, now a replica, which refuses every
   * write with READONLY. Only a new connection reaches the new primary, and node-redis opens one
   * by itself when its socket drops: so the connection drops itself (CLIENT KILL of its own id) and
   * the refused commands are retried within their deadline. Once at a time; a server that refuses
   * CLIENT KILL leaves only the retries. An adopted client is dropped the same way: it reconnects
   * by its own strategy, as it must to reach the primary.
   */
  #leaveReplica(): void {
    if (this.mode !== 'single' || this.#leaving || this.#closed) return;
    const client = this.#client as SingleClient;
    this.#leaving = (async () => {
      const id = await client.sendCommand<number>(['CLIENT', 'ID'], AS_STRINGS);
      await client.sendCommand(['CLIENT', 'KILL', 'ID', String(id), 'SKIPME', 'no'], AS_STRINGS);
    })()
      .catch(() => undefined) // the reply to our own kill is lost with the connection; a refusal leaves the retries
      .finally(() => (this.#leaving = undefined));
  }

  #leaving: Promise<void> | undefined;

  /** The wait before a retry: the reconnect backoff, capped so that about ten attempts fit one deadline. */
  #retryDelay(retries: number): number {
    const { initialDelayMs, maxDelayMs } = this.config.reconnect;
    return backoffDelay(retries, initialDelayMs, Math.min(maxDelayMs, Math.max(1, this.config.commandTimeoutMs / 10)));
  }

  /** The failure of a command whose deadline ran out on unavailable replies. */
  #unavailable(deadline: Deadline): Error {
    return unavailableError(deadline.unavailable!, deadline.name(), {
      waitedMs: this.config.commandTimeoutMs,
      attempts: deadline.attempts,
    });
  }

  // node-redis stops timing a command once it is written to the socket, so a server that stops
  // answering would hang the caller forever. Deadlines are kept here instead, by one coarse
  // sweeper per connection (a timer per command costs more than the command on a fast path).
  readonly #deadlines = new Set<Deadline>();
  #sweeper: NodeJS.Timeout | undefined;

  #sweep(): void {
    if (this.#sweeper) return;
    const every = Math.max(5, Math.min(100, Math.floor(this.config.commandTimeoutMs / 20)));
    this.#sweeper = setInterval(() => {
      if (this.#deadlines.size === 0) {
        clearInterval(this.#sweeper);
        this.#sweeper = undefined;
        return;
      }
      const now = Date.now();
      for (const d of this.#deadlines) {
        if (d.at > now) continue;
        this.#deadlines.delete(d);
        // Waiting to retry after LOADING or the like: nothing is in flight, nothing ran.
        if (d.unavailable && !d.inFlight) {
          d.reject(this.#unavailable(d));
          continue;
        }
        // While reconnecting fails on credentials, that is why there was no reply.
        d.reject(
          this.#origin.credentialsFailure() ??
            new TimeoutError(
              `${d.name()} got no reply within ${this.config.commandTimeoutMs} ms` +
                (d.unavailable ? ` (earlier attempts got ${d.unavailable.message.split(' ')[0]})` : ''),
            ),
        );
      }
    }, every);
    this.#sweeper.unref();
  }

  /**
   * Runs commands in one MULTI/EXEC, one round trip. On a cluster every key must share `key`'s
   * slot (the library's keys of one user or scope do). Returns each command's reply.
   */
  transaction(commands: readonly (readonly RedisArgument[])[], key: string): Promise<unknown[]> {
    // A LOADING or BUSY reply to a queued command aborts the whole EXEC: it is retried as a whole.
    return this.#run(
      'MULTI',
      () => {
        if (this.mode === 'cluster') {
          const multi = (this.#plain as ClusterClient).multi(key);
          for (const command of commands) multi.addCommand(key, false, command as RedisArgument[]);
          return multi.exec() as Promise<unknown[]>;
        }
        const multi = (this.#plain as SingleClient).multi();
        for (const command of commands) multi.addCommand(command as RedisArgument[]);
        return multi.exec() as Promise<unknown[]>;
      },
      commands.map(commandName),
    );
  }

  /** Every key matching `pattern`, in batches, from every master (the server, or each cluster node). */
  async *scan(pattern: string, count = 1000): AsyncIterable<string[]> {
    try {
      const clients =
        this.mode === 'cluster'
          ? await Promise.all((this.#client as ClusterClient).masters.map((m) => (this.#client as ClusterClient).nodeClient(m)))
          : [this.#client as SingleClient];
      for (const client of clients) {
        for await (const keys of client.withTypeMapping({}).scanIterator({ MATCH: pattern, COUNT: count })) {
          if (keys.length > 0) yield keys;
        }
      }
    } catch (error) {
      throw translateError(asOwnMajorError(error), 'SCAN');
    }
  }

  /**
   * Subscribes this connection to a pub/sub channel (use a connection of its own: see
   * {@link duplicate}). On a cluster, classic pub/sub reaches every node.
   */
  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    try {
      await (this.#client as SingleClient).subscribe(channel, listener);
    } catch (error) {
      throw translateError(asOwnMajorError(error), 'SUBSCRIBE');
    }
  }

  /**
   * A new, independent connection with the same settings (for a pub/sub subscriber, say), owned by
   * the library even when this one is adopted. It shares this connection's credentials: a token
   * refresh or {@link rotateSecret} reaches it too. `purpose` labels it in {@link connections}
   * (and so in `memory.health()`) until it is closed.
   *
   * @example const subscriber = await connection.duplicate({ role: 'subscriber', name: 'am:events' });
   */
  async duplicate(purpose: ConnectionPurpose = { role: 'duplicate' }): Promise<RedisConnection> {
    const copy = await this.#origin.duplicate();
    copy.#purpose = { role: purpose.role, name: purpose.name };
    copy.logger = this.logger;
    copy.telemetry = this.telemetry;
    copy.#root = this.#root;
    this.#root.#duplicates.add(copy);
    return copy;
  }

  /** What this connection is for (`main` unless it was opened by {@link duplicate}), and what it serves. */
  get purpose(): { readonly role: ConnectionRole; readonly name?: string | undefined } {
    return this.#purpose;
  }

  /**
   * Every live connection of this family: the first one (the one the others were duplicated
   * from), then each duplicate not yet closed, whatever store opened it.
   */
  connections(): readonly RedisConnection[] {
    return [this.#root, ...this.#root.#duplicates];
  }

  /** Set while reconnecting fails on credentials (the library's own connections; an adopted client's are its own to know). */
  credentialsFailure(): CredentialsError | undefined {
    return this.#origin.credentialsFailure();
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Swaps the password or access key without a restart (say, after switching Azure Managed
   * Redis to its secondary key). The new secret is first checked on a fresh connection; if the
   * server refuses it, this rejects with a CredentialsError and nothing changes. Otherwise every
   * live connection sharing these credentials (duplicates, every cluster node, subscribers)
   * re-authenticates with it, queued behind the commands already sent, and so do reconnections.
   * Entra ID tokens refresh themselves and cannot be rotated by hand; an adopted client's
   * credentials are its owner's to change.
   *
   * @example await memory.connection.rotateSecret(process.env.AMR_SECONDARY_KEY!);
   */
  async rotateSecret(secret: string): Promise<void> {
    return this.#origin.rotateSecret(secret, this.endpoint);
  }

  /**
   * Closes the connection; waits for commands already sent. Safe to call twice. An adopted client
   * stays open (it is yours to close); what the library opened for it is closed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#root.#duplicates.delete(this);
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    await this.#origin.release();
  }
}

function commandName(args: readonly RedisArgument[]): string {
  const first = args[0];
  return typeof first === 'string' ? first.toUpperCase() : 'command';
}
