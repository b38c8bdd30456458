// A stand-in for Microsoft Entra ID and for Azure's side of token auth, on real Redis servers: a
// TokenCredential that mints short-lived JWT-shaped tokens, an ACL user (named by the oid) whose
// passwords follow the tokens as Entra's do (new one added, old one removed after a grace period),
// and the enforcement Azure applies: a connection still on an expired token is closed. Tests only.
import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import type { AccessTokenLike, TokenCredentialLike } from '../../src/connection/config.js';
import { connect, type RedisConnection } from '../../src/connection/connect.js';

interface Minted {
  token: string;
  mintedAt: number;
  expiresAt: number;
  removed: boolean;
}

export interface FakeEntraOptions {
  /** The server(s) the identity is known to: every node of a cluster (ACL users are per node). */
  nodes: { host: string; port: number }[];
  /** Lifetime of each token. */
  lifetimeMs: number;
  /** How long an expired token stays accepted for new AUTHs (Entra's overlap). */
  graceMs?: number;
  /** Mint tokens without an `oid` claim (the client must be told the object id). */
  omitOid?: boolean;
}

/** The secret a test can look for in errors and logs: a prefix of every token's signature. */
export const SIGNATURE_MARK = 'SIGsecret';

export class FakeEntra {
  /** The identity's object id: the Redis user name. */
  readonly oid = randomUUID();
  readonly minted: Minted[] = [];
  /** Connections closed because they were still on an expired token: must stay empty. */
  readonly closedForExpiry: string[] = [];
  /** Every AUTH (or HELLO … AUTH) the servers saw, by client address. */
  readonly authsByAddress = new Map<string, number[]>();
  /** getToken calls made, failed or not. */
  requests = 0;
  #failing: Error | null = null;
  #admins: RedisConnection[] = [];
  #monitors: net.Socket[] = [];
  #sweeper: NodeJS.Timeout | undefined;
  #sweeping = false;
  readonly #options: Required<FakeEntraOptions>;

  constructor(options: FakeEntraOptions) {
    this.#options = { graceMs: 250, omitOid: false, ...options };
  }

  /** The credential to give to `entraId({ credential })` (or to a core `{ type: 'token' }` auth). */
  readonly credential: TokenCredentialLike = {
    getToken: async (scopes: string | string[]): Promise<AccessTokenLike | null> => {
      this.requests++;
      if (this.#failing) throw this.#failing;
      const scope = Array.isArray(scopes) ? scopes.join(' ') : scopes;
      if (scope !== 'https://redis.azure.com/.default') throw new Error(`unexpected scope ${scope}`);
      return this.#mint();
    },
  };

  /** From now on getToken throws `error` (null: works again). */
  failWith(error: Error | null): void {
    this.#failing = error;
  }

  /** Creates the ACL user on every node (no password yet) and starts watching and enforcing. */
  async start(): Promise<void> {
    this.#admins = await Promise.all(this.#options.nodes.map((n) => connect({ host: n.host, port: n.port })));
    await this.#everyNode(['ACL', 'SETUSER', this.oid, 'on', 'resetpass', '~*', '&*', '+@all']);
    this.#monitors = await Promise.all(this.#options.nodes.map((n) => this.#monitor(n)));
    this.#sweeper = setInterval(() => void this.#sweep(), 50);
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweeper);
    for (const m of this.#monitors) m.destroy();
    await this.#everyNode(['ACL', 'DELUSER', this.oid]).catch(() => undefined);
    await Promise.all(this.#admins.map((a) => a.close()));
  }

  /** Sends a command to every node, as the admin (default) user. */
  async #everyNode(args: string[]): Promise<unknown[]> {
    return Promise.all(this.#admins.map((a) => a.send(args)));
  }

  /** ACL LOG entries about this identity, on every node. */
  async aclLog(): Promise<unknown[]> {
    const logs = (await this.#everyNode(['ACL', 'LOG'])) as unknown[][];
    return logs.flat().filter((entry) => JSON.stringify(entry).includes(this.oid));
  }

  /** `CLIENT LIST` lines of connections authenticated as this identity, on every node. */
  async clients(): Promise<string[]> {
    const lists = (await this.#everyNode(['CLIENT', 'LIST'])) as string[];
    return lists.flatMap((l) => l.split('\n')).filter((line) => line.includes(` user=${this.oid} `));
  }

  /** Clears every node's ACL LOG. */
  async resetAclLog(): Promise<void> {
    await this.#everyNode(['ACL', 'LOG', 'RESET']);
  }

  async #mint(): Promise<AccessTokenLike> {
    const now = Date.now();
    const expiresAt = now + this.#options.lifetimeMs;
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const token = [
      b64({ alg: 'RS256', typ: 'JWT' }),
      b64({
        aud: 'https://redis.azure.com',
        ...(this.#options.omitOid ? {} : { oid: this.oid }),
        iat: Math.floor(now / 1000),
        exp: Math.ceil(expiresAt / 1000),
        n: randomBytes(4).toString('hex'),
      }),
      SIGNATURE_MARK + randomBytes(24).toString('base64url'),
    ].join('.');
    // Entra's side: the new token is valid as soon as it is issued.
    await this.#everyNode(['ACL', 'SETUSER', this.oid, `>${token}`]);
    this.minted.push({ token, mintedAt: now, expiresAt, removed: false });
    return { token, expiresOnTimestamp: expiresAt };
  }

  /** Removes expired tokens (after the grace) and closes connections still on one. */
  async #sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      await this.#enforce();
    } finally {
      this.#sweeping = false;
    }
  }

  async #enforce(): Promise<void> {
    const now = Date.now();
    for (const m of this.minted) {
      if (m.removed || now < m.expiresAt + this.#options.graceMs) continue;
      m.removed = true;
      await this.#everyNode(['ACL', 'SETUSER', this.oid, `<${m.token}`]).catch(() => undefined);
    }
    await Promise.all(
      this.#admins.map(async (admin) => {
        const list = await admin.send<string>(['CLIENT', 'LIST']).catch(() => '');
        for (const line of list.split('\n')) {
          if (!line.includes(` user=${this.oid} `)) continue;
          const address = /\baddr=(\S+)/.exec(line)?.[1];
          const id = /\bid=(\d+)/.exec(line)?.[1];
          if (!address || !id) continue;
          const lastAuth = this.authsByAddress.get(address)?.at(-1);
          if (lastAuth === undefined) continue; // its AUTH is still on the way to the monitor
          const on = this.minted.filter((m) => m.mintedAt <= lastAuth).at(-1);
          if (on && on.expiresAt + this.#options.graceMs < now) {
            this.closedForExpiry.push(address);
            await admin.send(['CLIENT', 'KILL', 'ID', id]).catch(() => undefined);
          }
        }
      }),
    );
  }

  /** A raw MONITOR connection that records each AUTH (arguments are redacted by Redis). */
  #monitor(node: { host: string; port: number }): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(node.port, node.host);
      let buffer = '';
      socket.once('error', reject);
      socket.on('data', (chunk) => {
        buffer += chunk.toString('utf8');
        for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (line === '+OK') {
            resolve(socket);
            continue;
          }
          const match = /^\+(\d+)\.(\d+) \[\d+ ([^\]]+)\] "(\w+)"(.*)$/.exec(line);
          if (!match) continue;
          const [, seconds, micros, address, command, rest] = match;
          const isAuth = /^auth$/i.test(command!) || (/^hello$/i.test(command!) && /"AUTH"/i.test(rest!));
          if (!isAuth) continue;
          const at = Number(seconds) * 1000 + Math.floor(Number(micros!.padEnd(6, '0')) / 1000);
          const list = this.authsByAddress.get(address!) ?? [];
          list.push(at);
          this.authsByAddress.set(address!, list);
        }
      });
      socket.write('MONITOR\r\n');
    });
  }
}
