// What every engine keeps the same way: an item hash per item, the scope's id set, and an expiry
// that is the hash's own TTL. Engines add their query (and, for vector sets, the set itself) on top.
// Every write of a batch is one MULTI on the scope's slot.
import type { RedisArgument } from 'redis';
import type { RedisConnection } from '../connection/connect.js';
import type { VectorKeys } from '../keys.js';
import { runScript, script } from '../scripts/index.js';
import { compileToPredicate, type Filter } from './filter.js';
import { numField } from './filter.js';
import { decodeFilterValues, filterFieldNames, itemFields } from './items.js';
import type { Keyspace } from '../keys.js';
import type { Hit, QueryOptions, ResolvedIndexDefinition, Scope, VectorIndex, VectorItem } from './types.js';

const SCAN = script('vector-scan-2');
const TOUCH = script('vector-touch-1');
const DROP = script('vector-drop-2');

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

  /** Writes items (replacing same ids) with `extra(item)` commands in the same MULTI. */
  async upsert(scope: Scope, items: readonly VectorItem[], extra: (item: VectorItem, keys: VectorKeys) => RedisArgument[][] = () => []): Promise<void> {
    if (items.length === 0) return;
    const keys = this.keysOf(scope);
    const commands: RedisArgument[][] = [];
    for (const item of items) {
      const key = keys.item(item.id);
      // Overwrite in place (not DEL + HSET), so that an update keeps the item's access history.
      commands.push(['HSET', key, ...itemFields(this.definition, item, scope.token, this.options.vectorInHash)]);
      const absent = Object.entries(this.definition.fields).filter(([name, kind]) => kind === 'numeric' && item.numbers?.[name] === undefined).map(([name]) => numField(name));
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
    const commands = ids.map((id) => (expiresAt === null ? ['PERSIST', keys.item(id)] : ['PEXPIREAT', keys.item(id), String(Math.floor(expiresAt))]));
    await this.#sendEach(commands, keys.ids);
  }

  /**
   * Commands that stay correct if only some of them run (deletions, which scans tidy up after;
   * TTL moves): pipelined, one round trip, but not in a MULTI, which Redis 7.0 refuses whole at
   * maxmemory even when it only frees memory. Replies in order.
   */
  #sendEach(commands: readonly RedisArgument[][], key: string): Promise<unknown[]> {
    return Promise.all(commands.map((command) => this.connection.send(command, { key })));
  }

  /** Counts an access to each item that still exists (access count, last-access time). */
  async touch(scope: Scope, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const keys = this.keysOf(scope);
    await runScript(this.connection, TOUCH, [keys.ids], [keys.item('x').slice(0, -1), String(Date.now()), ...ids]);
  }

  /** Access count and last-access time (ms, null when never recalled) of items; null for missing ones. */
  async accessStats(scope: Scope, ids: readonly string[]): Promise<({ count: number; lastAt: number | null } | null)[]> {
    const keys = this.keysOf(scope);
    const rows = await Promise.all(ids.map((id) => this.connection.send<(string | null)[]>(['HMGET', keys.item(id), 'p', 'a_n', 'a_at'], { key: keys.item(id) })));
    return rows.map(([p, n, at]) => (p === null || p === undefined ? null : { count: Number(n ?? 0), lastAt: at ? Number(at) : null }));
  }

  async get(scope: Scope, ids: readonly string[]): Promise<(string | null)[]> {
    const keys = this.keysOf(scope);
    return Promise.all(ids.map((id) => this.connection.send<string | null>(['HGET', keys.item(id), 'p'], { key: keys.item(id) })));
  }

  /** Every live item with the given fields (purging expired ids on the way). */
  async scan(scope: Scope, fields: readonly string[], buffers = false): Promise<{ id: string; values: (Buffer | string | null)[] }[]> {
    const keys = this.keysOf(scope);
    const flat = await runScript<(string | Buffer | null)[]>(this.connection, SCAN, [keys.ids, keys.vectorSet], [keys.item('x').slice(0, -1), this.options.vectorSet ? '1' : '0', ...fields], { buffers });
    const rows: { id: string; values: (Buffer | string | null)[] }[] = [];
    const width = fields.length + 1;
    for (let i = 0; i < flat.length; i += width) rows.push({ id: String(flat[i]), values: flat.slice(i + 1, i + width) });
    return rows;
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

  async delete(scope: Scope, ids: readonly string[], extra: (id: string, keys: VectorKeys) => RedisArgument[][] = () => []): Promise<number> {
    if (ids.length === 0) return 0;
    const keys = this.keysOf(scope);
    const commands: RedisArgument[][] = [];
    for (const id of ids) commands.push(['UNLINK', keys.item(id)], ['SREM', keys.ids, id], ...extra(id, keys));
    const replies = await this.#sendEach(commands, keys.ids);
    return replies.filter((_, i) => commands[i]![0] === 'UNLINK').reduce((n: number, r) => n + Number(r), 0);
  }

  async count(scope: Scope): Promise<number> {
    return (await this.scan(scope, [])).length;
  }

  async dropScope(scope: Scope): Promise<number> {
    const keys = this.keysOf(scope);
    return runScript<number>(this.connection, DROP, [keys.ids, keys.vectorSet], [keys.item('x').slice(0, -1)]);
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

  /** Engine commands to run with an item's deletion, in the same MULTI. */
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
}
