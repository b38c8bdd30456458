// The vectorset engine: Redis 8 vector sets, one set per scope (so a scope lives on one cluster
// shard and a query cannot reach another scope's set). Filterable values are JSON attributes
// (SETATTR) compiled from the filter language; payloads stay in the item hashes, fetched by the
// same script that runs VSIM. Vector sets measure cosine similarity only. The vector set is the
// membership: an item it does not hold is not live, whatever else remains (see scope-store.ts).
import type { RedisArgument } from '@redis/client';
import type { RedisConnection } from '../../connection/connect.js';
import { UnsupportedServerError } from '../../errors.js';
import type { Keyspace, VectorKeys } from '../../keys.js';
import { vectorVsim } from '../../scripts/vector.js';
import { ensureDefinition } from '../definition.js';
import { compileToVectorSet } from '../filter.js';
import { toFloat32, vectorBytes, vectorSetAttributes } from '../items.js';
import { ScopeStoreIndex } from '../scope-store.js';
import type { Hit, QueryOptions, ResolvedIndexDefinition, Scope, VectorItem } from '../types.js';

const QUANT = { noquant: 'NOQUANT', q8: 'Q8', bin: 'BIN' } as const;

export class VectorSetIndex extends ScopeStoreIndex {
  readonly engine = 'vectorset';

  constructor(connection: RedisConnection, keyspace: Keyspace, definition: ResolvedIndexDefinition) {
    super(connection, keyspace, definition, { vectorInHash: false, vectorSet: true });
  }

  async ensure(): Promise<void> {
    if (this.definition.metric !== 'cosine') {
      throw new UnsupportedServerError(
        `vector sets measure cosine similarity only; index ${this.definition.namespace} asks for ${this.definition.metric} (use the redisearch or flat engine)`,
      );
    }
    await ensureDefinition(this.connection, this.definitionKey, this.definition, this.engine);
  }

  protected override upsertExtra(item: VectorItem, keys: VectorKeys): RedisArgument[][] {
    const d = this.definition;
    return [
      ['VREM', keys.vectorSet, item.id],
      [
        'VADD',
        keys.vectorSet,
        'FP32',
        vectorBytes(toFloat32(item.vector, d.dim)),
        item.id,
        QUANT[d.quantization],
        'EF',
        String(d.efConstruction),
        'SETATTR',
        vectorSetAttributes(d, item),
        'M',
        String(d.m),
      ],
    ];
  }

  async query(scope: Scope, vector: ArrayLike<number>, options: QueryOptions): Promise<Hit[]> {
    const keys = this.store.keys(scope);
    const args: RedisArgument[] = [
      'FP32',
      vectorBytes(toFloat32(vector, this.definition.dim, 'query vector')),
      'WITHSCORES',
      'COUNT',
      String(options.k),
      'EF',
      String(options.ef ?? this.definition.efRuntime),
    ];
    if (options.filter) args.push('FILTER', compileToVectorSet(options.filter), 'FILTER-EF', String(Math.max(options.k * 100, 1000)));
    if (options.exact) args.push('TRUTH');
    const withVectors = options.withVectors === true;
    return vectorVsim(this.connection, keys, { withVectors, query: args as (string | Buffer)[] });
  }
}
