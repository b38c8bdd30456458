// The extraction worker as a process of its own: it consumes the `session.appended` events of the
// application's sessions (which must publish: `sessions: { events: true }`) and writes what users
// say into long-term memory. Run as many as you like: they share the consumer group; one that dies
// leaves its events to the others after claimIdleMs. Stop it with Ctrl-C (SIGINT) or SIGTERM: it
// finishes what it is handling and hands the rest back. Connection from REDIS_URL (or the variables
// of connectionConfigFromEnv for Azure Managed Redis).
// Run: `REDIS_URL=redis://localhost:6379 npx tsx examples/worker.ts`
import { WordVectorEmbeddings } from '../src/entries/embeddings.js';
import { rulesExtractor } from '../src/entries/events.js';
import { createAgentMemory } from '../src/index.js';

const url = process.env.REDIS_URL;
if (!url) throw new Error('set REDIS_URL');
const memory = await createAgentMemory({ redis: { url }, prefix: process.env.AM_PREFIX ?? 'am', sessions: { events: true } });
// The same embedder and namespace as the application's long-term memory.
const learned = await memory.longTerm({ embedder: WordVectorEmbeddings.load(), namespace: process.env.AM_NAMESPACE ?? 'learned' });
const worker = memory.extraction({ memory: learned, extractor: rulesExtractor() }).start();
console.log(`extraction worker ${process.pid} started`);

const report = setInterval(async () => {
  const { pending, lag, deadLetters } = await memory.events.stats('extraction');
  console.log(
    `handled ${worker.counts.events} events, wrote ${worker.counts.inserted} memories; pending ${pending}, lag ${lag}, dead ${deadLetters}`,
  );
}, 10_000);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    clearInterval(report);
    await worker.stop();
    await memory.close();
    console.log(`extraction worker ${process.pid} stopped`);
  });
}
