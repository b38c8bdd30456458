// LangGraph's Mongo-style store filter translated into the library's Filter (exact output, table-
// driven), and the translation evaluated on documents against LangGraph's own reference semantics
// (compareValues of @langchain/langgraph-checkpoint's InMemoryStore), case by case.
import { describe, expect, it } from 'vitest';
import { fromLangGraphFilter } from '../../../adapters/langgraph/filter.js';
import { InvalidArgumentError } from '../../../src/errors.js';
import { compileToPredicate, documentFieldValues, parseFilter, type Filter } from '../../../src/vector/filter.js';

describe('fromLangGraphFilter (exact output)', () => {
  it.each<[string, Record<string, unknown>, Filter | undefined]>([
    ['no condition', {}, undefined],
    ['an empty set of operators is no condition', { n: {} }, undefined],
    ['a value is strict equality', { kind: 'fact' }, { field: 'kind', eq: 'fact' }],
    [
      'booleans and null too',
      { rare: true, owner: null },
      {
        and: [
          { field: 'rare', eq: true },
          { field: 'owner', eq: null },
        ],
      },
    ],
    [
      '$eq and $ne',
      { n: { $eq: 3 }, k: { $ne: 'x' } },
      {
        and: [
          { field: 'n', eq: 3 },
          { field: 'k', ne: 'x' },
        ],
      },
    ],
    ['range operators of one field are one range', { n: { $gt: 1, $lte: 4 } }, { field: 'n', gt: 1, lte: 4 }],
    ['a range bound given as numeric text', { n: { $gte: '2.5' } }, { field: 'n', gte: 2.5 }],
    [
      '$in and $nin',
      { k: { $in: ['a', 1] }, j: { $nin: [] } },
      {
        and: [
          { field: 'k', in: ['a', 1] },
          { field: 'j', nin: [] },
        ],
      },
    ],
    [
      'a range beside an equality on the same field',
      { n: { $ne: 3, $lt: 5 } },
      {
        and: [
          { field: 'n', ne: 3 },
          { field: 'n', lt: 5 },
        ],
      },
    ],
    ['dotted paths pass through', { 'author.name': 'Ann' }, { field: 'author.name', eq: 'Ann' }],
  ])('%s', (_, input, expected) => {
    const filter = fromLangGraphFilter(input);
    expect(filter).toEqual(expected);
    if (filter) expect(parseFilter(filter, 'any-path')).toEqual(filter);
  });

  it.each<[string, unknown, string]>([
    [
      'an unknown operator',
      { n: { $regex: '.*' } },
      'Invalid filter: n.$regex: unknown operator (use $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin)',
    ],
    ['an unknown operator beside known ones', { n: { $gt: 1, foo: 2 } }, 'Invalid filter: n.foo: unknown operator'],
    ['$in without an array', { n: { $in: 'x' } }, 'Invalid filter: n.$in: needs an array'],
    ['a range bound that is no number', { n: { $gt: 'soon' } }, 'Invalid filter: n.$gt: needs a number'],
    [
      'an object value (compared by identity, it never matches)',
      { obj: { x: 1 } },
      'Invalid filter: obj: an object or array is compared by identity',
    ],
    ['an array value', { tags: ['a'] }, 'Invalid filter: tags: an object or array is compared by identity'],
    ['an object inside $in', { k: { $in: [{ a: 1 }] } }, 'Invalid filter: k.$in.0: an object or array'],
    ['NaN', { n: { $eq: Number.NaN } }, 'Invalid filter: n.$eq: NaN is not a number a document can hold'],
    ['an empty field', { '': 1 }, 'Invalid filter: a filter field must not be empty'],
    ['a filter that is no object', [1], 'Invalid filter: must be an object'],
  ])('refuses %s', (_, input, message) => {
    expect(() => fromLangGraphFilter(input)).toThrow(InvalidArgumentError);
    expect(() => fromLangGraphFilter(input)).toThrow(message);
  });
});

/** LangGraph's reference semantics (compareValues in @langchain/langgraph-checkpoint/dist/store/utils.js), top-level fields. */
function reference(value: Record<string, unknown>, filter: Record<string, unknown>): boolean {
  const ops = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin'];
  return Object.entries(filter).every(([key, wanted]) => {
    const actual = value[key];
    if (typeof wanted === 'object' && wanted !== null && Object.keys(wanted).every((k) => ops.includes(k))) {
      return Object.entries(wanted).every(([op, w]) => {
        switch (op) {
          case '$eq':
            return actual === w;
          case '$ne':
            return actual !== w;
          case '$gt':
            return Number(actual) > Number(w);
          case '$gte':
            return Number(actual) >= Number(w);
          case '$lt':
            return Number(actual) < Number(w);
          case '$lte':
            return Number(actual) <= Number(w);
          case '$in':
            return (w as unknown[]).includes(actual);
          default:
            return !(w as unknown[]).includes(actual);
        }
      });
    }
    return actual === wanted;
  });
}

describe('the translated filter answers as LangGraph’s reference store', () => {
  const documents: Record<string, unknown>[] = [
    {},
    { n: 3 },
    { n: '3' },
    { n: 5 },
    { n: null },
    { n: true },
    { kind: 'fact' },
    { kind: 'Fact', n: 1 },
    { kind: null },
    { k: 'a' },
    { k: 'b', n: 4.5 },
    { tags: ['a'] },
  ];
  const filters: Record<string, unknown>[] = [
    { kind: 'fact' },
    { kind: null },
    { n: 3 },
    { n: { $eq: 3 } },
    { n: { $ne: 3 } },
    { kind: { $ne: 'fact' } },
    { n: { $gt: 1, $lte: 4 } },
    { n: { $gte: 0 } },
    { n: { $lt: '4' } },
    { k: { $in: ['a', 'c'] } },
    { k: { $nin: ['a'] } },
    { k: { $in: [] } },
    { k: { $nin: [] } },
    { n: {} },
    { kind: { $ne: 'fact' }, n: { $lt: 5 } },
  ];
  for (const filter of filters) {
    it(JSON.stringify(filter), () => {
      const translated = fromLangGraphFilter(filter);
      const keep = translated ? compileToPredicate(translated, documentFieldValues) : () => true;
      expect(documents.map((d) => keep(d))).toEqual(documents.map((d) => reference(d, filter)));
    });
  }
});
