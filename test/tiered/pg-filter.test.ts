// The filter language compiled to PostgreSQL: exact SQL text and bound values per operator,
// table-driven, and proof that no value, however hostile, ever reaches the SQL text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { compileFilterToSql, identifierProblem, quoteIdentifier } from '../../src/tiered/pg-filter.js';
import type { Filter } from '../../src/vector/filter.js';

const FIELDS = { lang: 'tag', year: 'numeric', Tenant: 'tag' } as const;

describe('compileFilterToSql (exact output)', () => {
  it.each<[string, Filter, string, unknown[]]>([
    ['tag', { field: 'lang', eq: 'en' }, '"lang" && $1::text[]', [['en']]],
    ['any-of', { field: 'lang', in: ['en', 'fr'] }, '"lang" && $1::text[]', [['en', 'fr']]],
    ['tag not equal', { field: 'lang', ne: 'en' }, 'NOT COALESCE("lang" && $1::text[], false)', [['en']]],
    ['none-of', { field: 'lang', nin: ['en', 'fr'] }, 'NOT COALESCE("lang" && $1::text[], false)', [['en', 'fr']]],
    ['case kept', { field: 'Tenant', eq: 'acme' }, '"Tenant" && $1::text[]', [['acme']]],
    ['number', { field: 'year', eq: 2020 }, '"year" = $1::double precision', [2020]],
    ['numbers', { field: 'year', in: [1, 2.5] }, '"year" = ANY($1::double precision[])', [[1, 2.5]]],
    ['number not equal', { field: 'year', ne: 3 }, 'NOT COALESCE("year" = $1::double precision, false)', [3]],
    ['numbers none-of', { field: 'year', nin: [3, 4] }, 'NOT COALESCE("year" = ANY($1::double precision[]), false)', [[3, 4]]],
    ['open range', { field: 'year', gt: -1.5 }, '"year" > $1::double precision', [-1.5]],
    ['range', { field: 'year', gte: 2020, lt: 2025 }, '("year" >= $1::double precision AND "year" < $2::double precision)', [2020, 2025]],
    [
      'every bound (the tighter wins by itself)',
      { field: 'year', gt: 1, gte: 2, lt: 9, lte: 9 },
      '("year" > $1::double precision AND "year" >= $2::double precision AND "year" < $3::double precision AND "year" <= $4::double precision)',
      [1, 2, 9, 9],
    ],
    [
      'and',
      {
        and: [
          { field: 'lang', eq: 'en' },
          { field: 'year', gte: 2020 },
        ],
      },
      '("lang" && $1::text[] AND "year" >= $2::double precision)',
      [['en'], 2020],
    ],
    [
      'or',
      {
        or: [
          { field: 'lang', eq: 'en' },
          { field: 'year', lt: 0 },
        ],
      },
      '("lang" && $1::text[] OR "year" < $2::double precision)',
      [['en'], 0],
    ],
    ['and of one', { and: [{ field: 'lang', eq: 'en' }] }, '"lang" && $1::text[]', [['en']]],
    ['not', { not: { field: 'lang', eq: 'en' } }, 'NOT COALESCE("lang" && $1::text[], false)', [['en']]],
    [
      'not of a range',
      { not: { field: 'year', gte: 1, lte: 2 } },
      'NOT COALESCE(("year" >= $1::double precision AND "year" <= $2::double precision), false)',
      [1, 2],
    ],
    ['not not', { not: { not: { field: 'lang', eq: 'en' } } }, '"lang" && $1::text[]', [['en']]],
    ['not ne', { not: { field: 'lang', ne: 'en' } }, '"lang" && $1::text[]', [['en']]],
    [
      'not of and (De Morgan)',
      {
        not: {
          and: [
            { field: 'lang', eq: 'en' },
            { field: 'year', nin: [1] },
          ],
        },
      },
      '(NOT COALESCE("lang" && $1::text[], false) OR "year" = $2::double precision)',
      [['en'], 1],
    ],
    [
      'not of or (De Morgan)',
      {
        not: {
          or: [
            { field: 'lang', in: ['en'] },
            { field: 'year', gt: 1 },
          ],
        },
      },
      '(NOT COALESCE("lang" && $1::text[], false) AND NOT COALESCE("year" > $2::double precision, false))',
      [['en'], 1],
    ],
    [
      'nested',
      { or: [{ and: [{ field: 'lang', eq: 'a' }, { not: { field: 'year', eq: 1 } }] }, { field: 'Tenant', ne: 't' }] },
      '(("lang" && $1::text[] AND NOT COALESCE("year" = $2::double precision, false)) OR NOT COALESCE("Tenant" && $3::text[], false))',
      [['a'], 1, ['t']],
    ],
    [
      'a value with U+0000 (no stored tag can hold it) matches nothing',
      { field: 'lang', in: ['a\u0000b', 'c'] },
      '"lang" && $1::text[]',
      [['c']],
    ],
  ])('%s', (_name, filter, sql, params) => {
    expect(compileFilterToSql(filter, FIELDS)).toEqual({ sql, params });
  });

  it('numbers its parameters from firstParam', () => {
    expect(
      compileFilterToSql(
        {
          and: [
            { field: 'lang', eq: 'en' },
            { field: 'year', lt: 5 },
          ],
        },
        FIELDS,
        3,
      ),
    ).toEqual({
      sql: '("lang" && $3::text[] AND "year" < $4::double precision)',
      params: [['en'], 5],
    });
  });

  it.each<[string, unknown, string]>([
    ['an undeclared field', { field: 'color', eq: 'red' }, 'color is not a filterable field'],
    ['a number on a tag field', { field: 'lang', eq: 3 }, 'lang is a tag field'],
    ['a range on a tag field', { field: 'lang', gt: 3 }, 'this condition needs a numeric field'],
    ['a boolean', { field: 'lang', eq: true }, 'not supported by a vector index'],
    ['an empty in', { field: 'lang', in: [] }, 'needs at least one value'],
    ['an empty tag', { field: 'lang', eq: '' }, 'must not be empty'],
    ['a field path', { field: 'a.b', eq: 'x' }, 'must start with a letter'],
    ['not a filter', { field: 'lang', like: 'x' }, 'Unrecognized key'],
  ])('refuses %s with the vector engines’ message, before any SQL', (_name, filter, message) => {
    expect(() => compileFilterToSql(filter, FIELDS)).toThrow(InvalidArgumentError);
    expect(() => compileFilterToSql(filter, FIELDS)).toThrow(message);
  });

  it('never puts a value into the SQL text (property)', () => {
    const hostile = fc.oneof(fc.string({ minLength: 1 }), fc.constantFrom(`'`, `"`, `$1`, `'); DROP TABLE x; --`, `\\`, `}`));
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 4 }), fc.double({ noNaN: true, noDefaultInfinity: true }), (tags, n) => {
        const { sql, params } = compileFilterToSql(
          { or: [{ field: 'lang', in: tags }, { not: { field: 'lang', eq: tags[0]! } }, { field: 'year', gte: n }] },
          FIELDS,
        );
        expect(sql).toBe('("lang" && $1::text[] OR NOT COALESCE("lang" && $2::text[], false) OR "year" >= $3::double precision)');
        expect(params).toEqual([tags.filter((t) => !t.includes('\u0000')), tags[0]!.includes('\u0000') ? [] : [tags[0]], n]);
      }),
    );
  });
});

describe('quoteIdentifier', () => {
  it.each(['am_items', '_x', 'Items2', 'a'.repeat(63)])('quotes %s', (name) => {
    expect(quoteIdentifier(name)).toBe(`"${name}"`);
  });

  it.each(['', '1abc', 'a-b', 'a"b', 'a b', 'é', 'a;b', 'a'.repeat(64)])('refuses %j', (name) => {
    expect(identifierProblem(name)).not.toBeNull();
    expect(() => quoteIdentifier(name)).toThrow(InvalidArgumentError);
  });
});
