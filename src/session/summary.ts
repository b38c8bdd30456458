// Committing a session's running summary: the summarizer folds the messages trimmed from the
// window into it, and the commit is a compare-and-set on the summary version, so two writers never
// both drop the same pending messages. A lost race rebuilds on the newer summary; it never loses one.
import { ConflictError, InvalidArgumentError } from '../errors.js';
import { sessionCommitSummary } from '../scripts/session.js';
import type { SessionContext } from './context.js';
import type { Summarizer } from './options.js';
import { decodeMessage } from './message.js';

/** Folds the pending messages into the summary (nothing without a summarizer or pending messages). */
export async function summarize(ctx: SessionContext): Promise<void> {
  const summarizer = ctx.options.summarizer;
  if (!summarizer) return;
  // A span of its own (a child of session.append's when append calls it): the summarizer is the user's LLM call.
  return ctx.connection.telemetry.operation('session.summarize').run(() => commitSummary(ctx, summarizer));
}

async function commitSummary(ctx: SessionContext, summarizer: Summarizer): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const reply = await ctx.read({ meta: true, pending: true });
    if (!reply || reply.pending.length === 0) return;
    const text = await summarizer({ summary: reply.meta.get('summary') ?? null, messages: reply.pending.map(decodeMessage) });
    if (typeof text !== 'string')
      throw new InvalidArgumentError('summary', [
        { path: '', message: `the summarizer returned a ${typeof text}, not a string; the pending messages wait for the next summarize()` },
      ]);
    try {
      await sessionCommitSummary(ctx.connection, ctx.target(), {
        expectedVersion: reply.meta.get('summary_v') ?? '0',
        covers: reply.pending.length,
        summary: text,
      });
      return;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new ConflictError('the summary kept changing under concurrent writers; call summarize() again');
}
