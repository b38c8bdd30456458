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
import { ConflictError } from '../errors.js';
import { parseInput } from '../validate.js';
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
  type BulkUpsertOptions,
  BulkUpsertOptionsSchema,
  type Hit,
  type QueryOptions,
  type ResolvedBulkOptions,
  type ResolvedIndexDefinition,
  type Scope,
  type VectorIndex,
  type VectorItem,
} from './types.js';

/**
 * The longest a bulk write's item stays staged (hash written, not yet a member): a writer that
 * dies between its steps leaves hashes no reader sees, and they expire by themselves after this.
 */
export const STAGING_TTL_MS = 3_600_000;

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
      commands.push(...this.#hashWrite(scope, item, key));
      commands.push(item.expiresAt !== undefined ? ['PEXPIREAT', key, String(Math.floor(item.expiresAt))] : ['PERSIST', key]);
      commands.push(['SADD', keys.ids, item.id], ...extra(item, keys));
    }
    await this.connection.transaction(commands, keys.ids);
  }

  /** The item's hash, overwritten in place (not DEL + HSET): its fields, and numeric fields it no longer has removed. */
  #hashWrite(scope: Scope, item: VectorItem, key: string): RedisArgument[][] {
    const commands: RedisArgument[][] = [['HSET', key, ...itemFields(this.definition, item, scope.token, this.options.vectorInHash)]];
    const absent = Object.entries(this.definition.fields)
      .filter(([name, kind]) => kind === 'numeric' && item.numbers?.[name] === undefined)
      .map(([name]) => numField(name));
    if (absent.length > 0) commands.push(['HDEL', key, ...absent]);
    return commands;
  }

  /**
   * The bulk write (see {@link VectorIndex.upsertMany}), chunk by chunk, each chunk in three
   * pipelined steps, so no step holds the server for a whole chunk (the one MULTI of `upsert`
   * holds it for every VADD of its batch) and an engine's indexing command runs outside MULTI:
   *   1. stage (vectorset: one MULTI per chunk; flat, RediSearch: plain commands, so RediSearch
   *      never indexes inside MULTI): the item leaves every membership (SREM, and `unstage` of the engine: VREM), then its
   *      hash is written with a staging expiry (at most STAGING_TTL_MS). A staged item is no
   *      reader's: not listed, not in the vector set, so no scan counts it, tidies it or returns it;
   *      if the writer dies here, the hash expires by itself.
   *   2. index: the engine's command per staged item (`index`, vectorset: VADD). From here a
   *      vector-set item is live (member + hash), with its staging expiry.
   *   3. commit (one MULTI per chunk, cheap commands only): the id enters the id set (flat,
   *      redisearch: from here it is live) and the hash gets its own expiry (or none).
   * An item is live only once whole. A failure fails the call after the chunk's other items are
   * committed; the items of chunks not yet written are not touched.
   */
  async upsertMany(
    scope: Scope,
    items: readonly VectorItem[],
    options: ResolvedBulkOptions,
    engine: {
      unstage?: (id: string, keys: VectorKeys) => RedisArgument[][];
      index?: (item: VectorItem, keys: VectorKeys) => RedisArgument[] | null;
    } = {},
  ): Promise<void> {
    const keys = this.keysOf(scope);
    const route = { key: keys.ids };
    // Built before anything is sent: an invalid item (dimension, tag) fails the call untouched.
    const built = items.map((item) => ({
      item,
      hash: this.#hashWrite(scope, item, keys.item(item.id)),
      index: engine.index?.(item, keys) ?? null,
    }));
    let written = 0;
    for (let start = 0; start < built.length; start += options.chunkSize) {
      const slice = built.slice(start, start + options.chunkSize);
      const chunk = slice.map((b) => b.item);
      const stagedUntil = Date.now() + STAGING_TTL_MS;
      const staging = slice.map(({ item, hash }) => {
        const until = item.expiresAt === undefined ? stagedUntil : Math.min(stagedUntil, Math.floor(item.expiresAt));
        return [
          ...(engine.unstage?.(item.id, keys) ?? []),
          ['SREM', keys.ids, item.id],
          ...hash,
          ['PEXPIREAT', keys.item(item.id), String(until)],
        ];
      });
      const indexing = slice.some((b) => b.index !== null) ? slice.map((b) => b.index) : null;
      // With an indexing step to follow (vectorset), the chunk's staging is one MULTI of cheap
      // commands: one send for the chunk, not five an item. Without one (flat, RediSearch: the HSET
      // is what RediSearch indexes), each command goes on its own, so the index never runs in MULTI.
      let ok: boolean[];
      let failure: unknown;
      if (indexing) {
        // One MULTI of the chunk's staging (cheap commands: one send for the chunk, not five an
        // item), then the VADDs. A failure stages nothing of the chunk: the chunk, and the call, fail here.
        await this.connection.transaction(staging.flat(), keys.ids);
        const indexed = await Promise.allSettled(indexing.map((command) => (command ? this.connection.send(command, route) : null)));
        ok = indexed.map((r) => r.status === 'fulfilled');
        failure = indexed.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason as unknown;
      } else {
        const staged = await Promise.allSettled(
          staging.map((commands) => Promise.all(commands.map((c) => this.connection.send(c, route)))),
        );
        ok = chunk.map((_, i) => staged[i]!.status === 'fulfilled');
        failure = staged.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason as unknown;
      }
      const committing = chunk.filter((_, i) => ok[i]);
      if (committing.length > 0) {
        const commands: RedisArgument[][] = [];
        for (const item of committing) {
          const key = keys.item(item.id);
          commands.push(
            ['SADD', keys.ids, item.id],
            item.expiresAt !== undefined ? ['PEXPIREAT', key, String(Math.floor(item.expiresAt))] : ['PERSIST', key],
            ['EXISTS', key],
          );
        }
        const replies = await this.connection.transaction(commands, keys.ids);
        // A hash gone at its commit outlived its staging expiry, or was deleted meanwhile (or its own expiry has passed).
        const lost = committing.filter((item, i) => Number(replies[3 * i + 2]) === 0 && (item.expiresAt ?? Infinity) > Date.now());
        if (lost.length > 0 && failure === undefined)
          failure = new ConflictError(
            `${lost.length} item(s) of the bulk write were gone before their commit (deleted meanwhile, or staged longer than ${STAGING_TTL_MS} ms), first ${lost[0]!.id}: write them again`,
          );
      }
      if (failure !== undefined) throw failure;
      written += chunk.length;
      options.onProgress?.({ written, total: items.length });
    }
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

  /**
   * Bulk writes: the engine's commands that take an item out of its own membership before it is
   * staged (vectorset: VREM), and the one command that indexes a staged item (vectorset: VADD),
   * sent pipelined, never in a MULTI. See ScopeStore.upsertMany.
   */
  protected bulkUnstage(_id: string, _keys: VectorKeys): RedisArgument[][] {
    return [];
  }

  protected bulkIndex(_item: VectorItem, _keys: VectorKeys): RedisArgument[] | null {
    return null;
  }

  /** Engine commands to run after an item's deletion (pipelined after the delete script). */
  protected deleteExtra(_id: string, _keys: VectorKeys): RedisArgument[][] {
    return [];
  }

  upsert(scope: Scope, items: readonly VectorItem[]): Promise<void> {
    return this.store.upsert(scope, items, (item, keys) => this.upsertExtra(item, keys));
  }

  async upsertMany(scope: Scope, items: readonly VectorItem[], options: BulkUpsertOptions = {}): Promise<void> {
    const resolved = parseInput(BulkUpsertOptionsSchema, options, 'upsertMany options');
    await this.store.upsertMany(scope, items, resolved, {
      unstage: (id, keys) => this.bulkUnstage(id, keys),
      index: (item, keys) => this.bulkIndex(item, keys),
    });
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
