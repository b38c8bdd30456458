// The redisearch engine's decisions on RESP3 reply shapes from RediSearch's documentation and its
// own RESP3 tests, as pure units (RediSearch cannot run here): a query the server's time limit
// stopped (the `warning` array, the `fail` policy's error), FT.INFO's indexing progress and the wait
// on it, and the exact (brute-force) KNN clause.
import { describe, expect, it } from 'vitest';
import { IndexBuildingError, QueryTimeoutError } from '../../src/errors.js';
import { waitForIndexing } from '../../src/vector/engines/redisearch/index-lifecycle.js';
import { EXACT, buildKnnSearchArgs } from '../../src/vector/engines/redisearch/query.js';
import {
  isIndexReady,
  isTimeoutMessage,
  parseIndexingState,
  searchOutcome,
  searchWarnings,
} from '../../src/vector/engines/redisearch/replies.js';
import { isPartial, type IndexingState } from '../../src/vector/types.js';

const KEY = (id: string) => `am:ltm:memories:{acme:alice}:i:${id}`;
const TOKEN = Buffer.from('{acme:alice}').toString('hex');
const VEC = Buffer.from(new Float32Array([1, 0]).buffer);
const TIMEOUT = 'Timeout limit was reached';
const at = { allowPartial: false, index: 'am:idx:memories' };

/** A RESP3 FT.SEARCH map as node-redis returns it (object), with one row and these warnings. */
const resp3 = (warning: unknown[]) => ({
  attributes: [],
  warning,
  total_results: 1,
  format: 'STRING',
  results: [{ id: KEY('m1'), extra_attributes: { p: '"one"', __score: '0' }, values: [] }],
});

describe('a query the server’s time limit stopped', () => {
  it.each<[string, unknown, string[]]>([
    ['no warning', resp3([]), []],
    ['the timeout warning', resp3([TIMEOUT]), [TIMEOUT]],
    ['the timeout warning as a Buffer (read as Buffers)', { total_results: 0, results: [], warning: [Buffer.from(TIMEOUT)] }, [TIMEOUT]],
    [
      'another warning beside it',
      resp3(['Max prefix expansions limit was reached', TIMEOUT]),
      ['Max prefix expansions limit was reached', TIMEOUT],
    ],
    ['a reply of no known shape has none', [1, KEY('m1'), ['p', '"one"', '__score', '0']], []],
  ])('warnings: %s', (_, reply, expected) => {
    expect(searchWarnings(reply)).toEqual(expected);
  });

  it('is a QueryTimeoutError by default, with or without rows found so far, never an empty answer', () => {
    expect(() => searchOutcome(resp3([TIMEOUT]), 'cosine', at)).toThrow(QueryTimeoutError);
    expect(() => searchOutcome({ total_results: 0, results: [], warning: [TIMEOUT] }, 'cosine', at)).toThrow(/time limit.*no results/);
    const error = (() => {
      try {
        searchOutcome(resp3([TIMEOUT]), 'cosine', at);
      } catch (e) {
        return e as QueryTimeoutError;
      }
    })();
    expect(error).toMatchObject({ code: 'QUERY_TIMEOUT', transient: true });
    expect(error?.message).toContain('am:idx:memories');
  });

  it('with allowPartial returns the rows found so far, marked partial', () => {
    const hits = searchOutcome(resp3([TIMEOUT]), 'cosine', { ...at, allowPartial: true });
    expect(hits).toEqual([{ id: 'm1', score: 1, payload: '"one"' }]);
    expect(isPartial(hits)).toBe(true);
  });

  it('a complete answer is not partial, and another warning alone does not make it so', () => {
    for (const reply of [resp3([]), resp3(['Max prefix expansions limit was reached'])]) {
      const hits = searchOutcome(reply, 'cosine', at);
      expect(hits).toEqual([{ id: 'm1', score: 1, payload: '"one"' }]);
      expect(isPartial(hits)).toBe(false);
    }
  });

  it('recognizes the fail policy’s error message (standalone and through the coordinator)', () => {
    expect(isTimeoutMessage('Redis rejected FT.SEARCH: Timeout limit was reached')).toBe(true);
    expect(isTimeoutMessage('Timeout limit was reached (SEARCH)')).toBe(true);
    expect(isTimeoutMessage('Unknown index name')).toBe(false);
  });
});

describe('FT.INFO indexing progress', () => {
  /** FT.INFO's RESP3 map as RediSearch documents it (other fields left out). */
  const info = (fields: Record<string, unknown>) => ({ index_name: 'am:idx:m', index_options: [], attributes: [], ...fields });
  it.each<[string, unknown, IndexingState]>([
    [
      'still indexing: integers and a double',
      info({ num_docs: 1200, hash_indexing_failures: 0, indexing: 1, percent_indexed: 0.06 }),
      { indexing: true, percentIndexed: 0.06, numDocs: 1200, failures: 0 },
    ],
    [
      'done',
      info({ num_docs: 20000, hash_indexing_failures: 3, indexing: 0, percent_indexed: 1 }),
      { indexing: false, percentIndexed: 1, numDocs: 20000, failures: 3 },
    ],
    [
      'numbers as text (older servers report some as strings)',
      info({ num_docs: '5', indexing: '0', percent_indexed: '1', hash_indexing_failures: '0' }),
      { indexing: false, percentIndexed: 1, numDocs: 5, failures: 0 },
    ],
    ['no progress fields (an older server): ready', { num_docs: 3 }, { indexing: false, percentIndexed: 1, numDocs: 3, failures: 0 }],
    [
      'a reply of no known shape reads as ready and empty',
      ['indexing', '1'],
      { indexing: false, percentIndexed: 1, numDocs: 0, failures: 0 },
    ],
  ])('%s', (_, reply, expected) => {
    expect(parseIndexingState(reply)).toEqual(expected);
  });

  it('is ready only when not indexing and fully indexed', () => {
    expect(isIndexReady({ indexing: false, percentIndexed: 1, numDocs: 0, failures: 0 })).toBe(true);
    expect(isIndexReady({ indexing: true, percentIndexed: 1, numDocs: 0, failures: 0 })).toBe(false);
    expect(isIndexReady({ indexing: false, percentIndexed: 0.99, numDocs: 0, failures: 0 })).toBe(false);
  });
});

describe('waitForIndexing', () => {
  /** A clock and reader replaying FT.INFO replies; sleeping advances the clock. */
  function replay(replies: unknown[]) {
    let clock = 0;
    const slept: number[] = [];
    let reads = 0;
    return {
      read: async () => parseIndexingState(replies[Math.min(reads++, replies.length - 1)]),
      sleep: async (ms: number) => {
        slept.push(ms);
        clock += ms;
      },
      now: () => clock,
      slept,
      reads: () => reads,
    };
  }
  const building = (pct: string) => ({ indexing: 1, percent_indexed: Number(pct), num_docs: Number(pct) * 20000 });
  const done = { indexing: 0, percent_indexed: 1, num_docs: 20000 };

  it('returns at once when the first state is ready (no extra read)', async () => {
    const r = replay([done]);
    const state = await waitForIndexing(r.read, {
      deadlineMs: 1000,
      name: 'i',
      first: parseIndexingState(done),
      sleep: r.sleep,
      now: r.now,
    });
    expect(state.numDocs).toBe(20000);
    expect(r.reads()).toBe(0);
    expect(r.slept).toEqual([]);
  });

  it('polls, backing off, until the index is built, and reports each state', async () => {
    const r = replay([building('0'), building('0.25'), building('0.75'), done]);
    const seen: number[] = [];
    await waitForIndexing(r.read, {
      deadlineMs: 60_000,
      name: 'i',
      onProgress: (s) => seen.push(s.percentIndexed),
      sleep: r.sleep,
      now: r.now,
    });
    expect(seen).toEqual([0, 0.25, 0.75, 1]);
    expect(r.slept).toEqual([50, 100, 200]);
  });

  it('never sleeps past the deadline, then throws IndexBuildingError naming the progress', async () => {
    const r = replay([building('0.1')]);
    const waiting = waitForIndexing(r.read, { deadlineMs: 500, name: 'am:idx:m', sleep: r.sleep, now: r.now });
    await expect(waiting).rejects.toBeInstanceOf(IndexBuildingError);
    const again = replay([building('0.1')]);
    await expect(waitForIndexing(again.read, { deadlineMs: 500, name: 'am:idx:m', sleep: again.sleep, now: again.now })).rejects.toThrow(
      /am:idx:m is still being built.*10\.0% indexed, 2000 documents/,
    );
    expect(r.slept.reduce((a, b) => a + b, 0)).toBe(500);
    expect(r.slept.every((ms) => ms <= 1000)).toBe(true);
  });

  it('caps the poll interval at one second', async () => {
    const r = replay([...Array.from({ length: 10 }, () => building('0.5')), done]);
    await waitForIndexing(r.read, { deadlineMs: 60_000, name: 'i', sleep: r.sleep, now: r.now });
    expect(r.slept).toEqual([50, 100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000]);
  });
});

describe('exact KNN on HNSW', () => {
  it('runs as ad-hoc brute force over the scope, with no EF_RUNTIME', () => {
    expect(buildKnnSearchArgs('am:idx:memories', TOKEN, undefined, 5, EXACT, VEC)).toEqual([
      'FT.SEARCH',
      'am:idx:memories',
      `(@_scope:{${TOKEN}})=>[KNN $k @v $vec HYBRID_POLICY ADHOC_BF AS __score]`,
      'PARAMS',
      '4',
      'k',
      '5',
      'vec',
      VEC,
      'RETURN',
      '2',
      'p',
      '__score',
      'SORTBY',
      '__score',
      'ASC',
      'LIMIT',
      '0',
      '5',
      'DIALECT',
      '2',
    ]);
  });
});
