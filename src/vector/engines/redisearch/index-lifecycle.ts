// The life of a namespace's RediSearch index: its name, its FT.CREATE arguments, creating it (or
// finding it) with the stored definition checked, waiting while it is built over existing keys
// (FT.INFO), and dropping it. The index never owns the item hashes: FT.DROPINDEX is sent without DD.
import { z } from 'zod';
import type { RedisArgument } from '@redis/client';
import type { RedisConnection } from '../../../connection/connect.js';
import { IndexBuildingError, RedisCommandError, UnsupportedServerError } from '../../../errors.js';
import type { Keyspace } from '../../../keys.js';
import { parseInput } from '../../../validate.js';
import { dropDefinition, ensureDefinition } from '../../definition.js';
import { numField, tagField } from '../../filter.js';
import { TAG_SEPARATOR } from '../../items.js';
import type { EnsureOptions, IndexingState, Metric, ResolvedIndexDefinition } from '../../types.js';
import { SCOPE_FIELD } from './query.js';
import { isIndexReady, parseIndexingState } from './replies.js';

const METRIC_NAME = { cosine: 'COSINE', ip: 'IP', l2: 'L2' } as const satisfies Record<Metric, string>;

/**
 * The index name of a namespace under a keyspace's prefix.
 *
 * @example indexName(new Keyspace('am'), 'memories') // 'am:idx:memories'
 */
export const indexName = (keyspace: Keyspace, namespace: string): string => `${keyspace.prefix}:idx:${namespace}`;

/**
 * FT.CREATE arguments for a definition: hashes under `prefix`, the scope TAG, the float32 vector,
 * and each declared field as `t_<f>` TAG (separator `|`) or `n_<f>` NUMERIC. The payload `p` is
 * not indexed; FT.SEARCH RETURN reads it from the hash.
 *
 * @example buildCreateIndexArgs(def, 'am:idx:memories', 'am:ltm:memories:')
 */
export function buildCreateIndexArgs(definition: ResolvedIndexDefinition, name: string, prefix: string): string[] {
  const vectorAttributes = ['TYPE', 'FLOAT32', 'DIM', String(definition.dim), 'DISTANCE_METRIC', METRIC_NAME[definition.metric]];
  if (definition.algorithm === 'hnsw') {
    vectorAttributes.push(
      'M',
      String(definition.m),
      'EF_CONSTRUCTION',
      String(definition.efConstruction),
      'EF_RUNTIME',
      String(definition.efRuntime),
    );
  }
  const args = ['FT.CREATE', name, 'ON', 'HASH', 'PREFIX', '1', prefix, 'SCHEMA', SCOPE_FIELD, 'TAG'];
  args.push('v', 'VECTOR', definition.algorithm.toUpperCase(), String(vectorAttributes.length), ...vectorAttributes);
  for (const [field, kind] of Object.entries(definition.fields)) {
    if (kind === 'tag') args.push(tagField(field), 'TAG', 'SEPARATOR', TAG_SEPARATOR);
    else args.push(numField(field), 'NUMERIC');
  }
  return args;
}

/** FT.DROPINDEX without DD: the index goes, the item hashes (which dropScope deletes) stay. */
export const buildDropIndexArgs = (name: string): string[] => ['FT.DROPINDEX', name];

/** Options of `ensure` (see EnsureOptions), defaults included. */
export const EnsureOptionsSchema = z
  .object({
    waitForIndexing: z.boolean().default(true),
    indexingDeadlineMs: z.number().int().min(0).max(86_400_000).default(60_000),
    onIndexingProgress: z.custom<(state: IndexingState) => void>((v) => typeof v === 'function', 'must be a function').optional(),
  })
  .strict();

/**
 * Reads the indexing state until the index is ready (returns the last state), calling
 * `onProgress` with each state read, and throws IndexBuildingError once `deadlineMs` has passed.
 * Polls every 50 ms at first, backing off to once a second.
 *
 * @example await waitForIndexing(() => index.indexingState(), { deadlineMs: 60_000, name: 'am:idx:memories' })
 */
export async function waitForIndexing(
  read: () => Promise<IndexingState>,
  options: {
    deadlineMs: number;
    name: string;
    first?: IndexingState | undefined;
    onProgress?: ((state: IndexingState) => void) | undefined;
    sleep?: (ms: number) => Promise<void>;
    now?: () => number;
  },
): Promise<IndexingState> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + options.deadlineMs;
  let state = options.first ?? (await read());
  for (let attempt = 0; ; attempt++) {
    options.onProgress?.(state);
    if (isIndexReady(state)) return state;
    const left = deadline - now();
    if (left <= 0) {
      throw new IndexBuildingError(
        `index ${options.name} is still being built over existing keys (${(state.percentIndexed * 100).toFixed(1)}% indexed, ${state.numDocs} documents) after ${options.deadlineMs} ms: queries would miss the rest. It keeps building on the server; retry later, or allow a longer indexingDeadlineMs.`,
      );
    }
    await sleep(Math.min(left, 50 * 2 ** Math.min(attempt, 5), 1000));
    state = await read();
  }
}

const isUnknownIndex = (error: unknown) => error instanceof RedisCommandError && /unknown index name|no such index/i.test(error.message);
const isUnknownCommand = (error: unknown) => error instanceof RedisCommandError && /unknown command/i.test(error.message);
const isAlreadyExists = (error: unknown) => error instanceof RedisCommandError && /already exists/i.test(error.message);

/** What the lifecycle of one namespace's index works on. */
export interface SearchIndexTarget {
  connection: RedisConnection;
  /** The index name (see {@link indexName}). */
  name: string;
  definition: ResolvedIndexDefinition;
  /** The key prefix of the namespace's item hashes. */
  prefix: string;
  /** Where the definition is stored (see definition.ts). */
  definitionKey: string;
}

/** Sends an FT.* command; on a cluster any node takes it (the coordinator broadcasts), routed by the index name. */
const send = (target: SearchIndexTarget, args: readonly RedisArgument[]): Promise<unknown> =>
  target.connection.send(args, { key: target.name });

/** FT.INFO of the index; null when there is none, UnsupportedServerError when the server has no search module. */
export async function readIndexInfo(target: SearchIndexTarget): Promise<unknown> {
  try {
    return (await send(target, ['FT.INFO', target.name])) ?? {};
  } catch (error) {
    if (isUnknownIndex(error)) return null;
    if (isUnknownCommand(error)) {
      throw new UnsupportedServerError(
        `the redisearch engine needs the Redis Query Engine (the search module: Redis Stack, Redis 8 with search, or Azure Managed Redis with RediSearch); ${target.connection.endpoint} does not know FT.INFO. Use the vectorset or flat engine.`,
      );
    }
    throw error;
  }
}

/** How far the index is built over the keys that existed before it (FT.INFO). */
export async function readIndexingState(target: SearchIndexTarget): Promise<IndexingState> {
  return parseIndexingState(await send(target, ['FT.INFO', target.name]));
}

/**
 * Creates the index or checks the stored definition; then, unless told not to, waits until an
 * index built over keys that existed before it covers them, so that the first queries do not read
 * "nothing" while the server is still indexing.
 */
export async function ensureSearchIndex(target: SearchIndexTarget, options: EnsureOptions = {}): Promise<void> {
  const o = parseInput(EnsureOptionsSchema, options, 'ensure options');
  // Probe first, so that a server without the module never gets a definition claiming this engine.
  const info = await readIndexInfo(target);
  await ensureDefinition(target.connection, target.definitionKey, target.definition, 'redisearch');
  if (info === null) {
    await send(target, buildCreateIndexArgs(target.definition, target.name, target.prefix)).catch((error: unknown) => {
      if (!isAlreadyExists(error)) throw error; // else another process created it first
    });
  }
  if (!o.waitForIndexing) return;
  await waitForIndexing(() => readIndexingState(target), {
    deadlineMs: o.indexingDeadlineMs,
    name: target.name,
    first: info === null ? undefined : parseIndexingState(info),
    onProgress: o.onIndexingProgress,
  });
}

/**
 * Drops the index (FT.DROPINDEX without DD: items are left for dropScope) and the stored
 * definition. Already gone is fine.
 */
export async function dropSearchIndex(target: SearchIndexTarget): Promise<void> {
  await send(target, buildDropIndexArgs(target.name)).catch((error: unknown) => {
    if (!isUnknownIndex(error)) throw error;
  });
  await dropDefinition(target.connection, target.definitionKey);
}
