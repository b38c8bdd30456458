// A consumer of the event backbone in a process of its own, for the kill -9 test: it consumes a
// group and applies an idempotent effect per event (applyEffect), printing one JSON line per event
// handled, so the test can SIGKILL it mid-batch. Imported by the test for applyEffect alone.
//   argv[2]: {"redis":{"url"}|{"nodes"},"prefix","group","consumer","effects":Effects,"preMs","postMs","concurrency"}
//   stdout:  {"event":"ready"} once consuming, then {"event":"effect","key","repeat","running"} per event
import { pathToFileURL } from 'node:url';
import type { RedisConnection } from '../../src/connection/connect.js';
import type { AgentEvent } from '../../src/events/types.js';

/** Where the effects of one run go: three hashes of one hash tag (one slot, so one MULTI on a cluster). */
export interface Effects {
  /** `<partition>/<event id>` → how often a handler ran on it (every delivery that got this far). */
  deliveries: string;
  /** `<partition>/<event id>` → the consumer that applied its effect first (HSETNX: once). */
  events: string;
  /** `<tenant>/<user>/<session>/<message id>` → `<partition>/<event id>` (HSETNX: once). */
  messages: string;
  /** `<partition>/<event id>` → the consumer whose handler ran on it last. */
  lastBy: string;
}

export const effectsUnder = (prefix: string, run: string): Effects => {
  const base = `${prefix}:{${prefix}-${run}}`;
  return { deliveries: `${base}:deliveries`, events: `${base}:events`, messages: `${base}:messages`, lastBy: `${base}:last-by` };
};

export const eventKey = (e: Pick<AgentEvent, 'partition' | 'id'>): string => `${e.partition}/${e.id}`;

/**
 * The effect of one event, in one MULTI: count the delivery, note who ran it, and record the event
 * and each of its message ids once. True when the effect was already there (a repeat delivery).
 */
export async function applyEffect(connection: RedisConnection, effects: Effects, consumer: string, event: AgentEvent): Promise<boolean> {
  const key = eventKey(event);
  const commands = [
    ['HINCRBY', effects.deliveries, key, '1'],
    ['HSET', effects.lastBy, key, consumer],
    ['HSETNX', effects.events, key, consumer],
    ...event.ids.map((id) => ['HSETNX', effects.messages, `${event.tenant}/${event.userId}/${event.sessionId ?? ''}/${id}`, key]),
  ];
  const replies = await connection.transaction(commands, effects.events);
  return Number(replies[2]) === 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const { createAgentMemory } = await import('../../src/index.js');
  const config = JSON.parse(process.argv[2]!) as {
    redis: { url?: string; nodes?: { host: string; port: number }[] };
    prefix: string;
    group: string;
    consumer: string;
    effects: Effects;
    preMs: number;
    postMs: number;
    concurrency: number;
  };
  const say = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  const redis = config.redis.nodes ? { nodes: config.redis.nodes } : { url: config.redis.url! };
  const memory = await createAgentMemory({ redis, prefix: config.prefix });
  let running = 0;
  memory.events.consume(
    config.group,
    async (event) => {
      running++;
      try {
        await sleep(config.preMs); // the work before the effect
        const repeat = await applyEffect(memory.connection, config.effects, config.consumer, event);
        say({ event: 'effect', key: eventKey(event), repeat, running });
        await sleep(config.postMs); // after the effect, before the acknowledgement: a kill here repeats it
      } finally {
        running--;
      }
    },
    {
      consumer: config.consumer,
      concurrency: config.concurrency,
      blockMs: 100,
      onError: (error) => process.stderr.write(`consumer error: ${error.message}\n`),
    },
  );
  say({ event: 'ready' });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
