// The one filter language of the library: a small typed AST, one parser that checks it against
// what its target can answer (an index's declared fields, or any field path of a JSON value), and
// three compilers: RediSearch query syntax, vector-set FILTER expressions, and one in-process
// predicate (flat engine and document store alike). No user string ever reaches a query as text:
// tag values are compared hex-encoded (0-9a-f), numbers are printed without exponents, field names
// are checked against a strict pattern. A comparison on a missing field is false everywhere, and
// `not` (so `ne`, `nin`) inverts it.
import { z } from 'zod';
import { InvalidArgumentError, type InputIssue } from '../errors.js';
import { parseInput } from '../validate.js';

/** A field name usable in every engine's query language. */
export const FieldNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must start with a letter and hold only letters, digits and _ (at most 64)');

export type FieldKind = 'tag' | 'numeric';
/** The filterable fields of an index: name → kind. */
export type FieldSchema = Record<string, FieldKind>;

/**
 * What a filter is checked against by {@link parseFilter}: a vector index's declared fields (tag
 * strings and numbers only), or `'any-path'`, for filters evaluated in process over JSON values
 * (the document store): any field path (`author.name`), and booleans and null as values too.
 */
export type FilterTarget = FieldSchema | 'any-path';

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

const Finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** A value a condition compares with: vector indexes take strings (tags) and numbers; in process also booleans and null. */
export type FilterValue = string | number | boolean | null;
const ValueSchema = z.union([z.string(), Finite, z.boolean(), z.null()]);
const ValuesSchema = z.array(ValueSchema).max(1000);

export type Filter =
  | { field: string; eq: FilterValue }
  | { field: string; ne: FilterValue }
  | { field: string; in: FilterValue[] }
  | { field: string; nin: FilterValue[] }
  | { field: string; gt?: number; gte?: number; lt?: number; lte?: number }
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter };

const FieldPathSchema = z.string().min(1, 'a filter field must not be empty').max(1024);

/**
 * The shape of every filter, on every target (what a target allows is checked by parseFilter):
 * `{ field, eq | ne: value }`, `{ field, in | nin: [values] }`, `{ field, gt?, gte?, lt?, lte? }`,
 * `{ and: [...] }`, `{ or: [...] }`, `{ not: ... }`.
 */
export const FilterSchema: z.ZodType<Filter> = z.lazy(() =>
  z.union([
    z.object({ field: FieldPathSchema, eq: ValueSchema }).strict(),
    z.object({ field: FieldPathSchema, ne: ValueSchema }).strict(),
    z.object({ field: FieldPathSchema, in: ValuesSchema }).strict(),
    z.object({ field: FieldPathSchema, nin: ValuesSchema }).strict(),
    z
      .object({ field: FieldPathSchema, gt: Finite.optional(), gte: Finite.optional(), lt: Finite.optional(), lte: Finite.optional() })
      .strict()
      .refine(
        (r) => r.gt !== undefined || r.gte !== undefined || r.lt !== undefined || r.lte !== undefined,
        'a range needs gt, gte, lt or lte',
      ),
    z.object({ and: z.array(FilterSchema).min(1).max(100) }).strict(),
    z.object({ or: z.array(FilterSchema).min(1).max(100) }).strict(),
    z.object({ not: FilterSchema }).strict(),
  ]),
) as z.ZodType<Filter>;

type Comparison = Exclude<Filter, { and: Filter[] } | { or: Filter[] } | { not: Filter }>;
type Range = Extract<Comparison, { gt?: number }>;

/** The operator of a comparison, as the AST spells it. */
function operatorOf(f: Comparison): 'eq' | 'ne' | 'in' | 'nin' | 'range' {
  return 'eq' in f ? 'eq' : 'ne' in f ? 'ne' : 'in' in f ? 'in' : 'nin' in f ? 'nin' : 'range';
}

/** The values a comparison names (none for a range). */
function valuesAsked(f: Comparison): FilterValue[] {
  if ('eq' in f) return [f.eq];
  if ('ne' in f) return [f.ne];
  if ('in' in f) return f.in;
  if ('nin' in f) return f.nin;
  return [];
}

const kindOfValue = (v: FilterValue): string => (v === null ? 'null' : typeof v);

/** Why a comparison cannot be asked of an index with these fields; [] when it can. */
function vectorIssues(f: Comparison, fields: FieldSchema, path: string): InputIssue[] {
  const name = FieldNameSchema.safeParse(f.field);
  if (!name.success) return [{ path: `${path}field`, message: name.error.issues[0]!.message }];
  const kind = fields[f.field];
  if (!kind)
    return [
      {
        path: `${path}field`,
        message: `${f.field} is not a filterable field of this index (declared: ${Object.keys(fields).join(', ') || 'none'})`,
      },
    ];
  const op = operatorOf(f);
  if (op === 'range')
    return kind === 'numeric'
      ? []
      : [{ path: `${path}field`, message: `${f.field} is a ${kind} field; this condition needs a numeric field` }];
  const values = valuesAsked(f);
  if (values.length === 0) return [{ path: `${path}${op}`, message: `${op} needs at least one value on a vector index` }];
  const issues: InputIssue[] = [];
  values.forEach((value, i) => {
    const at = op === 'eq' || op === 'ne' ? `${path}${op}` : `${path}${op}.${i}`;
    if (typeof value !== 'string' && typeof value !== 'number') {
      issues.push({
        path: at,
        message: `${op} with a ${kindOfValue(value)} value is not supported by a vector index (its fields hold tag strings and numbers); booleans and null are for filters evaluated in process (the document store)`,
      });
      return;
    }
    const wants: FieldKind = typeof value === 'string' ? 'tag' : 'numeric';
    if (kind !== wants) {
      issues.push({ path: `${path}field`, message: `${f.field} is a ${kind} field; this condition needs a ${wants} field` });
      return;
    }
    const problem = typeof value === 'string' ? tagValueProblem(value) : null;
    if (problem) issues.push({ path: at, message: problem });
  });
  return issues.slice(0, 1);
}

/**
 * Validates a filter and checks it against its target: for a vector index, every field must be
 * declared, with a condition of its kind (tag: string values; numeric: numbers and ranges); for
 * `'any-path'`, any field path and any value goes. What the target cannot answer is an
 * InvalidArgumentError naming the condition.
 *
 * @example parseFilter({ and: [{ field: 'lang', eq: 'en' }, { field: 'year', gte: 2020 }] }, { lang: 'tag', year: 'numeric' })
 */
export function parseFilter(input: unknown, target: FilterTarget): Filter {
  const filter = parseInput(FilterSchema, input, 'filter');
  if (target === 'any-path') return filter;
  const check = (f: Filter, path: string): void => {
    if ('and' in f) for (const [i, g] of f.and.entries()) check(g, `${path}and.${i}.`);
    else if ('or' in f) for (const [i, g] of f.or.entries()) check(g, `${path}or.${i}.`);
    else if ('not' in f) check(f.not, `${path}not.`);
    else {
      const issues = vectorIssues(f, target, path);
      if (issues.length > 0) throw new InvalidArgumentError('filter', issues);
    }
  };
  check(filter, '');
  return filter;
}

/** A numeric condition as bounds; `eq` on a number is the range [n, n]. */
interface Bounds {
  min: number;
  minInclusive: boolean;
  max: number;
  maxInclusive: boolean;
}

function boundsOf(f: Range): Bounds {
  const lower =
    f.gte !== undefined && (f.gt === undefined || f.gte > f.gt)
      ? { v: f.gte, inc: true }
      : f.gt !== undefined
        ? { v: f.gt, inc: false }
        : { v: -Infinity, inc: true };
  const upper =
    f.lte !== undefined && (f.lt === undefined || f.lte < f.lt)
      ? { v: f.lte, inc: true }
      : f.lt !== undefined
        ? { v: f.lt, inc: false }
        : { v: Infinity, inc: true };
  return { min: lower.v, minInclusive: lower.inc, max: upper.v, maxInclusive: upper.inc };
}

const exactly = (n: number): Bounds => ({ min: n, minInclusive: true, max: n, maxInclusive: true });

/**
 * The values of a parsed vector-index condition: all tag strings or all numbers (parseFilter
 * refused the rest). Anything else is refused here too, so that nothing but hex and printed
 * numbers can reach a query.
 */
function indexValues(values: readonly FilterValue[]): { tags: readonly string[] } | { numbers: readonly number[] } {
  if (values.length > 0 && values.every((v): v is string => typeof v === 'string')) return { tags: values };
  if (values.length > 0 && values.every((v): v is number => typeof v === 'number' && Number.isFinite(v))) return { numbers: values };
  throw new InvalidArgumentError('filter', [
    {
      path: '',
      message: "a vector index compares tag strings or numbers, at least one: parse the filter against the index's fields first",
    },
  ]);
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

function rediSearchRange(field: string, r: Bounds): string {
  const lo = `${r.minInclusive || r.min === -Infinity ? '' : '('}${formatNumber(r.min)}`;
  const hi = `${r.maxInclusive || r.max === Infinity ? '' : '('}${formatNumber(r.max)}`;
  return `@${numField(field)}:[${lo} ${hi}]`;
}

/** Any of `values` (all tags or all numbers, as parseFilter checked) in RediSearch syntax. */
function rediSearchAnyOf(field: string, values: readonly FilterValue[]): string {
  const checked = indexValues(values);
  if ('tags' in checked) return `@${tagField(field)}:{${checked.tags.map(encodeTag).join(' | ')}}`;
  const ranges = checked.numbers.map((n) => rediSearchRange(field, exactly(n)));
  return ranges.length === 1 ? ranges[0]! : `(${ranges.join(' | ')})`;
}

/** A filter as RediSearch query syntax (DIALECT 2), e.g. `(@t_lang:{656e} @n_year:[2020 +inf])`. */
export function compileToRediSearch(filter: Filter): string {
  if ('and' in filter) return `(${filter.and.map(compileToRediSearch).join(' ')})`;
  if ('or' in filter) return `(${filter.or.map(compileToRediSearch).join(' | ')})`;
  if ('not' in filter) return `(-${compileToRediSearch(filter.not)})`;
  if ('eq' in filter) return rediSearchAnyOf(filter.field, [filter.eq]);
  if ('in' in filter) return rediSearchAnyOf(filter.field, filter.in);
  if ('ne' in filter) return `(-${rediSearchAnyOf(filter.field, [filter.ne])})`;
  if ('nin' in filter) return `(-${rediSearchAnyOf(filter.field, filter.nin)})`;
  return rediSearchRange(filter.field, boundsOf(filter));
}

// ——— Vector sets ———

function vectorSetRange(field: string, r: Bounds): string {
  const parts = [`.${hasField(field)} == 1`];
  if (r.min !== -Infinity) parts.push(`.${numField(field)} ${r.minInclusive ? '>=' : '>'} ${formatNumber(r.min)}`);
  if (r.max !== Infinity) parts.push(`.${numField(field)} ${r.maxInclusive ? '<=' : '<'} ${formatNumber(r.max)}`);
  return `(${parts.join(' and ')})`;
}

function vectorSetAnyOf(field: string, values: readonly FilterValue[]): string {
  const checked = indexValues(values);
  if ('tags' in checked) return `(${checked.tags.map((v) => `"${encodeTag(v)}" in .${tagField(field)}`).join(' or ')})`;
  const ranges = checked.numbers.map((n) => vectorSetRange(field, exactly(n)));
  return ranges.length === 1 ? ranges[0]! : `(${ranges.join(' or ')})`;
}

/** A filter as a vector-set FILTER expression, e.g. `("656e" in .t_lang and .h_year == 1 and .n_year >= 2020)`. */
export function compileToVectorSet(filter: Filter): string {
  if ('and' in filter) return `(${filter.and.map(compileToVectorSet).join(' and ')})`;
  if ('or' in filter) return `(${filter.or.map(compileToVectorSet).join(' or ')})`;
  if ('not' in filter) return `(not ${compileToVectorSet(filter.not)})`;
  if ('eq' in filter) return vectorSetAnyOf(filter.field, [filter.eq]);
  if ('in' in filter) return vectorSetAnyOf(filter.field, filter.in);
  if ('ne' in filter) return `(not ${vectorSetAnyOf(filter.field, [filter.ne])})`;
  if ('nin' in filter) return `(not ${vectorSetAnyOf(filter.field, filter.nin)})`;
  return vectorSetRange(filter.field, boundsOf(filter));
}

// ——— In process (flat engine, document store) ———

/** The values of `field` in `item`: none when it is missing, several for a multi-valued tag. */
export type FieldValuesOf<T> = (item: T, field: string) => readonly unknown[];

/** What a filter reads from one vector item: its tag values and numbers, by field. */
export interface FilterableValues {
  tags: Record<string, readonly string[]>;
  numbers: Record<string, number>;
}

/** The field accessor of vector items (flat engine): a tag field's values, or a numeric field's number. */
export const itemFieldValues: FieldValuesOf<FilterableValues> = (item, field) => {
  if (Object.hasOwn(item.tags, field)) return item.tags[field]!;
  return Object.hasOwn(item.numbers, field) ? [item.numbers[field]] : [];
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The field accessor of JSON documents (document store): the value's own property `field`, or,
 * when it has none and the name has dots, the nested one (`'author.name'`). An array is one value
 * (compared as a whole, as LangGraph's reference store does), never its elements.
 */
export const documentFieldValues: FieldValuesOf<Record<string, unknown>> = (value, field) => {
  if (Object.hasOwn(value, field)) return value[field] === undefined ? [] : [value[field]];
  if (!field.includes('.')) return [];
  let current: unknown = value;
  for (const part of field.split('.')) {
    if (!isPlainObject(current) || !Object.hasOwn(current, part)) return [];
    current = current[part];
  }
  return current === undefined ? [] : [current];
};

/**
 * A filter as a predicate, evaluated in process: `eq` / `in` match when a value of the field is
 * strictly equal to one asked for; ranges compare values as numbers (Number(), as LangGraph's
 * reference store does; what is not a number never matches); `ne`, `nin` and `not` invert. The
 * accessor says how an item holds its fields: vector items (the default) or JSON documents.
 *
 * @example compileToPredicate({ field: 'author.name', ne: 'Ann' }, documentFieldValues)({ author: { name: 'Bob' } }) // true
 */
export function compileToPredicate(filter: Filter): (values: FilterableValues) => boolean;
export function compileToPredicate<T>(filter: Filter, fieldValues: FieldValuesOf<T>): (item: T) => boolean;
export function compileToPredicate(
  filter: Filter,
  fieldValues: FieldValuesOf<unknown> = itemFieldValues as FieldValuesOf<unknown>,
): (item: unknown) => boolean {
  const compile = (f: Filter): ((item: unknown) => boolean) => {
    if ('and' in f) {
      const parts = f.and.map(compile);
      return (item) => parts.every((p) => p(item));
    }
    if ('or' in f) {
      const parts = f.or.map(compile);
      return (item) => parts.some((p) => p(item));
    }
    if ('not' in f) {
      const inner = compile(f.not);
      return (item) => !inner(item);
    }
    const field = f.field;
    const op = operatorOf(f);
    if (op !== 'range') {
      const wanted = valuesAsked(f);
      const anyOf = (item: unknown) => fieldValues(item, field).some((v) => wanted.some((w) => v === w));
      return op === 'eq' || op === 'in' ? anyOf : (item) => !anyOf(item);
    }
    const r = boundsOf(f as Range);
    return (item) =>
      fieldValues(item, field).some((v) => {
        const n = Number(v);
        return (r.minInclusive ? n >= r.min : n > r.min) && (r.maxInclusive ? n <= r.max : n < r.max);
      });
  };
  return compile(filter);
}
