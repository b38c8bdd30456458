// What the redisearch engine reads from RediSearch's RESP3 replies (the library's connections
// always speak RESP3, with maps as plain objects): FT.SEARCH rows as hits, the timeout warning,
// FT.INFO's indexing progress. Pure: never sends a command; unit-tested on documented replies.
import { QueryTimeoutError } from '../../../errors.js';
import { bytesToVector, scoreFromDistance } from '../../items.js';
import { markPartial, type Hit, type IndexingState, type Metric } from '../../types.js';
import { DISTANCE_FIELD } from './query.js';

/** A RESP3 map as node-redis decodes it by default (an object with string keys); null for anything else. */
type Resp3Map = Record<string, unknown>;
const asMap = (value: unknown): Resp3Map | null =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value) ? (value as Resp3Map) : null;

/** A bulk or simple string (a Buffer when read as Buffers) or a number, as text; null otherwise. */
const replyText = (value: unknown): string | null => {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
};

/** One result row as a hit; null when it is not an item or its document is gone (expired while read). */
function toHit(key: string | null, fields: Resp3Map | null, metric: Metric): Hit | null {
  if (key === null || fields === null) return null;
  const at = key.lastIndexOf(':i:');
  const payload = replyText(fields.p);
  const distance = Number(replyText(fields[DISTANCE_FIELD]) ?? NaN);
  if (at < 0 || payload === null || Number.isNaN(distance)) return null;
  const hit: Hit = { id: key.slice(at + 3), score: scoreFromDistance(metric, distance), payload };
  if (Buffer.isBuffer(fields.v)) hit.vector = Array.from(bytesToVector(fields.v));
  return hit;
}

/**
 * Hits of an FT.SEARCH reply that RETURNed `p` and the distance (and `v`, read as a Buffer, for
 * `withVectors`), in the server's order, from the RESP3 map `{ total_results, results: [{ id,
 * extra_attributes: { … }, values }], warning, … }`. Rows whose document expired (no
 * extra_attributes) are left out; distances become scores with `scoreFromDistance`.
 *
 * @example parseSearchReply({ total_results: 1, results: [{ id: 'am:ltm:n:{t:u}:i:m1', extra_attributes: { p: '"x"', __score: '0' }, values: [] }] }, 'cosine') // [{ id: 'm1', score: 1, payload: '"x"' }]
 */
export function parseSearchReply(reply: unknown, metric: Metric): Hit[] {
  const results = asMap(reply)?.results;
  if (!Array.isArray(results)) return [];
  const hits: Hit[] = [];
  for (const row of results) {
    const fields = asMap(row);
    const hit = toHit(replyText(fields?.id), asMap(fields?.extra_attributes), metric);
    if (hit) hits.push(hit);
  }
  return hits;
}

/**
 * The warnings of an FT.SEARCH reply (its `warning` array): RediSearch reports a query its time
 * limit stopped under the `return` policy as `Timeout limit was reached` there, with the rows
 * found so far.
 *
 * @example searchWarnings({ total_results: 0, results: [], warning: ['Timeout limit was reached'] }) // ['Timeout limit was reached']
 */
export function searchWarnings(reply: unknown): string[] {
  const warning = asMap(reply)?.warning;
  if (!Array.isArray(warning)) return [];
  return warning.map(replyText).filter((w): w is string => w !== null && w !== '');
}

/** True for a reply warning or error message of a query the server's time limit stopped. */
export const isTimeoutMessage = (message: string): boolean => /timeout limit was reached/i.test(message);

/**
 * The hits of an FT.SEARCH reply, or QueryTimeoutError when the server's time limit stopped the
 * query (its rows may be missing better items), unless `allowPartial`: then the hits come back
 * marked partial (see isPartial).
 *
 * @example searchOutcome(reply, 'cosine', { allowPartial: false, index: 'am:idx:memories' })
 */
export function searchOutcome(reply: unknown, metric: Metric, options: { allowPartial: boolean; index: string }): Hit[] {
  const hits = parseSearchReply(reply, metric);
  const timedOut = searchWarnings(reply).some(isTimeoutMessage);
  if (!timedOut) return hits;
  if (options.allowPartial) return markPartial(hits);
  throw new QueryTimeoutError(
    `the RediSearch query on ${options.index} reached the server's time limit (search-timeout) and returned ${hits.length === 0 ? 'no results' : `only ${hits.length} result(s) found so far`}: it is not read as an answer. Retry, raise search-timeout, or ask fewer results.`,
  );
}

/** FT.INFO's indexing progress, from its RESP3 map (integers and doubles as numbers; text tolerated). */
export function parseIndexingState(reply: unknown): IndexingState {
  const info = asMap(reply);
  const num = (name: string, fallback: number): number => {
    const value = Number(replyText(info?.[name]) ?? NaN);
    return Number.isFinite(value) ? value : fallback;
  };
  const indexing = num('indexing', 0) !== 0;
  return {
    indexing,
    percentIndexed: num('percent_indexed', indexing ? 0 : 1),
    numDocs: num('num_docs', 0),
    failures: num('hash_indexing_failures', 0),
  };
}

/** True when an index covers every key that existed before it: queries see all of them. */
export const isIndexReady = (state: IndexingState): boolean => !state.indexing && state.percentIndexed >= 1;
