// `redis-agent-memory migrate`: long-term memory from one namespace (engine, embedder, dimension)
// to another, and @langchain/redis chat histories into sessions. Resumable: progress is checkpointed
// in Redis after each batch (src/migrate/checkpoint.ts) and writes are by id, so a run killed at any
// point and started again continues and ends with the same data as one that was never stopped.
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { InvalidArgumentError, MissingDependencyError } from '../errors.js';
import { KeyPartSchema } from '../keys.js';
import { RedisMigrationCheckpoint, type MigrationCheckpoint } from '../migrate/checkpoint.js';
import type { EngineChoice } from '../vector/create.js';
import { type GlobalOptions, withMemory } from './connect.js';
import { readNamespace } from '../inspect.js';
import { openStoredNamespace } from './namespaces.js';
import { print } from './output.js';
import { createProgress } from './progress.js';
import { loadSetup, withSetupOptions, type SetupOptions } from './setup.js';

interface RunOptions {
  batchSize: string;
  rate?: string;
  restart?: boolean;
}

/** The session id of a list: its key when the key scheme takes it as is, else `lc-` and a digest of it. */
const sessionIdOf = (key: string): string =>
  KeyPartSchema.safeParse(key).success ? key : `lc-${createHash('sha256').update(key).digest('base64url').slice(0, 22)}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function numbersOf(options: RunOptions): { batchSize: number; rate: number | null } {
  const batchSize = Number(options.batchSize);
  const rate = options.rate === undefined ? null : Number(options.rate);
  const issues = [
    ...(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 10_000
      ? []
      : [{ path: '--batch-size', message: 'must be 1 to 10000' }]),
    ...(rate === null || (Number.isFinite(rate) && rate > 0)
      ? []
      : [{ path: '--rate', message: 'must be a positive number of items per second' }]),
  ];
  if (issues.length > 0) throw new InvalidArgumentError('migration options', issues);
  return { batchSize, rate };
}

/** A checkpoint that, after each save, waits as long as `rate` (items per second) asks: a throttle between batches. */
function throttled(inner: MigrationCheckpoint, rate: number | null): MigrationCheckpoint {
  if (rate === null) return inner;
  const last = new Map<string, number>();
  return {
    position: async (unit) => {
      const p = await inner.position(unit);
      last.set(unit, p);
      return p;
    },
    save: async (unit, position) => {
      await inner.save(unit, position);
      const moved = position - (last.get(unit) ?? 0);
      last.set(unit, position);
      await sleep((moved * 1000) / rate);
    },
  };
}

/** Starts or resumes the checkpointed migration `name`; null when it already finished (and not --restart). */
async function openCheckpoint(
  memory: { connection: RedisMigrationCheckpoint['connection']; keys: { migrationCheckpoint(name: string): string } },
  name: string,
  restart: boolean | undefined,
): Promise<{ checkpoint: RedisMigrationCheckpoint; resuming: boolean } | null> {
  const checkpoint = new RedisMigrationCheckpoint(memory.connection, memory.keys.migrationCheckpoint(name));
  if (restart) await checkpoint.clear();
  if ((await checkpoint.finishedAt()) !== null) return null;
  return { checkpoint, resuming: (await checkpoint.units()) > 0 };
}

const withRunOptions = (command: Command) =>
  command
    .option('--batch-size <n>', 'items written per batch (and per checkpoint)', '100')
    .option('--rate <n>', 'at most this many items per second (to spare a busy server)')
    .option('--restart', 'forget the checkpoint of an earlier run and start from the beginning');

export function migrateCommand(program: Command): void {
  const migrate = program
    .command('migrate')
    .description('resumable migrations: long-term memory between namespaces, @langchain/redis imports');

  withRunOptions(
    withSetupOptions(
      migrate
        .command('memory')
        .description('copy every memory of a namespace into another (another engine, embedder or dimension); texts are embedded again')
        .requiredOption('--from <ns>', 'the namespace to copy (it is left as it was)')
        .requiredOption('--to <ns>', 'the namespace to copy into (created when absent)')
        .option('--engine <engine>', 'engine of the target: auto, redisearch, vectorset or flat', 'auto'),
      'a module exporting `embedder` (your model) for the target',
    ),
  ).action(async (options: RunOptions & SetupOptions & { from: string; to: string; engine: string }, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const { batchSize, rate } = numbersOf(options);
    if (!['auto', 'redisearch', 'vectorset', 'flat'].includes(options.engine)) {
      throw new InvalidArgumentError('command options', [{ path: '--engine', message: 'must be auto, redisearch, vectorset or flat' }]);
    }
    if (options.from === options.to)
      throw new InvalidArgumentError('command options', [{ path: '--to', message: 'must differ from --from' }]);
    const { embedder } = await loadSetup(options);
    await withMemory(globals, async (memory) => {
      const name = `memory.${options.from}.${options.to}`;
      const opened = await openCheckpoint(memory, name, options.restart);
      if (!opened) {
        print(globals.json, { name, finished: true, migrated: 0 }, () => `migration ${name} already finished (--restart to run it again)`);
        return;
      }
      const source = await openStoredNamespace(memory, options.from);
      const target = await memory.longTerm({ namespace: options.to, embedder, engine: options.engine as EngineChoice });
      if (opened.resuming) process.stderr.write(`resuming migration ${name} from its checkpoint\n`);
      let progress: ReturnType<typeof createProgress> | undefined;
      const startedAt = Date.now();
      const result = await source.migrateTo(target, {
        batchSize,
        checkpoint: throttled(opened.checkpoint, rate),
        onProgress: (p) => {
          progress ??= createProgress('migrated', p.total, { startDone: p.resumed, startedAt });
          progress.update(p.processed);
        },
      });
      (progress ?? createProgress('migrated', result.total, { startDone: result.resumed, startedAt })).finish(result.processed);
      await opened.checkpoint.finish();
      print(
        globals.json,
        { name, finished: true, migrated: result.memories, resumed: result.resumed, total: result.total, scopes: result.scopes },
        (r) =>
          `copied ${r.migrated} memories of ${r.total} in ${r.scopes} scopes from ${options.from} to ${options.to} (${r.resumed} done by an earlier run; expired ones are skipped)`,
      );
    });
  });

  withRunOptions(
    migrate
      .command('langchain-chat')
      .description(
        'import @langchain/redis RedisChatMessageHistory lists into sessions of one user (session id: the list key, or lc-<digest> when the key has characters a session id cannot)',
      )
      .requiredOption('--match <pattern>', 'SCAN pattern of the lists (e.g. chat-*); keys under this library’s prefix are refused')
      .requiredOption('--user <id>', 'the user the sessions belong to')
      .option('--tenant <tenant>', 'the tenant (default: _)'),
  ).action(async (options: RunOptions & { match: string; user: string; tenant?: string }, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const { rate } = numbersOf(options);
    const lc = await langChainAdapter();
    await withMemory(globals, async (memory) => {
      // One checkpoint per (user, pattern): another pattern is another migration.
      const name = `lc-chat.${options.tenant ?? '_'}.${options.user}.${createHash('sha256').update(options.match).digest('base64url').slice(0, 12)}`;
      const opened = await openCheckpoint(memory, name, options.restart);
      if (!opened) {
        print(globals.json, { name, finished: true, imported: 0 }, () => `migration ${name} already finished (--restart to run it again)`);
        return;
      }
      const found = new Set<string>();
      for await (const batch of memory.connection.scan(options.match)) {
        for (const key of batch) if (!key.startsWith(`${memory.keys.prefix}:`)) found.add(key);
      }
      const keys = [...found].sort();
      const checkpoint = throttled(opened.checkpoint, rate);
      const progress = createProgress('imported', keys.length);
      let appended = 0;
      let skipped = 0;
      for (const [i, key] of keys.entries()) {
        if ((await checkpoint.position(key)) > 0) {
          skipped++;
          continue;
        }
        const into = {
          userId: options.user,
          sessionId: sessionIdOf(key),
          ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
        };
        appended += (await lc.importRedisChatMessageHistory(memory, { key, into })).appended;
        await checkpoint.save(key, 1);
        progress.update(i + 1);
      }
      progress.finish(keys.length);
      await opened.checkpoint.finish();
      print(
        globals.json,
        { name, finished: true, lists: keys.length, resumed: skipped, appended },
        (r) => `imported ${r.lists} lists (${r.resumed} done by an earlier run): ${r.appended} messages appended`,
      );
    });
  });

  withRunOptions(
    withSetupOptions(
      migrate
        .command('langchain-vectors')
        .description('import a @langchain/redis RedisVectorStore (its hashes) into a long-term memory namespace, in one user’s scope')
        .option('--index-name <name>', 'the RedisVectorStore index name (its hashes are doc:<name>:*)')
        .option('--key-prefix <prefix>', 'or the hashes’ key prefix itself')
        .requiredOption('--namespace <ns>', 'the namespace to import into (created when absent)')
        .requiredOption('--user <id>', 'the user whose scope the documents go to')
        .option('--tenant <tenant>', 'the tenant (default: _)')
        .option('--reembed', 'embed the texts again (needed when the embedder or the dimension changes)')
        .option('--engine <engine>', 'engine of a new namespace: auto, redisearch, vectorset or flat', 'auto'),
      'a module exporting `embedder`',
    ),
  ).action(
    async (
      options: RunOptions &
        SetupOptions & {
          indexName?: string;
          keyPrefix?: string;
          namespace: string;
          user: string;
          tenant?: string;
          reembed?: boolean;
          engine: string;
        },
      command: Command,
    ) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const { batchSize } = numbersOf(options);
      if ((options.indexName === undefined) === (options.keyPrefix === undefined)) {
        throw new InvalidArgumentError('command options', [{ path: '--index-name', message: 'give one of --index-name or --key-prefix' }]);
      }
      const { embedder } = await loadSetup(options);
      const lc = await langChainAdapter();
      await withMemory(globals, async (memory) => {
        const layout = options.keyPrefix !== undefined ? { keyPrefix: options.keyPrefix } : { indexName: options.indexName! };
        const name = `lc-vectors.${options.namespace}.${createHash('sha256').update(JSON.stringify(layout)).digest('base64url').slice(0, 12)}`;
        const opened = await openCheckpoint(memory, name, options.restart);
        if (!opened) {
          print(
            globals.json,
            { name, finished: true, imported: 0 },
            () => `migration ${name} already finished (--restart to run it again)`,
          );
          return;
        }
        const stored = await readNamespace(memory.connection, memory.keys, options.namespace);
        const target = stored
          ? await openStoredNamespace(memory, options.namespace, embedder)
          : await memory.longTerm({ namespace: options.namespace, embedder, engine: options.engine as EngineChoice });
        const scope = { userId: options.user, ...(options.tenant !== undefined ? { tenant: options.tenant } : {}) };
        const store = new lc.AgentMemoryVectorStore(embedder as never, { memory: target, scope });
        const result = await lc.importRedisVectorStore(store, { ...layout, batchSize, ...(options.reembed ? { reembed: true } : {}) });
        await opened.checkpoint.finish();
        print(globals.json, { name, finished: true, imported: result.imported, skipped: result.skipped }, (r) =>
          [`imported ${r.imported} documents into ${options.namespace}`, ...r.skipped.map((s) => `  skipped ${s.key}: ${s.reason}`)].join(
            '\n',
          ),
        );
      });
    },
  );
}

/** The LangChain adapter, which the @langchain/redis imports run on: it needs the optional peer @langchain/core. */
async function langChainAdapter(): Promise<typeof import('../../adapters/langchain/index.js')> {
  try {
    return await import('../../adapters/langchain/index.js');
  } catch (error) {
    throw new MissingDependencyError(
      '@langchain/core',
      'importing from @langchain/redis needs the @langchain/core package (an optional peer dependency of redis-agent-memory): npm install @langchain/core',
      { cause: error },
    );
  }
}
