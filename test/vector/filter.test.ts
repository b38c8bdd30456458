// The filter language: exact compiler output, and property-based proof (fast-check) that no tag
// value, however hostile, changes a query's meaning, on all three compilers, the last two checked
// against real Redis with arbitrary Unicode values.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../src/connection/connect.js';
import { Keyspace } from '../../src/keys.js';
import { compileToPredicate, compileToRediSearch, compileToVectorSet, encodeTag, formatNumber, parseFilter, type Filter } from '../../src/vector/filter.js';
import { FlatIndex } from '../../src/vector/engines/flat.js';
import { VectorSetIndex } from '../../src/vector/engines/vectorset.js';
import { IndexDefinitionSchema, type Scope, type VectorIndex } from '../../src/vector/types.js';
import { connectTo, deletePrefix, redis8Targets, uniquePrefix } from '../harness/index.js';

const FIELDS = { lang: 'tag', year: 'numeric' } as const;

describe('filter compilers (exact output)', () => {
  it.each<[string, Filter, string, string]>([
    ['tag', { field: 'lang', eq: 'en' }, '@t_lang:{656e}', '("656e" in .t_lang)'],
    ['any-of', { field: 'lang', in: ['en', 'fr'] }, '@t_lang:{656e | 6672}', '("656e" in .t_lang or "6672" in .t_lang)'],
    ['range', { field: 'year', gte: 2020, lt: 2025 }, '@n_year:[2020 (2025]', '(.h_year == 1 and .n_year >= 2020 and .n_year < 2025)'],
    ['open range', { field: 'year', gt: -1.5 }, '@n_year:[(-1.5 +inf]', '(.h_year == 1 and .n_year > -1.5)'],
    ['number eq', { field: 'year', eq: 2020 }, '@n_year:[2020 2020]', '(.h_year == 1 and .n_year >= 2020 and .n_year <= 2020)'],
    ['and/or/not', { and: [{ not: { field: 'lang', eq: 'x' } }, { or: [{ field: 'year', lt: 1 }, { field: 'lang', eq: 'y' }] }] }, '((-@t_lang:{78}) (@n_year:[-inf (1] | @t_lang:{79}))', '((not ("78" in .t_lang)) and ((.h_year == 1 and .n_year < 1) or ("79" in .t_lang)))'],
  ])('%s', (_, filter, redisearch, vectorset) => {
    expect(compileToRediSearch(filter)).toBe(redisearch);
    expect(compileToVectorSet(filter)).toBe(vectorset);
  });

  it('prints numbers without exponents', () => {
    expect([1e21, 1e-7, -0, 123.456, -2e22].map(formatNumber)).toEqual(['1000000000000000000000', '0.0000001', '0', '123.456', '-20000000000000000000000']);
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

  it('validates filters against the declared fields', () => {
    expect(() => parseFilter({ field: 'lang', eq: 'en', extra: 1 }, FIELDS)).toThrow(/Invalid filter/);
    expect(() => parseFilter({ field: 'la ng', eq: 'en' }, FIELDS)).toThrow('Invalid filter: field: must start with a letter');
    expect(() => parseFilter({ field: 'lang', eq: '' }, FIELDS)).toThrow('Invalid filter: eq: a tag value must not be empty');
    expect(() => parseFilter({ field: 'year', gt: Number.NaN }, FIELDS)).toThrow('Invalid filter: gt: Invalid input: expected number, received NaN');
    expect(() => parseFilter({ field: 'year' }, FIELDS)).toThrow(/Invalid filter/);
    expect(() => parseFilter({ and: [] }, FIELDS)).toThrow(/Invalid filter/);
    expect(() => parseFilter({ field: 'lang', gte: 3 }, FIELDS)).toThrow(/lang is a tag field/);
  });
});

const hostile = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  fc.constantFrom('}', '|', '@', '"', '\\', ' ', '*', '-', "'", '\\"', 'x\\', '")', '} | @t_lang:{', '" or 1 or "', ')=>[KNN 100 @v $vec]', '\u0000', '🙂'),
);

describe('filter injection (property-based)', () => {
  it('RediSearch: tag values only ever appear as lowercase hex between the braces', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 4 }), (values) => {
        const compiled = compileToRediSearch({ or: [{ field: 'lang', in: values }, { not: { field: 'lang', eq: values[0]! } }] });
        for (const group of compiled.match(/\{[^}]*\}/g) ?? []) expect(group).toMatch(/^\{[0-9a-f]*( \| [0-9a-f]*)*\}$/);
        expect(compiled).toBe(`(@t_lang:{${values.map(encodeTag).join(' | ')}} | (-@t_lang:{${encodeTag(values[0]!)}}))`);
      }),
      { numRuns: 500 },
    );
  });

  it('vector sets: every string literal is lowercase hex in double quotes', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 4 }), (values) => {
        const compiled = compileToVectorSet({ and: [{ field: 'lang', in: values }, { not: { field: 'lang', eq: values[0]! } }] });
        const withoutLiterals = compiled.replace(/"[0-9a-f]*"/g, 'S');
        expect(withoutLiterals).not.toMatch(/["'\\]/);
      }),
      { numRuns: 500 },
    );
  });

  it('in process: a value matches exactly the items carrying it', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 6 }), hostile, (stored, asked) => {
        const matches = compileToPredicate({ field: 'lang', eq: asked });
        expect(matches({ tags: { lang: stored }, numbers: {} })).toBe(stored.includes(asked));
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
    describe(`filter injection against real Redis: ${engine} on ${target.name}`, () => {
      let connection: RedisConnection;
      let prefix: string;
      let index: VectorIndex;
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

      it('a hostile value returns exactly the items tagged with it, and never another scope’s', async () => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(fc.uniqueArray(hostile, { minLength: 2, maxLength: 6 }), fc.nat(), async (values, pick) => {
            const scope: Scope = { tag: `{p${run}}`, token: Buffer.from(`{p${run}}`).toString('hex') };
            const other: Scope = { tag: `{q${run++}}`, token: 'x' };
            await index.upsert(scope, values.map((v, i) => ({ id: `i${i}`, vector: [1, i, 0, 1], tags: { lang: [v] }, payload: String(i) })));
            await index.upsert(other, values.map((v, i) => ({ id: `o${i}`, vector: [1, i, 0, 1], tags: { lang: [v] }, payload: 'other' })));
            const asked = values[pick % values.length]!;
            const hits = await index.query(scope, [1, 0, 0, 1], { k: 10, filter: { field: 'lang', eq: asked }, exact: true });
            expect(hits.map((h) => h.id)).toEqual([`i${values.indexOf(asked)}`]);
            const negated = await index.query(scope, [1, 0, 0, 1], { k: 10, filter: { not: { field: 'lang', eq: asked } }, exact: true });
            expect(negated.map((h) => h.id).sort()).toEqual(values.map((_, i) => `i${i}`).filter((id) => id !== `i${values.indexOf(asked)}`).sort());
          }),
          { numRuns: 25 },
        );
      });
    });
  }
}
