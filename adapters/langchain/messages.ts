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
import type { Message, MessageInput } from '../../src/entries/sessions.js';

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
  // Only the fields that are set: the stored message never holds an explicit undefined.
  const lc: LangChainExtras = {};
  const additionalKwargs = nonEmpty(message.additional_kwargs as JsonObject);
  if (additionalKwargs) lc.additional_kwargs = additionalKwargs;
  const responseMetadata = nonEmpty(message.response_metadata as JsonObject);
  if (responseMetadata) lc.response_metadata = responseMetadata;
  let role: MessageInput['role'];
  let toolCalls: MessageInput['toolCalls'];
  let toolCallId: string | undefined;
  if (type === 'human') role = 'user';
  else if (type === 'system') role = 'system';
  else if (type === 'ai') {
    role = 'assistant';
    const ai = message as AIMessage;
    if (ai.tool_calls?.length) toolCalls = ai.tool_calls.map((c) => ({ id: c.id ?? '', name: c.name, args: c.args as never }));
    if (ai.invalid_tool_calls?.length) lc.invalid_tool_calls = ai.invalid_tool_calls;
    if (ai.usage_metadata) lc.usage_metadata = ai.usage_metadata as unknown as JsonObject;
  } else if (type === 'tool') {
    role = 'tool';
    const tool = message as ToolMessage;
    toolCallId = tool.tool_call_id;
    if (tool.artifact !== undefined) lc.artifact = tool.artifact;
    if (tool.status !== undefined) lc.status = tool.status;
  } else if (type === 'generic') {
    role = 'user';
    lc.type = 'chat';
    lc.role = (message as ChatMessage).role;
  } else if (type === 'function') {
    role = 'user';
    lc.type = 'function';
  } else {
    throw new TypeError(`LangChain ${type} messages are not stored in a conversation`);
  }
  return {
    ...(message.id === undefined ? {} : { id: message.id }),
    role,
    content: message.content as MessageInput['content'],
    ...(message.name === undefined ? {} : { name: message.name }),
    ...(toolCalls === undefined ? {} : { toolCalls }),
    ...(toolCallId === undefined ? {} : { toolCallId }),
    ...(Object.keys(lc).length > 0 ? { metadata: { lc: lc as never } } : {}),
  };
}

/** A stored message as the LangChain message it came from. */
export function toLangChainMessage(message: Message): BaseMessage {
  const lc = (message.metadata?.lc ?? {}) as LangChainExtras;
  // Only the fields that are set (LangChain's constructors default the others).
  const common = {
    ...(message.id === undefined ? {} : { id: message.id }),
    ...(message.name === undefined ? {} : { name: message.name }),
    content: message.content as never,
    ...(lc.additional_kwargs === undefined ? {} : { additional_kwargs: lc.additional_kwargs }),
    ...(lc.response_metadata === undefined ? {} : { response_metadata: lc.response_metadata }),
  };
  if (lc.type === 'chat') return new ChatMessage({ ...common, role: lc.role ?? 'user' });
  if (lc.type === 'function') return new FunctionMessage({ ...common, name: message.name ?? '' });
  switch (message.role) {
    case 'user':
      return new HumanMessage(common);
    case 'system':
      return new SystemMessage(common);
    case 'assistant':
      return new AIMessage({
        ...common,
        ...(message.toolCalls === undefined ? {} : { tool_calls: message.toolCalls.map((c) => ({ ...c, type: 'tool_call' as const })) }),
        ...(lc.invalid_tool_calls === undefined ? {} : { invalid_tool_calls: lc.invalid_tool_calls as never }),
        ...(lc.usage_metadata === undefined ? {} : { usage_metadata: lc.usage_metadata as never }),
      });
    case 'tool':
      return new ToolMessage({
        ...common,
        tool_call_id: message.toolCallId ?? '',
        ...(lc.artifact === undefined ? {} : { artifact: lc.artifact }),
        ...(lc.status === undefined ? {} : { status: lc.status as never }),
      });
  }
}
