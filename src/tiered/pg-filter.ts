// The library's filter language (src/vector/filter.ts) compiled to a parameterized PostgreSQL
// condition, and the one place that quotes SQL identifiers. Pure. It must never put a value into
// SQL text: every value is a bound parameter ($n); only validated, double-quoted identifiers are text.
import { InvalidArgumentError } from '../errors.js';
import { type FieldSchema, type Filter, type FilterValue, parseFilter } from '../vector/filter.js';

/** The longest PostgreSQL identifier (NAMEDATALEN - 1 bytes); a longer one would be cut silently. */
export const MAX_IDENTIFIER_LENGTH = 63;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why a name cannot be a SQL identifier here; null when it can. */
export function identifierProblem(name: string): string | null {
  if (!IDENTIFIER.test(name)) return 'must start with a letter or _ and hold only letters, digits and _';
  return name.length > MAX_IDENTIFIER_LENGTH ? `must be at most ${MAX_IDENTIFIER_LENGTH} characters (PostgreSQL cuts longer names)` : null;
}

/**
 * A checked identifier, double-quoted (so its case is kept and no keyword clashes). Anything but
 * letters, digits and `_` is refused, so nothing can close the quotes.
 *
 * @example quoteIdentifier('am_items') // '"am_items"'
 */
export function quoteIdentifier(name: string): string {
  const problem = identifierProblem(name);
  if (problem) throw new InvalidArgumentError('SQL identifier', [{ path: '', message: `${JSON.stringify(name)} ${problem}` }]);
  return `"${name}"`;
}

/** A condition and the values it binds, numbered from the `firstParam` it was compiled with. */
export interface SqlCondition {
  sql: string;
  params: unknown[];
}

/** PostgreSQL text cannot hold U+0000, so no stored tag holds it: such a value matches nothing. */
const storableTags = (values: readonly string[]): string[] => values.filter((v) => !v.includes('\u0000'));

/**
 * A filter as a PostgreSQL condition over one column per declared field (tag → `text[]`, numeric
 * → `double precision`), with the in-process predicate's meaning: a comparison on a missing field
 * (NULL column, empty array) is false, and `not`, `ne`, `nin` invert it (so they are true there).
 *
 * Negations are pushed down to the comparisons: a comparison asked positively stays bare (`"lang"
 * && $1::text[]`, which a GIN or btree index answers; a NULL there rejects the row as false would,
 * since AND and OR are monotone), and one asked negatively is `NOT COALESCE(…, false)`, so that a
 * missing field counts as false before it is inverted. The filter is checked with parseFilter
 * against `fields` first (same checks and messages as the vector engines): an InvalidArgumentError
 * before any SQL exists.
 *
 * @example compileFilterToSql({ field: 'lang', ne: 'en' }, { lang: 'tag' }, 2) // { sql: 'NOT COALESCE("lang" && $2::text[], false)', params: [['en']] }
 */
export function compileFilterToSql(filter: unknown, fields: FieldSchema, firstParam = 1): SqlCondition {
  const parsed = parseFilter(filter, fields);
  const params: unknown[] = [];
  const bind = (value: unknown, cast: string): string => {
    params.push(value);
    return `$${firstParam + params.length - 1}::${cast}`;
  };

  /** A comparison asked positively; NULL when the field is missing. */
  const comparison = (f: Exclude<Filter, { and: Filter[] } | { or: Filter[] } | { not: Filter }>): string => {
    const column = quoteIdentifier(f.field);
    const values: readonly FilterValue[] | null = 'eq' in f ? [f.eq] : 'ne' in f ? [f.ne] : 'in' in f ? f.in : 'nin' in f ? f.nin : null;
    if (values === null) {
      const r = f as { gt?: number; gte?: number; lt?: number; lte?: number };
      // Every bound as given: the tighter of gt/gte (lt/lte) wins by itself, as boundsOf decides in process.
      const parts: string[] = [];
      if (r.gt !== undefined) parts.push(`${column} > ${bind(r.gt, 'double precision')}`);
      if (r.gte !== undefined) parts.push(`${column} >= ${bind(r.gte, 'double precision')}`);
      if (r.lt !== undefined) parts.push(`${column} < ${bind(r.lt, 'double precision')}`);
      if (r.lte !== undefined) parts.push(`${column} <= ${bind(r.lte, 'double precision')}`);
      return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
    }
    if (fields[f.field] === 'tag') {
      // parseFilter let only strings through for a tag field.
      return `${column} && ${bind(storableTags(values as readonly string[]), 'text[]')}`;
    }
    const numbers = values as readonly number[];
    return numbers.length === 1
      ? `${column} = ${bind(numbers[0], 'double precision')}`
      : `${column} = ANY(${bind([...numbers], 'double precision[]')})`;
  };

  const compile = (f: Filter, negated: boolean): string => {
    if ('and' in f || 'or' in f) {
      const conjunction = 'and' in f !== negated; // De Morgan: not (a and b) = (not a or not b)
      const parts = ('and' in f ? f.and : f.or).map((g) => compile(g, negated));
      return parts.length === 1 ? parts[0]! : `(${parts.join(conjunction ? ' AND ' : ' OR ')})`;
    }
    if ('not' in f) return compile(f.not, !negated);
    const inverted = ('ne' in f || 'nin' in f) !== negated;
    const positive = comparison(f);
    return inverted ? `NOT COALESCE(${positive}, false)` : positive;
  };

  return { sql: compile(parsed, false), params };
}
