// The one metadata filter language of the library: a small typed AST, validated against the
// index's declared fields, and compiled three ways: RediSearch query syntax, vector-set FILTER
// expressions, and an in-process predicate (flat engine). No user string ever reaches a query as
// text: tag values are compared hex-encoded (0-9a-f), numbers are printed without exponents, field
// names are checked against a strict pattern. A comparison on a missing field is false everywhere.
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.js';
import { parseInput } from '../validate.js';

/** A field name usable in every engine's query language. */
export const FieldNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must start with a letter and hold only letters, digits and _ (at most 64)');

export type FieldKind = 'tag' | 'numeric';
/** The filterable fields of an index: name → kind. */
export type FieldSchema = Record<string, FieldKind>;

/**
 * The longest tag value, in UTF-8 bytes, on every engine. RediSearch cannot match a TAG value over
 * 4,096 bytes, and tag values are stored hex-encoded (two characters a byte), so 2,048 bytes is
 * the most any engine may take; vector sets and flat refuse the same, so that no value is
 * findable on one engine and silently unfindable on another.
 */
export const MAX_TAG_BYTES = 2048;

/** Why a tag value cannot be stored or asked for; null when it can. */
export function tagValueProblem(value: string): string | null {
  if (value === '') return 'a tag value must not be empty';
  const bytes = Buffer.byteLength(value, 'utf8');
  return bytes > MAX_TAG_BYTES ? `a tag value may be at most ${MAX_TAG_BYTES} UTF-8 bytes; this one is ${bytes}` : null;
}

/** A tag value: a non-empty string of at most MAX_TAG_BYTES UTF-8 bytes (an empty tag cannot be indexed by RediSearch, so none can). */
export const TagValueSchema = z.string().superRefine((value, ctx) => {
  const problem = tagValueProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const Finite = z.number().refine(Number.isFinite, 'must be a finite number');

export type Filter =
  | { field: string; eq: string | number }
  | { field: string; in: string[] }
  | { field: string; gt?: number; gte?: number; lt?: number; lte?: number }
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter };

export const FilterSchema: z.ZodType<Filter> = z.lazy(() =>
  z.union([
    z.object({ field: FieldNameSchema, eq: z.union([TagValueSchema, Finite]) }).strict(),
    z.object({ field: FieldNameSchema, in: z.array(TagValueSchema).min(1).max(1000) }).strict(),
    z
      .object({ field: FieldNameSchema, gt: Finite.optional(), gte: Finite.optional(), lt: Finite.optional(), lte: Finite.optional() })
      .strict()
      .refine((r) => r.gt !== undefined || r.gte !== undefined || r.lt !== undefined || r.lte !== undefined, 'a range needs gt, gte, lt or lte'),
    z.object({ and: z.array(FilterSchema).min(1).max(100) }).strict(),
    z.object({ or: z.array(FilterSchema).min(1).max(100) }).strict(),
    z.object({ not: FilterSchema }).strict(),
  ]),
) as z.ZodType<Filter>;

/** A numeric condition as bounds; `eq` on a number is the range [n, n]. */
interface Range {
  min: number;
  minInclusive: boolean;
  max: number;
  maxInclusive: boolean;
}

function rangeOf(f: { gt?: number; gte?: number; lt?: number; lte?: number }): Range {
  const lower = f.gte !== undefined && (f.gt === undefined || f.gte > f.gt) ? { v: f.gte, inc: true } : f.gt !== undefined ? { v: f.gt, inc: false } : { v: -Infinity, inc: true };
  const upper = f.lte !== undefined && (f.lt === undefined || f.lte < f.lt) ? { v: f.lte, inc: true } : f.lt !== undefined ? { v: f.lt, inc: false } : { v: Infinity, inc: true };
  return { min: lower.v, minInclusive: lower.inc, max: upper.v, maxInclusive: upper.inc };
}

/** Validates a filter and checks every field against the index's schema (kind included). */
export function parseFilter(input: unknown, fields: FieldSchema): Filter {
  const filter = parseInput(FilterSchema, input, 'filter');
  const check = (f: Filter, path: string): void => {
    if ('and' in f) return f.and.forEach((g, i) => check(g, `${path}and.${i}.`));
    if ('or' in f) return f.or.forEach((g, i) => check(g, `${path}or.${i}.`));
    if ('not' in f) return check(f.not, `${path}not.`);
    const kind = fields[f.field];
    const wants: FieldKind = ('eq' in f && typeof f.eq === 'string') || 'in' in f ? 'tag' : 'numeric';
    if (!kind) throw new InvalidArgumentError('filter', [{ path: `${path}field`, message: `${f.field} is not a filterable field of this index (declared: ${Object.keys(fields).join(', ') || 'none'})` }]);
    if (kind !== wants) throw new InvalidArgumentError('filter', [{ path: `${path}field`, message: `${f.field} is a ${kind} field; this condition needs a ${wants} field` }]);
  };
  check(filter, '');
  return filter;
}

/** Hex of the UTF-8 bytes: how tag values are stored in an index and compared in a query. */
export const encodeTag = (value: string): string => Buffer.from(value, 'utf8').toString('hex');

/**
 * A number as plain decimal digits (no exponent, no '+'), as both query languages parse it, and
 * exact: the shortest digits that read back as the same double (JavaScript's own), only moved
 * about the decimal point, so 1e-25 stays 1e-25 and no digit is lost.
 */
export function formatNumber(n: number): string {
  if (n === Infinity) return '+inf';
  if (n === -Infinity) return '-inf';
  if (Object.is(n, -0)) return '0';
  const shortest = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(shortest);
  if (!m) return shortest;
  const [, sign, lead, fraction = '', exponent] = m as unknown as [string, string, string, string | undefined, string];
  const digits = lead + fraction;
  const point = 1 + Number(exponent);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Storage names: tags `t_<field>`, numbers `n_<field>` (and, in vector sets, presence `h_<field>`). */
export const tagField = (field: string) => `t_${field}`;
export const numField = (field: string) => `n_${field}`;
export const hasField = (field: string) => `h_${field}`;

// ——— RediSearch ———

/** A filter as RediSearch query syntax (DIALECT 2), e.g. `(@t_lang:{656e} @n_year:[2020 +inf])`. */
export function compileToRediSearch(filter: Filter): string {
  if ('and' in filter) return `(${filter.and.map(compileToRediSearch).join(' ')})`;
  if ('or' in filter) return `(${filter.or.map(compileToRediSearch).join(' | ')})`;
  if ('not' in filter) return `(-${compileToRediSearch(filter.not)})`;
  if ('in' in filter) return `@${tagField(filter.field)}:{${filter.in.map(encodeTag).join(' | ')}}`;
  if ('eq' in filter && typeof filter.eq === 'string') return `@${tagField(filter.field)}:{${encodeTag(filter.eq)}}`;
  const r = 'eq' in filter ? { min: filter.eq as number, minInclusive: true, max: filter.eq as number, maxInclusive: true } : rangeOf(filter);
  const lo = `${r.minInclusive || r.min === -Infinity ? '' : '('}${formatNumber(r.min)}`;
  const hi = `${r.maxInclusive || r.max === Infinity ? '' : '('}${formatNumber(r.max)}`;
  return `@${numField(filter.field)}:[${lo} ${hi}]`;
}

// ——— Vector sets ———

/** A filter as a vector-set FILTER expression, e.g. `("656e" in .t_lang and .h_year == 1 and .n_year >= 2020)`. */
export function compileToVectorSet(filter: Filter): string {
  if ('and' in filter) return `(${filter.and.map(compileToVectorSet).join(' and ')})`;
  if ('or' in filter) return `(${filter.or.map(compileToVectorSet).join(' or ')})`;
  if ('not' in filter) return `(not ${compileToVectorSet(filter.not)})`;
  if ('in' in filter) return `(${filter.in.map((v) => `"${encodeTag(v)}" in .${tagField(filter.field)}`).join(' or ')})`;
  if ('eq' in filter && typeof filter.eq === 'string') return `("${encodeTag(filter.eq)}" in .${tagField(filter.field)})`;
  const r = 'eq' in filter ? { min: filter.eq as number, minInclusive: true, max: filter.eq as number, maxInclusive: true } : rangeOf(filter);
  const parts = [`.${hasField(filter.field)} == 1`];
  if (r.min !== -Infinity) parts.push(`.${numField(filter.field)} ${r.minInclusive ? '>=' : '>'} ${formatNumber(r.min)}`);
  if (r.max !== Infinity) parts.push(`.${numField(filter.field)} ${r.maxInclusive ? '<=' : '<'} ${formatNumber(r.max)}`);
  return `(${parts.join(' and ')})`;
}

// ——— In process (flat engine) ———

/** What a filter reads from one item: its tag values and numbers, by field. */
export interface FilterableValues {
  tags: Record<string, readonly string[]>;
  numbers: Record<string, number>;
}

/** A filter as a predicate over an item's values. */
export function compileToPredicate(filter: Filter): (values: FilterableValues) => boolean {
  if ('and' in filter) {
    const parts = filter.and.map(compileToPredicate);
    return (v) => parts.every((p) => p(v));
  }
  if ('or' in filter) {
    const parts = filter.or.map(compileToPredicate);
    return (v) => parts.some((p) => p(v));
  }
  if ('not' in filter) {
    const inner = compileToPredicate(filter.not);
    return (v) => !inner(v);
  }
  if ('in' in filter || ('eq' in filter && typeof filter.eq === 'string')) {
    const wanted = new Set('in' in filter ? filter.in : [filter.eq as string]);
    const field = filter.field;
    return (v) => (v.tags[field] ?? []).some((t) => wanted.has(t));
  }
  const r = 'eq' in filter ? { min: filter.eq as number, minInclusive: true, max: filter.eq as number, maxInclusive: true } : rangeOf(filter);
  const field = filter.field;
  return (v) => {
    const n = v.numbers[field];
    if (n === undefined) return false;
    return (r.minInclusive ? n >= r.min : n > r.min) && (r.maxInclusive ? n <= r.max : n < r.max);
  };
}
