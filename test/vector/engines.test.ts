// Runs the conformance suite on the engines this machine can run: vector sets on Redis 8 (and the
// cluster), flat everywhere. RediSearch runs in redisearch.test.ts when REDISEARCH_URL is set.
import { FlatIndex } from '../../src/vector/engines/flat.js';
import { VectorSetIndex } from '../../src/vector/engines/vectorset.js';
import { IndexDefinitionSchema } from '../../src/vector/types.js';
import { targetsWithCluster } from '../harness/index.js';
import { runConformance } from './conformance.js';

for (const target of targetsWithCluster()) {
  runConformance('flat', target, (c, k, d) => new FlatIndex(c, k, IndexDefinitionSchema.parse(d)));
  if (target.name !== 'redis7') {
    runConformance('vectorset', target, (c, k, d) => new VectorSetIndex(c, k, IndexDefinitionSchema.parse(d)));
  }
}
