// The three TTL strategies every store shares: `fixed` (set once, never moved), `sliding` (moved
// on use) and `none` (kept until deleted or invalidated: explicit invalidation). Each store says
// what "use" means for it; the shape is defined here once.
import { z } from 'zod';

/** Seconds of a TTL: positive, at most ten years. */
export const SecondsSchema = z
  .number()
  .positive()
  .max(10 * 365 * 24 * 3600);

export const TtlPolicySchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('fixed'), seconds: SecondsSchema }).strict(),
  z.object({ mode: z.literal('sliding'), seconds: SecondsSchema }).strict(),
  z.object({ mode: z.literal('none') }).strict(),
]);
export type TtlPolicy = z.infer<typeof TtlPolicySchema>;
