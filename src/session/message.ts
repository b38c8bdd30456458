// A conversation message: its zod schema (what an append accepts), its stored JSON form, and the
// default token estimate. Rich enough to carry LangChain's message types without loss; the
// LangChain adapter translates, this file only stores.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { jsonRecordSchema } from '../validate.js';

const JsonObjectSchema = jsonRecordSchema(z.string());

/** A part of a multimodal message, e.g. `{ type: 'text', text }` or `{ type: 'image_url', image_url }`. */
const ContentPartSchema = JsonObjectSchema.refine((part) => typeof part.type === 'string', {
  message: 'a content part needs a string "type"',
});

/** A tool call an assistant message asks for. */
const ToolCallSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    args: JsonObjectSchema,
  })
  .strict();

export const ROLES = ['system', 'user', 'assistant', 'tool'] as const;
export type Role = (typeof ROLES)[number];

/** What `append` accepts. `id` and `createdAt` are filled in when absent. */
export const MessageInputSchema = z
  .object({
    /** Unique id; a retried append of a message with the same id writes it once. */
    id: z.string().min(1).max(256).optional(),
    role: z.enum(ROLES),
    content: z.union([z.string(), z.array(ContentPartSchema)]),
    /** Name of the speaker or of the tool. */
    name: z.string().min(1).max(256).optional(),
    /** Assistant messages only: the tools it calls. */
    toolCalls: z.array(ToolCallSchema).optional(),
    /** Tool messages only (and required there): the call this result answers. */
    toolCallId: z.string().min(1).max(256).optional(),
    /** Anything else worth keeping (provider metadata, usage, LangChain's extra fields). */
    metadata: JsonObjectSchema.optional(),
    /** Milliseconds since the epoch; default now. */
    createdAt: z.number().int().nonnegative().optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.role === 'tool' && m.toolCallId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['toolCallId'], message: 'a tool message needs the toolCallId it answers' });
    }
    if (m.role !== 'tool' && m.toolCallId !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['toolCallId'], message: 'only tool messages carry a toolCallId' });
    }
    if (m.role !== 'assistant' && m.toolCalls !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['toolCalls'], message: 'only assistant messages carry toolCalls' });
    }
  });

export type MessageInput = z.input<typeof MessageInputSchema>;
export type ContentPart = z.output<typeof ContentPartSchema>;
export type ToolCall = z.output<typeof ToolCallSchema>;

/** A stored message, as reads return it. */
export interface Message {
  id: string;
  role: Role;
  content: string | ContentPart[];
  name?: string;
  toolCalls?: ToolCall[];
  toolCallId?: string;
  metadata?: Record<string, z.core.util.JSONType>;
  createdAt: number;
}

/** Fills in id and createdAt. The input is already validated. */
export function completeMessage(input: z.output<typeof MessageInputSchema>, now: number): Message {
  return { ...input, id: input.id ?? randomUUID(), createdAt: input.createdAt ?? now } as Message;
}

export const decodeMessage = (json: string): Message => JSON.parse(json) as Message;

/**
 * Counts the tokens of one message; pass your model's tokenizer for exact budgets
 * (`openAiTokenCounter` for OpenAI models, `langChainTokenCounter` for a LangChain model's own
 * counter). It may answer with a promise (LangChain's counters are async); a counter that answers
 * with a number is never awaited. `requestOverhead`: tokens every request costs once, whatever its
 * messages (OpenAI primes each reply with 3), taken off a `maxTokens` budget before any message.
 *
 * @example const tokenCounter: TokenCounter = (m) => myTokenizer.count(typeof m.content === 'string' ? m.content : '');
 */
export type TokenCounter = ((message: Message) => number | Promise<number>) & { readonly requestOverhead?: number };

/**
 * The default token estimate: about 4 characters a token (OpenAI's rule of thumb for English),
 * over the text and the tool calls, plus 4 tokens of per-message overhead. Non-text content parts
 * (images, audio) count by the size of their JSON, which overestimates; pass a real tokenizer
 * when that matters.
 */
export const approximateTokens: TokenCounter = (message) => {
  let chars = 0;
  if (typeof message.content === 'string') chars += message.content.length;
  else {
    for (const part of message.content) {
      chars += part.type === 'text' && typeof part.text === 'string' ? part.text.length : JSON.stringify(part).length;
    }
  }
  if (message.toolCalls) chars += JSON.stringify(message.toolCalls).length;
  return 4 + Math.ceil(chars / 4);
};
