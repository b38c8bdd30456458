// The FT.SEARCH arguments of the redisearch engine's KNN query. Pure: builds arguments, never sends.
// Never put a caller's string in a query: the scope is always ANDed in as a hex TAG token, filters come only from compileToRediSearch.
import type { RedisArgument } from '@redis/client';
import { InvalidArgumentError } from '../../../errors.js';
import { compileToRediSearch, type Filter } from '../../filter.js';

/** The name a query yields the vector distance under (KNN `AS`). */
export const DISTANCE_FIELD = '__score';

/** The TAG field holding an item's scope token; every query is ANDed with it. */
export const SCOPE_FIELD = '_scope';

/**
 * What an `exact` query on HNSW asks instead of an EF_RUNTIME: the KNN runs as ad-hoc brute force
 * (HYBRID_POLICY ADHOC_BF), scoring every item that passes the scope and filter, however many.
 */
export const EXACT = 'exact';

/** The pre-filter of every query: the scope's token, ANDed with the compiled filter if any. */
function scopedFilter(scopeToken: string, filter: Filter | undefined): string {
  if (!/^[0-9a-f]+$/.test(scopeToken))
    throw new InvalidArgumentError('scope', [{ path: 'token', message: 'must be lowercase hex (build scopes with Keyspace.memoryScope)' }]);
  const scope = `@${SCOPE_FIELD}:{${scopeToken}}`;
  return filter ? `${scope} ${compileToRediSearch(filter)}` : scope;
}

/**
 * FT.SEARCH arguments for the `k` nearest items of one scope (DIALECT 2, pre-filtered), sorted by
 * distance. `ef` is the HNSW EF_RUNTIME; `'exact'` scores every candidate (HYBRID_POLICY
 * ADHOC_BF, no EF_RUNTIME); undefined for a FLAT index, which takes neither.
 *
 * @example buildKnnSearchArgs('am:idx:memories', scope.token, { field: 'lang', eq: 'en' }, 5, 200, bytes)
 */
export function buildKnnSearchArgs(
  indexName: string,
  scopeToken: string,
  filter: Filter | undefined,
  k: number,
  ef: number | typeof EXACT | undefined,
  vector: Buffer,
  withVectors = false,
): RedisArgument[] {
  const efClause = ef === undefined ? '' : ef === EXACT ? ' HYBRID_POLICY ADHOC_BF' : ' EF_RUNTIME $ef';
  const query = `(${scopedFilter(scopeToken, filter)})=>[KNN $k @v $vec${efClause} AS ${DISTANCE_FIELD}]`;
  const params: RedisArgument[] = ['k', String(k), 'vec', vector, ...(typeof ef === 'number' ? ['ef', String(ef)] : [])];
  return [
    'FT.SEARCH',
    indexName,
    query,
    'PARAMS',
    String(params.length),
    ...params,
    ...(withVectors ? ['RETURN', '3', 'p', DISTANCE_FIELD, 'v'] : ['RETURN', '2', 'p', DISTANCE_FIELD]),
    'SORTBY',
    DISTANCE_FIELD,
    'ASC',
    'LIMIT',
    '0',
    String(k),
    'DIALECT',
    '2',
  ];
}
