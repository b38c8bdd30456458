// Exact token budgets: openAiTokenCounter counts as OpenAI bills (the cookbook's figures, which
// the OpenAI API agreed with), and a maxTokens window read on Redis 8, Redis 7 and the cluster
// returns exactly the newest messages that fit under it, where the 4-characters estimate picks
// others; an async counter reads the same.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { approximateTokens, type Message, type TokenCounter } from '../../src/session/message.js';
import { openAiTokenCounter } from '../../src/session/openai-tokens.js';
import { targetsWithCluster } from '../harness/index.js';
import { sessionFixture, type SessionFixture } from './fixture.js';

const message = (m: Partial<Message> & Pick<Message, 'role' | 'content'>): Message => ({ id: 'm', createdAt: 0, ...m });
const total = (counter: TokenCounter, messages: Message[]) =>
  messages.reduce((sum, m) => sum + (counter(m) as number), counter.requestOverhead ?? 0);

// The OpenAI cookbook's example conversation ("How to count tokens with tiktoken", section 6).
const COOKBOOK: Message[] = [
  { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
  {
    role: 'system',
    name: 'example_user',
    content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
  },
  { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
  { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
].map((m) => message(m as Message));

describe('openAiTokenCounter', () => {
  it('counts the cookbook’s conversation as OpenAI bills it: 129 tokens on gpt-4 and gpt-3.5-turbo, 124 on gpt-4o', async () => {
    expect(total(await openAiTokenCounter({ model: 'gpt-4' }), COOKBOOK)).toBe(129);
    expect(total(await openAiTokenCounter({ model: 'gpt-3.5-turbo' }), COOKBOOK)).toBe(129);
    expect(total(await openAiTokenCounter({ model: 'gpt-4o' }), COOKBOOK)).toBe(124);
    expect(total(await openAiTokenCounter({ model: 'gpt-4o-mini' }), COOKBOOK)).toBe(124);
    expect(total(await openAiTokenCounter({ encoding: 'o200k_base' }), COOKBOOK)).toBe(124);
    // The 4-characters estimate is further off.
    expect(total(approximateTokens, COOKBOOK)).not.toBe(129);
  });

  it('counts one message: 3 tokens of framing, its role, its text, and 1 more plus the name for a name', async () => {
    const cl100k = await openAiTokenCounter({ model: 'gpt-4' });
    expect(cl100k.requestOverhead).toBe(3);
    // "tiktoken is great!" is [83, 1609, 5963, 374, 2294, 0] in cl100k_base (the cookbook's example): 6 tokens; "user" is 1.
    expect(cl100k(message({ role: 'user', content: 'tiktoken is great!' }))).toBe(3 + 1 + 6);
    expect(cl100k(message({ role: 'user', name: 'alice', content: 'tiktoken is great!' }))).toBe(3 + 1 + 6 + 1 + 1);
    // Text parts count part by part (OpenAI receives them apart): the sum of their counts, framed once.
    const framed = (text: string) => (cl100k(message({ role: 'user', content: text })) as number) - (3 + 1);
    const parts = message({
      role: 'user',
      content: [
        { type: 'text', text: 'tiktoken is ' },
        { type: 'text', text: 'great!' },
      ],
    });
    expect(cl100k(parts)).toBe(3 + 1 + framed('tiktoken is ') + framed('great!'));
    expect(cl100k(parts)).not.toBe(3 + 1 + 6);
    // Text that looks like a special token is text: counted, never refused.
    expect(cl100k(message({ role: 'user', content: '<|endoftext|>' }))).toBeGreaterThan(3 + 1 + 1);
    const o200k = await openAiTokenCounter({ model: 'o3' });
    expect(o200k(message({ role: 'user', content: 'hello world' }))).toBe(3 + 1 + 2);
    const withCall = message({ role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'lookup', args: { q: 'order 981' } }] });
    expect(o200k(withCall)).toBeGreaterThan(o200k(message({ role: 'assistant', content: '' })) as number);
  });

  it('refuses a model js-tiktoken does not know, a model that does not chat, and options that give both or neither', async () => {
    const unknown = await openAiTokenCounter({ model: 'gpt-9000-turbo' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(InvalidArgumentError);
    expect((unknown as InvalidArgumentError).issues[0]?.path).toBe('model');
    expect((unknown as Error).message).toContain("encoding: 'o200k_base'");
    await expect(openAiTokenCounter({ model: 'text-davinci-003' })).rejects.toThrow(/not a chat model/);
    await expect(openAiTokenCounter({ model: 'gpt-4o', encoding: 'o200k_base' })).rejects.toThrow(InvalidArgumentError);
    await expect(openAiTokenCounter({})).rejects.toThrow(InvalidArgumentError);
    await expect(openAiTokenCounter({ encoding: 'p50k_base' as never })).rejects.toThrow(InvalidArgumentError);
  });
});

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('maxTokens reads with an exact counter (%s)', (_, target) => {
  let f: SessionFixture;
  let exact: TokenCounter;
  beforeAll(async () => {
    f = await sessionFixture(target);
    exact = await openAiTokenCounter({ model: 'gpt-4o' });
  });
  afterAll(() => f.close());

  // Digits and non-Latin text, where 4 characters a token is far off (in both directions).
  const CONTENTS = [
    'Order 98123456789 shipped on 2026-11-30, tracking 1Z999AA10123456784.',
    '注文番号は98123です。まだ届いていません。',
    'ok',
    'The quick brown fox jumps over the lazy dog, again and again.',
    'Refund issued: 1234567890123 cents to card ending 4242.',
    'Danke schön! Das Paket ist angekommen.',
    'Can you also check order 55501234 and 55501235?',
    'Sure.',
  ];

  it('returns exactly the newest messages that fit, which the estimate does not', async () => {
    const store = f.store({ tokenCounter: exact });
    const chat = store.session({ userId: 'alice', sessionId: 'exact' });
    await chat.append(CONTENTS.map((content, i) => ({ role: i % 2 ? ('assistant' as const) : ('user' as const), content })));
    const stored = await chat.messages();
    const costs = stored.map((m) => exact(m) as number);
    // A budget that holds the newest five exactly (the reply's priming included), and not one token more.
    const budget = 3 + costs.slice(-5).reduce((a, b) => a + b, 0);
    const fit = await chat.messages({ maxTokens: budget });
    expect(fit.map((m) => m.content)).toEqual(CONTENTS.slice(-5));
    expect((await chat.messages({ maxTokens: budget - 1 })).map((m) => m.content)).toEqual(CONTENTS.slice(-4));

    // The default estimate reads another set of messages under the same budget.
    const estimated = await f.store().session({ userId: 'alice', sessionId: 'exact' }).messages({ maxTokens: budget });
    expect(estimated.length).not.toBe(5);

    // The summary counts against the budget, with the same counter.
    const summary = 'Alice is waiting for order 98123456789.';
    const summaryCost = exact({ id: 'summary', role: 'system', content: summary, createdAt: 0 }) as number;
    const summarized = f.store({ tokenCounter: exact, summarizer: async () => summary, maxMessages: CONTENTS.length });
    const withSummary = summarized.session({ userId: 'alice', sessionId: 'exact' });
    await withSummary.append({ role: 'user', content: 'one more' }); // trims the oldest: the summarizer runs
    expect(await withSummary.summary()).toBe(summary);
    const all = await withSummary.messages();
    const newestThree = all.slice(-3);
    const windowBudget = 3 + summaryCost + newestThree.reduce((n, m) => n + (exact(m) as number), 0);
    const window = await withSummary.window({ maxTokens: windowBudget });
    expect(window.summary).toBe(summary);
    expect(window.messages.map((m) => m.id)).toEqual(newestThree.map((m) => m.id));
  });

  it('an async counter (a promise per message) reads the same messages as the sync one', async () => {
    const asyncExact: TokenCounter = async (m) => exact(m) as number;
    const counted: string[] = [];
    const tracing: TokenCounter = Object.assign(
      async (m: Message) => {
        counted.push(m.id);
        return asyncExact(m);
      },
      { requestOverhead: 3 },
    );
    const chat = f.store({ tokenCounter: exact }).session({ userId: 'alice', sessionId: 'async' });
    await chat.append(CONTENTS.map((content) => ({ role: 'user' as const, content })));
    for (const budget of [20, 60, 100, 1000]) {
      const sync = await chat.messages({ maxTokens: budget });
      const viaPromises = await f
        .store({ tokenCounter: tracing })
        .session({ userId: 'alice', sessionId: 'async' })
        .messages({ maxTokens: budget });
      expect(viaPromises.map((m) => m.id)).toEqual(sync.map((m) => m.id));
    }
    expect(counted.length).toBeGreaterThan(0);
    // Across pages: a budget of 600 reads pages of 24 from the end, the async counter as the sync one.
    const many = f.store({ tokenCounter: exact }).session({ userId: 'alice', sessionId: 'async-pages' });
    await many.append(Array.from({ length: 120 }, (_, i) => ({ role: 'user' as const, content: `message ${i}` })));
    const syncPages = await many.messages({ maxTokens: 600 });
    expect(syncPages.length).toBeGreaterThan(48);
    expect(syncPages.length).toBeLessThan(120);
    const asyncPages = await f
      .store({ tokenCounter: asyncExact })
      .session({ userId: 'alice', sessionId: 'async-pages' })
      .messages({ maxTokens: 600 });
    expect(asyncPages.map((m) => m.id)).toEqual(syncPages.map((m) => m.id));
    // Without the reply's priming the async counter fits more under a tight budget: the overhead is applied.
    const tight = 3 + (exact(message({ role: 'user', content: CONTENTS.at(-1)! })) as number);
    const noOverhead: TokenCounter = async (m) => exact(m) as number;
    const store = (tokenCounter: TokenCounter) => f.store({ tokenCounter }).session({ userId: 'alice', sessionId: 'async' });
    expect(await store(tracing).messages({ maxTokens: tight })).toHaveLength(1);
    expect(await store(tracing).messages({ maxTokens: tight - 1 })).toHaveLength(0);
    expect(await store(noOverhead).messages({ maxTokens: tight - 1 })).toHaveLength(1);
  });
});
