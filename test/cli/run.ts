// Runs the REAL built binary (dist/src/cli/main.js, made by `npm run build`) as a user would, and
// collects its output and exit code. Fails loudly when dist is missing, rather than testing nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RedisTarget } from '../harness/index.js';

export const BIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` before the CLI tests`);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The global options that reach `target`: its URL, and `--cluster` for the cluster. */
export const targetArgs = (target: RedisTarget, prefix: string): string[] => [
  '--url',
  target.url,
  ...(target.nodes ? ['--cluster'] : []),
  '--prefix',
  prefix,
];

/** Starts the binary with `args`; the environment holds no REDIS_URL unless `env` gives one. */
export function start(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  assertBuilt();
  const { REDIS_URL: _url, AMR_HOST: _host, AM_PREFIX: _prefix, ...rest } = process.env;
  return spawn(process.execPath, [BIN, ...args], { env: { ...rest, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs the binary to its end. */
export function run(args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
  const child = start(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
