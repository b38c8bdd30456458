// The vectorset engine: Redis 8 vector sets, one set per scope (so a scope lives on one cluster
// shard and a query cannot reach another scope's set). Filterable values are JSON attributes
// (SETATTR) compiled from the filter language; payloads stay in the item hashes. A query sends
// VSIM as a plain command (never inside a script: Redis runs it on its thread pool), then reads
// the hits' payloads (and vectors) in one MULTI of plain reads. Vector sets measure cosine similarity only. The
// vector set is the membership: an item it does not hold is not live, whatever else remains (see
// scope-store.ts).
import type { RedisArgument } from '@redis/client';
import type { RedisConnection } from '../../connection/connect.js';
import { AgentMemoryError, UnsupportedServerError } from '../../errors.js';
import type { Keyspace, VectorKeys } from '../../keys.js';
import { vectorPurge } from '../../scripts/vector.js';
import { ensureDefinition } from '../definition.js';
import { toFloat32, vectorBytes, vectorSetAttributes } from '../items.js';
import { ScopeStoreIndex } from '../scope-store.js';
import type { Hit, QueryOptions, ResolvedIndexDefinition, Scope, VectorItem } from '../types.js';
import { buildVsimArgs, parseVsimReply } from './vectorset/query.js';
import { asErr } from '../../observe/logger.js';

const QUANT = { noquant: 'NOQUANT', q8: 'Q8', bin: 'BIN' } as const;

/**
 * How many times a query asks VSIM again, for twice as many members, when hits whose item expired
 * (still members until their purge lands) left fewer than k live ones while more may exist.
 */
const REQUERIES = 2;

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

  /** VADD of an item, replacing its vector and attributes if the set holds it. */
  #vadd(item: VectorItem, keys: VectorKeys): RedisArgument[] {
    const d = this.definition;
    return [
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
    ];
  }

  protected override upsertExtra(item: VectorItem, keys: VectorKeys): RedisArgument[][] {
    return [['VREM', keys.vectorSet, item.id], this.#vadd(item, keys)];
  }

  protected override bulkUnstage(id: string, keys: VectorKeys): RedisArgument[][] {
    return [['VREM', keys.vectorSet, id]];
  }

  /**
   * Plain VADD, pipelined: not CAS. A CAS VADD holds its connection until its thread has searched
   * (Redis runs no further command of a blocked client), so on one connection CAS VADDs run one
   * after another, each paying a thread hand-off: 0.25x the items/s of plain VADD in the bench.
   */
  protected override bulkIndex(item: VectorItem, keys: VectorKeys): RedisArgument[] {
    return this.#vadd(item, keys);
  }

  /**
   * VSIM, then one MULTI of plain reads: HGET of each hit's payload (and VEMB of its vector when
   * asked): two round trips, no script. A hit whose hash is gone (expired) is not live: it is left
   * out, and purged in the background (vector-purge-4.lua, not awaited). When that leaves fewer
   * than k hits while VSIM returned all it was asked for, VSIM is asked again for twice as many
   * (at most REQUERIES times; only the new hits are read).
   */
  async query(scope: Scope, vector: ArrayLike<number>, options: QueryOptions): Promise<Hit[]> {
    const keys = this.store.keys(scope);
    const blob = vectorBytes(toFloat32(vector, this.definition.dim, 'query vector'));
    const k = Math.floor(options.k);
    if (k < 1) return [];
    const withVectors = options.withVectors === true;
    const ef = options.ef ?? this.definition.efRuntime;
    const read = new Map<string, { payload: string | null; vector: number[] | null }>();
    let count = k;
    for (let attempt = 0; ; attempt++) {
      const args = buildVsimArgs(keys.vectorSet, blob, { count, ef, filter: options.filter, exact: options.exact });
      // A read: sent late it changes nothing, so it skips node-redis's per-command queue timer (see CommandRoute).
      const ranked = parseVsimReply(await this.connection.send(args, { key: keys.vectorSet, harmlessIfLate: true }));
      // Empty: the scope is empty, or its vector set is gone while its id set remains (lost vectors, purged whole).
      if (ranked.length === 0 && attempt === 0) this.#purgeInBackground(keys, []);
      await this.#read(
        keys,
        ranked.map((m) => m.id).filter((id) => !read.has(id)),
        withVectors,
        read,
      );
      const hits: Hit[] = [];
      const dead: string[] = [];
      for (const { id, score } of ranked) {
        const { payload, vector: stored } = read.get(id)!;
        if (payload === null) dead.push(id);
        // No vector: the member left the set since VSIM (deleted, or being replaced): not live now.
        else if (!withVectors) hits.push({ id, score, payload });
        else if (stored !== null) hits.push({ id, score, payload, vector: stored });
      }
      if (dead.length > 0 && attempt === 0) this.#purgeInBackground(keys, dead);
      if (hits.length >= k || ranked.length < count || attempt === REQUERIES) return hits.slice(0, k);
      count *= 2;
    }
  }

  /** Reads hits' payloads (null: the hash is gone) and, when asked, vectors (null: no longer a member) into `into`: one MULTI of HGET / VEMB. */
  async #read(
    keys: VectorKeys,
    ids: readonly string[],
    withVectors: boolean,
    into: Map<string, { payload: string | null; vector: number[] | null }>,
  ): Promise<void> {
    if (ids.length === 0) return;
    const commands: RedisArgument[][] = [];
    for (const id of ids) {
      commands.push(['HGET', keys.item(id), 'p']);
      if (withVectors) commands.push(['VEMB', keys.vectorSet, id]);
    }
    const replies = await this.connection.transaction(commands, keys.vectorSet);
    const width = withVectors ? 2 : 1;
    ids.forEach((id, i) => {
      const payload = replies[i * width];
      const stored = withVectors ? (replies[i * width + 1] as (string | number)[] | null) : null;
      into.set(id, {
        payload: payload === null || payload === undefined ? null : String(payload),
        vector: stored ? stored.map(Number) : null,
      });
    });
  }

  /**
   * Purges dead hits (and a scope whose vector set is gone) without holding up the query. A
   * failure that may pass by itself (connection, timeout, OOM, server busy) is dropped: the next
   * query or scan purges again. Any other is a warning, never an unhandled rejection.
   */
  #purgeInBackground(keys: VectorKeys, ids: readonly string[]): void {
    vectorPurge(this.connection, keys, { ids }).catch((error: unknown) => {
      if (error instanceof AgentMemoryError && error.transient) return;
      this.connection.logger.warn(
        { component: 'vector', engine: 'vectorset', err: asErr(error) },
        'could not purge expired vector-set items',
      );
    });
  }
}
