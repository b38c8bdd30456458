// An index's definition is stored beside it, so that a process opening it with another one (a new
// embedder's dimension, another metric or engine) gets a typed error naming both, not bad results.
import type { RedisConnection } from '../connection/connect.js';
import { DimensionMismatchError, IndexMismatchError } from '../errors.js';
import type { ResolvedIndexDefinition, VectorIndex } from './types.js';

/** The parts of a definition that must match for the stored data to be readable. */
function identity(def: ResolvedIndexDefinition, engine: VectorIndex['engine']) {
  return { engine, dim: def.dim, metric: def.metric, fields: def.fields, algorithm: def.algorithm, quantization: def.quantization };
}

/** Stores the definition if none is stored; else checks it. Returns true when it was created now. */
export async function ensureDefinition(
  connection: RedisConnection,
  key: string,
  def: ResolvedIndexDefinition,
  engine: VectorIndex['engine'],
): Promise<boolean> {
  const wanted = identity(def, engine);
  const created = await connection.send<string | null>(['SET', key, JSON.stringify(wanted), 'NX'], { key });
  if (created === 'OK') return true;
  const stored = JSON.parse(await connection.send<string>(['GET', key], { key })) as typeof wanted;
  const name = `index ${def.namespace}`;
  if (stored.dim !== wanted.dim) {
    throw new DimensionMismatchError(
      `${name} stores ${stored.dim}-dimensional vectors; this one has ${wanted.dim}. Use another namespace (LongTermMemory.migrateTo() moves memories to a new one).`,
    );
  }
  for (const field of ['engine', 'metric', 'algorithm', 'quantization'] as const) {
    if (stored[field] !== wanted[field]) {
      throw new IndexMismatchError(
        `${name} was created with ${field} ${stored[field]}; this one asks for ${wanted[field]}. Use another namespace (LongTermMemory.migrateTo() moves memories to a new one).`,
      );
    }
  }
  if (JSON.stringify(stored.fields) !== JSON.stringify(wanted.fields)) {
    throw new IndexMismatchError(
      `${name} was created with fields ${JSON.stringify(stored.fields)}; this one asks for ${JSON.stringify(wanted.fields)}.`,
    );
  }
  return false;
}

/** Deletes a stored definition (the namespace is being dropped): a new index may then take the name with another one. */
export async function dropDefinition(connection: RedisConnection, key: string): Promise<void> {
  await connection.send(['UNLINK', key], { key });
}
