// Reading a session's messages: all, the last N, a page, or the newest that fit a token budget
// (with the running summary counted against it, for `window`). Reads only (a sliding TTL moves in
// the same script); a session that does not exist reads as no messages.
import { z } from 'zod';
import type { SessionContext } from './context.js';
import { decodeMessage, type Message } from './message.js';

export const ReadOptionsSchema = z
  .object({
    /** The newest `last` messages. */
    last: z.number().int().positive().optional(),
    /** Paging from the oldest message: skip `offset`, return up to `limit`. */
    offset: z.number().int().nonnegative().optional(),
    limit: z.number().int().positive().optional(),
    /** The newest messages whose tokens (with the summary's, for `window`) fit this budget. */
    maxTokens: z.number().int().positive().optional(),
  })
  .strict()
  .refine((o) => o.last === undefined || (o.offset === undefined && o.limit === undefined), {
    message: 'give either last or offset/limit, not both',
  })
  .refine((o) => o.maxTokens === undefined || (o.offset === undefined && o.limit === undefined), {
    message: 'maxTokens reads from the newest message; it does not combine with offset/limit',
  });
export type ReadOptions = z.input<typeof ReadOptionsSchema>;

/** Messages (oldest first) as `o` selects them, and the running summary when `withSummary`. */
export async function readMessages(
  ctx: SessionContext,
  o: z.output<typeof ReadOptionsSchema>,
  withSummary: boolean,
): Promise<{ summary: string | null; messages: Message[] }> {
  if (o.maxTokens !== undefined) return readByTokens(ctx, o.maxTokens, o.last, withSummary);
  const [from, to] = o.last !== undefined ? [-o.last, -1] : [o.offset ?? 0, o.limit !== undefined ? (o.offset ?? 0) + o.limit - 1 : -1];
  const reply = await ctx.read({ from, to, meta: withSummary });
  return { summary: reply?.meta.get('summary') ?? null, messages: (reply?.messages ?? []).map(decodeMessage) };
}

/** Newest messages within a token budget, reading pages from the end (usually one round trip). */
async function readByTokens(
  ctx: SessionContext,
  maxTokens: number,
  last: number | undefined,
  withSummary: boolean,
): Promise<{ summary: string | null; messages: Message[] }> {
  const count = ctx.options.tokenCounter;
  const page = Math.min(500, Math.max(20, Math.ceil(maxTokens / 25)));
  let budget = maxTokens;
  let summary: string | null = null;
  const picked: Message[] = [];
  for (let end = -1; ; end -= page) {
    const take = last === undefined ? page : Math.min(page, last - picked.length);
    if (take <= 0) break;
    const reply = await ctx.read({ from: end - take + 1, to: end, meta: withSummary && end === -1 });
    if (!reply) break;
    if (end === -1 && withSummary) {
      summary = reply.meta.get('summary') ?? null;
      if (summary !== null) budget -= count({ id: 'summary', role: 'system', content: summary, createdAt: 0 });
    }
    const batch = reply.messages.map(decodeMessage);
    for (let i = batch.length - 1; i >= 0; i--) {
      const tokens = count(batch[i]!);
      if (tokens > budget) return { summary, messages: picked.reverse() };
      budget -= tokens;
      picked.push(batch[i]!);
    }
    if (-end + take - 1 >= reply.length || batch.length < take) break;
  }
  return { summary, messages: picked.reverse() };
}
