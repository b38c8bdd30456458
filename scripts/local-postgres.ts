// Starts throwaway PostgreSQL servers with pgvector on free loopback ports for the tests and the
// benchmarks: initdb in a temp folder, trust auth, `CREATE EXTENSION vector` done. The binaries come
// from provision-pgvector.sh (a private copy of Debian's PostgreSQL 15 with pgvector built into it).
// Development tooling, not part of the library. It never touches the machine's own PostgreSQL.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './local-redis.js';

export interface LocalPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres`: the superuser, no password (trust auth). */
  url: string;
  host: string;
  port: number;
  /** The temp folder: the data directory (`data/`) and the unix socket. Removed by stop(). */
  dir: string;
  /** The server's version, e.g. `15.20`. */
  version: string;
  /** The `vector` extension's version in database `postgres`, e.g. `0.8.0`. */
  vectorVersion: string;
  /** Fast shutdown (open sessions are ended), then the temp folder is removed. */
  stop(): Promise<void>;
}

/** Options of {@link startPostgres}. */
export interface PostgresOptions {
  /**
   * `false` turns off fsync, synchronous_commit and full_page_writes (a crash loses data: for
   * throwaway servers only). Default: PostgreSQL's defaults, every commit fsynced.
   */
  fsync?: boolean;
  /** Extra server settings, as `-c name=value`, e.g. `{ shared_buffers: '256MB' }`. */
  settings?: Record<string, string | number>;
}

const HOST = '127.0.0.1';
const execFileAsync = promisify(execFile);
const running = new Map<ChildProcess, string>();
process.once('exit', () => {
  for (const [child, dir] of running) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The bin dir of a PostgreSQL with pgvector, or null. It always comes from
 * scripts/provision-pgvector.sh, the one place that decides (the cached tree, or a first build,
 * about 15 s once per machine); it prints its failure screen and throws when none can be had.
 */
export function findPgvector(): string | null {
  const script = fileURLToPath(new URL('./provision-pgvector.sh', import.meta.url));
  const env = { ...process.env, POSTGRES_URL: '' };
  const out = execFileSync('bash', [script], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1) || null;
}

let serverUser: string | undefined;
/**
 * PostgreSQL refuses to run as root. As root, its programs run in a user namespace as an ordinary
 * user (the postgres account, else nobody) whom the kernel still treats as root for files, so the
 * binaries may sit in root's 0700 home and root can remove the data afterwards.
 * provision-pgvector.sh does the same (as_server_user).
 */
function serverCommand(program: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [program, args];
  serverUser ??= ['postgres', 'nobody'].map(uidOf).find((uid) => uid !== null) ?? '65534';
  return ['unshare', ['--user', `--map-user=${serverUser}`, program, ...args]];
}

function uidOf(user: string): string | null {
  try {
    return execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * Starts a PostgreSQL from `binDir` (see {@link findPgvector}) on a free loopback port: initdb
 * (trust auth, UTF8) in a temp folder, the unix socket in that folder, and resolves once it accepts
 * connections and database `postgres` has the `vector` extension.
 */
export async function startPostgres(binDir: string, options: PostgresOptions = {}): Promise<LocalPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'am-pg-'));
  const data = join(dir, 'data');
  try {
    const [initdb, initdbArgs] = serverCommand(join(binDir, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      // initdb's own final sync only: the server's fsync settings are untouched.
      '--no-sync',
    ]);
    await execFileAsync(initdb, initdbArgs).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`initdb (${binDir}) failed: ${error.stderr?.trim() || error.message}`);
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const settings: Record<string, string | number> = {
    listen_addresses: HOST,
    unix_socket_directories: dir,
    logging_collector: 'off',
    log_min_messages: 'warning',
    ...(options.fsync === false ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
    ...options.settings,
  };
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = ['-D', data, '-p', String(port), ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
    const [program, argv] = serverCommand(join(binDir, 'postgres'), args);
    const child = spawn(program, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    running.set(child, dir);
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    const end = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null && !spawnError) {
        // SIGINT is PostgreSQL's fast shutdown: sessions are ended, no wait for clients.
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(child);
    };
    const url = `postgresql://postgres@${HOST}:${port}/postgres`;
    try {
      const { version, vectorVersion } = await waitUntilReady(url, () => {
        if (spawnError) return `cannot run ${program}: ${spawnError.message}`;
        if (child.exitCode !== null || child.signalCode !== null)
          return `postgres exited (${child.exitCode ?? child.signalCode}):\n${output}`;
        return null;
      });
      return {
        url,
        host: HOST,
        port,
        dir,
        version,
        vectorVersion,
        stop: async () => {
          await end();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      await end();
      if (attempt >= 3 || !/in use|could not (bind|create listen)/i.test(output)) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

/** Connects until the server answers (or `died` reports why it never will), then {@link describePostgres}. */
async function waitUntilReady(url: string, died: () => string | null): Promise<PostgresDescription> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const death = died();
    if (death) throw new Error(death);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => {});
      // Refused while starting up, or "the database system is starting up".
      if (Date.now() > deadline) throw new Error(`postgres on ${url} did not become ready (${(error as Error).message})`);
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    await client.end();
    return describePostgres(url);
  }
}

/** What {@link describePostgres} reads from a server. */
export interface PostgresDescription {
  /** e.g. `15.20`. */
  version: string;
  /** The `vector` extension's version, e.g. `0.8.0`. */
  vectorVersion: string;
}

/**
 * Creates the `vector` extension in the URL's database (if it is not there yet) and reads the
 * server's and the extension's versions; throws, with the password left out, when it cannot.
 */
export async function describePostgres(url: string): Promise<PostgresDescription> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  const where = url.replace(/\/\/[^@/]*@/, '//');
  try {
    await client.connect();
    await client.query('CREATE EXTENSION IF NOT EXISTS vector');
    const { rows } = await client.query<{ version: string; vector: string }>(
      "SELECT current_setting('server_version') AS version, extversion AS vector FROM pg_extension WHERE extname = 'vector'",
    );
    const row = rows[0]!;
    return { version: row.version.split(' ')[0]!, vectorVersion: row.vector };
  } catch (error) {
    throw new Error(`PostgreSQL at ${where}: cannot use the vector extension (${(error as Error).message})`);
  } finally {
    await client.end().catch(() => {});
  }
}
