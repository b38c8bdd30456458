// Starts throwaway Redis servers on free loopback ports for the tests, the benchmarks and the demo:
// Redis 8 (built once by provision-redis.sh), Redis 7 (Debian's package) and a local Redis Cluster,
// and a throwaway CA and server certificate (openssl) for a TLS port.
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
  stop(): Promise<void>;
}

export interface LocalCluster {
  nodes: { host: string; port: number }[];
  version: string;
  stop(): Promise<void>;
}

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
async function freePort(plus = 0): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (plus === 0) return port;
    if (port + plus <= 65535 && (await listenOnce(port + plus).then(() => true, () => false))) return port;
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
 * Starts a redis-server on a free loopback port with no persistence. `args` are extra config
 * directives, e.g. `['--maxmemory-policy', 'allkeys-lru']`.
 */
export async function startRedis(
  binary: string,
  args: string[] = [],
  options: { busPort?: boolean; tls?: TestCertificates } = {},
): Promise<LocalRedis> {
  const version = binaryVersion(binary);
  if (!version) throw new Error(`cannot run ${binary}`);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(options.busPort ? 10_000 : 0);
    const tlsPort = options.tls ? await freePort() : undefined;
    const tlsArgs = options.tls
      ? ['--tls-port', String(tlsPort), '--tls-cert-file', options.tls.serverCertFile, '--tls-key-file',
          options.tls.serverKeyFile, '--tls-ca-cert-file', options.tls.caFile, '--tls-auth-clients', 'no']
      : [];
    const dir = mkdtempSync(join(tmpdir(), 'am-redis-'));
    const child = spawn(
      binary,
      ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir,
        '--daemonize', 'no', '--loglevel', 'warning', '--logfile', '', ...tlsArgs, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    running.add(child);
    const stop = async (): Promise<void> => {
      running.delete(child);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await waitUntilReady(port, child, () => output);
      return { url: `redis://${HOST}:${port}`, host: HOST, port, version, stop, ...(tlsPort ? { tlsPort } : {}) };
    } catch (error) {
      await stop();
      if (attempt >= 3 || !/in use/i.test(output)) throw error;
    }
  }
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
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
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
 * Starts a local Redis Cluster of `masters` nodes (no replicas) and waits until every node
 * agrees the cluster is up and knows every slot's owner.
 */
export async function startCluster(binary: string, masters = 3): Promise<LocalCluster> {
  const servers: LocalRedis[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      servers.push(
        await startRedis(
          binary,
          ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'],
          { busPort: true },
        ),
      );
    }
    const per = Math.floor(16384 / masters);
    await Promise.all(
      servers.map((s, i) => {
        const last = i === masters - 1 ? 16383 : (i + 1) * per - 1;
        return rawCommand(s.port, `CLUSTER ADDSLOTSRANGE ${i * per} ${last}`);
      }),
    );
    for (const s of servers.slice(1)) await rawCommand(servers[0]!.port, `CLUSTER MEET ${HOST} ${s.port}`);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const infos = await Promise.all(servers.map((s) => rawCommand(s.port, 'CLUSTER INFO')));
      if (infos.every((i) => i.includes('cluster_state:ok') && i.includes(`cluster_known_nodes:${masters}`))) break;
      if (Date.now() > deadline) throw new Error(`cluster did not form:\n${infos.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { nodes: servers.map((s) => ({ host: s.host, port: s.port })), version: servers[0]!.version, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
