// LangGraph's own conformance suite for checkpointers (@langchain/langgraph-checkpoint-validation),
// run against AgentMemoryCheckpointer on Redis 8, Redis 7 and the cluster. Each checkpointer the
// suite creates gets a fresh key prefix, so its `list` of every thread sees only its own.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deltaChannelHistoryTests, validate, type CheckpointSaverTestInitializer } from '@langchain/langgraph-checkpoint-validation';
import { AgentMemoryCheckpointer } from '../../../adapters/langgraph/index.js';
import { CheckpointStore } from '../../../src/checkpoint/checkpoint-store.js';
import { Keyspace } from '../../../src/keys.js';
import type { RedisConnection } from '../../../src/index.js';
import { connectTo, deletePrefix, targetsWithCluster, uniquePrefix } from '../../harness/index.js';

// The suite is written against test-runner globals.
Object.assign(globalThis, { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it });

for (const target of targetsWithCluster()) {
  let connection: RedisConnection;
  const prefixes = new Map<AgentMemoryCheckpointer, string>();
  const initializer: CheckpointSaverTestInitializer<AgentMemoryCheckpointer> = {
    checkpointerName: `AgentMemoryCheckpointer (${target.name})`,
    beforeAll: async () => {
      connection = await connectTo(target);
    },
    afterAll: async () => {
      await connection.close();
    },
    createCheckpointer: () => {
      const prefix = uniquePrefix('cpv');
      const checkpointer = new AgentMemoryCheckpointer(new CheckpointStore(connection, new Keyspace(prefix)));
      prefixes.set(checkpointer, prefix);
      return checkpointer;
    },
    destroyCheckpointer: async (checkpointer) => {
      await deletePrefix(connection, prefixes.get(checkpointer)!);
    },
  };
  validate(initializer);
  describe(`${initializer.checkpointerName} (delta channels)`, () => deltaChannelHistoryTests(initializer));
}
