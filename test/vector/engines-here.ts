// The engines a suite can run on this machine's targets: flat everywhere, vector sets where the
// server has them (decided by the capability probe, not the target's name, so an external Redis 7
// behind REDIS_URL skips them), RediSearch on REDISEARCH_URL. For engine-agnostic suites.
import type { RedisConnection } from '../../src/connection/connect.js';
import { probeCapabilities } from '../../src/connection/capabilities.js';
import type { Keyspace } from '../../src/keys.js';
import { FlatIndex } from '../../src/vector/engines/flat.js';
import { RediSearchIndex } from '../../src/vector/engines/redisearch.js';
import { VectorSetIndex } from '../../src/vector/engines/vectorset.js';
import { IndexDefinitionSchema, type IndexDefinition, type VectorIndex } from '../../src/vector/types.js';
import { targetsWithCluster, type RedisTarget } from '../harness/index.js';

export interface EngineHere {
  engine: VectorIndex['engine'];
  target: RedisTarget;
  make(connection: RedisConnection, keyspace: Keyspace, definition: IndexDefinition): VectorIndex;
  /** Null when the server can run the engine, else why not (the test skips with it). */
  unsupported(connection: RedisConnection): Promise<string | null>;
}

export function enginesHere(): EngineHere[] {
  const out: EngineHere[] = [];
  for (const target of targetsWithCluster()) {
    out.push({ engine: 'flat', target, make: (c, k, d) => new FlatIndex(c, k, IndexDefinitionSchema.parse(d)), unsupported: async () => null });
    if (target.name !== 'redis7') {
      out.push({
        engine: 'vectorset',
        target,
        make: (c, k, d) => new VectorSetIndex(c, k, IndexDefinitionSchema.parse(d)),
        unsupported: async (c) => ((await probeCapabilities(c)).vectorSets ? null : 'this server has no vector sets'),
      });
    }
  }
  const url = process.env.REDISEARCH_URL;
  if (url) out.push({ engine: 'redisearch', target: { name: 'redisearch', url, version: null }, make: (c, k, d) => new RediSearchIndex(c, k, IndexDefinitionSchema.parse(d)), unsupported: async () => null });
  return out;
}
