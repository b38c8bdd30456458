// `redis-agent-memory/sessions`: working memory (conversations, tool results, reasoning state).
// The stores come from `createAgentMemory(...).sessions`, so their classes are types here.
export { MessageInputSchema } from '../session/message.js';
export { openAiTokenCounter } from '../session/openai-tokens.js';
export type { OpenAiTokenCounterOptions } from '../session/openai-tokens.js';
export type { ContentPart, Message, MessageInput, Role, TokenCounter, ToolCall } from '../session/message.js';
export type { SessionStoreOptions, Summarizer, TtlPolicy } from '../session/options.js';
export type { ReasoningState, StateObject } from '../session/reasoning-state.js';
export type { AppendResult, ReadOptions, Session, SessionInfo, SessionRef } from '../session/session.js';
export type { SessionStore } from '../session/store.js';
