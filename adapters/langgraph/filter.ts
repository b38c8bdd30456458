// LangGraph's store filter (Mongo-style: `{ field: value }` or `{ field: { $eq, $ne, $gt, $gte, $lt,
// $lte, $in, $nin } }`, every condition ANDed) translated into the library's one Filter, which the
// document store evaluates in process. Pure: it never evaluates a filter and never touches Redis.
import { InvalidArgumentError } from '../../src/index.js';
import type { Filter, FilterValue } from '../../src/entries/memory.js';

const OPERATORS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin'] as const;
type Operator = (typeof OPERATORS)[number];
const RANGE = { $gt: 'gt', $gte: 'gte', $lt: 'lt', $lte: 'lte' } as const;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const refuse = (path: string, message: string): never => {
  throw new InvalidArgumentError('filter', [{ path, message }]);
};

/**
 * A value LangGraph compares with `===`. An object or array would be compared by identity, so it
 * could never match: that is refused rather than answered with nothing.
 */
function scalar(value: unknown, path: string): FilterValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : refuse(path, `${value} is not a number a document can hold`);
  if (typeof value === 'object')
    return refuse(
      path,
      "an object or array is compared by identity and never matches: filter on a nested field with a dotted path ('author.name') instead",
    );
  return refuse(path, `a ${typeof value} is not a JSON value`);
}

/** A range bound: LangGraph reads it with Number(); what is not a number (or numeric text) is refused. */
function bound(value: unknown, path: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : refuse(path, 'needs a number');
}

/**
 * LangGraph's filter as the library's Filter, or undefined when it has no condition (`{}`, or only
 * empty operator sets, as in LangGraph's reference store). An object whose keys all start with `$`
 * is a set of operators (an unknown one is an InvalidArgumentError); any other value is compared
 * with strict equality. Several range operators on one field become one range.
 *
 * @example fromLangGraphFilter({ kind: 'fact', n: { $gt: 1, $lte: 4 } }) // { and: [{ field: 'kind', eq: 'fact' }, { field: 'n', gt: 1, lte: 4 }] }
 */
export function fromLangGraphFilter(input: unknown): Filter | undefined {
  if (!isPlainObject(input)) return refuse('', 'must be an object of field → value or operators');
  const conditions: Filter[] = [];
  for (const [field, condition] of Object.entries(input)) {
    if (field === '') refuse('', 'a filter field must not be empty');
    const operators = isPlainObject(condition) ? Object.keys(condition) : null;
    if (!operators || (operators.length > 0 && !operators.some((k) => k.startsWith('$')))) {
      conditions.push({ field, eq: scalar(condition, field) });
      continue;
    }
    const range: { gt?: number; gte?: number; lt?: number; lte?: number } = {};
    for (const op of operators) {
      const path = `${field}.${op}`;
      if (!(OPERATORS as readonly string[]).includes(op)) refuse(path, `unknown operator (use ${OPERATORS.join(', ')})`);
      const wanted = (condition as Record<string, unknown>)[op];
      switch (op as Operator) {
        case '$eq':
          conditions.push({ field, eq: scalar(wanted, path) });
          break;
        case '$ne':
          conditions.push({ field, ne: scalar(wanted, path) });
          break;
        case '$in':
        case '$nin': {
          if (!Array.isArray(wanted)) refuse(path, 'needs an array');
          const values = (wanted as unknown[]).map((v, i) => scalar(v, `${path}.${i}`));
          conditions.push(op === '$in' ? { field, in: values } : { field, nin: values });
          break;
        }
        default:
          range[RANGE[op as keyof typeof RANGE]] = bound(wanted, path);
      }
    }
    if (Object.keys(range).length > 0) conditions.push({ field, ...range });
  }
  if (conditions.length === 0) return undefined;
  return conditions.length === 1 ? conditions[0] : { and: conditions };
}
