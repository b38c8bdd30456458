// The one filter language: the parser's decisions per target and every compiler's exact output,
// table-driven; the in-process predicate on vector items and on JSON documents; and property-based
// proof (fast-check) that no tag value, however hostile, changes a query's meaning, and that the
// engines answer every filter (eq, ne, in, nin, ranges, and/or/not) as the in-process predicate
// does, on real Redis with arbitrary Unicode values.
import fc from 'fast-check';
import { filterOver } from './filter-arbitrary.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../src/connection/connect.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { Keyspace } from '../../src/keys.js';
import {
  compileToPredicate,
  compileToRediSearch,
  compileToVectorSet,
  documentFieldValues,
  encodeTag,
  formatNumber,
  parseFilter,
  type Filter,
  type FilterableValues,
} from '../../src/vector/filter.js';
import { FlatIndex } from '../../src/vector/engines/flat.js';
import { VectorSetIndex } from '../../src/vector/engines/vectorset.js';
import { IndexDefinitionSchema, type Scope, type VectorIndex } from '../../src/vector/types.js';
import { connectTo, deletePrefix, redis8Targets, uniquePrefix } from '../harness/index.js';

const FIELDS = { lang: 'tag', year: 'numeric' } as const;
const hex = (s: string) => encodeTag(s);

describe('filter compilers (exact output)', () => {
  it.each<[string, Filter, string, string]>([
    ['tag', { field: 'lang', eq: 'en' }, '@t_lang:{656e}', '("656e" in .t_lang)'],
    ['any-of', { field: 'lang', in: ['en', 'fr'] }, '@t_lang:{656e | 6672}', '("656e" in .t_lang or "6672" in .t_lang)'],
    ['tag not equal', { field: 'lang', ne: 'en' }, '(-@t_lang:{656e})', '(not ("656e" in .t_lang))'],
    ['none-of', { field: 'lang', nin: ['en', 'fr'] }, '(-@t_lang:{656e | 6672})', '(not ("656e" in .t_lang or "6672" in .t_lang))'],
    ['range', { field: 'year', gte: 2020, lt: 2025 }, '@n_year:[2020 (2025]', '(.h_year == 1 and .n_year >= 2020 and .n_year < 2025)'],
    ['open range', { field: 'year', gt: -1.5 }, '@n_year:[(-1.5 +inf]', '(.h_year == 1 and .n_year > -1.5)'],
    [
      'tighter of two bounds',
      { field: 'year', gt: 1, gte: 2, lte: 9, lt: 9 },
      '@n_year:[2 (9]',
      '(.h_year == 1 and .n_year >= 2 and .n_year < 9)',
    ],
    ['number eq', { field: 'year', eq: 2020 }, '@n_year:[2020 2020]', '(.h_year == 1 and .n_year >= 2020 and .n_year <= 2020)'],
    ['number ne', { field: 'year', ne: 2020 }, '(-@n_year:[2020 2020])', '(not (.h_year == 1 and .n_year >= 2020 and .n_year <= 2020))'],
    [
      'numbers in',
      { field: 'year', in: [1, 2.5] },
      '(@n_year:[1 1] | @n_year:[2.5 2.5])',
      '((.h_year == 1 and .n_year >= 1 and .n_year <= 1) or (.h_year == 1 and .n_year >= 2.5 and .n_year <= 2.5))',
    ],
    [
      'one number in',
      { field: 'year', in: [1e21] },
      '@n_year:[1000000000000000000000 1000000000000000000000]',
      '(.h_year == 1 and .n_year >= 1000000000000000000000 and .n_year <= 1000000000000000000000)',
    ],
    ['numbers not in', { field: 'year', nin: [1] }, '(-@n_year:[1 1])', '(not (.h_year == 1 and .n_year >= 1 and .n_year <= 1))'],
    [
      'and/or/not',
      {
        and: [
          { not: { field: 'lang', eq: 'x' } },
          {
            or: [
              { field: 'year', lt: 1 },
              { field: 'lang', eq: 'y' },
            ],
          },
        ],
      },
      '((-@t_lang:{78}) (@n_year:[-inf (1] | @t_lang:{79}))',
      '((not ("78" in .t_lang)) and ((.h_year == 1 and .n_year < 1) or ("79" in .t_lang)))',
    ],
  ])('%s', (_, filter, redisearch, vectorset) => {
    expect(parseFilter(filter, FIELDS)).toEqual(filter);
    expect(compileToRediSearch(filter)).toBe(redisearch);
    expect(compileToVectorSet(filter)).toBe(vectorset);
  });

  it('refuses to compile for an index what parseFilter would refuse (booleans, null, mixed or no values)', () => {
    for (const filter of [
      { field: 'lang', eq: true },
      { field: 'lang', ne: null },
      { field: 'lang', in: ['a', 1] },
      { field: 'lang', nin: [] },
    ] as Filter[]) {
      expect(() => compileToRediSearch(filter)).toThrow(InvalidArgumentError);
      expect(() => compileToVectorSet(filter)).toThrow(InvalidArgumentError);
    }
  });

  it('prints numbers without exponents', () => {
    expect([1e21, 1e-7, -0, 123.456, -2e22].map(formatNumber)).toEqual([
      '1000000000000000000000',
      '0.0000001',
      '0',
      '123.456',
      '-20000000000000000000000',
    ]);
  });

  it('prints every number exactly: its digits read back as the same double', () => {
    expect(formatNumber(1e-25)).toBe('0.0000000000000000000000001');
    expect(formatNumber(1.2345678901234568e-15)).toBe('0.0000000000000012345678901234568');
    expect(formatNumber(-5e-324)).toBe(`-0.${'0'.repeat(323)}5`);
    expect(formatNumber(1.7976931348623157e308)).toBe(`17976931348623157${'0'.repeat(292)}`);
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const printed = formatNumber(n);
        expect(printed).toMatch(/^-?\d+(\.\d+)?$/);
        expect(Number(printed)).toBe(Object.is(n, -0) ? 0 : n);
      }),
      { seed: 13, numRuns: 2000 },
    );
  });
});

describe('parseFilter', () => {
  it.each<[string, unknown, string | RegExp]>([
    ['an unknown key', { field: 'lang', eq: 'en', extra: 1 }, /Invalid filter/],
    ['a field name no query language takes', { field: 'la ng', eq: 'en' }, 'Invalid filter: field: must start with a letter'],
    ['a dotted path (documents only)', { field: 'author.name', eq: 'x' }, 'Invalid filter: field: must start with a letter'],
    ['an empty tag value', { field: 'lang', eq: '' }, 'Invalid filter: eq: a tag value must not be empty'],
    ['an empty tag value among others', { field: 'lang', in: ['a', ''] }, 'Invalid filter: in.1: a tag value must not be empty'],
    [
      'a tag value over MAX_TAG_BYTES',
      { field: 'lang', ne: 'é'.repeat(1025) },
      'Invalid filter: ne: a tag value may be at most 2048 UTF-8 bytes; this one is 2050',
    ],
    ['NaN', { field: 'year', gt: Number.NaN }, 'Invalid filter: gt: Invalid input: expected number, received NaN'],
    ['a range without bounds', { field: 'year' }, /Invalid filter/],
    ['an empty and', { and: [] }, /Invalid filter/],
    ['a range on a tag field', { field: 'lang', gte: 3 }, /lang is a tag field; this condition needs a numeric field/],
    ['a string on a numeric field', { field: 'year', eq: 'x' }, /year is a numeric field; this condition needs a tag field/],
    ['numbers on a tag field', { field: 'lang', nin: [1] }, /lang is a tag field; this condition needs a numeric field/],
    [
      'a field the index does not declare',
      { not: { field: 'nope', eq: 'x' } },
      'Invalid filter: not.field: nope is not a filterable field of this index (declared: lang, year)',
    ],
    ['eq on a boolean', { field: 'lang', eq: true }, 'Invalid filter: eq: eq with a boolean value is not supported by a vector index'],
    [
      'ne on null',
      {
        or: [
          { field: 'year', lt: 1 },
          { field: 'year', ne: null },
        ],
      },
      'Invalid filter: or.1.ne: ne with a null value is not supported by a vector index',
    ],
    [
      'in with a boolean',
      { field: 'lang', in: ['a', false] },
      'Invalid filter: in.1: in with a boolean value is not supported by a vector index',
    ],
    ['an empty in', { field: 'lang', in: [] }, 'Invalid filter: in: in needs at least one value on a vector index'],
    ['an empty nin', { field: 'year', nin: [] }, 'Invalid filter: nin: nin needs at least one value on a vector index'],
  ])('for an index, refuses %s', (_, input, message) => {
    expect(() => parseFilter(input, FIELDS)).toThrow(InvalidArgumentError);
    expect(() => parseFilter(input, FIELDS)).toThrow(message);
  });

  it.each<[string, Filter]>([
    ['dotted paths', { field: 'author.name', eq: 'Ann' }],
    [
      'booleans and null',
      {
        or: [
          { field: 'done', eq: true },
          { field: 'owner', ne: null },
        ],
      },
    ],
    [
      'mixed, empty and empty-string values',
      {
        and: [
          { field: 'k', in: ['', 1, false, null] },
          { field: 'k', nin: [] },
        ],
      },
    ],
    ['any field name', { field: 'la ng', gte: 1 }],
  ])('for any-path (documents), takes %s', (_, filter) => {
    expect(parseFilter(filter, 'any-path')).toEqual(filter);
  });

  it('still refuses malformed filters for any-path', () => {
    expect(() => parseFilter({ field: '', eq: 1 }, 'any-path')).toThrow('Invalid filter: field: a filter field must not be empty');
    expect(() => parseFilter({ field: 'x', eq: { a: 1 } }, 'any-path')).toThrow(InvalidArgumentError);
    expect(() => parseFilter({ field: 'x', eq: Infinity }, 'any-path')).toThrow(InvalidArgumentError);
    expect(() => parseFilter([1], 'any-path')).toThrow(InvalidArgumentError);
  });
});

describe('compileToPredicate on vector items', () => {
  const item = (lang: string[], year?: number): FilterableValues => ({ tags: { lang }, numbers: year === undefined ? {} : { year } });
  it.each<[string, Filter, FilterableValues[], FilterableValues[]]>([
    ['tag eq: any value of the item', { field: 'lang', eq: 'en' }, [item(['en']), item(['fr', 'en'])], [item(['fr']), item([])]],
    ['tag ne: a missing tag matches', { field: 'lang', ne: 'en' }, [item(['fr']), item([])], [item(['fr', 'en'])]],
    ['in', { field: 'lang', in: ['en', 'de'] }, [item(['de'])], [item(['fr'])]],
    ['nin', { field: 'lang', nin: ['en', 'de'] }, [item(['fr']), item([])], [item(['de', 'fr'])]],
    ['number eq', { field: 'year', eq: 2020 }, [item([], 2020)], [item([], 2021), item([])]],
    ['number ne: a missing number matches', { field: 'year', ne: 2020 }, [item([], 2021), item([])], [item([], 2020)]],
    ['numbers in', { field: 'year', in: [1, 3] }, [item([], 3)], [item([], 2), item([])]],
    ['range: a missing number never matches', { field: 'year', gt: 1, lte: 3 }, [item([], 3)], [item([], 1), item([], 4), item([])]],
    ['not range: a missing number matches', { not: { field: 'year', gt: 1 } }, [item([], 1), item([])], [item([], 2)]],
  ])('%s', (_, filter, pass, fail) => {
    const keep = compileToPredicate(filter);
    for (const v of pass) expect(keep(v)).toBe(true);
    for (const v of fail) expect(keep(v)).toBe(false);
  });
});

describe('compileToPredicate on JSON documents (LangGraph reference store semantics)', () => {
  it.each<[string, Filter, Record<string, unknown>[], Record<string, unknown>[]]>([
    ['strict equality', { field: 'kind', eq: 'fact' }, [{ kind: 'fact' }], [{ kind: 'Fact' }, {}]],
    ['no coercion in equality', { field: 'n', eq: 3 }, [{ n: 3 }], [{ n: '3' }]],
    ['a boolean', { field: 'rare', eq: true }, [{ rare: true }], [{ rare: 'true' }, { rare: 1 }, {}]],
    ['null is a value, missing is not', { field: 'x', eq: null }, [{ x: null }], [{}]],
    ['ne matches a missing field', { field: 'kind', ne: 'fact' }, [{ kind: 'x' }, {}], [{ kind: 'fact' }]],
    ['ranges compare with Number()', { field: 'n', lte: 3 }, [{ n: '2' }, { n: 3 }, { n: null }], [{ n: 4 }, { n: 'abc' }, {}]],
    ['gte and lt', { field: 'n', gte: 3, lt: 5 }, [{ n: 3 }, { n: 4.9 }], [{ n: 5 }, { n: 2 }]],
    ['in', { field: 'k', in: ['a', 'b'] }, [{ k: 'b' }], [{ k: 'c' }, {}]],
    ['nin matches a missing field', { field: 'k', nin: ['a'] }, [{ k: 'b' }, {}], [{ k: 'a' }]],
    ['an empty in matches nothing', { field: 'k', in: [] }, [], [{ k: 'a' }, {}]],
    ['an empty nin matches everything', { field: 'k', nin: [] }, [{ k: 'a' }, {}], []],
    [
      'dotted paths read nested values',
      { field: 'author.name', eq: 'Ann' },
      [{ author: { name: 'Ann' } }],
      [{ author: { name: 'Bob' } }, { author: 'Ann' }, {}],
    ],
    [
      'a top-level dotted key wins over the nested value',
      { field: 'a.b', eq: 1 },
      [{ 'a.b': 1, a: { b: 2 } }],
      [{ 'a.b': 2, a: { b: 1 } }],
    ],
    ['an array is one value, not its elements', { field: 'tags', eq: 'a' }, [], [{ tags: ['a'] }]],
    ['inherited properties are no fields', { field: 'constructor', ne: null }, [{}], []],
    [
      'and of several fields',
      {
        and: [
          { field: 'a', eq: 1 },
          { field: 'b', gt: 1 },
        ],
      },
      [{ a: 1, b: 2 }],
      [{ a: 1, b: 1 }],
    ],
  ])('%s', (_, filter, pass, fail) => {
    const keep = compileToPredicate(parseFilter(filter, 'any-path'), documentFieldValues);
    for (const v of pass) expect(keep(v)).toBe(true);
    for (const v of fail) expect(keep(v)).toBe(false);
  });
});

const hostile = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  fc.constantFrom(
    '}',
    '|',
    '@',
    '"',
    '\\',
    ' ',
    '*',
    '-',
    "'",
    '\\"',
    'x\\',
    '")',
    '} | @t_lang:{',
    '" or 1 or "',
    ')=>[KNN 100 @v $vec]',
    '\u0000',
    '🙂',
  ),
);

describe('filter injection (property-based)', () => {
  it('RediSearch: tag values only ever appear as lowercase hex between the braces, on every operator', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 4 }), (values) => {
        const compiled = compileToRediSearch({
          or: [
            { field: 'lang', in: values },
            { not: { field: 'lang', eq: values[0]! } },
            { field: 'lang', ne: values[0]! },
            { field: 'lang', nin: values },
          ],
        });
        for (const group of compiled.match(/\{[^}]*\}/g) ?? []) expect(group).toMatch(/^\{[0-9a-f]*( \| [0-9a-f]*)*\}$/);
        const any = `@t_lang:{${values.map(hex).join(' | ')}}`;
        const one = `@t_lang:{${hex(values[0]!)}}`;
        expect(compiled).toBe(`(${any} | (-${one}) | (-${one}) | (-${any}))`);
      }),
      { numRuns: 500 },
    );
  });

  it('vector sets: every string literal is lowercase hex in double quotes, on every operator', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 4 }), (values) => {
        const compiled = compileToVectorSet({
          and: [
            { field: 'lang', in: values },
            { not: { field: 'lang', eq: values[0]! } },
            { field: 'lang', ne: values[0]! },
            { field: 'lang', nin: values },
          ],
        });
        const withoutLiterals = compiled.replace(/"[0-9a-f]*"/g, 'S');
        expect(withoutLiterals).not.toMatch(/["'\\]/);
      }),
      { numRuns: 500 },
    );
  });

  it('in process: a value matches exactly the items carrying it, and ne / nin exactly the others', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 6 }), hostile, (stored, asked) => {
        const values = { tags: { lang: stored }, numbers: {} };
        expect(compileToPredicate({ field: 'lang', eq: asked })(values)).toBe(stored.includes(asked));
        expect(compileToPredicate({ field: 'lang', ne: asked })(values)).toBe(!stored.includes(asked));
        expect(compileToPredicate({ field: 'lang', nin: [asked, 'zz'] })(values)).toBe(!stored.includes(asked) && !stored.includes('zz'));
      }),
      { numRuns: 500 },
    );
  });
});

for (const target of redis8Targets()) {
  const engines: [string, (c: RedisConnection, k: Keyspace) => VectorIndex][] = [
    ['flat', (c, k) => new FlatIndex(c, k, IndexDefinitionSchema.parse({ namespace: 'inj', dim: 4, fields: FIELDS }))],
    ['vectorset', (c, k) => new VectorSetIndex(c, k, IndexDefinitionSchema.parse({ namespace: 'inj', dim: 4, fields: FIELDS }))],
  ];
  for (const [engine, make] of engines) {
    describe(`filters against real Redis: ${engine} on ${target.name}`, () => {
      let connection: RedisConnection;
      let prefix: string;
      let index: VectorIndex;
      let run = 0;
      const nextScope = (): Scope => {
        const tag = `{p${run++}}`;
        return { tag, token: Buffer.from(tag).toString('hex') };
      };
      beforeAll(async () => {
        connection = await connectTo(target);
        prefix = uniquePrefix('f');
        index = make(connection, new Keyspace(prefix));
        await index.ensure();
      });
      afterAll(async () => {
        await deletePrefix(connection, prefix);
        await connection.close();
      });

      it('a hostile value returns exactly the items tagged with it (ne / nin: exactly the others), and never another scope’s', async () => {
        await fc.assert(
          fc.asyncProperty(fc.uniqueArray(hostile, { minLength: 2, maxLength: 6 }), fc.nat(), async (values, pick) => {
            const scope = nextScope();
            const other: Scope = { tag: `{q${run}}`, token: 'x' };
            await index.upsert(
              scope,
              values.map((v, i) => ({ id: `i${i}`, vector: [1, i, 0, 1], tags: { lang: [v] }, payload: String(i) })),
            );
            await index.upsert(
              other,
              values.map((v, i) => ({ id: `o${i}`, vector: [1, i, 0, 1], tags: { lang: [v] }, payload: 'other' })),
            );
            const asked = values[pick % values.length]!;
            const mine = `i${values.indexOf(asked)}`;
            const all = values.map((_, i) => `i${i}`);
            const ids = async (filter: Filter) =>
              (await index.query(scope, [1, 0, 0, 1], { k: 10, filter, exact: true })).map((h) => h.id).sort();
            expect(await ids({ field: 'lang', eq: asked })).toEqual([mine]);
            const others = all.filter((id) => id !== mine).sort();
            expect(await ids({ not: { field: 'lang', eq: asked } })).toEqual(others);
            expect(await ids({ field: 'lang', ne: asked })).toEqual(others);
            expect(await ids({ field: 'lang', nin: [asked] })).toEqual(others);
          }),
          { numRuns: 20 },
        );
      });

      it('answers every filter as the in-process predicate does (property-based, every operator)', async () => {
        const tags = fc.constantFrom('en', 'fr', '}', '" or 1 or "', 'ü');
        const items = fc.array(
          fc.record({
            lang: fc.subarray(['en', 'fr', '}', '" or 1 or "', 'ü']),
            year: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 8 },
        );
        await fc.assert(
          fc.asyncProperty(items, fc.array(filterOver(tags, ['gt', 'lte']), { minLength: 1, maxLength: 4 }), async (rows, filters) => {
            const scope = nextScope();
            const stored = rows.map((r, i) => ({
              id: `i${i}`,
              vector: [1, i, 0, 1],
              tags: { lang: r.lang },
              ...(r.year === undefined ? {} : { numbers: { year: r.year } }),
              payload: String(i),
            }));
            await index.upsert(scope, stored);
            for (const filter of filters) {
              parseFilter(filter, FIELDS);
              const keep = compileToPredicate(filter);
              const want = stored
                .filter((s) => keep({ tags: s.tags, numbers: s.numbers ?? {} }))
                .map((s) => s.id)
                .sort();
              const got = (await index.query(scope, [1, 0, 0, 1], { k: 10, filter, exact: true })).map((h) => h.id).sort();
              expect({ filter, got }).toEqual({ filter, got: want });
              expect((await index.ids(scope, filter)).sort()).toEqual(want);
            }
          }),
          { numRuns: 25 },
        );
      });
    });
  }
}
