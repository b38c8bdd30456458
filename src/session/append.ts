// Appending to a session: validates every message (a bad one writes nothing), then one script
// dedupes, appends, trims, updates the metadata and index and refreshes every TTL. After a trim
// with a summarizer set, the summary is committed (summary.ts); its failure never fails the append.
import { z } from 'zod';
import { sessionAppend } from '../scripts/session.js';
import { checkSize, encodeJson, parseInput } from '../validate.js';
import type { SessionContext } from './context.js';
import { completeMessage, MessageInputSchema, type MessageInput } from './message.js';
import { summarize } from './summary.js';

export interface AppendResult {
  /** Ids of the given messages, in order (generated where none was given). */
  ids: string[];
  /** How many were written; the others were duplicates of earlier appends. */
  appended: number;
  duplicates: number;
  /** Messages in the window after the append and trim. */
  length: number;
  /** Set when the summarizer failed; the trimmed messages wait for the next attempt. */
  summaryError?: Error;
}

const MessagesSchema = z.array(MessageInputSchema).min(1, 'give at least one message');

const AppendOptionsSchema = z
  .object({
    /** A retried call with the same key writes nothing twice, even if the first reply was lost. */
    idempotencyKey: z.string().min(1).max(256).optional(),
  })
  .strict();

export async function appendMessages(
  ctx: SessionContext,
  messages: MessageInput | MessageInput[],
  options: { idempotencyKey?: string },
): Promise<AppendResult> {
  const list = Array.isArray(messages) ? messages : [messages];
  const { idempotencyKey } = parseInput(AppendOptionsSchema, options, 'append options');
  const parsed = parseInput(MessagesSchema, list, 'messages');
  const now = Date.now();
  const { maxMessages, maxMessageBytes, summarizer, idempotencyWindow } = ctx.options;
  const ids: string[] = [];
  const encoded = parsed.map((input, i) => {
    const message = completeMessage(input, now);
    const json = encodeJson(message, 'messages', String(i));
    checkSize(json, maxMessageBytes, 'messages', String(i));
    ids.push(message.id);
    return { dedupeId: input.id ?? '', id: message.id, json };
  });
  const registering = ctx.beforePublish();
  if (registering) await registering;
  const { appended, length, pending } = await sessionAppend(ctx.connection, ctx.target(), {
    maxMessages,
    trimmed: summarizer ? 'summarize' : 'drop',
    idempotencyWindow,
    idempotencyKey,
    messages: encoded,
  });
  const result: AppendResult = { ids, appended, duplicates: parsed.length - appended, length };
  if (pending > 0 && summarizer && ctx.options.summarizeIn === 'append') {
    try {
      await summarize(ctx);
    } catch (error) {
      result.summaryError = error as Error;
    }
  }
  return result;
}
