// Translates LangChain messages to the session store's messages and back, without loss: ids,
// names, content blocks, tool calls, invalid tool calls, usage, additional_kwargs,
// response_metadata, tool artifacts and status, custom chat roles. It stores nothing itself.
import {
  AIMessage,
  ChatMessage,
  FunctionMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
  type BaseMessage,
} from '@langchain/core/messages';
import { definedOnly } from '../../src/defined.js';
import type { Message, MessageInput } from '../../src/index.js';

type JsonObject = Record<string, unknown>;

/** LangChain-only fields, kept under `metadata.lc` of the stored message. */
interface LangChainExtras {
  type?: 'chat' | 'function' | undefined;
  role?: string | undefined;
  additional_kwargs?: JsonObject | undefined;
  response_metadata?: JsonObject | undefined;
  invalid_tool_calls?: unknown[] | undefined;
  usage_metadata?: JsonObject | undefined;
  artifact?: unknown | undefined;
  status?: string | undefined;
}

const nonEmpty = (value: JsonObject | undefined) => (value && Object.keys(value).length > 0 ? value : undefined);

/** A LangChain message as the session store's input. */
export function toMessageInput(message: BaseMessage): MessageInput {
  const type = message.getType();
  const extras: LangChainExtras = {
    additional_kwargs: nonEmpty(message.additional_kwargs as JsonObject),
    response_metadata: nonEmpty(message.response_metadata as JsonObject),
  };
  let role: MessageInput['role'];
  let toolCalls: MessageInput['toolCalls'];
  let toolCallId: string | undefined;
  if (type === 'human') role = 'user';
  else if (type === 'system') role = 'system';
  else if (type === 'ai') {
    role = 'assistant';
    const ai = message as AIMessage;
    if (ai.tool_calls?.length) toolCalls = ai.tool_calls.map((c) => ({ id: c.id ?? '', name: c.name, args: c.args as never }));
    if (ai.invalid_tool_calls?.length) extras.invalid_tool_calls = ai.invalid_tool_calls;
    if (ai.usage_metadata) extras.usage_metadata = ai.usage_metadata as unknown as JsonObject;
  } else if (type === 'tool') {
    role = 'tool';
    const tool = message as ToolMessage;
    toolCallId = tool.tool_call_id;
    extras.artifact = tool.artifact;
    extras.status = tool.status;
  } else if (type === 'generic') {
    role = 'user';
    extras.type = 'chat';
    extras.role = (message as ChatMessage).role;
  } else if (type === 'function') {
    role = 'user';
    extras.type = 'function';
  } else {
    throw new TypeError(`LangChain ${type} messages are not stored in a conversation`);
  }
  const lc = definedOnly(extras);
  return definedOnly({
    id: message.id,
    role,
    content: message.content as MessageInput['content'],
    name: message.name,
    toolCalls,
    toolCallId,
    metadata: Object.keys(lc).length > 0 ? { lc: lc as never } : undefined,
  });
}

/** A stored message as the LangChain message it came from. */
export function toLangChainMessage(message: Message): BaseMessage {
  const lc = ((message.metadata?.lc ?? {}) as LangChainExtras);
  const common = definedOnly({
    id: message.id,
    name: message.name,
    content: message.content as never,
    additional_kwargs: lc.additional_kwargs,
    response_metadata: lc.response_metadata,
  });
  if (lc.type === 'chat') return new ChatMessage({ ...common, role: lc.role ?? 'user' });
  if (lc.type === 'function') return new FunctionMessage({ ...common, name: message.name ?? '' });
  switch (message.role) {
    case 'user':
      return new HumanMessage(common);
    case 'system':
      return new SystemMessage(common);
    case 'assistant':
      return new AIMessage(
        definedOnly({
          ...common,
          tool_calls: message.toolCalls?.map((c) => ({ ...c, type: 'tool_call' as const })),
          invalid_tool_calls: lc.invalid_tool_calls as never,
          usage_metadata: lc.usage_metadata as never,
        }),
      );
    case 'tool':
      return new ToolMessage(
        definedOnly({ ...common, tool_call_id: message.toolCallId ?? '', artifact: lc.artifact, status: lc.status as never }),
      );
  }
}
