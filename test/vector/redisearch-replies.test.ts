// The redisearch engine's decisions on reply shapes from RediSearch's documentation, as pure units
// (RediSearch cannot run here): a query the server's time limit stopped (RESP3 `warning`, the
// `fail` policy's error), FT.INFO's indexing progress (RESP2 flat array, RESP3 map) and the wait
// on it, the exact (brute-force) KNN clause, and the commands that drop a namespace's index.
import { describe, expect, it } from 'vitest';
import { IndexBuildingError, QueryTimeoutError } from '../../src/errors.js';
import { Keyspace } from '../../src/keys.js';
import {
  EXACT,
  buildDropNamespaceCommands,
  buildKnnSearchArgs,
  indexNames,
  isIndexReady,
  isTimeoutMessage,
  parseIndexingState,
  searchOutcome,
  searchWarnings,
  waitForIndexing,
} from '../../src/vector/engines/redisearch.js';
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
    ['RESP3 object, no warning', resp3([]), []],
    ['RESP3 object, the timeout warning', resp3([TIMEOUT]), [TIMEOUT]],
    ['RESP3 Map, the timeout warning as a Buffer', new Map<string, unknown>([['total_results', 0], ['results', []], ['warning', [Buffer.from(TIMEOUT)]]]), [TIMEOUT]],
    ['RESP3, another warning beside it', resp3(['Max prefix expansions limit was reached', TIMEOUT]), ['Max prefix expansions limit was reached', TIMEOUT]],
    ['RESP2 carries no warnings', [1, KEY('m1'), ['p', '"one"', '__score', '0']], []],
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
    for (const reply of [resp3([]), resp3(['Max prefix expansions limit was reached']), [1, KEY('m1'), ['p', '"one"', '__score', '0']]]) {
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
  const head = ['index_name', 'am:idx:m:v1', 'index_options', [], 'num_docs'];
  it.each<[string, unknown, IndexingState]>([
    ['RESP2, still indexing (numbers as strings)', [...head, '1200', 'hash_indexing_failures', '0', 'indexing', '1', 'percent_indexed', '0.06'], { indexing: true, percentIndexed: 0.06, numDocs: 1200, failures: 0 }],
    ['RESP2, done', [...head, '20000', 'hash_indexing_failures', '3', 'indexing', '0', 'percent_indexed', '1'], { indexing: false, percentIndexed: 1, numDocs: 20000, failures: 3 }],
    ['RESP3 object, integers and a double', { index_name: 'am:idx:m:v1', num_docs: 0, hash_indexing_failures: 0, indexing: 1, percent_indexed: 0 }, { indexing: true, percentIndexed: 0, numDocs: 0, failures: 0 }],
    ['RESP3 Map, done', new Map<string, unknown>([['num_docs', 5], ['indexing', 0], ['percent_indexed', 1], ['hash_indexing_failures', 0]]), { indexing: false, percentIndexed: 1, numDocs: 5, failures: 0 }],
    ['RESP3 Map with Buffer keys and values', new Map<unknown, unknown>([[Buffer.from('indexing'), Buffer.from('1')], [Buffer.from('percent_indexed'), Buffer.from('0.5')]]), { indexing: true, percentIndexed: 0.5, numDocs: 0, failures: 0 }],
    ['no progress fields (an older server): ready', { num_docs: 3 }, { indexing: false, percentIndexed: 1, numDocs: 3, failures: 0 }],
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
  const building = (pct: string) => ['indexing', '1', 'percent_indexed', pct, 'num_docs', String(Number(pct) * 20000)];
  const done = ['indexing', '0', 'percent_indexed', '1', 'num_docs', '20000'];

  it('returns at once when the first state is ready (no extra read)', async () => {
    const r = replay([done]);
    const state = await waitForIndexing(r.read, { deadlineMs: 1000, name: 'i', first: parseIndexingState(done), sleep: r.sleep, now: r.now });
    expect(state.numDocs).toBe(20000);
    expect(r.reads()).toBe(0);
    expect(r.slept).toEqual([]);
  });

  it('polls, backing off, until the index is built, and reports each state', async () => {
    const r = replay([building('0'), building('0.25'), building('0.75'), done]);
    const seen: number[] = [];
    await waitForIndexing(r.read, { deadlineMs: 60_000, name: 'i', onProgress: (s) => seen.push(s.percentIndexed), sleep: r.sleep, now: r.now });
    expect(seen).toEqual([0, 0.25, 0.75, 1]);
    expect(r.slept).toEqual([50, 100, 200]);
  });

  it('never sleeps past the deadline, then throws IndexBuildingError naming the progress', async () => {
    const r = replay([building('0.1')]);
    const waiting = waitForIndexing(r.read, { deadlineMs: 500, name: 'am:idx:m', sleep: r.sleep, now: r.now });
    await expect(waiting).rejects.toBeInstanceOf(IndexBuildingError);
    const again = replay([building('0.1')]);
    await expect(waitForIndexing(again.read, { deadlineMs: 500, name: 'am:idx:m', sleep: again.sleep, now: again.now })).rejects.toThrow(/am:idx:m is still being built.*10\.0% indexed, 2000 documents/);
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
      'FT.SEARCH', 'am:idx:memories', `(@_scope:{${TOKEN}})=>[KNN $k @v $vec HYBRID_POLICY ADHOC_BF AS __score]`,
      'PARAMS', '4', 'k', '5', 'vec', VEC,
      'RETURN', '2', 'p', '__score', 'SORTBY', '__score', 'ASC', 'LIMIT', '0', '5', 'DIALECT', '2',
    ]);
  });
});

describe('dropping a namespace’s index', () => {
  const names = indexNames(new Keyspace('am'), 'memories');

  it.each<[string, string | null, string[][]]>([
    ['the alias names the first version', 'am:idx:memories:v1', [['FT.ALIASDEL', 'am:idx:memories'], ['FT.DROPINDEX', 'am:idx:memories:v1']]],
    ['the alias was moved to a later version: both go', 'am:idx:memories:v3', [['FT.ALIASDEL', 'am:idx:memories'], ['FT.DROPINDEX', 'am:idx:memories:v3'], ['FT.DROPINDEX', 'am:idx:memories:v1']]],
    ['no alias left (a half-done drop): the first version still goes', null, [['FT.ALIASDEL', 'am:idx:memories'], ['FT.DROPINDEX', 'am:idx:memories:v1']]],
    ['the alias names an index that is not ours: it is left alone', 'someone-elses-index', [['FT.ALIASDEL', 'am:idx:memories'], ['FT.DROPINDEX', 'am:idx:memories:v1']]],
    ['a look-alike of another namespace is not ours', 'am:idx:memories:v1x', [['FT.ALIASDEL', 'am:idx:memories'], ['FT.DROPINDEX', 'am:idx:memories:v1']]],
  ])('%s', (_, current, expected) => {
    expect(buildDropNamespaceCommands(names, current)).toEqual(expected);
  });

  it('never drops with DD (the items are shared by every version, and dropScope deletes them)', () => {
    for (const command of buildDropNamespaceCommands(names, 'am:idx:memories:v2')) expect(command).not.toContain('DD');
  });
});
