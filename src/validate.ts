// Validation at the library's edge: every public input goes through a zod schema here, and a
// failure becomes one InvalidArgumentError that names each bad field. Inner code trusts its input.
import { z } from 'zod';
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
    result.error.issues.flatMap((issue) => explain(issue, [])),
  );
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
      if (typeof v === 'number' && !Number.isFinite(v) && bad === undefined)
        bad = `${key === '' ? 'the value' : `"${key}"`} is ${v}, which JSON cannot hold`;
      return v;
    });
  } catch (error) {
    throw new InvalidArgumentError(what, [{ path, message: `cannot be stored as JSON (${(error as Error).message})` }]);
  }
  if (bad !== undefined) throw new InvalidArgumentError(what, [{ path, message: `cannot be stored as JSON: ${bad}` }]);
  if (json === undefined)
    throw new InvalidArgumentError(what, [{ path, message: 'cannot be stored as JSON (undefined, a function or a symbol)' }]);
  return json;
}

/** Throws an InvalidArgumentError when `json` is over `limit` bytes (UTF-8). */
export function checkSize(json: string, limit: number, what: string, path = ''): void {
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > limit) {
    throw new InvalidArgumentError(what, [{ path, message: `is ${bytes} bytes, over the limit of ${limit}` }]);
  }
}

export type Json = z.core.util.JSONType;

/**
 * The JSON a caller gives (metadata, state, tool results, cache values) is checked, and kept as
 * given. zod's own z.json() and z.record() rebuild objects by assignment, which silently drops a
 * `__proto__` key; these schemas check each value in place and return the input itself, so every
 * key round-trips exactly. Non-finite numbers, BigInt, functions, class instances and circular
 * values are refused with the path of the bad value.
 */
export const JsonValueSchema = z.unknown().superRefine((value, ctx) => checkJson(value, [], new Set(), ctx)) as unknown as z.ZodType<Json>;

/** An object whose keys pass `keys` and whose values pass `values`, returned as given. */
export function jsonRecordSchema<V = Json>(
  keys: z.ZodType<string>,
  values: z.ZodType<V> = JsonValueSchema as unknown as z.ZodType<V>,
): z.ZodType<Record<string, V>> {
  return z.unknown().superRefine((input, ctx) => {
    if (!isPlainObject(input)) {
      ctx.addIssue({ code: 'custom', message: 'must be a plain object' });
      return;
    }
    for (const key of Object.keys(input)) {
      for (const issue of keys.safeParse(key).error?.issues ?? [])
        ctx.addIssue({ code: 'custom', path: [key], message: `key: ${issue.message}` });
      for (const issue of values.safeParse(input[key]).error?.issues ?? [])
        ctx.addIssue({ code: 'custom', path: [key, ...issue.path], message: issue.message });
    }
  }) as unknown as z.ZodType<Record<string, V>>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function checkJson(value: unknown, path: PropertyKey[], ancestors: Set<object>, ctx: z.core.$RefinementCtx): void {
  const fail = (message: string) => ctx.addIssue({ code: 'custom', path, message });
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(`${value} is not a JSON number`);
      return;
    case 'object':
      break;
    default:
      fail(`a ${typeof value} is not JSON`);
      return;
  }
  if (value === null) return;
  if (!Array.isArray(value) && !isPlainObject(value)) {
    fail(`a ${value.constructor?.name ?? 'non-plain'} object is not JSON (give plain objects and arrays)`);
    return;
  }
  if (ancestors.has(value)) {
    fail('is circular');
    return;
  }
  ancestors.add(value);
  if (Array.isArray(value)) for (const [i, item] of value.entries()) checkJson(item, [...path, i], ancestors, ctx);
  else for (const key of Object.keys(value)) checkJson(value[key], [...path, key], ancestors, ctx);
  ancestors.delete(value);
}
