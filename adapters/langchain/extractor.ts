// An Extractor on any LangChain chat model: the messages go out as a prompt, the memories come back
// through the model's structured output (a zod schema), are checked, and handed to the worker.
// It calls the model and translates; it stores nothing and never talks to Redis.
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { z } from 'zod';
import { type ExtractedMemory, type ExtractionInput, type Extractor, messageText } from '../../src/entries/events.js';
import { InvalidArgumentError } from '../../src/index.js';

/** What the model is asked to return. Every field is required (strict structured-output modes want that). */
export const ModelReplySchema = z
  .object({
    memories: z
      .array(
        z.object({
          text: z
            .string()
            .describe('One self-contained statement about the user, in the third person ("The user is allergic to peanuts").'),
          kind: z.string().describe('fact, preference, episode, or the kind the instructions name'),
          tags: z.array(z.string()).describe('A few short lower-case labels, may be empty'),
          importance: z.number().min(0).max(1).describe('0 (trivial) to 1 (essential, e.g. an allergy)'),
          sourceMessageIds: z.array(z.string()).describe('The ids of the messages it comes from'),
        }),
      )
      .describe('The memories found; empty when there are none'),
  })
  .describe('Long-term memories extracted from a conversation');

const KIND_OF: Record<string, string> = { facts: 'fact', preferences: 'preference', episode: 'episode' };

const GUIDANCE: Record<string, string> = {
  facts:
    'Extract durable facts the user states about themself (name, where they live, work, health, family, plans). Only what the user says of themself: not questions, not hypotheticals, not facts about other people, not what the assistant says. Negated statements are not facts.',
  preferences:
    'Extract the user’s stable preferences: likes, dislikes, habits, how they want to be addressed or answered. Only what the user says of themself.',
  episode:
    'Write one short account (2–4 sentences) of this conversation: what the user wanted, what was decided or done, anything left open. One memory, kind "episode", citing every message id.',
};

/** The instructions a strategy gets unless `prompt` overrides them. */
export const DEFAULT_EXTRACTION_PROMPT = `You maintain an assistant's long-term memory of one user.
Write each memory as one self-contained sentence in the third person, starting with "The user".
Never invent anything; when nothing qualifies, return an empty list.
Cite the ids (shown in square brackets) of the messages each memory comes from.`;

export interface ChatModelExtractorOptions {
  /** Replaces the general instructions (the strategy's own guidance, or a custom prompt, follows it). */
  prompt?: string;
  /** Recorded in provenance. Default `langchain:<the model's type>`. */
  name?: string;
}

/** The prompt of one extraction: instructions, then the summary, context and messages with their ids. */
export function extractionPrompt(input: ExtractionInput, prompt = DEFAULT_EXTRACTION_PROMPT): [SystemMessage, HumanMessage] {
  const guidance = input.instructions ?? GUIDANCE[input.strategy] ?? `Extract memories for the strategy "${input.strategy}".`;
  const kind = KIND_OF[input.strategy] ?? input.strategy;
  const line = (m: ExtractionInput['messages'][number]) => `[${m.id}] ${m.role}: ${messageText(m)}`;
  const parts: string[] = [];
  if (input.summary) parts.push(`Summary of the conversation so far:\n${input.summary}`);
  if (input.context.length > 0) parts.push(`Earlier messages (context only, do not cite):\n${input.context.map(line).join('\n')}`);
  parts.push(`Messages to extract from:\n${input.messages.map(line).join('\n')}`);
  return [new SystemMessage(`${prompt}\n\n${guidance}\nUse kind "${kind}".`), new HumanMessage(parts.join('\n\n'))];
}

/**
 * An Extractor that asks `model` (any LangChain chat model with structured output: ChatOpenAI,
 * AzureChatOpenAI, ChatAnthropic, …) for the memories. A reply that does not fit the schema is an
 * InvalidArgumentError (the worker retries the event, then dead-letters it); a memory citing no
 * message is credited to the user's messages of the input.
 *
 * @example const extractor = chatModelExtractor(new AzureChatOpenAI({ model: 'gpt-4o-mini' }));
 */
export function chatModelExtractor(model: BaseChatModel, options: ChatModelExtractorOptions = {}): Extractor {
  const structured = model.withStructuredOutput(ModelReplySchema, { name: 'remember_memories' });
  const name = options.name ?? `langchain:${model._llmType()}`;
  return {
    name,
    async extract(input: ExtractionInput): Promise<ExtractedMemory[]> {
      const raw: unknown = await structured.invoke(extractionPrompt(input, options.prompt));
      const parsed = ModelReplySchema.safeParse(raw);
      if (!parsed.success)
        throw new InvalidArgumentError(
          `reply of model extractor "${name}" (strategy ${input.strategy})`,
          parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
        );
      const fromUser = input.messages.filter((m) => m.role === 'user').map((m) => m.id);
      const fallback = fromUser.length > 0 ? fromUser : input.messages.map((m) => m.id);
      return parsed.data.memories.map((m) => ({
        text: m.text,
        kind: m.kind.trim().toLowerCase() || (KIND_OF[input.strategy] ?? input.strategy),
        tags: m.tags,
        importance: m.importance,
        sourceMessageIds: m.sourceMessageIds.length > 0 ? m.sourceMessageIds : fallback,
      }));
    },
  };
}
