// Starts throwaway Redis servers on free loopback ports for the tests, the benchmarks and the demo:
// Redis 8 (built once by provision-redis.sh), Redis 7 (Debian's package) and a local Redis Cluster
// (with replicas, for failovers), and a throwaway CA and server certificate (openssl) for a TLS port.
// A server can be killed (kill -9) and restarted on its port and data folder, for the fault suite.
// Development tooling, not part of the library. It never touches the machine's own Redis on 6379.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LocalRedis {
  url: string;
  host: string;
  port: number;
  /** The TLS port, when started with `tls`. */
  tlsPort?: number;
  /** e.g. `8.0.2`, as the binary reports it. */
  version: string;
  /** The server's data folder (AOF, RDB, nodes.conf): kept across kill() and restart(), removed by stop(). */
  dir: string;
  /** The running process's id; undefined after kill() until restart(). */
  readonly pid: number | undefined;
  /** Sends `signal` (default SIGKILL) to the server and waits until it has exited; the data folder stays. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /**
   * Starts the server again with the same binary, arguments, port and data folder (after kill()),
   * and resolves once it answers PING, that is once it has loaded its data.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** One node of a {@link LocalCluster}: its role when the cluster was formed, and its process. */
export interface LocalClusterNode {
  host: string;
  port: number;
  /** The node id (CLUSTER MYID). */
  id: string;
  role: 'master' | 'replica';
  /** For a replica, the port of the master it was made to replicate. */
  masterPort?: number;
  server: LocalRedis;
}

export interface LocalCluster {
  /** Every node, masters first: seeds for a cluster client. */
  nodes: { host: string; port: number }[];
  /** Every node with its id, role and process (kill a master with `server.kill()` to fail it over). */
  members: LocalClusterNode[];
  version: string;
  stop(): Promise<void>;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Replicas per master. Default 0. */
  replicas?: number;
  /** `cluster-node-timeout`, in ms: how long a node may be unreachable before it counts as failing. Default 5000. */
  nodeTimeoutMs?: number;
}

/** Persistence of {@link startRedis}: none (the default), or an append-only file fsynced `always` or `everysec`. */
export type Persistence = 'none' | 'aof-always' | 'aof-everysec';

const HOST = '127.0.0.1';
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The version a redis-server binary reports, e.g. `7.0.15`; null when it cannot be run. */
export function binaryVersion(binary: string): string | null {
  try {
    const out = execFileSync(binary, ['--version'], { encoding: 'utf8' });
    return /v=(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}

const majorOf = (binary: string): number => Number.parseInt(binaryVersion(binary) ?? '0', 10);

/**
 * A redis-server binary of the given major version, or null. Redis 8 always comes from
 * scripts/provision-redis.sh, the one place that decides (REDIS8_SERVER, PATH, the cached build,
 * or a first build from the upstream tarball, about 70 s once per machine); it prints its
 * failure screen and throws when none can be had.
 */
export function findRedisServer(major: 7 | 8): string | null {
  if (major === 8) {
    const script = fileURLToPath(new URL('./provision-redis.sh', import.meta.url));
    const env = { ...process.env, REDIS_URL: '' };
    const out = execFileSync('bash', [script, '8'], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] });
    return out.trim().split('\n').at(-1) || null;
  }
  for (const candidate of [whichRedisServer(), '/usr/bin/redis-server']) {
    if (candidate && existsSync(candidate) && majorOf(candidate) === major) return candidate;
  }
  return null;
}

function whichRedisServer(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** A TCP port that was free a moment ago (and, with `plus`, so was port + plus). */
export async function freePort(plus = 0): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (plus === 0) return port;
    if (
      port + plus <= 65535 &&
      (await listenOnce(port + plus).then(
        () => true,
        () => false,
      ))
    )
      return port;
  }
  throw new Error('no free port pair found');
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, HOST, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : port));
    });
  });
}

/** Sends one inline command over a fresh socket and returns the raw reply text. */
export function rawCommand(port: number, command: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, HOST);
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${command.split(' ')[0]} on port ${port}`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (isCompleteReply(reply)) {
        clearTimeout(timer);
        socket.end();
        resolve(reply);
      }
    });
    socket.write(`${command}\r\n`);
  });
}

/** A simple-string, error, integer or bulk reply is complete once its last byte has arrived. */
function isCompleteReply(reply: string): boolean {
  const lineEnd = reply.indexOf('\r\n');
  if (lineEnd < 0) return false;
  if (!reply.startsWith('$')) return true;
  const length = Number.parseInt(reply.slice(1, lineEnd), 10);
  return length < 0 || reply.length >= lineEnd + 2 + length + 2;
}

async function waitUntilReady(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}):\n${output()}`);
    try {
      if ((await rawCommand(port, 'PING', 500)).startsWith('+PONG')) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server on port ${port} did not become ready:\n${output()}`);
}

/**
 * Starts a redis-server on a free loopback port, with no persistence unless `persistence` asks
 * for an append-only file. `args` are extra config directives, e.g. `['--maxmemory-policy', 'allkeys-lru']`.
 */
export async function startRedis(
  binary: string,
  args: string[] = [],
  options: { busPort?: boolean; tls?: TestCertificates; persistence?: Persistence } = {},
): Promise<LocalRedis> {
  const version = binaryVersion(binary);
  if (!version) throw new Error(`cannot run ${binary}`);
  const persistence =
    options.persistence && options.persistence !== 'none'
      ? ['--appendonly', 'yes', '--appendfsync', options.persistence === 'aof-always' ? 'always' : 'everysec']
      : [];
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(options.busPort ? 10_000 : 0);
    const tlsPort = options.tls ? await freePort() : undefined;
    const tlsArgs = options.tls
      ? [
          '--tls-port',
          String(tlsPort),
          '--tls-cert-file',
          options.tls.serverCertFile,
          '--tls-key-file',
          options.tls.serverKeyFile,
          '--tls-ca-cert-file',
          options.tls.caFile,
          '--tls-auth-clients',
          'no',
        ]
      : [];
    const dir = mkdtempSync(join(tmpdir(), 'am-redis-'));
    const argv = [
      '--port',
      String(port),
      '--bind',
      HOST,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      '--logfile',
      '',
      ...tlsArgs,
      ...persistence,
      ...args,
    ];
    let current: Launched | undefined = launch(binary, argv);
    const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
      const launched = current;
      current = undefined;
      if (launched) await launched.end(signal);
    };
    const stop = async (): Promise<void> => {
      await kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    };
    const restart = async (): Promise<void> => {
      if (current) throw new Error(`redis-server on port ${port} is still running: kill() it first`);
      const launched = launch(binary, argv);
      current = launched;
      try {
        await waitUntilReady(port, launched.child, launched.output);
      } catch (error) {
        await kill();
        throw error;
      }
    };
    try {
      await waitUntilReady(port, current.child, current.output);
      return {
        url: `redis://${HOST}:${port}`,
        host: HOST,
        port,
        version,
        dir,
        get pid() {
          return current?.child.pid;
        },
        kill,
        restart,
        stop,
        ...(tlsPort ? { tlsPort } : {}),
      };
    } catch (error) {
      const output = current?.output() ?? '';
      await stop();
      if (attempt >= 3 || !/in use/i.test(output)) throw error;
    }
  }
}

interface Launched {
  child: ChildProcess;
  output(): string;
  /** Sends `signal` (SIGTERM: SIGKILL after 3 s) and waits for the exit. */
  end(signal: NodeJS.Signals): Promise<void>;
}

function launch(binary: string, argv: string[]): Launched {
  const child = spawn(binary, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  running.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    output: () => output,
    end: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(child);
    },
  };
}

/** A throwaway CA and a server certificate it signed, for 127.0.0.1 and localhost. */
export interface TestCertificates {
  dir: string;
  caFile: string;
  /** The CA certificate, PEM. */
  ca: string;
  serverCertFile: string;
  serverKeyFile: string;
  remove(): void;
}

/**
 * Makes a CA and a server certificate (P-256 keys, valid two days, SAN IP:127.0.0.1 and
 * DNS:localhost) with openssl in a temp folder: a few hundred milliseconds, once per run.
 */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'am-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=redis-agent-memory test CA');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );
  return {
    dir,
    caFile: file('ca.crt'),
    ca: readFileSync(file('ca.crt'), 'utf8'),
    serverCertFile: file('server.crt'),
    serverKeyFile: file('server.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Starts a local Redis Cluster of `masters` nodes, each with `options.replicas` replicas (default
 * none), and waits until every node agrees the cluster is up, knows every slot's owner and every
 * replica's master, and every replica's link to its master is up.
 */
export async function startCluster(binary: string, masters = 3, options: ClusterOptions = {}): Promise<LocalCluster> {
  const { replicas = 0, nodeTimeoutMs = 5000 } = options;
  const servers: LocalRedis[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  // A replica's first sync starts at once (diskless, no 5 s wait for other replicas to join it).
  const args = [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    String(nodeTimeoutMs),
    ...(replicas > 0 ? ['--repl-diskless-sync-delay', '0'] : []),
  ];
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) servers.push(await startRedis(binary, args, { busPort: true }));
    const ids = await Promise.all(servers.map(async (s) => bulkText(await rawCommand(s.port, 'CLUSTER MYID'))));
    const per = Math.floor(16384 / masters);
    await Promise.all(
      servers.slice(0, masters).map((s, i) => {
        const last = i === masters - 1 ? 16383 : (i + 1) * per - 1;
        return rawCommand(s.port, `CLUSTER ADDSLOTSRANGE ${i * per} ${last}`);
      }),
    );
    for (const s of servers.slice(1)) await rawCommand(servers[0]!.port, `CLUSTER MEET ${HOST} ${s.port}`);
    // Replica j of master i is server masters + i * replicas + j.
    const masterOf = (index: number): number | undefined => (index < masters ? undefined : Math.floor((index - masters) / replicas));
    const deadline = Date.now() + 30_000;
    const waitFor = async (what: string, ok: () => Promise<boolean>, detail: () => Promise<string>) => {
      while (!(await ok())) {
        if (Date.now() > deadline) throw new Error(`cluster did not form (${what}):\n${await detail()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const views = () => Promise.all(servers.map(async (s) => bulkText(await rawCommand(s.port, 'CLUSTER NODES'))));
    if (replicas > 0) {
      // A replica can only be told to follow a master it already knows.
      await waitFor(
        'replicas know their masters',
        async () =>
          (await views()).every((v, i) => {
            const m = masterOf(i);
            return m === undefined || v.includes(ids[m]!);
          }),
        async () => (await views()).join('\n'),
      );
      for (let i = masters; i < servers.length; i++) {
        const reply = await rawCommand(servers[i]!.port, `CLUSTER REPLICATE ${ids[masterOf(i)!]}`);
        if (!reply.startsWith('+OK')) throw new Error(`CLUSTER REPLICATE on port ${servers[i]!.port}: ${reply.trim()}`);
      }
    }
    const formed = async (): Promise<boolean> => {
      const infos = await Promise.all(servers.map((s) => rawCommand(s.port, 'CLUSTER INFO')));
      if (!infos.every((i) => i.includes('cluster_state:ok') && i.includes(`cluster_known_nodes:${servers.length}`))) return false;
      if (replicas === 0) return true;
      // Every node sees every replica following its master (a failover needs the masters' votes),
      // and every replica has synced.
      const seen = await views();
      const follows = seen.every((view) =>
        servers.every((_, i) => {
          const m = masterOf(i);
          return (
            m === undefined ||
            view.split('\n').some((line) => line.startsWith(`${ids[i]} `) && line.includes(` ${ids[m]} `) && /\bslave\b/.test(line))
          );
        }),
      );
      if (!follows) return false;
      const links = await Promise.all(servers.slice(masters).map(async (s) => bulkText(await rawCommand(s.port, 'INFO replication'))));
      return links.every((l) => l.includes('master_link_status:up'));
    };
    await waitFor('state ok on every node', formed, async () => (await views()).join('\n'));
    const members: LocalClusterNode[] = servers.map((s, i) => {
      const m = masterOf(i);
      return {
        host: s.host,
        port: s.port,
        id: ids[i]!,
        role: m === undefined ? ('master' as const) : ('replica' as const),
        ...(m === undefined ? {} : { masterPort: servers[m]!.port }),
        server: s,
      };
    });
    return { nodes: servers.map((s) => ({ host: s.host, port: s.port })), members, version: servers[0]!.version, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The text of a bulk-string reply as rawCommand returns it (`$<length>\r\n<text>\r\n`). */
function bulkText(reply: string): string {
  if (!reply.startsWith('$')) throw new Error(`expected a bulk reply, got ${reply.trim()}`);
  const start = reply.indexOf('\r\n') + 2;
  return reply.slice(start, start + Number.parseInt(reply.slice(1), 10));
}
