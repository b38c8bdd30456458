// Picks and builds a vector engine. `auto` takes RediSearch where the server has it, else Redis 8
// vector sets, else the flat engine, from the capability probe, and says which one it took.
import type { ServerCapabilities } from '../connection/capabilities.js';
import type { RedisConnection } from '../connection/connect.js';
import { UnsupportedServerError } from '../errors.js';
import type { Keyspace } from '../keys.js';
import { FlatIndex } from './engines/flat.js';
import { RediSearchIndex } from './engines/redisearch.js';
import { VectorSetIndex } from './engines/vectorset.js';
import type { EnsureOptions, ResolvedIndexDefinition, VectorIndex } from './types.js';

export type EngineChoice = 'auto' | VectorIndex['engine'];

/** The engine `auto` picks on a server. */
export function pickEngine(server: ServerCapabilities, metric: ResolvedIndexDefinition['metric']): VectorIndex['engine'] {
  if (server.search) return 'redisearch';
  if (server.vectorSets && metric === 'cosine') return 'vectorset';
  return 'flat';
}

/**
 * Builds the chosen (or picked) engine and ensures its index; a missing capability is a typed
 * error. `ensure` says how long to wait for a RediSearch index still being built over existing keys.
 */
export async function createVectorIndex(
  connection: RedisConnection,
  keyspace: Keyspace,
  definition: ResolvedIndexDefinition,
  choice: EngineChoice,
  server: ServerCapabilities,
  ensure: EnsureOptions = {},
): Promise<VectorIndex> {
  const engine = choice === 'auto' ? pickEngine(server, definition.metric) : choice;
  if (engine === 'vectorset' && !server.vectorSets)
    throw new UnsupportedServerError(`Redis ${server.version} has no vector sets (VADD): use Redis 8, or engine 'flat' or 'auto'`);
  if (engine === 'redisearch' && !server.search)
    throw new UnsupportedServerError(
      `the server has no RediSearch module: use Redis Stack, Azure Managed Redis with RediSearch, or engine 'auto'`,
    );
  const index =
    engine === 'redisearch'
      ? new RediSearchIndex(connection, keyspace, definition)
      : engine === 'vectorset'
        ? new VectorSetIndex(connection, keyspace, definition)
        : new FlatIndex(connection, keyspace, definition);
  await index.ensure(ensure);
  return index;
}
