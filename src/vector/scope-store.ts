// What every engine keeps the same way: an item hash per item, the scope's id set, the scope's
// access stats (two sorted sets outside the item hashes), and an expiry that is the hash's own
// TTL. Engines add their query (and, for vector sets, the set itself) on top. Every write of a
// batch is one MULTI on the scope's slot. Every reader follows the engine's one membership rule:
//   vectorset: live = a member of the vector set whose hash exists (a lost id set is rebuilt from
//     the vector set; a lost vector set takes the scope's items with it, purged when noticed);
//   flat, redisearch: live = in the id set and its hash exists (a hash the id set lost is gone).
// The rule is written once, in src/scripts/includes/vector-scope.lua.
import type { RedisArgument } from '@redis/client';
import type { RedisConnection } from '../connection/connect.js';
import type { VectorKeys } from '../keys.js';
import { vectorDelete, vectorDrop, vectorRead, vectorScan, vectorTouch } from '../scripts/vector.js';
import { compileToPredicate, type Filter } from './filter.js';
import { numField } from './filter.js';
import { decodeFilterValues, filterFieldNames, itemFields } from './items.js';
import type { Keyspace } from '../keys.js';
import { dropDefinition } from './definition.js';
import {
  isPartial,
  markPartial,
  type Hit,
  type QueryOptions,
  type ResolvedIndexDefinition,
  type Scope,
  type VectorIndex,
  type VectorItem,
} from './types.js';

export class ScopeStore {
  constructor(
    private readonly connection: RedisConnection,
    private readonly keysOf: (scope: Scope) => VectorKeys,
    private readonly definition: ResolvedIndexDefinition,
    private readonly options: { vectorInHash: boolean; vectorSet: boolean },
  ) {}

  keys(scope: Scope): VectorKeys {
    return this.keysOf(scope);
  }

  /** Whether the vector set holds the membership (vectorset), not the id set. */
  get #bySet(): boolean {
    return this.options.vectorSet;
  }

  /** Writes items (replacing same ids) with `extra(item)` commands in the same MULTI. */
  async upsert(
    scope: Scope,
    items: readonly VectorItem[],
    extra: (item: VectorItem, keys: VectorKeys) => RedisArgument[][] = () => [],
  ): Promise<void> {
    if (items.length === 0) return;
    const keys = this.keysOf(scope);
    const commands: RedisArgument[][] = [];
    for (const item of items) {
      const key = keys.item(item.id);
      // Overwrite in place (not DEL + HSET); numeric fields the item no longer has go below.
      commands.push(['HSET', key, ...itemFields(this.definition, item, scope.token, this.options.vectorInHash)]);
      const absent = Object.entries(this.definition.fields)
        .filter(([name, kind]) => kind === 'numeric' && item.numbers?.[name] === undefined)
        .map(([name]) => numField(name));
      if (absent.length > 0) commands.push(['HDEL', key, ...absent]);
      commands.push(item.expiresAt !== undefined ? ['PEXPIREAT', key, String(Math.floor(item.expiresAt))] : ['PERSIST', key]);
      commands.push(['SADD', keys.ids, item.id], ...extra(item, keys));
    }
    await this.connection.transaction(commands, keys.ids);
  }

  /** Moves the expiry of items (null: never); items that no longer exist stay absent. */
  async expire(scope: Scope, ids: readonly string[], expiresAt: number | null): Promise<void> {
    if (ids.length === 0) return;
    const keys = this.keysOf(scope);
    const commands = ids.map((id) =>
      expiresAt === null ? ['PERSIST', keys.item(id)] : ['PEXPIREAT', keys.item(id), String(Math.floor(expiresAt))],
    );
    await this.#sendEach(commands, keys.ids);
  }

  /**
   * Commands that stay correct if only some of them run (TTL moves, an engine's extra deletions): pipelined, one round trip, but not in a MULTI, which Redis 7.0 refuses whole at
   * maxmemory even when it only frees memory. Replies in order.
   */
  #sendEach(commands: readonly RedisArgument[][], key: string): Promise<unknown[]> {
    return Promise.all(commands.map((command) => this.connection.send(command, { key })));
  }

  /**
   * Counts an access to each item that still exists (access count, last-access time) in the
   * scope's access stats: one script, and never a write to an item hash.
   */
  async touch(scope: Scope, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const keys = this.keysOf(scope);
    await vectorTouch(this.connection, keys, { at: Date.now(), ids });
  }

  /** Access count and last-access time (ms, null when never recalled) of live items; null for others. */
  async accessStats(scope: Scope, ids: readonly string[]): Promise<({ count: number; lastAt: number | null } | null)[]> {
    if (ids.length === 0) return [];
    const rows = await vectorRead(this.connection, this.keysOf(scope), { bySet: this.#bySet, withStats: true, ids });
    // Both stats or neither: an item missing from either key reads as never recalled.
    return rows.map(({ payload, count, lastAt }) =>
      payload === null ? null : count === null || lastAt === null ? { count: 0, lastAt: null } : { count, lastAt },
    );
  }

  /** Payloads of live items (null for the others), in order. */
  async get(scope: Scope, ids: readonly string[]): Promise<(string | null)[]> {
    if (ids.length === 0) return [];
    return (await vectorRead(this.connection, this.keysOf(scope), { bySet: this.#bySet, withStats: false, ids })).map((r) => r.payload);
  }

  /**
   * The hits whose item is live under the id-set rule (one SMISMEMBER), for an engine whose query
   * reads an index that does not know the id set (RediSearch). A partial answer stays marked.
   */
  async keepLive<T extends Hit>(scope: Scope, hits: T[]): Promise<T[]> {
    if (hits.length === 0 || this.options.vectorSet) return hits;
    const keys = this.keysOf(scope);
    const members = await this.connection.send<unknown[]>(['SMISMEMBER', keys.ids, ...hits.map((h) => h.id)], { key: keys.ids });
    const kept = hits.filter((_, i) => Number(members[i]) === 1);
    return isPartial(hits) ? markPartial(kept) : kept;
  }

  /** Every live item with the given fields, tidying up what is no longer live on the way (vector-scan-4.lua). */
  async scan(scope: Scope, fields: readonly string[], buffers = false): Promise<{ id: string; values: (Buffer | string | null)[] }[]> {
    return vectorScan(this.connection, this.keysOf(scope), { bySet: this.#bySet, fields, buffers });
  }

  async ids(scope: Scope, filter?: Filter, limit = Infinity): Promise<string[]> {
    const rows = await this.scan(scope, filter ? filterFieldNames(this.definition) : []);
    const keep = filter ? compileToPredicate(filter) : () => true;
    const out: string[] = [];
    for (const row of rows) {
      if (out.length >= limit) break;
      if (keep(decodeFilterValues(this.definition, row.values as (string | null)[]))) out.push(row.id);
    }
    return out;
  }

  /**
   * Deletes items (hash, membership, access stats) in one script that only frees memory, so it
   * runs at maxmemory too; returns how many were live. An engine's `extra(id)` commands are
   * pipelined after it.
   */
  async delete(
    scope: Scope,
    ids: readonly string[],
    extra: (id: string, keys: VectorKeys) => RedisArgument[][] = () => [],
  ): Promise<number> {
    if (ids.length === 0) return 0;
    const keys = this.keysOf(scope);
    const deleted = await vectorDelete(this.connection, keys, { bySet: this.#bySet, ids });
    const commands = ids.flatMap((id) => extra(id, keys));
    if (commands.length > 0) await this.#sendEach(commands, keys.ids);
    return deleted;
  }

  async count(scope: Scope): Promise<number> {
    return (await this.scan(scope, [])).length;
  }

  async dropScope(scope: Scope): Promise<number> {
    return vectorDrop(this.connection, this.keysOf(scope), { bySet: this.#bySet });
  }
}

/**
 * What every engine shares: the item bookkeeping of a ScopeStore. An engine adds `ensure` and
 * `query`, and may add commands of its own to upserts and deletes (`upsertExtra`, `deleteExtra`).
 */
export abstract class ScopeStoreIndex implements VectorIndex {
  abstract readonly engine: VectorIndex['engine'];
  protected readonly store: ScopeStore;
  protected readonly definitionKey: string;
  protected readonly namespacePrefix: string;

  constructor(
    readonly connection: RedisConnection,
    keyspace: Keyspace,
    readonly definition: ResolvedIndexDefinition,
    options: { vectorInHash: boolean; vectorSet: boolean },
  ) {
    const keys = keyspace.vector(definition.namespace);
    this.definitionKey = keys.definition;
    this.namespacePrefix = keys.namespacePrefix;
    this.store = new ScopeStore(connection, (scope) => keys.scope(scope.tag), definition, options);
  }

  abstract ensure(): Promise<void>;
  abstract query(scope: Scope, vector: ArrayLike<number>, options: QueryOptions): Promise<Hit[]>;

  /** Engine commands to run with an item's upsert, in the same MULTI. */
  protected upsertExtra(_item: VectorItem, _keys: VectorKeys): RedisArgument[][] {
    return [];
  }

  /** Engine commands to run after an item's deletion (pipelined after the delete script). */
  protected deleteExtra(_id: string, _keys: VectorKeys): RedisArgument[][] {
    return [];
  }

  upsert(scope: Scope, items: readonly VectorItem[]): Promise<void> {
    return this.store.upsert(scope, items, (item, keys) => this.upsertExtra(item, keys));
  }

  get(scope: Scope, ids: readonly string[]) {
    return this.store.get(scope, ids);
  }

  touch(scope: Scope, ids: readonly string[]) {
    return this.store.touch(scope, ids);
  }

  accessStats(scope: Scope, ids: readonly string[]) {
    return this.store.accessStats(scope, ids);
  }

  expire(scope: Scope, ids: readonly string[], expiresAt: number | null) {
    return this.store.expire(scope, ids, expiresAt);
  }

  ids(scope: Scope, filter?: QueryOptions['filter'], limit?: number) {
    return this.store.ids(scope, filter, limit);
  }

  delete(scope: Scope, ids: readonly string[]) {
    return this.store.delete(scope, ids, (id, keys) => this.deleteExtra(id, keys));
  }

  count(scope: Scope) {
    return this.store.count(scope);
  }

  dropScope(scope: Scope) {
    return this.store.dropScope(scope);
  }

  /** Drops what the engine keeps for the whole namespace: here, its stored definition. */
  async dropIndex(): Promise<void> {
    await dropDefinition(this.connection, this.definitionKey);
  }
}
