// Quickstart: connects to REDIS_URL, or starts a throwaway local Redis 8 when it is unset, checks
// the server with doctor(), keeps a conversation in a session and caches an expensive answer.
// Run with `npm run demo`.
import { findRedisServer, startRedis } from '../scripts/local-redis.js';
import { createAgentMemory, formatDoctorReport } from '../src/index.js';

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
  const replies = await Promise.all(Array.from({ length: 20 }, () => answers.getOrCompute('faq:replacement-time', slowModel, { tags: ['faq'] })));
  console.log(`20 concurrent callers, ${calls} model call, ${Date.now() - started} ms: "${replies[0]}"`);
  console.log(`Invalidated ${await answers.invalidateTag('faq')} entry by tag; stats: ${JSON.stringify(answers.stats())}`);

  await memory.forgetUser(alice);
  console.log(`\nforgetUser(alice): ${(await memory.sessions.list(alice)).total} sessions left.`);
} finally {
  await memory.close();
  await local?.stop();
}
