// A TCP proxy on loopback between the library and one Redis, for the fault suite: it forwards bytes
// both ways and, on demand or at random (seeded), cuts a connection after a request went through and
// before its reply came back: the server's next bytes are dropped and both sockets destroyed, with a
// FIN (`close`) or a TCP reset (`reset`). Test harness only; it never listens beyond 127.0.0.1.
import net from 'node:net';
import { seededRandom } from '../../scripts/seeded-random.js';

/** How a cut ends the client's socket: an orderly FIN, or a TCP RST (ECONNRESET on the client). */
export type CutStyle = 'close' | 'reset';

export interface RandomCuts {
  /** Chance that a chunk of server bytes (one or more replies) is dropped and its connection cut. */
  probability: number;
  /** Seed of the generator: the same seed and the same traffic make the same cuts. */
  seed: number;
  /** Default `mixed`: each cut picks `close` or `reset` from the same generator. */
  style?: CutStyle | 'mixed';
}

export interface ProxyStats {
  /** Client connections accepted. */
  connections: number;
  cuts: number;
  /** When each cut happened (ms since the epoch). */
  cutAt: number[];
  /** Server bytes dropped by cuts: replies that were computed but never delivered. */
  droppedBytes: number;
}

interface Pair {
  client: net.Socket;
  server: net.Socket;
}

export class FaultProxy {
  readonly host = '127.0.0.1';
  readonly stats: ProxyStats = { connections: 0, cuts: 0, cutAt: [], droppedBytes: 0 };
  readonly #server: net.Server;
  #target: { host: string; port: number };
  readonly #pairs = new Set<Pair>();
  #armed: { style: CutStyle; done: () => void }[] = [];
  #random: { probability: number; next: () => number; style: CutStyle | 'mixed' } | undefined;

  private constructor(server: net.Server, target: { host: string; port: number }) {
    this.#server = server;
    this.#target = target;
  }

  /** Starts a proxy on a free loopback port in front of `target`. */
  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    const server = net.createServer();
    const proxy = new FaultProxy(server, target);
    server.on('connection', (client) => proxy.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  /** Connections open now. */
  get open(): number {
    return this.#pairs.size;
  }

  /**
   * Cuts the connection that next receives server bytes, dropping them (the request before them
   * was executed; its reply is lost). Resolves once the cut happened.
   */
  cutNextReply(style: CutStyle = 'close'): Promise<void> {
    return new Promise((done) => this.#armed.push({ style, done }));
  }

  /** Cuts at random from now on (`null`: stop). */
  randomCuts(options: RandomCuts | null): void {
    this.#random = options
      ? { probability: options.probability, next: seededRandom(options.seed), style: options.style ?? 'mixed' }
      : undefined;
  }

  /**
   * Sends connections accepted from now on to `target`, keeping those open where they are: what a
   * DNS name or virtual IP does in a failover.
   */
  retarget(target: { host: string; port: number }): void {
    this.#target = target;
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    this.#random = undefined;
    for (const { client, server } of this.#pairs) {
      client.destroy();
      server.destroy();
    }
    this.#pairs.clear();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  #accept(client: net.Socket): void {
    this.stats.connections++;
    const server = net.connect(this.#target.port, this.#target.host);
    const pair: Pair = { client, server };
    this.#pairs.add(pair);
    client.setNoDelay(true);
    server.setNoDelay(true);
    const end = () => {
      if (!this.#pairs.delete(pair)) return;
      client.destroy();
      server.destroy();
    };
    // Errors end the pair; they are the faults this proxy exists to make.
    client.on('error', end).on('close', end);
    server.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      if (!server.write(chunk)) client.pause();
    });
    server.on('drain', () => client.resume());
    server.on('data', (chunk: Buffer) => {
      const style = this.#cutStyleFor();
      if (style) {
        this.stats.droppedBytes += chunk.length;
        this.#cut(pair, style);
        return;
      }
      if (!client.write(chunk)) server.pause();
    });
    client.on('drain', () => server.resume());
  }

  /** Whether the chunk about to be forwarded is to be dropped instead, and how. */
  #cutStyleFor(): CutStyle | undefined {
    const armed = this.#armed.shift();
    if (armed) {
      queueMicrotask(armed.done);
      return armed.style;
    }
    const random = this.#random;
    if (!random || random.next() >= random.probability) return undefined;
    if (random.style !== 'mixed') return random.style;
    return random.next() < 0.5 ? 'close' : 'reset';
  }

  #cut(pair: Pair, style: CutStyle): void {
    if (!this.#pairs.delete(pair)) return;
    this.stats.cuts++;
    this.stats.cutAt.push(Date.now());
    if (style === 'reset') pair.client.resetAndDestroy();
    else pair.client.destroy();
    pair.server.destroy();
  }
}
