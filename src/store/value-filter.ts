// The document store's filter on stored values, LangGraph's language: `{ field: value }` (strict
// equality) or `{ field: { $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin } }`, every condition ANDed.
// It runs in process over documents read from Redis, so it may name any field; never a query string.
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.js';
import { parseInput } from '../validate.js';

const OPERATORS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin'] as const;
type Operator = (typeof OPERATORS)[number];

/** A filter on a document's value: field → value, or field → operators. */
export type ValueFilter = Record<string, unknown>;

export const ValueFilterSchema = z.record(z.string().min(1, 'a filter field must not be empty'), z.unknown());

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The value of `field` in a document: its top-level property, or, when there is no such property
 * and the name has dots, the nested one (`'author.name'`).
 */
export function fieldValue(value: Record<string, unknown>, field: string): unknown {
  if (Object.hasOwn(value, field) || !field.includes('.')) return value[field];
  let current: unknown = value;
  for (const part of field.split('.')) {
    if (!isPlainObject(current) || !Object.hasOwn(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

function test(op: Operator, actual: unknown, wanted: unknown): boolean {
  switch (op) {
    case '$eq':
      return actual === wanted;
    case '$ne':
      return actual !== wanted;
    // Compared as numbers, as LangGraph's reference store does: a missing field never matches.
    case '$gt':
      return Number(actual) > Number(wanted);
    case '$gte':
      return Number(actual) >= Number(wanted);
    case '$lt':
      return Number(actual) < Number(wanted);
    case '$lte':
      return Number(actual) <= Number(wanted);
    case '$in':
      return (wanted as unknown[]).includes(actual);
    case '$nin':
      return !(wanted as unknown[]).includes(actual);
  }
}

/**
 * Validates a filter and compiles it to a predicate over a document's value. An object whose keys
 * all start with `$` is a set of operators (an unknown one is an InvalidArgumentError); any other
 * value is compared with strict equality, so an object or array value never matches.
 */
export function compileValueFilter(input: unknown): (value: Record<string, unknown>) => boolean {
  const filter = parseInput(ValueFilterSchema, input, 'filter');
  const checks: ((value: Record<string, unknown>) => boolean)[] = [];
  for (const [field, condition] of Object.entries(filter)) {
    const operators = isPlainObject(condition) ? Object.keys(condition) : null;
    // `{}` is an empty set of operators: no condition (as in LangGraph's reference store).
    if (operators && (operators.length === 0 || operators.some((k) => k.startsWith('$')))) {
      for (const op of operators) {
        if (!(OPERATORS as readonly string[]).includes(op)) {
          throw new InvalidArgumentError('filter', [{ path: `${field}.${op}`, message: `unknown operator (use ${OPERATORS.join(', ')})` }]);
        }
        const wanted = (condition as Record<string, unknown>)[op];
        if ((op === '$in' || op === '$nin') && !Array.isArray(wanted)) {
          throw new InvalidArgumentError('filter', [{ path: `${field}.${op}`, message: 'needs an array' }]);
        }
        checks.push((value) => test(op as Operator, fieldValue(value, field), wanted));
      }
    } else {
      checks.push((value) => fieldValue(value, field) === condition);
    }
  }
  return (value) => checks.every((check) => check(value));
}
