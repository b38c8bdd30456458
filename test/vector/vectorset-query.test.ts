// The vectorset engine's VSIM arguments and reply reading (pure): exact arguments per option, and
// the RESP3 map reply put back in nearest-first order whatever the ids look like.
import { describe, expect, it } from 'vitest';
import { buildVsimArgs, filterEffort, parseVsimReply } from '../../src/vector/engines/vectorset/query.js';

const blob = Buffer.from([0, 0, 128, 63]);

describe('vectorset VSIM arguments', () => {
  it.each([
    ['plain', { count: 5, ef: 200 }, []],
    ['exact (TRUTH)', { count: 5, ef: 64, exact: true }, ['TRUTH']],
    [
      'filtered, FILTER-EF from the count',
      { count: 3, ef: 200, filter: { field: 'lang', eq: 'en' } },
      ['FILTER', '("656e" in .t_lang)', 'FILTER-EF', '1000'],
    ],
  ] as const)('%s', (_, request, tail) => {
    const args = buildVsimArgs('vs', blob, request);
    expect(args.slice(0, 9)).toEqual(['VSIM', 'vs', 'FP32', blob, 'WITHSCORES', 'COUNT', String(request.count), 'EF', String(request.ef)]);
    expect(args.slice(9)).toEqual(tail);
  });

  it('asks FILTER-EF of at least 1000, 100 per requested member', () => {
    expect([filterEffort(1), filterEffort(10), filterEffort(40)]).toEqual([1000, 1000, 4000]);
  });
});

describe('vectorset VSIM replies', () => {
  it('a RESP3 map (a plain object: integer-like keys come first) comes back nearest first, ties by id', () => {
    expect(parseVsimReply({ b: 0.9, '2': 0.5, '10': 0.95, a: 0.9 })).toEqual([
      { id: '10', score: 0.95 },
      { id: 'a', score: 0.9 },
      { id: 'b', score: 0.9 },
      { id: '2', score: 0.5 },
    ]);
  });

  it('a RESP2 flat array keeps its order; empty and null replies are no members', () => {
    expect(parseVsimReply(['x', '0.7', 'y', '0.8'])).toEqual([
      { id: 'x', score: 0.7 },
      { id: 'y', score: 0.8 },
    ]);
    expect(parseVsimReply([])).toEqual([]);
    expect(parseVsimReply({})).toEqual([]);
    expect(parseVsimReply(null)).toEqual([]);
  });
});
