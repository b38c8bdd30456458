// The redisearch engine: one Redis Query Engine index per namespace over the shared item hashes, KNN
// queries server-side. Its parts: query building (redisearch/query.ts), reply parsing
// (redisearch/replies.ts) and the index's lifecycle (redisearch/index-lifecycle.ts).
// Never put a caller's string in a query: only buildKnnSearchArgs writes one.
import type { RedisArgument } from '@redis/client';
import type { RedisConnection } from '../../connection/connect.js';
import { QueryTimeoutError, RedisCommandError } from '../../errors.js';
import type { Keyspace } from '../../keys.js';
import { toFloat32, vectorBytes } from '../items.js';
import { ScopeStoreIndex } from '../scope-store.js';
import type { EnsureOptions, Hit, IndexingState, QueryOptions, ResolvedIndexDefinition, Scope } from '../types.js';
import { dropSearchIndex, ensureSearchIndex, indexName, readIndexingState, type SearchIndexTarget } from './redisearch/index-lifecycle.js';
import { EXACT, buildKnnSearchArgs } from './redisearch/query.js';
import { isTimeoutMessage, searchOutcome } from './redisearch/replies.js';

/**
 * A VectorIndex on the Redis Query Engine: items are the same hashes as every engine's (see
 * ScopeStore), indexed by one FT index per namespace, queried with FT.SEARCH.
 *
 * @example const index = new RediSearchIndex(connection, new Keyspace('am'), IndexDefinitionSchema.parse({ namespace: 'memories', dim: 1536 }));
 */
export class RediSearchIndex extends ScopeStoreIndex {
  readonly engine = 'redisearch';
  readonly #target: SearchIndexTarget;

  constructor(connection: RedisConnection, keyspace: Keyspace, definition: ResolvedIndexDefinition) {
    super(connection, keyspace, definition, { vectorInHash: true, vectorSet: false });
    this.#target = {
      connection,
      name: indexName(keyspace, definition.namespace),
      definition,
      prefix: this.namespacePrefix,
      definitionKey: this.definitionKey,
    };
  }

  /** The FT index every query of this index names, e.g. `am:idx:memories`. */
  get indexName(): string {
    return this.#target.name;
  }

  /**
   * Creates the FT index or checks the stored definition; then, unless told not to, waits until an
   * index built over keys that existed before it covers them (FT.INFO).
   */
  async ensure(options: EnsureOptions = {}): Promise<void> {
    await ensureSearchIndex(this.#target, options);
  }

  /** How far the index is built over the keys that existed before it (FT.INFO). */
  indexingState(): Promise<IndexingState> {
    return readIndexingState(this.#target);
  }

  /**
   * Drops the namespace's FT index (without DD: items are left for dropScope) and its stored
   * definition. Already gone is fine. On a cluster FT.* go to any node (the coordinator broadcasts them).
   */
  override async dropIndex(): Promise<void> {
    await dropSearchIndex(this.#target);
  }

  async query(scope: Scope, vector: ArrayLike<number>, options: QueryOptions): Promise<Hit[]> {
    const bytes = vectorBytes(toFloat32(vector, this.definition.dim, 'query vector'));
    const k = Math.floor(options.k);
    if (k < 1) return [];
    const withVectors = options.withVectors === true;
    const args = buildKnnSearchArgs(this.indexName, scope.token, options.filter, k, this.#efRuntime(k, options), bytes, withVectors);
    // With vectors the reply carries raw float32 bytes: read it as Buffers (the reply parser decodes text fields).
    return this.store.keepLive(scope, await this.#search(args, withVectors, options.allowPartial === true));
  }

  /** FLAT takes no EF_RUNTIME (it is exact); HNSW gets the query's, or brute force when exact. */
  #efRuntime(k: number, options: QueryOptions): number | typeof EXACT | undefined {
    if (this.definition.algorithm === 'flat') return undefined;
    if (options.exact) return EXACT;
    return Math.max(options.ef ?? this.definition.efRuntime, k);
  }

  /** Runs an FT.SEARCH; a query the server's time limit stopped is QueryTimeoutError (policy `return` or `fail`). */
  async #search(args: readonly RedisArgument[], buffers: boolean, allowPartial: boolean): Promise<Hit[]> {
    let reply: unknown;
    try {
      reply = await this.connection.send(args, { key: this.indexName, buffers });
    } catch (error) {
      if (error instanceof RedisCommandError && isTimeoutMessage(error.message)) {
        throw new QueryTimeoutError(
          `the RediSearch query on ${this.indexName} reached the server's time limit (search-timeout, policy fail). Retry, raise search-timeout, or ask fewer results.`,
          { cause: error },
        );
      }
      throw error;
    }
    return searchOutcome(reply, this.definition.metric, { allowPartial, index: this.indexName });
  }
}
