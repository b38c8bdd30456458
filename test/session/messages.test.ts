// Session messages on Redis 8, Redis 7 and a Redis Cluster: append and read, idempotent retries,
// trimming with and without a summarizer, token-budget reads, tool results, and bad input that
// writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import type { Message } from '../../src/session/message.js';
import type { Summarizer } from '../../src/session/options.js';
import { targetsWithCluster } from '../harness/index.js';
import { sessionFixture, type SessionFixture } from './fixture.js';

const texts = (messages: Message[]) => messages.map((m) => m.content);

describe.each(targetsWithCluster({ asAclUser: true }).map((t) => [t.name, t] as const))('session messages (%s)', (_, target) => {
  let f: SessionFixture;
  beforeAll(async () => {
    f = await sessionFixture(target);
  });
  afterAll(() => f.close());

  it('appends and reads all, the last N, a page, and the count', async () => {
    const chat = f.store().session({ tenant: 'acme', userId: 'alice', sessionId: 'read' });
    const result = await chat.append([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'm1' },
      { role: 'assistant', content: 'm2' },
      { role: 'user', content: 'm3' },
    ]);
    expect(result).toMatchObject({ appended: 4, duplicates: 0, length: 4 });
    expect(result.ids).toHaveLength(4);
    expect(new Set(result.ids).size).toBe(4);
    await chat.append({ role: 'assistant', content: 'm4' });

    const all = await chat.messages();
    expect(texts(all)).toEqual(['be brief', 'm1', 'm2', 'm3', 'm4']);
    expect(all[0]).toMatchObject({ id: result.ids[0], role: 'system' });
    expect(all[0]!.createdAt).toBeGreaterThan(Date.now() - 60_000);
    expect(texts(await chat.messages({ last: 2 }))).toEqual(['m3', 'm4']);
    expect(texts(await chat.messages({ offset: 1, limit: 2 }))).toEqual(['m1', 'm2']);
    expect(texts(await chat.messages({ offset: 4, limit: 10 }))).toEqual(['m4']);
    expect(await chat.count()).toBe(5);
  });

  it('stores every message shape: content parts, tool calls, tool results, names, metadata', async () => {
    const chat = f.store().session({ userId: 'alice', sessionId: 'shapes' });
    const input = [
      {
        id: 'u1',
        role: 'user' as const,
        name: 'Alice',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
      {
        id: 'a1',
        role: 'assistant' as const,
        content: '',
        toolCalls: [{ id: 'call_1', name: 'lookup', args: { q: 'ünïcødé "quoted"', n: 3, deep: { list: [1, null, true] } } }],
        metadata: { response_metadata: { model: 'gpt-x' }, usage: { input_tokens: 12 } },
      },
      { id: 't1', role: 'tool' as const, toolCallId: 'call_1', name: 'lookup', content: '{"answer":42}' },
    ];
    await chat.append(input);
    const [u, a, t] = await chat.messages();
    expect(u).toMatchObject(input[0]!);
    expect(a).toMatchObject(input[1]!);
    expect(t).toMatchObject(input[2]!);
  });

  it('an idempotent retry writes once, by call key and by message id', async () => {
    const chat = f.store().session({ userId: 'alice', sessionId: 'idem' });
    const first = await chat.append(
      [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
      { idempotencyKey: 'req-1' },
    );
    const retry = await chat.append(
      [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
      { idempotencyKey: 'req-1' },
    );
    expect(first).toMatchObject({ appended: 2, duplicates: 0 });
    expect(retry).toMatchObject({ appended: 0, duplicates: 2, length: 2 });

    await chat.append({ id: 'msg-7', role: 'user', content: 'once' });
    const again = await chat.append([
      { id: 'msg-7', role: 'user', content: 'once' },
      { id: 'msg-8', role: 'user', content: 'new' },
    ]);
    expect(again).toMatchObject({ appended: 1, duplicates: 1 });
    expect(texts(await chat.messages())).toEqual(['hi', 'hello', 'once', 'new']);
    expect((await chat.info())?.totalMessages).toBe(4);
  });

  it('remembers a bounded number of idempotency keys: the newest window, at most window + window/10 (at least 1)', async () => {
    const chat = f.store({ idempotencyWindow: 3 }).session({ userId: 'alice', sessionId: 'idem-window' });
    for (let i = 0; i < 5; i++) await chat.append({ role: 'user', content: `m${i}` }, { idempotencyKey: `k${i}` });
    const keys = f.keyspace.user({ userId: 'alice' }).session('idem-window');
    const zcard = () => f.connection.send<number>(['ZCARD', keys.idempotency], { key: keys.idempotency });
    expect(await zcard()).toBe(3); // 5 given, over 3 + 1: trimmed back to the newest 3
    expect((await chat.append({ role: 'user', content: 'm4' }, { idempotencyKey: 'k4' })).appended).toBe(0);

    // Window 20: trimmed only once it holds more than 22, back to 20; the newest 20 always answer.
    const wide = f.store({ idempotencyWindow: 20 }).session({ userId: 'alice', sessionId: 'idem-wide' });
    const wideKeys = f.keyspace.user({ userId: 'alice' }).session('idem-wide');
    for (let i = 0; i < 50; i++) {
      await wide.append({ role: 'user', content: `w${i}` }, { idempotencyKey: `w${i}` });
      const held = await f.connection.send<number>(['ZCARD', wideKeys.idempotency], { key: wideKeys.idempotency });
      expect(held).toBeGreaterThanOrEqual(Math.min(i + 1, 20));
      expect(held).toBeLessThanOrEqual(22);
    }
    for (let i = 30; i < 50; i++)
      expect((await wide.append({ role: 'user', content: `w${i}` }, { idempotencyKey: `w${i}` })).appended).toBe(0);
    expect(await wide.count()).toBe(50);
  });

  it('a message id given twice in one call is appended once', async () => {
    const chat = f.store().session({ userId: 'alice', sessionId: 'idem-twice' });
    const r = await chat.append([
      { id: 'same', role: 'user', content: 'first' },
      { id: 'same', role: 'user', content: 'second' },
      { role: 'user', content: 'no id' },
    ]);
    expect(r).toMatchObject({ appended: 2, duplicates: 1, length: 2 });
    expect(texts(await chat.messages())).toEqual(['first', 'no id']);
  });

  it('trims to maxMessages, dropping the oldest when there is no summarizer', async () => {
    const chat = f.store({ maxMessages: 5 }).session({ userId: 'alice', sessionId: 'trim-drop' });
    for (let i = 1; i <= 8; i++) await chat.append({ role: 'user', content: `m${i}` });
    expect(texts(await chat.messages())).toEqual(['m4', 'm5', 'm6', 'm7', 'm8']);
    expect(await chat.info()).toMatchObject({ messageCount: 5, totalMessages: 8, summary: null });
    const keys = f.keyspace.user({ userId: 'alice' }).session('trim-drop');
    expect(await f.connection.send(['EXISTS', keys.pending], { key: keys.pending })).toBe(0);
  });

  it('hands trimmed messages to the summarizer and reads the summary with the window', async () => {
    const calls: number[] = [];
    const summarizer: Summarizer = ({ summary, messages }) => {
      calls.push(messages.length);
      return [summary, ...messages.map((m) => m.content)].filter(Boolean).join(',');
    };
    const chat = f.store({ maxMessages: 3, summarizer }).session({ userId: 'alice', sessionId: 'trim-sum' });
    for (let i = 1; i <= 7; i++) await chat.append({ role: 'user', content: `m${i}` });
    expect(await chat.summary()).toBe('m1,m2,m3,m4');
    expect(calls).toEqual([1, 1, 1, 1]);
    const window = await chat.window({ last: 2 });
    expect(window).toMatchObject({ summary: 'm1,m2,m3,m4' });
    expect(texts(window.messages)).toEqual(['m6', 'm7']);
  });

  it('summarizes every trimmed message exactly once under concurrent appends', async () => {
    const summarizer: Summarizer = async ({ summary, messages }) => {
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      return [summary, ...messages.map((m) => m.content)].filter(Boolean).join(',');
    };
    const chat = f.store({ maxMessages: 5, summarizer }).session({ userId: 'alice', sessionId: 'trim-concurrent' });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => chat.append({ role: 'user', content: `m${i}` })));
    expect(results.every((r) => r.summaryError === undefined)).toBe(true);
    const window = await chat.window();
    const summarized = window.summary!.split(',');
    expect(window.messages).toHaveLength(5);
    expect(summarized).toHaveLength(35);
    expect(new Set([...summarized, ...texts(window.messages)])).toEqual(new Set(Array.from({ length: 40 }, (_, i) => `m${i}`)));
  });

  it('keeps trimmed messages when the summarizer fails, and folds them in on the next summarize()', async () => {
    let fail = true;
    const summarizer: Summarizer = ({ summary, messages }) => {
      if (fail) throw new Error('model unavailable');
      return [summary, ...messages.map((m) => m.content)].filter(Boolean).join(',');
    };
    const chat = f.store({ maxMessages: 2, summarizer }).session({ userId: 'alice', sessionId: 'trim-fail' });
    await chat.append([
      { role: 'user', content: 'm1' },
      { role: 'user', content: 'm2' },
    ]);
    const result = await chat.append({ role: 'user', content: 'm3' });
    expect(result.appended).toBe(1);
    expect(result.summaryError?.message).toBe('model unavailable');
    fail = false;
    await chat.summarize();
    expect(await chat.summary()).toBe('m1');
  });

  it('reads the newest messages that fit a token budget, across several pages', async () => {
    const tokens = (m: Message) => Number(String(m.content).split(':')[1]);
    const chat = f.store({ tokenCounter: tokens }).session({ userId: 'alice', sessionId: 'tokens' });
    await chat.append(Array.from({ length: 100 }, (_, i) => ({ role: 'user' as const, content: `m${i}:1` })));
    // A budget of 60 reads pages of 20 from the end: three round trips.
    const fit = await chat.messages({ maxTokens: 60 });
    expect(fit).toHaveLength(60);
    expect(fit[0]!.content).toBe('m40:1');
    expect(fit.at(-1)!.content).toBe('m99:1');
    expect(await chat.messages({ maxTokens: 1000 })).toHaveLength(100);
    expect(await chat.messages({ maxTokens: 60, last: 10 })).toHaveLength(10);

    const big = f.store({ tokenCounter: tokens }).session({ userId: 'alice', sessionId: 'tokens-big' });
    await big.append([
      { role: 'user', content: 'a:50' },
      { role: 'user', content: 'b:30' },
      { role: 'user', content: 'c:20' },
    ]);
    expect(texts(await big.messages({ maxTokens: 55 }))).toEqual(['b:30', 'c:20']);
    expect(texts(await big.messages({ maxTokens: 50 }))).toEqual(['b:30', 'c:20']);
    expect(texts(await big.messages({ maxTokens: 49 }))).toEqual(['c:20']);
    expect(texts(await big.messages({ maxTokens: 19 }))).toEqual([]);
  });

  it('counts the summary against the budget of a window read (default token estimate)', async () => {
    const chat = f.store({ maxMessages: 2, summarizer: () => 'x'.repeat(400) }).session({ userId: 'alice', sessionId: 'tokens-sum' });
    await chat.append(Array.from({ length: 4 }, () => ({ role: 'user' as const, content: 'y'.repeat(40) })));
    // summary: 4 + 400/4 = 104 tokens; each message: 4 + 40/4 = 14 tokens.
    expect((await chat.window({ maxTokens: 104 + 14 })).messages).toHaveLength(1);
    expect((await chat.window({ maxTokens: 104 + 28 })).messages).toHaveLength(2);
    expect(await chat.messages({ maxTokens: 28 })).toHaveLength(2);
  });

  it('stores, fetches and lists tool results', async () => {
    const chat = f.store().session({ userId: 'alice', sessionId: 'tools' });
    expect(await chat.toolResult('call_1')).toBeUndefined();
    await chat.setToolResult('call_1', { rows: [{ id: 1 }], truncated: false });
    await chat.setToolResult('call_2', 'plain text');
    expect(await chat.toolResult('call_1')).toEqual({ rows: [{ id: 1 }], truncated: false });
    expect(await chat.toolResults()).toEqual({ call_1: { rows: [{ id: 1 }], truncated: false }, call_2: 'plain text' });
  });

  it('refuses bad input with a typed error and writes nothing', async () => {
    const store = f.store({ maxMessageBytes: 1024, maxToolResultBytes: 64 });
    const chat = store.session({ userId: 'bad', sessionId: 'input' });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['unknown role', () => chat.append({ role: 'robot', content: 'x' } as never), /messages: 0\.role: Invalid option/],
      [
        'tool message without toolCallId',
        () => chat.append({ role: 'tool', content: 'x' }),
        /0\.toolCallId: a tool message needs the toolCallId/,
      ],
      [
        'toolCalls on a user message',
        () => chat.append({ role: 'user', content: 'x', toolCalls: [] }),
        /only assistant messages carry toolCalls/,
      ],
      [
        'message over the size limit',
        () =>
          chat.append([
            { role: 'user', content: 'ok' },
            { role: 'user', content: 'x'.repeat(2000) },
          ]),
        /messages: 1: is \d+ bytes, over the limit of 1024/,
      ],
      ['no messages', () => chat.append([]), /give at least one message/],
      ['non-JSON metadata', () => chat.append({ role: 'user', content: 'x', metadata: { n: 1n } as never }), /metadata/],
      ['tool result over the limit', () => chat.setToolResult('c', 'x'.repeat(100)), /tool result: is 102 bytes, over the limit of 64/],
      ['circular tool result', () => chat.setToolResult('c', circular as never), /tool result/],
      ['bad session id', async () => store.session({ userId: 'bad', sessionId: 'a:b' }), /Invalid session id/],
      ['bad read options', () => chat.messages({ last: 2, offset: 1 }), /give either last or offset\/limit/],
    ];
    for (const [what, act, message] of cases) {
      const error = await act().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, what).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message, what).toMatch(message);
    }
    expect(await f.keys('{_:bad}:*')).toEqual([]);
  });
});
