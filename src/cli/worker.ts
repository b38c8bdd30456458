// `redis-agent-memory worker`: runs the extraction worker (src/extraction/worker.ts) until SIGINT or
// SIGTERM, then stops gracefully (events in flight finish, the rest go back to the group) and exits 0.
// Prints its stats every --stats-every seconds. The embedder and extractor are the offline ones, or
// a module's (--module), so a real application plugs in its model.
import type { Command } from 'commander';
import { InvalidArgumentError } from '../errors.js';
import { rulesExtractor } from '../extraction/rules.js';
import { readNamespace } from '../inspect.js';
import { type GlobalOptions, withMemory } from './connect.js';
import { openStoredNamespace } from './namespaces.js';
import { loadSetup, withSetupOptions, type SetupOptions } from './setup.js';

interface WorkerOptions extends SetupOptions {
  namespace: string;
  group: string;
  statsEvery: string;
  concurrency: string;
  idleMinutes: string;
}

export function workerCommand(program: Command): void {
  withSetupOptions(
    program
      .command('worker')
      .description('run the extraction worker: conversations (sessions with events on) become long-term memories; stops on SIGINT/SIGTERM')
      .requiredOption('--namespace <ns>', 'the long-term memory namespace to write (as the application reads it)'),
    'a module exporting `embedder` and optionally `extractor` (default: the rules extractor)',
  )
    .option('--group <name>', 'the consumer group (workers of one group share the work)', 'extraction')
    .option('--concurrency <n>', 'events handled at once by this process', '8')
    .option('--stats-every <seconds>', 'print pending, lag and dead letters this often (0: never)', '10')
    .option('--idle-minutes <minutes>', "a session quiet this long is announced idle and its episode written (0: don't watch)", '30')
    .action(async (options: WorkerOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const every = Number(options.statsEvery);
      const concurrency = Number(options.concurrency);
      const idleMinutes = Number(options.idleMinutes);
      if (!(Number.isFinite(idleMinutes) && (idleMinutes === 0 || (idleMinutes * 60_000 >= 100 && idleMinutes <= 7 * 1440))))
        throw new InvalidArgumentError('command options', [{ path: '--idle-minutes', message: 'must be 0, or minutes up to a week' }]);
      if (!(Number.isFinite(every) && every >= 0))
        throw new InvalidArgumentError('command options', [{ path: '--stats-every', message: 'must be a number of seconds, 0 or more' }]);
      if (!(Number.isInteger(concurrency) && concurrency >= 1))
        throw new InvalidArgumentError('command options', [{ path: '--concurrency', message: 'must be a whole number, 1 or more' }]);
      const setup = await loadSetup(options);
      const say = (line: string, value: object) =>
        process.stdout.write(globals.json ? `${JSON.stringify({ at: new Date().toISOString(), ...value })}\n` : `${line}\n`);
      await withMemory(
        globals,
        async (memory) => {
          const existing = await readNamespace(memory.connection, memory.keys, options.namespace);
          const target = existing
            ? await openStoredNamespace(memory, options.namespace, setup.embedder)
            : await memory.longTerm({ namespace: options.namespace, embedder: setup.embedder });
          const worker = memory
            .extraction({
              memory: target,
              extractor: setup.extractor ?? rulesExtractor(),
              group: options.group,
              sessionIdleMs: idleMinutes === 0 ? false : Math.round(idleMinutes * 60_000),
              consume: { concurrency },
            })
            .start();
          say(
            `extraction worker ${process.pid} started: group ${worker.group}, namespace ${options.namespace}, engine ${target.index.engine}`,
            {
              event: 'started',
              pid: process.pid,
              group: worker.group,
              namespace: options.namespace,
              engine: target.index.engine,
            },
          );
          const report = async () => {
            const { pending, lag, deadLetters } = await memory.events.stats(worker.group);
            const c = worker.counts;
            say(
              `handled ${c.events} events and ${c.idle} idle sessions, wrote ${c.inserted} memories (merged ${c.merged}); pending ${pending}, lag ${lag ?? '?'}, dead letters ${deadLetters}`,
              { event: 'stats', ...c, pending, lag, deadLetters },
            );
          };
          const timer =
            every > 0
              ? setInterval(() => {
                  report().catch((error: unknown) => process.stderr.write(`stats failed: ${(error as Error).message}\n`));
                }, every * 1000)
              : undefined;
          const signal = await new Promise<NodeJS.Signals>((resolve) => {
            process.once('SIGINT', () => resolve('SIGINT'));
            process.once('SIGTERM', () => resolve('SIGTERM'));
          });
          clearInterval(timer);
          await worker.stop();
          await report();
          say(`extraction worker ${process.pid} stopped (${signal})`, { event: 'stopped', signal });
        },
        { sessions: { events: true } },
      );
    });
}
