// The session store's options: zod schemas, defaults documented once. A session's TTL policy is
// the shared one (ttl.ts): `sliding` moves the deadline of every key of the session together on
// every read and write; `fixed` sets it when the session is created; `none` keeps it until deleted.
import { z } from 'zod';
import { TtlPolicySchema, type TtlPolicy } from '../ttl.js';
import { approximateTokens, type Message, type TokenCounter } from './message.js';

export { TtlPolicySchema, type TtlPolicy };

/** Folds messages trimmed from the window into the session's running summary. */
export type Summarizer = (input: { summary: string | null; messages: Message[] }) => Promise<string> | string;

const isFunction = (v: unknown) => typeof v === 'function';

export const SessionStoreOptionsSchema = z
  .object({
    /** Default TTL policy of new sessions; a session can override it. Default sliding, 24 hours. */
    ttl: TtlPolicySchema.default({ mode: 'sliding', seconds: 86_400 }),
    /** Messages kept per session; older ones are trimmed (0: keep all). Default 1000. */
    maxMessages: z.number().int().min(0).max(1_000_000).default(1_000),
    /** Receives the messages trimmed from the window; without it they are dropped. */
    summarizer: z.custom<Summarizer>(isFunction, 'must be a function').optional(),
    /** Largest message, as JSON, in bytes. Default 256 KiB. */
    maxMessageBytes: z
      .number()
      .int()
      .positive()
      .default(256 * 1024),
    /** Largest reasoning state, as JSON, in bytes. Default 1 MiB. */
    maxStateBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /** Largest tool result, as JSON, in bytes. Default 1 MiB. */
    maxToolResultBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /** How many idempotency keys and message ids a session remembers for retried appends. Default 1000. */
    idempotencyWindow: z.number().int().min(1).max(100_000).default(1_000),
    /**
     * Publish what happens to sessions (created, appended, cleared, ended, state written) to the
     * event backbone (`memory.events`): each event is written by the same script as its change.
     * Default false.
     */
    events: z.boolean().default(false),
    /**
     * Where the summarizer runs when messages are trimmed: `append` (default: the append that
     * trimmed calls it, after its write) or `background` (appends never wait for it; a worker
     * folds the trimmed messages in: `memory.extraction(...)` with this store's summarizer does).
     * `background` needs `events: true` (the worker learns from the events what to summarize).
     */
    summarizeIn: z.enum(['append', 'background']).default('append'),
    /** Token counter for `maxTokens` reads. Default: {@link approximateTokens}. */
    tokenCounter: z.custom<TokenCounter>(isFunction, 'must be a function').default(() => approximateTokens),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.summarizeIn === 'background' && !o.events)
      ctx.addIssue({ code: 'custom', path: ['summarizeIn'], message: "'background' needs events: true (the worker learns from them)" });
  });

export type SessionStoreOptions = z.input<typeof SessionStoreOptionsSchema>;
export type ResolvedSessionStoreOptions = z.output<typeof SessionStoreOptionsSchema>;
