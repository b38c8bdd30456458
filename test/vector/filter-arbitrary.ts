// Arbitrary filters of the library's filter language for property tests: over a tag field `lang`
// (values from `tags`) and a numeric field `year` (0–5), every operator an index takes, nested in
// and / or / not. One generator for every suite that holds a compiler to the in-process predicate.
import fc from 'fast-check';
import type { Filter } from '../../src/vector/filter.js';

type RangeKey = 'gt' | 'gte' | 'lt' | 'lte';

/** `ranges`: the bounds a range may combine (default all four). */
export function filterOver(tags: fc.Arbitrary<string>, ranges: readonly RangeKey[] = ['gt', 'gte', 'lt', 'lte']): fc.Arbitrary<Filter> {
  const year = fc.integer({ min: 0, max: 5 });
  const bounds = Object.fromEntries(ranges.map((k) => [k, year])) as Record<RangeKey, fc.Arbitrary<number>>;
  const leaf: fc.Arbitrary<Filter> = fc.oneof(
    tags.map((v): Filter => ({ field: 'lang', eq: v })),
    tags.map((v): Filter => ({ field: 'lang', ne: v })),
    fc.array(tags, { minLength: 1, maxLength: 3 }).map((v): Filter => ({ field: 'lang', in: v })),
    fc.array(tags, { minLength: 1, maxLength: 3 }).map((v): Filter => ({ field: 'lang', nin: v })),
    year.map((n): Filter => ({ field: 'year', eq: n })),
    year.map((n): Filter => ({ field: 'year', ne: n })),
    fc.array(year, { minLength: 1, maxLength: 3 }).map((v): Filter => ({ field: 'year', in: v })),
    fc.array(year, { minLength: 1, maxLength: 3 }).map((v): Filter => ({ field: 'year', nin: v })),
    fc
      .record(bounds, { requiredKeys: [] })
      .filter((r) => Object.keys(r).length > 0)
      .map((r): Filter => ({ field: 'year', ...r })),
  );
  return fc.letrec<{ f: Filter }>((tie) => ({
    f: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('f'), { minLength: 1, maxLength: 3 }).map((and): Filter => ({ and })),
      fc.array(tie('f'), { minLength: 1, maxLength: 3 }).map((or): Filter => ({ or })),
      tie('f').map((not): Filter => ({ not })),
    ),
  })).f;
}
