// The value filter (LangGraph's language), table-driven: each condition against values that pass
// and values that do not, and the inputs it refuses.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { compileValueFilter } from '../../src/store/value-filter.js';

describe('compileValueFilter', () => {
  it.each([
    [{ kind: 'fact' }, { kind: 'fact' }, { kind: 'Fact' }],
    [{ n: 3 }, { n: 3 }, { n: '3' }],
    [{ n: { $eq: 3 } }, { n: 3 }, { n: 4 }],
    [{ n: { $ne: 3 } }, { n: 4 }, { n: 3 }],
    [{ n: { $gt: 3 } }, { n: 4 }, { n: 3 }],
    [{ n: { $gte: 3, $lt: 5 } }, { n: 3 }, { n: 5 }],
    [{ n: { $lte: 3 } }, { n: '2' }, { x: 1 }],
    [{ k: { $in: ['a', 'b'] } }, { k: 'b' }, { k: 'c' }],
    [{ k: { $nin: ['a'] } }, { k: 'b' }, { k: 'a' }],
    [{ 'author.name': 'Ann' }, { author: { name: 'Ann' } }, { author: { name: 'Bob' } }],
    [{ 'a.b': 1 }, { 'a.b': 1, a: { b: 2 } }, { 'a.b': 2, a: { b: 1 } }],
    [{ a: 1, b: { $gt: 1 } }, { a: 1, b: 2 }, { a: 1, b: 1 }],
    [{ obj: { x: 1 } }, null, { obj: { x: 1 } }],
  ] as const)('%j', (filter, passes, fails) => {
    const keep = compileValueFilter(filter);
    if (passes) expect(keep(passes)).toBe(true);
    expect(keep(fails)).toBe(false);
  });

  it('takes an empty set of operators as no condition', () => {
    expect(compileValueFilter({ n: {} })({ m: 1 })).toBe(true);
  });

  it('refuses unknown operators and $in without an array', () => {
    expect(() => compileValueFilter({ n: { $regex: 'x' } })).toThrow(InvalidArgumentError);
    expect(() => compileValueFilter({ n: { $in: 'x' } })).toThrow(InvalidArgumentError);
    expect(() => compileValueFilter([1])).toThrow(InvalidArgumentError);
  });
});
