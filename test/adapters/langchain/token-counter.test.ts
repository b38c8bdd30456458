// langChainTokenCounter on a real LangChain model (ChatOpenAI: its own getNumTokens, run offline),
// as the sessions' tokenCounter: counts match the model's, and a maxTokens window read through the
// chat history adapter takes the newest messages that fit, on Redis 8, Redis 7 and the cluster.
import { ChatOpenAI } from '@langchain/openai';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentMemoryChatHistory } from '../../../adapters/langchain/chat-history.js';
import { langChainTokenCounter } from '../../../adapters/langchain/token-counter.js';
import type { Message } from '../../../src/session/message.js';
import { targetsWithCluster } from '../../harness/index.js';
import { sessionFixture, type SessionFixture } from '../../session/fixture.js';

/**
 * A ChatOpenAI whose getNumTokens runs offline. LangChain's base counter downloads its tiktoken
 * ranks (tiktoken.pages.dev) on first use and, offline, falls back to 4 characters a token after a
 * minute of retries: the test hands it the encoding js-tiktoken ships instead (its `_encoding`,
 * where LangChain keeps the downloaded one). The counting code is LangChain's own.
 */
function offlineChatOpenAI(): ChatOpenAI {
  const model = new ChatOpenAI({ model: 'gpt-4o', apiKey: 'not-used-no-request-is-made' });
  (model as unknown as { _encoding: Tiktoken })._encoding = new Tiktoken(o200k);
  return model;
}

const message = (content: Message['content'], extra: Partial<Message> = {}): Message => ({
  id: 'm',
  role: 'user',
  content,
  createdAt: 0,
  ...extra,
});

describe('langChainTokenCounter', () => {
  it('counts a message as the LangChain model counts its text, name and tool calls', async () => {
    const model = offlineChatOpenAI();
    const count = langChainTokenCounter(model);
    // "tiktoken is great!" is [83, 8251, 2488, 382, 2212, 0] in o200k_base (gpt-4o): 6 tokens.
    expect(await count(message('tiktoken is great!'))).toBe(6);
    expect(
      await count(
        message([
          { type: 'text', text: 'tiktoken is great!' },
          { type: 'image_url', image_url: 'x' },
        ]),
      ),
    ).toBe(6);
    expect(await count(message('tiktoken is great!', { name: 'alice' }))).toBe(6 + (await model.getNumTokens('alice')));
    const call = { id: 'c1', name: 'lookup', args: { q: 'order 981' } };
    expect(await count(message('', { role: 'assistant', toolCalls: [call] }))).toBe(
      await model.getNumTokens(JSON.stringify([{ name: 'lookup', args: { q: 'order 981' } }])),
    );
    const framed = langChainTokenCounter(model, { perMessage: 3, perRequest: 3 });
    expect(await framed(message('tiktoken is great!'))).toBe(9);
    expect(framed.requestOverhead).toBe(3);
    expect(() => langChainTokenCounter({} as never)).toThrow(TypeError);
  });
});

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('langChainTokenCounter in a window read (%s)', (_, target) => {
  let f: SessionFixture;
  beforeAll(async () => {
    f = await sessionFixture(target);
  });
  afterAll(() => f.close());

  it('the chat history’s maxTokens window holds the newest messages that fit by the model’s count', async () => {
    const model = offlineChatOpenAI();
    const store = f.store({ tokenCounter: langChainTokenCounter(model) });
    const session = store.session({ userId: 'lc', sessionId: 'tokens' });
    const contents = ['Order 98123456789 never arrived.', '注文番号は98123です。', 'Sure, checking now.', 'It shipped on 2026-11-30.'];
    await session.append(contents.map((content) => ({ role: 'user' as const, content })));
    const newestTwo = (await model.getNumTokens(contents[2]!)) + (await model.getNumTokens(contents[3]!));
    const history = new AgentMemoryChatHistory(session, { window: { maxTokens: newestTwo } });
    expect((await history.getMessages()).map((m) => m.content)).toEqual(contents.slice(2));
    const tighter = new AgentMemoryChatHistory(session, { window: { maxTokens: newestTwo - 1 } });
    expect((await tighter.getMessages()).map((m) => m.content)).toEqual(contents.slice(3));
  });
});
