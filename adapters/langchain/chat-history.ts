// A LangChain chat message history on the session store: what RunnableWithMessageHistory and
// anything else that takes a BaseListChatMessageHistory use. It translates and delegates; the
// session keeps the TTL, window, summary and idempotency. It never talks to Redis itself.
import { BaseListChatMessageHistory } from '@langchain/core/chat_history';
import { SystemMessage, type BaseMessage } from '@langchain/core/messages';
import type { ReadOptions, Session } from '../../src/index.js';
import { toLangChainMessage, toMessageInput } from './messages.js';

export interface ChatHistoryOptions {
  /** Read only the newest messages: `{ last }` or `{ maxTokens }` (default: the whole window). */
  window?: Pick<ReadOptions, 'last' | 'maxTokens'>;
  /** Put the session's running summary first, as a system message, when there is one. */
  withSummary?: boolean;
}

/**
 * @example
 * new RunnableWithMessageHistory({ runnable: chain, inputMessagesKey: 'input', historyMessagesKey: 'history',
 *   getMessageHistory: (sessionId) => new AgentMemoryChatHistory(memory.sessions.session({ userId, sessionId })) });
 */
export class AgentMemoryChatHistory extends BaseListChatMessageHistory {
  lc_namespace = ['redis_agent_memory', 'chat_history'];

  constructor(
    readonly session: Session,
    private readonly options: ChatHistoryOptions = {},
  ) {
    super();
  }

  async getMessages(): Promise<BaseMessage[]> {
    const { window, withSummary } = this.options;
    const read = withSummary
      ? await this.session.window(window ?? {})
      : { summary: null, messages: await this.session.messages(window ?? {}) };
    const messages = read.messages.map(toLangChainMessage);
    return read.summary ? [new SystemMessage(`Summary of the earlier conversation: ${read.summary}`), ...messages] : messages;
  }

  async addMessage(message: BaseMessage): Promise<void> {
    await this.session.append(toMessageInput(message));
  }

  /** One atomic append for all of them; messages with ids are written once however often they are added. */
  override async addMessages(messages: BaseMessage[]): Promise<void> {
    if (messages.length > 0) await this.session.append(messages.map(toMessageInput));
  }

  override async clear(): Promise<void> {
    await this.session.clear();
  }
}
