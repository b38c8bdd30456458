// Validation at the library's edge: every public input goes through a zod schema here, and a
// failure becomes one InvalidArgumentError that names each bad field. Inner code trusts its input.
import type { z } from 'zod';
import { InvalidArgumentError } from './errors.js';

/**
 * Parses `input` with `schema`; on failure throws an {@link InvalidArgumentError} whose message
 * names `what` and every bad field. The input's values are never echoed (they may be secrets).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidArgumentError(
    what,
    result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  );
}
