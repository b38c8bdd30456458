// The chat history adapter under LangChain's own RunnableWithMessageHistory, on Redis 8, Redis 7
// and the cluster: history reaches the prompt, survives a new process's history object, honours
// the window and the summary, and a retried addMessages writes once.
import { AIMessage, HumanMessage } from '@langchain/core/messages';
import { ChatPromptTemplate, MessagesPlaceholder } from '@langchain/core/prompts';
import { RunnableLambda, RunnableWithMessageHistory } from '@langchain/core/runnables';
import type { ChatPromptValue } from '@langchain/core/prompt_values';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentMemoryChatHistory } from '../../../adapters/langchain/chat-history.js';
import { targetsWithCluster } from '../../harness/index.js';
import { sessionFixture, type SessionFixture } from '../../session/fixture.js';

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('AgentMemoryChatHistory (%s)', (_, target) => {
  let f: SessionFixture;
  beforeAll(async () => {
    f = await sessionFixture(target);
  });
  afterAll(() => f.close());

  it('feeds the stored conversation into RunnableWithMessageHistory and stores each turn', async () => {
    const prompts: number[] = [];
    const model = RunnableLambda.from((value: ChatPromptValue) => {
      const messages = value.toChatMessages();
      prompts.push(messages.length);
      return new AIMessage(`I have seen ${messages.length} messages`);
    });
    const chain = ChatPromptTemplate.fromMessages([
      ['system', 'You are terse.'],
      new MessagesPlaceholder('history'),
      ['human', '{input}'],
    ]).pipe(model);
    const store = f.store();
    const withHistory = new RunnableWithMessageHistory({
      runnable: chain,
      getMessageHistory: (sessionId: string) => new AgentMemoryChatHistory(store.session({ userId: 'lc', sessionId })),
      inputMessagesKey: 'input',
      historyMessagesKey: 'history',
    });
    await withHistory.invoke({ input: 'I am Alice' }, { configurable: { sessionId: 'chat' } });
    const second = await withHistory.invoke({ input: 'Who am I?' }, { configurable: { sessionId: 'chat' } });
    expect(prompts).toEqual([2, 4]); // system + input, then system + 2 stored + input
    expect(second.content).toBe('I have seen 4 messages');
    // A new history object (another process, say) reads the same conversation back as LangChain messages.
    const fresh = await new AgentMemoryChatHistory(store.session({ userId: 'lc', sessionId: 'chat' })).getMessages();
    expect(fresh.map((m) => [m.constructor.name, m.content])).toEqual([
      ['HumanMessage', 'I am Alice'],
      ['AIMessage', 'I have seen 2 messages'],
      ['HumanMessage', 'Who am I?'],
      ['AIMessage', 'I have seen 4 messages'],
    ]);
  });

  it('reads a window with the running summary first, and writes a retried batch once', async () => {
    const store = f.store({
      maxMessages: 2,
      summarizer: ({ summary, messages }) => [summary, ...messages.map((m) => String(m.content))].filter(Boolean).join('; '),
    });
    const history = new AgentMemoryChatHistory(store.session({ userId: 'lc', sessionId: 'windowed' }), { withSummary: true });
    const batch = [
      new HumanMessage({ id: 'h1', content: 'one' }),
      new AIMessage({ id: 'a1', content: 'two' }),
      new HumanMessage({ id: 'h2', content: 'three' }),
    ];
    await history.addMessages(batch);
    await history.addMessages(batch); // a retry: same ids
    const messages = await history.getMessages();
    expect(messages.map((m) => [m.constructor.name, m.content])).toEqual([
      ['SystemMessage', 'Summary of the earlier conversation: one'],
      ['AIMessage', 'two'],
      ['HumanMessage', 'three'],
    ]);
    await history.clear();
    expect(await history.getMessages()).toEqual([]);
  });
});
