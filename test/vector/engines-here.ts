// The engines a suite can run on this machine's targets: flat everywhere, vector sets where the
// server has them (decided by the capability probe, not the target's name, so an external Redis 7
// behind REDIS_URL skips them), RediSearch on REDISEARCH_URL. For engine-agnostic suites.
import type { RedisConnection } from '../../src/connection/connect.js';
import { probeCapabilities } from '../../src/connection/capabilities.js';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { Keyspace } from '../../src/keys.js';
import { FlatIndex } from '../../src/vector/engines/flat.js';
import { RediSearchIndex } from '../../src/vector/engines/redisearch.js';
import { VectorSetIndex } from '../../src/vector/engines/vectorset.js';
import { IndexDefinitionSchema, type IndexDefinition, type VectorIndex } from '../../src/vector/types.js';
import { connectTo, deletePrefix, targetsWithCluster, uniquePrefix, type RedisTarget } from '../harness/index.js';

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
    out.push({
      engine: 'flat',
      target,
      make: (c, k, d) => new FlatIndex(c, k, IndexDefinitionSchema.parse(d)),
      unsupported: async () => null,
    });
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
  if (url)
    out.push({
      engine: 'redisearch',
      target: { name: 'redisearch', url, version: null },
      make: (c, k, d) => new RediSearchIndex(c, k, IndexDefinitionSchema.parse(d)),
      unsupported: async () => null,
    });
  return out;
}

/** What {@link useEngine} opens for a describe block; read it inside hooks and tests. */
export interface EngineWorld {
  connection: RedisConnection;
  prefix: string;
  keyspace: Keyspace;
  /** Why the engine cannot run on this server (its tests are skipped), or null. */
  skipped: string | null;
  /** An index of this engine under the block's prefix, dropped (RediSearch: its FT index too) after the block. */
  make(definition: IndexDefinition): VectorIndex;
}

/**
 * Registers, in the calling describe block, a connection to the engine's target under a fresh
 * prefix, the skip of every test where the server cannot run the engine, and the clean-up after.
 */
export function useEngine({ target, make, unsupported }: EngineHere, label: string): EngineWorld {
  const indexes: VectorIndex[] = [];
  const world = {
    skipped: null,
    make: (definition: IndexDefinition) => {
      const index = make(world.connection, world.keyspace, definition);
      indexes.push(index);
      return index;
    },
  } as EngineWorld;
  beforeAll(async () => {
    world.connection = await connectTo(target);
    world.skipped = await unsupported(world.connection);
    world.prefix = uniquePrefix(label);
    world.keyspace = new Keyspace(world.prefix);
  });
  beforeEach((context) => {
    if (world.skipped) context.skip(world.skipped);
  });
  afterAll(async () => {
    if (!world.skipped) {
      for (const index of indexes) await index.dropIndex();
      await deletePrefix(world.connection, world.prefix);
    }
    await world.connection?.close();
  });
  return world;
}
