// The session store's options and a session's TTL policy: zod schemas, defaults documented once.
import { z } from 'zod';
import { approximateTokens, type Message, type TokenCounter } from './message.js';

const Seconds = z.number().positive().max(10 * 365 * 24 * 3600);

/**
 * How long a session lives. `sliding`: every read and write pushes the deadline to now + seconds,
 * on every key of the session together. `fixed`: the deadline is set when the session is created
 * and never moves. `none`: the session lives until it is deleted (explicit invalidation).
 */
export const TtlPolicySchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('sliding'), seconds: Seconds }).strict(),
  z.object({ mode: z.literal('fixed'), seconds: Seconds }).strict(),
  z.object({ mode: z.literal('none') }).strict(),
]);
export type TtlPolicy = z.infer<typeof TtlPolicySchema>;

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
    maxMessageBytes: z.number().int().positive().default(256 * 1024),
    /** Largest reasoning state, as JSON, in bytes. Default 1 MiB. */
    maxStateBytes: z.number().int().positive().default(1024 * 1024),
    /** Largest tool result, as JSON, in bytes. Default 1 MiB. */
    maxToolResultBytes: z.number().int().positive().default(1024 * 1024),
    /** How many idempotency keys and message ids a session remembers for retried appends. Default 1000. */
    idempotencyWindow: z.number().int().min(1).max(100_000).default(1_000),
    /** Token counter for `maxTokens` reads. Default: {@link approximateTokens}. */
    tokenCounter: z.custom<TokenCounter>(isFunction, 'must be a function').default(() => approximateTokens),
  })
  .strict();

export type SessionStoreOptions = z.input<typeof SessionStoreOptionsSchema>;
export type ResolvedSessionStoreOptions = z.output<typeof SessionStoreOptionsSchema>;

/** `[mode, milliseconds]` as the session scripts take them. */
export function ttlArgs(policy: TtlPolicy): [string, string] {
  return [policy.mode, policy.mode === 'none' ? '0' : String(Math.round(policy.seconds * 1000))];
}
