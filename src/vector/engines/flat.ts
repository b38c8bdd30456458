// The flat engine: any Redis, no modules (Redis 7, Azure Cache for Redis). Vectors are float32 in
// each item's hash; a query reads one scope's vectors and scores them exactly in the client. It is
// meant for scopes of a few thousand items, and warns beyond FLAT_SCOPE_WARNING. The id set is the
// membership: a hash it does not list is not live, for query, get and count alike (scope-store.ts).
import type { RedisConnection } from '../../connection/connect.js';
import type { Keyspace } from '../../keys.js';
import { ensureDefinition } from '../definition.js';
import { compileToPredicate } from '../filter.js';
import { bytesToVector, decodeFilterValues, filterFieldNames, similarity, toFloat32 } from '../items.js';
import { ScopeStoreIndex } from '../scope-store.js';
import type { Hit, QueryOptions, ResolvedIndexDefinition, Scope } from '../types.js';

/** Items in one scope above which the flat engine warns (once per process and scope). */
export const FLAT_SCOPE_WARNING = 10_000;
const warned = new Set<string>();

export class FlatIndex extends ScopeStoreIndex {
  readonly engine = 'flat';

  constructor(connection: RedisConnection, keyspace: Keyspace, definition: ResolvedIndexDefinition) {
    super(connection, keyspace, definition, { vectorInHash: true, vectorSet: false });
  }

  async ensure(): Promise<void> {
    await ensureDefinition(this.connection, this.definitionKey, this.definition, this.engine);
  }

  async query(scope: Scope, vector: ArrayLike<number>, options: QueryOptions): Promise<Hit[]> {
    const q = toFloat32(vector, this.definition.dim, 'query vector');
    const filterFields = filterFieldNames(this.definition);
    const rows = await this.store.scan(scope, ['v', ...filterFields], true);
    if (rows.length > FLAT_SCOPE_WARNING && !warned.has(scope.tag)) {
      warned.add(scope.tag);
      this.connection.logger.warn(
        { component: 'vector', engine: 'flat', items: rows.length, warning: 'PerformanceWarning' },
        `the flat engine scores ${rows.length} items of one scope in the client; above ${FLAT_SCOPE_WARNING} use Redis 8 vector sets or RediSearch`,
      );
    }
    const keep = options.filter ? compileToPredicate(options.filter) : null;
    const scored: { id: string; score: number; vector: Float32Array }[] = [];
    for (const row of rows) {
      const [bytes, ...raw] = row.values as (Buffer | null)[];
      if (!bytes) continue;
      if (
        keep &&
        !keep(
          decodeFilterValues(
            this.definition,
            raw.map((b) => (b === null ? null : b.toString('utf8'))),
          ),
        )
      )
        continue;
      const stored = bytesToVector(bytes);
      scored.push({ id: row.id, score: similarity(this.definition.metric, q, stored), vector: stored });
    }
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    const top = scored.slice(0, options.k);
    const payloads = await this.store.get(
      scope,
      top.map((t) => t.id),
    );
    return top.flatMap((t, i): Hit[] => {
      if (payloads[i] === null) return [];
      const hit: Hit = { id: t.id, score: t.score, payload: payloads[i]! };
      if (options.withVectors) hit.vector = Array.from(t.vector);
      return [hit];
    });
  }
}
