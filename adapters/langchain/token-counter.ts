// A LangChain model's own token counter as the sessions' `tokenCounter`: each message's text goes
// to the model's `getNumTokens` (async, so the counter is). It translates; it counts nothing itself.
import type { Message, TokenCounter } from '../../src/entries/sessions.js';

/** What {@link langChainTokenCounter} needs of a LangChain model: `getNumTokens` (every BaseLanguageModel has one). */
export interface TokenCountingModel {
  getNumTokens(content: string): Promise<number>;
}

export interface LangChainTokenCounterOptions {
  /** Tokens added to every message for its framing (role markers): the provider's rule. Default 0. */
  perMessage?: number;
  /** Tokens every request costs once (a reply's priming), taken off a budget first. Default 0. */
  perRequest?: number;
}

/**
 * A session `tokenCounter` on a LangChain model's own counter: a message counts as the model
 * counts its text, its name and its tool calls' JSON, plus `perMessage`. LangChain's base
 * `getNumTokens` downloads its tiktoken ranks on first use and, offline, falls back to 4
 * characters a token after its retries (a minute or more); for OpenAI models prefer
 * `openAiTokenCounter` from `redis-agent-memory/sessions`, which is exact and offline.
 *
 * @example const memory = await createAgentMemory({ redis, sessions: { tokenCounter: langChainTokenCounter(chatModel) } });
 */
export function langChainTokenCounter(model: TokenCountingModel, options: LangChainTokenCounterOptions = {}): TokenCounter {
  if (typeof model?.getNumTokens !== 'function') throw new TypeError('langChainTokenCounter needs a LangChain model (with getNumTokens)');
  const perMessage = options.perMessage ?? 0;
  const counter = async (message: Message): Promise<number> => {
    const parts = [textOf(message)];
    if (message.name !== undefined) parts.push(message.name);
    if (message.toolCalls?.length) parts.push(JSON.stringify(message.toolCalls.map(({ name, args }) => ({ name, args }))));
    const counts = await Promise.all(parts.map((text) => (text === '' ? 0 : model.getNumTokens(text))));
    return counts.reduce((sum, n) => sum + n, perMessage);
  };
  return options.perRequest ? Object.assign(counter, { requestOverhead: options.perRequest }) : counter;
}

/** The text a model reads of a message: its string content, or its text parts in order. */
function textOf(message: Message): string {
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
}
