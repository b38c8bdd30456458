// The real extraction worker in a process of its own, for the kill -9 test (extraction-kill.test.ts):
// rulesExtractor() slowed by `extractMs` per call, and the long-term memory's rememberMany followed
// by `afterWriteMs` of nothing, so a kill can land after a write and before its acknowledgement.
// One JSON line per write, so the test can SIGKILL it mid-batch. Imported by the test for the shared parts.
//   argv[2]: {"redis":{"url"}|{"nodes"},"prefix","group","consumer","extractMs","afterWriteMs","concurrency"}
//   stdout:  {"event":"ready"} once consuming, then {"event":"wrote","userId","ids"} per rememberMany
import { pathToFileURL } from 'node:url';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import type { Extractor } from '../../src/extraction/extractor.js';
import { rulesExtractor } from '../../src/extraction/rules.js';
import type { AgentMemory } from '../../src/index.js';
import type { LongTermMemory } from '../../src/memory/long-term-memory.js';

/** How every process of the test opens the long-term memory: same namespace, same embedder, so the same vectors. */
export const openLongTerm = (memory: AgentMemory): Promise<LongTermMemory> =>
  memory.longTerm({ embedder: new HashingEmbeddings(256), fields: { tags: 'tag' } });

/** The same claim idle time for every consumer of the group (the consumer's rule). */
export const CLAIM_IDLE_MS = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** rulesExtractor(), `ms` slower per call; `seen` hears of every call (user and message ids). */
export function pacedRules(ms: number, seen: (userId: string, messageIds: string[]) => void = () => undefined): Extractor {
  const rules = rulesExtractor();
  return {
    name: rules.name,
    extract: async (input) => {
      seen(
        input.user.userId,
        input.messages.map((m) => m.id),
      );
      await sleep(ms);
      return rules.extract(input);
    },
  };
}

/**
 * The real long-term memory with `afterWrite` run after each rememberMany returns (the write is
 * done, the event not yet acknowledged). Every other member is the memory's own, bound to it.
 */
export function afterWrites(memory: LongTermMemory, afterWrite: (userId: string, ids: string[]) => Promise<void>): LongTermMemory {
  return new Proxy(memory, {
    get(target, prop) {
      if (prop === 'rememberMany') {
        return async (...args: Parameters<LongTermMemory['rememberMany']>) => {
          const results = await target.rememberMany(...args);
          await afterWrite(
            args[0].userId,
            results.map((r) => r.id),
          );
          return results;
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function main(): Promise<void> {
  const { createAgentMemory } = await import('../../src/index.js');
  const config = JSON.parse(process.argv[2]!) as {
    redis: { url?: string; nodes?: { host: string; port: number }[] };
    prefix: string;
    group: string;
    consumer: string;
    extractMs: number;
    afterWriteMs: number;
    concurrency: number;
  };
  const say = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  const redis = config.redis.nodes ? { nodes: config.redis.nodes } : { url: config.redis.url! };
  const memory = await createAgentMemory({ redis, prefix: config.prefix, sessions: { events: true } });
  const learned = afterWrites(await openLongTerm(memory), async (userId, ids) => {
    say({ event: 'wrote', userId, ids });
    await sleep(config.afterWriteMs); // written, not acknowledged: a kill here makes the rescuer repeat it
  });
  memory
    .extraction({
      memory: learned,
      extractor: pacedRules(config.extractMs),
      group: config.group,
      consume: {
        consumer: config.consumer,
        concurrency: config.concurrency,
        blockMs: 100,
        claimIdleMs: CLAIM_IDLE_MS,
        onError: (error) => process.stderr.write(`consumer error: ${error.message}\n`),
      },
    })
    .start();
  say({ event: 'ready' });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
