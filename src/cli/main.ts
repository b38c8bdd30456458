#!/usr/bin/env node
// The `redis-agent-memory` command: builds the program (commander), runs one command and maps what
// went wrong to an exit code: 0 ok, 1 a failure (or doctor found an error-level risk), 2 bad usage.
// Errors print their code and message on stderr, never a stack (AM_DEBUG=1 adds it) nor a secret.
import { Command, CommanderError } from 'commander';
import { AgentMemoryError } from '../errors.js';
import { doctorCommand } from './doctor.js';
import { forgetUserCommand } from './forget-user.js';
import { inspectCommand } from './inspect.js';
import { migrateCommand } from './migrate.js';
import { workerCommand } from './worker.js';

/** Exit codes (docs/cli.md). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export function buildProgram(): Command {
  const program = new Command('redis-agent-memory')
    .description('Inspect, check, migrate and run the background work of redis-agent-memory')
    .option('--url <url>', 'redis[s]://[user:password@]host:port (default: REDIS_URL, or AMR_HOST with AMR_ACCESS_KEY or Entra ID)')
    .option('--cluster', 'the server is a Redis Cluster (or Azure Managed Redis with the OSS cluster policy)')
    .option('--prefix <prefix>', 'key prefix of the library (default: AM_PREFIX, or am)')
    .option('--json', 'print one JSON document (for scripts)')
    .showHelpAfterError()
    .exitOverride();
  doctorCommand(program);
  forgetUserCommand(program);
  inspectCommand(program);
  migrateCommand(program);
  workerCommand(program);
  return program;
}

function report(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage; // commander printed it
  if (error instanceof AgentMemoryError) {
    process.stderr.write(`error ${error.code}: ${error.message}\n`);
    if (process.env.AM_DEBUG) process.stderr.write(`${error.stack}\n`);
    return error.code === 'INVALID_ARGUMENT' ? EXIT.usage : EXIT.failure;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (process.env.AM_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return EXIT.failure;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error);
}
