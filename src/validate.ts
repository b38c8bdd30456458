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
  throw new InvalidArgumentError(what, result.error.issues.flatMap((issue) => explain(issue, [])));
}

/**
 * One issue as `{ path, message }`s. A union's bare "Invalid input" is replaced by the issues of
 * the alternative that came closest (fewest issues), so the caller learns what to fix.
 */
function explain(issue: z.core.$ZodIssue, prefix: PropertyKey[]): { path: string; message: string }[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
    if (closest.length > 0) return closest.flatMap((inner) => explain(inner, path));
  }
  return [{ path: path.map(String).join('.'), message: issue.message }];
}

/**
 * JSON-encodes a value the caller gave: the one rule every store follows. What JSON cannot hold
 * exactly is refused with an InvalidArgumentError that names `what` (never silently changed):
 * circular references, BigInt, and NaN / ±Infinity (JSON.stringify would write them as null).
 */
export function encodeJson(value: unknown, what: string, path = ''): string {
  let bad: string | undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(value, function (this: unknown, key, v: unknown) {
      if (typeof v === 'number' && !Number.isFinite(v) && bad === undefined) bad = `${key === '' ? 'the value' : `"${key}"`} is ${v}, which JSON cannot hold`;
      return v;
    });
  } catch (error) {
    throw new InvalidArgumentError(what, [{ path, message: `cannot be stored as JSON (${(error as Error).message})` }]);
  }
  if (bad !== undefined) throw new InvalidArgumentError(what, [{ path, message: `cannot be stored as JSON: ${bad}` }]);
  if (json === undefined) throw new InvalidArgumentError(what, [{ path, message: 'cannot be stored as JSON (undefined, a function or a symbol)' }]);
  return json;
}

/** Throws an InvalidArgumentError when `json` is over `limit` bytes (UTF-8). */
export function checkSize(json: string, limit: number, what: string, path = ''): void {
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > limit) {
    throw new InvalidArgumentError(what, [{ path, message: `is ${bytes} bytes, over the limit of ${limit}` }]);
  }
}
