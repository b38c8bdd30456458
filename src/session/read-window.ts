// Reading a session's messages: all, the last N, a page, or the newest that fit a token budget
// (with the running summary counted against it, for `window`). Reads only (a sliding TTL moves in
// the same script); a session that does not exist reads as no messages.
import { z } from 'zod';
import type { SessionContext } from './context.js';
import { decodeMessage, type Message, type TokenCounter } from './message.js';

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

/**
 * Newest messages within a token budget, reading pages from the end (usually one round trip). The
 * counter may be async: see {@link fitNewest}.
 */
async function readByTokens(
  ctx: SessionContext,
  maxTokens: number,
  last: number | undefined,
  withSummary: boolean,
): Promise<{ summary: string | null; messages: Message[] }> {
  const count = ctx.options.tokenCounter;
  const page = Math.min(500, Math.max(20, Math.ceil(maxTokens / 25)));
  const fit: Fit = { budget: maxTokens - (count.requestOverhead ?? 0), full: false };
  let summary: string | null = null;
  const picked: Message[] = [];
  for (let end = -1; ; end -= page) {
    const take = last === undefined ? page : Math.min(page, last - picked.length);
    if (take <= 0) break;
    const reply = await ctx.read({ from: end - take + 1, to: end, meta: withSummary && end === -1 });
    if (!reply) break;
    if (end === -1 && withSummary) {
      summary = reply.meta.get('summary') ?? null;
      if (summary !== null) {
        const counted = count({ id: 'summary', role: 'system', content: summary, createdAt: 0 });
        fit.budget -= typeof counted === 'number' ? counted : await counted;
      }
    }
    const batch = reply.messages.map(decodeMessage);
    // The newest first, while they fit; a count that comes back as a promise is awaited, then the walk goes on.
    let pending = fitNewest(batch, batch.length - 1, count, fit, picked);
    while (pending) {
      const tokens = await pending.tokens;
      if (tokens > fit.budget) fit.full = true;
      else {
        fit.budget -= tokens;
        picked.push(batch[pending.index]!);
        pending = fitNewest(batch, pending.index - 1, count, fit, picked);
      }
      if (fit.full) break;
    }
    if (fit.full) break;
    if (-end + take - 1 >= reply.length || batch.length < take) break;
  }
  return { summary, messages: picked.reverse() };
}

/** What is left of a budget, and whether a message did not fit (the read is over). */
interface Fit {
  budget: number;
  full: boolean;
}

/**
 * Takes `batch[index]`, `batch[index - 1]`… into `picked` while they fit `fit.budget`. Synchronous,
 * so a counter that answers with numbers costs what a plain loop does (no suspension point, no
 * await per message); it stops at the first count that is a promise and hands it back with its index.
 */
function fitNewest(
  batch: readonly Message[],
  index: number,
  count: TokenCounter,
  fit: Fit,
  picked: Message[],
): { index: number; tokens: Promise<number> } | undefined {
  for (let i = index; i >= 0; i--) {
    const tokens = count(batch[i]!);
    if (typeof tokens !== 'number') return { index: i, tokens };
    if (tokens > fit.budget) {
      fit.full = true;
      return undefined;
    }
    fit.budget -= tokens;
    picked.push(batch[i]!);
  }
  return undefined;
}
