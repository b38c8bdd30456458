// The Extractor interface: what turns a slice of conversation into candidate long-term memories
// (a rule set, a LangChain chat model, your own code), and the one check of what it returns. A bad
// reply is an InvalidArgumentError before anything is written; it never becomes a half write.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AgentMemoryError } from '../errors.js';
import type { Message } from '../session/message.js';
import { parseInput } from '../validate.js';

/** The strategies the library ships; a custom strategy has a name of its own. */
export const BUILTIN_STRATEGIES = ['facts', 'preferences', 'episode'] as const;
export type BuiltinStrategy = (typeof BUILTIN_STRATEGIES)[number];

/** What an extractor is asked. */
export interface ExtractionInput {
  /** `facts`, `preferences`, `episode`, or a custom strategy's name. */
  strategy: BuiltinStrategy | (string & {});
  /** A custom strategy's instructions (a prompt), for extractors that call a model. */
  instructions?: string | undefined;
  /** The messages to extract from, oldest first: the only valid `sourceMessageIds`. */
  messages: Message[];
  /** Earlier messages of the session still in its window, for reference only (not sources). */
  context: Message[];
  /** The session's running summary, if it has one. */
  summary: string | null;
  /** Whose conversation (`tenant` is `_` when none was given). */
  user: { tenant: string; userId: string };
  sessionId: string;
}

/** One memory an extractor proposes. */
export interface ExtractedMemory {
  /** A self-contained statement about the user, in the third person ("The user is allergic to peanuts"). */
  text: string;
  /** What it is: `fact`, `preference`, `episode` or your own kind; it becomes a tag of the memory. */
  kind: string;
  tags?: string[] | undefined;
  /** 0 to 1; default 0.5. */
  importance?: number | undefined;
  /** The ids of the input messages it comes from (at least one). */
  sourceMessageIds: string[];
}

/**
 * Turns messages into memories. Implementations must not write anything: the worker stores what
 * they return, after checking it.
 *
 * @example const memories = await rulesExtractor().extract({ strategy: 'facts', messages, context: [], summary: null, user, sessionId });
 */
export interface Extractor {
  /** Recorded in each memory's provenance (`metadata.source.extractor`). */
  readonly name: string;
  extract(input: ExtractionInput): Promise<ExtractedMemory[]>;
}

/** A kind: lower-case letters, digits, `_` and `-`, starting with a letter. */
export const KindSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be 1–64 of a–z 0–9 _ -, starting with a letter');

export const ExtractedMemorySchema = z
  .object({
    text: z.string().trim().min(1, 'must not be empty').max(10_000),
    kind: KindSchema,
    tags: z.array(z.string().min(1).max(256)).max(16).optional(),
    importance: z.number().min(0).max(1).optional(),
    sourceMessageIds: z.array(z.string().min(1).max(256)).min(1, 'must name at least one source message'),
  })
  .strict();

/** At most this many memories from one call of an extractor. */
export const MAX_EXTRACTED = 100;

/**
 * What `extractor` returned for `input`, checked: an array of at most {@link MAX_EXTRACTED}
 * memories whose sources are all among the input's messages. Anything else throws an
 * InvalidArgumentError naming the extractor, the strategy and every bad field.
 */
export function checkExtracted(reply: unknown, input: ExtractionInput, extractor: string): ExtractedMemory[] {
  const known = new Set(input.messages.map((m) => m.id));
  const schema = z
    .array(ExtractedMemorySchema)
    .max(MAX_EXTRACTED)
    .superRefine((memories, ctx) => {
      for (const [i, m] of memories.entries()) {
        for (const [j, id] of m.sourceMessageIds.entries()) {
          if (!known.has(id))
            ctx.addIssue({ code: 'custom', path: [i, 'sourceMessageIds', j], message: 'is not the id of an input message' });
        }
      }
    });
  return parseInput(schema, reply, `reply of extractor "${extractor}" (strategy ${input.strategy})`) as ExtractedMemory[];
}

/**
 * Runs `extractor` on `input` and checks the reply. A failure of the extractor itself (a model
 * down, a bug) becomes an AgentMemoryError `COMPUTE_FAILED` with the cause kept.
 */
export async function runExtractor(extractor: Extractor, input: ExtractionInput): Promise<ExtractedMemory[]> {
  let reply: unknown;
  try {
    reply = await extractor.extract(input);
  } catch (error) {
    if (error instanceof AgentMemoryError) throw error;
    throw new AgentMemoryError(
      'COMPUTE_FAILED',
      `extractor "${extractor.name}" failed on strategy ${input.strategy}: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  }
  return checkExtracted(reply, input, extractor.name);
}

/** The text of a message: its string content, or its text parts joined. */
export function messageText(message: Message): string {
  if (typeof message.content === 'string') return message.content;
  return message.content.flatMap((part) => (part.type === 'text' && typeof part.text === 'string' ? [part.text] : [])).join('\n');
}

/** A text as compared for identity: lower case, single spaces, no trailing punctuation. */
export const normalizeText = (text: string): string =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\s.!?;,]+$/, '');

/**
 * The id of an extracted memory: 32 hex digits of a SHA-256 over who, where from, which strategy
 * and the normalized text, so a re-delivered event proposes the same id (and the worker writes it
 * once). A strategy that keeps one memory per session (the episode) passes no message ids or text.
 */
export function extractionId(parts: {
  tenant: string;
  userId: string;
  sessionId: string;
  strategy: string;
  messageIds: readonly string[];
  text: string;
}): string {
  const material = JSON.stringify([
    parts.tenant,
    parts.userId,
    parts.sessionId,
    parts.strategy,
    [...parts.messageIds].sort(),
    normalizeText(parts.text),
  ]);
  return createHash('sha256').update(material, 'utf8').digest('hex').slice(0, 32);
}
