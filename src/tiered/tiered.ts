// Two-tier retrieval: a Redis hot tier (one of the library's vector engines, holding a chosen
// subset) in front of a cold store that holds everything (cold-store.ts; PostgreSQL + pgvector
// first). A search asks the hot tier, answers from it when the documented rule says its answer is
// good enough, and otherwise asks the cold store. The hot set is rebuilt beside the one searches
// use and switched to in one write, so no search ever sees a half-built hot set.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { RedisConnection } from '../connection/connect.js';
import { embedTexts, checkVectors, type EmbeddingsLike } from '../embeddings/embedder.js';
import { ConflictError, InvalidArgumentError } from '../errors.js';
import type { TieredKeys } from '../keys.js';
import { asErr } from '../observe/logger.js';
import { lease } from '../scripts/lease.js';
import { parseInput } from '../validate.js';
import { FilterSchema, parseFilter, type Filter } from '../vector/filter.js';
import type { VectorIndex, VectorItem } from '../vector/types.js';
import type { ColdItem, ColdStore, ColdStoreDefinition } from './cold-store.js';
import type { Operation } from '../observe/telemetry.js';

const MostAskedSchema = z
  .object({
    kind: z.literal('most-asked'),
    /** An ask counts half as much after this long (ms). Default 7 days. */
    halfLifeMs: z
      .number()
      .int()
      .min(1000)
      .default(7 * 86_400_000),
  })
  .strict();
const MostRecentSchema = z
  .object({
    kind: z.literal('most-recent'),
    /** A numeric field of the cold store to order by; default the rows' `updatedAt`. */
    by: z.string().optional(),
  })
  .strict();
const ExplicitSchema = z.object({ kind: z.literal('explicit'), ids: z.array(z.string().min(1)).max(1_000_000) }).strict();

/** Which items are hot: the most asked (decayed ask counts), the most recent, or a set you name. */
export const HotPolicySchema = z.discriminatedUnion('kind', [MostAskedSchema, MostRecentSchema, ExplicitSchema]);
export type HotPolicy = z.input<typeof HotPolicySchema>;

/** Options of a {@link TieredRetriever} (see docs/tiered.md). */
export const TieredOptionsSchema = z
  .object({
    /** How many items the hot set holds after a refresh. Default 2,000. */
    size: z.number().int().min(1).max(10_000_000).default(2000),
    /** Which items are hot. Default: the most asked. */
    policy: HotPolicySchema.default({ kind: 'most-asked', halfLifeMs: 7 * 86_400_000 }),
    /**
     * The hit rule: the hot tier answers when at least `minHits` of its top k pass the filter
     * with a score of at least `minScore` (the library's score scale: cosine (1 + cos) / 2).
     * `minHits` defaults to k. Otherwise the cold store answers.
     */
    hit: z
      .object({ minScore: z.number().default(0), minHits: z.number().int().min(1).optional() })
      .strict()
      .default({ minScore: 0 }),
    /**
     * The fields of the cold store the hot tier indexes (default: all). A filter on any other
     * field cannot be answered by the hot tier and goes cold.
     */
    hotFields: z.array(z.string()).optional(),
    /** A tag field holding the tenant: every search must name one, and both tiers apply it. */
    tenantField: z.string().optional(),
    /** Copy the items of a cold answer into the hot set (in the background). Default false. */
    writeBack: z.boolean().default(false),
    /**
     * A hot copy lives at most this long (ms) after it was last written by a refresh, a sync or
     * a write-back: the bound on serving a deleted item when no sync runs. Default 1 day.
     */
    maxStaleMs: z.number().int().min(1000).default(86_400_000),
    /** How long a process trusts the version of the hot set it read (ms). Default 1,000. */
    versionCheckMs: z.number().int().min(10).max(60_000).default(1000),
    /** How long a replaced hot set stays readable for searches that still use it (ms). Default 30,000. */
    retireAfterMs: z.number().int().min(100).default(30_000),
    /** Changes read per step of a sync. Default 500. */
    syncBatch: z.number().int().min(1).max(10_000).default(500),
    /** TTL of the refresh and sync leases (renewed while held). Default 30,000 ms. */
    leaseMs: z.number().int().min(100).default(30_000),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.retireAfterMs < 2 * o.versionCheckMs)
      ctx.addIssue({ code: 'custom', path: ['retireAfterMs'], message: 'must be at least twice versionCheckMs' });
  });
export type TieredOptions = z.input<typeof TieredOptionsSchema>;
type Resolved = z.output<typeof TieredOptionsSchema>;

export const TieredSearchOptionsSchema = z
  .object({
    k: z.number().int().min(1).max(1000).default(4),
    filter: FilterSchema.optional(),
    /** The tenant (required when the retriever has a `tenantField`). */
    tenant: z.string().min(1).optional(),
    /** Which tier to ask: `auto` (the hit rule, default), or only `hot` or only `cold`. */
    tier: z.enum(['auto', 'hot', 'cold']).default('auto'),
    /** Exact search on both tiers (no ANN index). */
    exact: z.boolean().optional(),
    /** ANN search effort on both tiers. */
    ef: z.number().int().min(1).max(4096).optional(),
  })
  .strict();
export type TieredSearchOptions = z.input<typeof TieredSearchOptionsSchema>;

/** Why a search was answered by the tier it was. */
export type TieredReason = 'hot-hit' | 'forced' | 'no-hot-set' | 'filter-not-covered' | 'too-few-hot-results';

export interface TieredHit {
  id: string;
  score: number;
  payload: string;
}

export interface TieredResult {
  hits: TieredHit[];
  tier: 'hot' | 'cold';
  reason: TieredReason;
  /** ms spent asking the hot tier (0 when it was not asked). */
  hotMs: number;
  /** ms spent asking the cold store (0 when it was not asked). */
  coldMs: number;
  /** The hot set version asked, or null. */
  version: string | null;
}

export interface RefreshProgress {
  written: number;
  total: number;
}

export interface RefreshReport {
  version: string;
  /** Items in the new hot set. */
  count: number;
  ms: number;
  /** What the catch-up sync after the switch applied. */
  sync: SyncReport;
}

export interface SyncReport {
  version: string | null;
  upserted: number;
  deleted: number;
}

interface Meta {
  version: string | null;
  askEpoch: number | null;
  readAt: number;
}

const ASK_FLUSH_MS = 200;
/** Items a sync rewrites per MULTI. */
const SYNC_WRITE_CHUNK = 50;
/** Ask weights grow by 2^(age / half-life); past 2^RESCALE_AT a refresh scales the counts back down. */
const RESCALE_AT = 64;

/** Every field a filter names. */
function fieldsOf(filter: Filter, into = new Set<string>()): Set<string> {
  if ('and' in filter) for (const f of filter.and) fieldsOf(f, into);
  else if ('or' in filter) for (const f of filter.or) fieldsOf(f, into);
  else if ('not' in filter) fieldsOf(filter.not, into);
  else into.add(filter.field);
  return into;
}

/**
 * The fields the hot index holds (`hotFields`, default every field of the cold store), with the
 * options that name fields checked against the cold store's: an unknown field, a tenant field
 * that is not a hot tag field, a most-recent `by` that is not numeric are InvalidArgumentErrors.
 */
export function hotFieldsOf(coldFields: ColdStoreDefinition['fields'], options: Resolved): ColdStoreDefinition['fields'] {
  const hotFields = options.hotFields ?? Object.keys(coldFields);
  const tenant = options.tenantField;
  const unknown = [...hotFields, ...(tenant ? [tenant] : [])].filter((f) => !coldFields[f]);
  const refuse = (path: string, message: string) => new InvalidArgumentError('tiered retriever options', [{ path, message }]);
  if (unknown.length > 0)
    throw refuse('hotFields', `${unknown.join(', ')} not among the cold store's fields (${Object.keys(coldFields).join(', ') || 'none'})`);
  if (tenant && coldFields[tenant] !== 'tag') throw refuse('tenantField', `${tenant} must be a tag field`);
  if (tenant && !hotFields.includes(tenant)) throw refuse('tenantField', `${tenant} must be among hotFields`);
  const by = options.policy.kind === 'most-recent' ? options.policy.by : undefined;
  if (by !== undefined && coldFields[by] !== 'numeric') throw refuse('policy.by', `${by} is not a numeric field of the cold store`);
  return Object.fromEntries(Object.entries(coldFields).filter(([f]) => hotFields.includes(f)));
}

const toHit = (h: { id: string; score: number; payload: string }): TieredHit => ({ id: h.id, score: h.score, payload: h.payload });

/**
 * A two-tier retriever: made by `memory.tiered(...)`.
 *
 * @example
 * const menu = await memory.tiered({ name: 'menu', cold, embedder, size: 2000, hit: { minScore: 0.9, minHits: 1 } });
 * await menu.refresh();
 * const { hits, tier } = await menu.search('vegan lunch under 10 euros', { k: 3 });
 */
export class TieredRetriever {
  readonly name: string;
  readonly options: Resolved;
  readonly #connection: RedisConnection;
  readonly #keys: TieredKeys;
  readonly #hot: VectorIndex;
  readonly #cold: ColdStore;
  readonly #embedder: EmbeddingsLike | undefined;
  readonly #hotFields: ReadonlySet<string>;
  #meta: Meta = { version: null, askEpoch: null, readAt: 0 };
  #metaRead: Promise<Meta> | undefined;
  #asks = new Map<string, number>();
  #askTimer: NodeJS.Timeout | undefined;
  #timers = new Set<NodeJS.Timeout>();
  #closed = false;
  readonly #ops: { search: Operation; refresh: Operation; sync: Operation };

  /** @internal use `memory.tiered()` */
  constructor(
    name: string,
    connection: RedisConnection,
    keys: TieredKeys,
    hot: VectorIndex,
    cold: ColdStore,
    options: TieredOptions,
    embedder?: EmbeddingsLike,
  ) {
    this.name = name;
    this.options = parseInput(TieredOptionsSchema, options, 'tiered retriever options');
    this.#connection = connection;
    this.#keys = keys;
    this.#hot = hot;
    this.#cold = cold;
    this.#embedder = embedder;
    this.#hotFields = new Set(Object.keys(hotFieldsOf(cold.definition.fields, this.options)));
    const on = { 'agent_memory.engine': hot.engine, 'agent_memory.tiered.name': name };
    this.#ops = {
      search: connection.telemetry.operation('tiered.search', { ...on, 'gen_ai.operation.name': 'retrieval' }),
      refresh: connection.telemetry.operation('tiered.refresh', on),
      sync: connection.telemetry.operation('tiered.sync', on),
    };
  }

  /** The hot tier's vector engine. */
  get hotEngine(): VectorIndex['engine'] {
    return this.#hot.engine;
  }

  /**
   * Searches the hot tier, and the cold store when the hit rule says the hot answer is not good
   * enough (see {@link TieredOptions} `hit`), or the filter names a field the hot tier does not
   * index, or no hot set was built yet. Says which tier answered, why, and how long each took.
   *
   * @example const { hits, tier, reason } = await tiered.search(queryVector, { k: 5, filter: { field: 'lang', eq: 'en' } });
   */
  async search(query: string | ArrayLike<number>, options: TieredSearchOptions = {}): Promise<TieredResult> {
    return this.#ops.search.run(async (span) => {
      const result = await this.#search(query, options);
      if (span) {
        span.setAttribute('agent_memory.tier', result.tier);
        span.setAttribute('agent_memory.tier.reason', result.reason);
        span.setAttribute('agent_memory.result_count', result.hits.length);
      }
      return result;
    });
  }

  async #search(query: string | ArrayLike<number>, options: TieredSearchOptions): Promise<TieredResult> {
    const o = parseInput(TieredSearchOptionsSchema, options, 'tiered search options');
    const filter = this.#filterOf(o);
    const minHits = this.options.hit.minHits ?? o.k;
    if (minHits > o.k)
      throw new InvalidArgumentError('tiered search options', [
        { path: 'k', message: `must be at least the hit rule's minHits (${minHits})` },
      ]);
    const vector = await this.#vectorOf(query);
    const asked = { k: o.k, filter, exact: o.exact, ef: o.ef };
    let version: string | null = null;
    let hotMs = 0;
    let reason: TieredReason = o.tier === 'cold' ? 'forced' : 'no-hot-set';
    if (o.tier !== 'cold') {
      if (filter && [...fieldsOf(filter)].some((f) => !this.#hotFields.has(f))) {
        reason = 'filter-not-covered';
        if (o.tier === 'hot')
          throw new InvalidArgumentError('tiered search options', [
            { path: 'filter', message: 'names a field the hot tier does not index' },
          ]);
      } else {
        version = (await this.#readMeta()).version;
        if (version !== null) {
          const started = performance.now();
          const hot = await this.#hot.query(this.#keys.version(version), vector, asked);
          hotMs = performance.now() - started;
          const passing = hot.filter((h) => h.score >= this.options.hit.minScore).length;
          if (o.tier === 'hot' || passing >= minHits) {
            this.#countAsks(hot);
            return { hits: hot.map(toHit), tier: 'hot', reason: o.tier === 'hot' ? 'forced' : 'hot-hit', hotMs, coldMs: 0, version };
          }
          reason = 'too-few-hot-results';
        } else if (o.tier === 'hot') {
          return { hits: [], tier: 'hot', reason: 'no-hot-set', hotMs, coldMs: 0, version };
        }
      }
    }
    const started = performance.now();
    const cold = await this.#cold.search(vector, asked);
    const coldMs = performance.now() - started;
    this.#countAsks(cold);
    if (this.options.writeBack && version !== null && cold.length > 0) this.#writeBack(version, cold);
    return { hits: cold.map(toHit), tier: 'cold', reason, hotMs, coldMs, version };
  }

  /**
   * Builds a new hot set from the policy's top `size` items beside the one searches use, switches
   * searches to it in one write, syncs it with what changed in the cold store meanwhile, and drops
   * replaced sets once no search can still be using them (`retireAfterMs`). One refresh at a
   * time across processes: another running is a ConflictError.
   *
   * @example const { version, count } = await tiered.refresh({ onProgress: ({ written, total }) => log(`${written}/${total}`) });
   */
  refresh(options: { onProgress?: (progress: RefreshProgress) => void } = {}): Promise<RefreshReport> {
    return this.#ops.refresh.run(
      () => this.#refresh(options),
      (span, report) => span.setAttribute('agent_memory.result_count', report.count),
    );
  }

  async #refresh(options: { onProgress?: (progress: RefreshProgress) => void }): Promise<RefreshReport> {
    const started = performance.now();
    return this.#holding(this.#keys.refreshLease, 'a refresh', async () => {
      const watermark = await this.#cold.watermark();
      const items = await this.#pickHot();
      const previous = (await this.#readMeta(true)).version;
      // Never a number used before, even if Redis lost `meta`: a build never lands in an old set's leftovers.
      const version = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
      await this.#connection.send(['HSET', this.#keys.meta, `building:${version}`, String(Date.now())], { key: this.#keys.meta });
      const expiresAt = Date.now() + this.options.maxStaleMs;
      const scope = this.#keys.version(version);
      try {
        await this.#hot.upsertMany(
          scope,
          items.map((item) => this.#hotItem(item, expiresAt)),
          options.onProgress ? { onProgress: options.onProgress } : {},
        );
      } catch (error) {
        // Never switched to, so never searched: drop it now (else the next refresh does).
        await this.#hot
          .dropScope(scope)
          .then(() => this.#connection.send(['HDEL', this.#keys.meta, `building:${version}`], { key: this.#keys.meta }))
          .catch(() => undefined);
        throw error;
      }
      // The switch: one transaction, under the refresh lease (no other refresh moves `version`).
      await this.#connection.transaction(
        [
          ['HSET', this.#keys.meta, 'version', version, `watermark:${version}`, watermark],
          ['HDEL', this.#keys.meta, `building:${version}`],
          ...(previous === null ? [] : [['HSET', this.#keys.meta, `retired:${previous}`, String(Date.now())]]),
        ],
        this.#keys.meta,
      );
      this.#meta = { ...this.#meta, version, readAt: Date.now() };
      const sync = await this.#catchUp(version);
      await this.#dropRetired(true);
      this.#later(this.options.retireAfterMs + 10, () => this.#dropRetired(false));
      return { version, count: items.length, ms: performance.now() - started, sync };
    });
  }

  /**
   * Applies what changed in the cold store since the hot set's watermark: deleted items leave
   * the hot set, changed items that are hot are rewritten (with the most-recent policy, new items
   * join). One sync at a time across processes: another running is a ConflictError.
   *
   * @example setInterval(() => tiered.sync().catch(log), 5000);
   */
  sync(): Promise<SyncReport> {
    return this.#ops.sync.run(
      async () => {
        const { version } = await this.#readMeta(true);
        if (version === null) return { version: null, upserted: 0, deleted: 0 };
        return this.#syncVersion(version);
      },
      (span, report) => {
        span.setAttribute('agent_memory.tiered.upserted', report.upserted);
        span.setAttribute('agent_memory.tiered.deleted', report.deleted);
      },
    );
  }

  /** Runs sync every `syncEveryMs` and, when given, refresh every `refreshEveryMs`, until close(). */
  start({ syncEveryMs = 5000, refreshEveryMs }: { syncEveryMs?: number; refreshEveryMs?: number } = {}): void {
    const every = (ms: number, job: () => Promise<unknown>) => {
      const tick = () => {
        if (this.#closed) return;
        job()
          .catch((error: unknown) => {
            if (!(error instanceof ConflictError)) this.#log(error, 'a scheduled sync or refresh failed; the next one tries again');
          })
          .finally(() => this.#later(ms, tick));
      };
      this.#later(ms, tick);
    };
    every(syncEveryMs, () => this.sync());
    if (refreshEveryMs !== undefined) every(refreshEveryMs, () => this.refresh());
  }

  /** The hot set's state: the version searches use, and how many items it holds. */
  async stats(): Promise<{ version: string | null; hotItems: number; asked: number }> {
    const { version } = await this.#readMeta(true);
    const [hotItems, asked] = await Promise.all([
      version === null ? 0 : this.#hot.count(this.#keys.version(version)),
      this.#connection.send<number>(['ZCARD', this.#keys.asks], { key: this.#keys.asks, readonly: true }),
    ]);
    return { version, hotItems, asked };
  }

  /** Stops the scheduled jobs and flushes the ask counts. The connection and the cold store stay open. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await this.#flushAsks();
  }

  // ——— searching ———

  #filterOf(o: z.output<typeof TieredSearchOptionsSchema>): Filter | undefined {
    const fields = this.#cold.definition.fields;
    const filter = o.filter === undefined ? undefined : parseFilter(o.filter, fields);
    const tenantField = this.options.tenantField;
    if (tenantField === undefined) {
      if (o.tenant !== undefined)
        throw new InvalidArgumentError('tiered search options', [{ path: 'tenant', message: 'this retriever has no tenantField' }]);
      return filter;
    }
    if (o.tenant === undefined)
      throw new InvalidArgumentError('tiered search options', [
        { path: 'tenant', message: `required: the retriever is scoped by ${tenantField}` },
      ]);
    const tenant = parseFilter({ field: tenantField, eq: o.tenant }, fields);
    return filter === undefined ? tenant : { and: [tenant, filter] };
  }

  async #vectorOf(query: string | ArrayLike<number>): Promise<number[]> {
    const dim = this.#cold.definition.dim;
    if (typeof query !== 'string') return checkVectors([Array.from(query)], 1, dim)[0]!;
    if (!this.#embedder)
      throw new InvalidArgumentError('tiered search', [
        { path: 'query', message: 'a text query needs an embedder (pass `embedder` to memory.tiered)' },
      ]);
    return (await embedTexts(this.#embedder, [query], 'query', dim))[0]!;
  }

  /** The hot set's version (and the ask epoch), read at most every versionCheckMs unless `fresh`. */
  #readMeta(fresh = false): Promise<Meta> {
    if (!fresh && Date.now() - this.#meta.readAt < this.options.versionCheckMs) return Promise.resolve(this.#meta);
    this.#metaRead ??= this.#connection
      .send<(string | null)[]>(['HMGET', this.#keys.meta, 'version', 'askEpoch'], { key: this.#keys.meta, readonly: true })
      .then(([version, askEpoch]) => {
        this.#meta = {
          version: version ?? null,
          askEpoch: askEpoch == null ? null : Number(askEpoch),
          readAt: Date.now(),
        };
        return this.#meta;
      })
      .finally(() => {
        this.#metaRead = undefined;
      });
    return this.#metaRead;
  }

  // ——— what is hot ———

  /**
   * Counts the items a search returned (most-asked policy), flushed in the background. A hit that
   * reaches the hit rule's minScore is an answer and counts one ask; the others count 1/k: they
   * keep the neighbourhoods of popular items hot (so hot answers keep their other k − 1 results)
   * without crowding out items that are asked for themselves.
   */
  #countAsks(hits: readonly { id: string; score: number }[]): void {
    if (this.options.policy.kind !== 'most-asked' || this.#closed || hits.length === 0) return;
    const minScore = this.options.hit.minScore;
    for (const h of hits) this.#asks.set(h.id, (this.#asks.get(h.id) ?? 0) + (h.score >= minScore ? 1 : 1 / hits.length));
    if (this.#askTimer === undefined && this.#asks.size > 0) {
      this.#askTimer = setTimeout(() => {
        this.#askTimer = undefined;
        this.#flushAsks().catch((error: unknown) => this.#log(error, 'could not count asks'));
      }, ASK_FLUSH_MS);
      this.#askTimer.unref();
    }
  }

  /**
   * Adds the counted asks, each weighted 2^(age of the epoch / half-life): later asks weigh more,
   * which is the same as older ones decaying, without rewriting every count.
   */
  async #flushAsks(): Promise<void> {
    if (this.#askTimer !== undefined) clearTimeout(this.#askTimer);
    this.#askTimer = undefined;
    if (this.#asks.size === 0 || this.options.policy.kind !== 'most-asked') return;
    const asks = this.#asks;
    this.#asks = new Map();
    const epoch = await this.#askEpoch();
    const weight = 2 ** ((Date.now() - epoch) / this.options.policy.halfLifeMs);
    const route = { key: this.#keys.asks };
    await Promise.all([...asks].map(([id, n]) => this.#connection.send(['ZINCRBY', this.#keys.asks, String(n * weight), id], route)));
  }

  async #askEpoch(): Promise<number> {
    const known = this.#meta.askEpoch ?? (await this.#readMeta(true)).askEpoch;
    if (known !== null) return known;
    const now = Date.now();
    await this.#connection.send(['HSETNX', this.#keys.meta, 'askEpoch', String(now)], { key: this.#keys.meta });
    return (await this.#readMeta(true)).askEpoch ?? now;
  }

  /** The policy's top `size` items, with vectors. */
  async #pickHot(): Promise<ColdItem[]> {
    const policy = this.options.policy;
    const size = this.options.size;
    if (policy.kind === 'most-recent') return this.#cold.newest(size, policy.by === undefined ? {} : { by: policy.by });
    let ids: string[];
    if (policy.kind === 'explicit') ids = [...new Set(policy.ids)].slice(0, size);
    else {
      await this.#flushAsks();
      await this.#rescaleAsks(policy.halfLifeMs);
      ids = await this.#connection.send<string[]>(['ZRANGE', this.#keys.asks, '0', String(size - 1), 'REV'], {
        key: this.#keys.asks,
        readonly: true,
      });
    }
    const found: ColdItem[] = [];
    for (let i = 0; i < ids.length; i += 1000) {
      for (const item of await this.#cold.get(ids.slice(i, i + 1000), { withVectors: true })) if (item) found.push(item);
    }
    return found;
  }

  /** Keeps ask weights finite: once they reach 2^RESCALE_AT, scales every count down and moves the epoch. */
  async #rescaleAsks(halfLifeMs: number): Promise<void> {
    const epoch = await this.#askEpoch();
    const halvings = Math.floor((Date.now() - epoch) / halfLifeMs);
    if (halvings < RESCALE_AT) return;
    const k = this.#keys;
    await this.#connection.transaction(
      [
        ['ZUNIONSTORE', k.asks, '1', k.asks, 'WEIGHTS', String(2 ** -halvings)],
        ['HSET', k.meta, 'askEpoch', String(epoch + halvings * halfLifeMs)],
      ],
      k.meta,
    );
    await this.#readMeta(true);
  }

  #hotItem(item: ColdItem, expiresAt: number): VectorItem {
    if (!item.vector) throw new Error(`cold store ${this.#cold.kind} returned ${item.id} without its vector`);
    const tags: Record<string, readonly string[]> = {};
    const numbers: Record<string, number> = {};
    for (const f of this.#hotFields) {
      if (item.tags?.[f] !== undefined) tags[f] = item.tags[f];
      if (item.numbers?.[f] !== undefined) numbers[f] = item.numbers[f];
    }
    return { id: item.id, vector: item.vector, tags, numbers, payload: item.payload, expiresAt };
  }

  /** Copies the items of a cold answer into the hot set: read whole from the cold store (the hot copy needs the filter fields too). */
  #writeBack(version: string, hits: readonly { id: string }[]): void {
    this.#cold
      .get(
        hits.map((h) => h.id),
        { withVectors: true },
      )
      .then((items) => {
        const expiresAt = Date.now() + this.options.maxStaleMs;
        const fresh = items.filter((i): i is ColdItem => i !== null).map((i) => this.#hotItem(i, expiresAt));
        return fresh.length > 0 ? this.#hot.upsert(this.#keys.version(version), fresh) : undefined;
      })
      .catch((error: unknown) => this.#log(error, 'could not write back'));
  }

  // ——— keeping the hot set in step ———

  /** The first sync of a new hot set, from the watermark taken before its items were read; waits out a sync running elsewhere. */
  async #catchUp(version: string): Promise<SyncReport> {
    const until = Date.now() + this.options.leaseMs;
    for (;;) {
      try {
        return await this.#syncVersion(version);
      } catch (error) {
        if (!(error instanceof ConflictError) || Date.now() > until) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async #syncVersion(version: string): Promise<SyncReport> {
    return this.#holding(this.#keys.syncLease, 'a sync', async () => {
      const scope = this.#keys.version(version);
      const field = `watermark:${version}`;
      let watermark = await this.#connection.send<string | null>(['HGET', this.#keys.meta, field], { key: this.#keys.meta });
      const report: SyncReport = { version, upserted: 0, deleted: 0 };
      const joins = this.options.policy.kind === 'most-recent';
      for (;;) {
        const changes = await this.#cold.changedSince(watermark, this.options.syncBatch);
        if (changes.deleted.length > 0) report.deleted += await this.#hot.delete(scope, changes.deleted);
        if (changes.upserted.length > 0) {
          const present = joins
            ? null
            : await this.#hot.get(
                scope,
                changes.upserted.map((i) => i.id),
              );
          const expiresAt = Date.now() + this.options.maxStaleMs;
          const rewrite = changes.upserted
            .filter((_, i) => present === null || present[i] !== null)
            .map((i) => this.#hotItem(i, expiresAt));
          // upsert (MULTI), not upsertMany: a hot item a search may be reading is replaced in
          // place, never absent between its old and new version; in small chunks, so no MULTI
          // holds the server for long.
          for (let i = 0; i < rewrite.length; i += SYNC_WRITE_CHUNK) await this.#hot.upsert(scope, rewrite.slice(i, i + SYNC_WRITE_CHUNK));
          report.upserted += rewrite.length;
        }
        watermark = changes.watermark;
        await this.#connection.send(['HSET', this.#keys.meta, field, watermark], { key: this.#keys.meta });
        if (!changes.more) return report;
      }
    });
  }

  /**
   * Drops hot sets replaced more than retireAfterMs ago and, when `refreshing` (the caller holds
   * the refresh lease, so no build is under way), what a crashed refresh left half-built.
   */
  async #dropRetired(refreshing: boolean): Promise<void> {
    const meta = await this.#connection.send<Record<string, string>>(['HGETALL', this.#keys.meta], { key: this.#keys.meta });
    const now = Date.now();
    for (const [field, value] of Object.entries(meta)) {
      const [state, v] = field.split(':');
      const old = now - Number(value);
      if (!((state === 'retired' && old > this.options.retireAfterMs) || (state === 'building' && refreshing))) continue;
      if (meta.version === v) continue;
      await this.#hot.dropScope(this.#keys.version(v!));
      await this.#connection.send(['HDEL', this.#keys.meta, field, `watermark:${v}`], { key: this.#keys.meta });
    }
  }

  /** Runs `work` holding a lease (renewed while it runs); held elsewhere: ConflictError. */
  async #holding<T>(key: string, what: string, work: () => Promise<T>): Promise<T> {
    const token = randomBytes(12).toString('hex');
    const ttl = this.options.leaseMs;
    if (!(await lease(this.#connection, key, 'take', token, ttl)))
      throw new ConflictError(`${what} of tiered retriever ${this.name} is running in another process or call; try again later`);
    const renew = setInterval(() => {
      lease(this.#connection, key, 'renew', token, ttl).catch(() => undefined); // a lost renewal: the work goes on, the lease may lapse
    }, ttl / 3);
    renew.unref();
    try {
      return await work();
    } finally {
      clearInterval(renew);
      await lease(this.#connection, key, 'release', token, ttl).catch(() => undefined); // it lapses by itself
    }
  }

  #log(error: unknown, message: string): void {
    this.#connection.logger.warn({ component: 'tiered', tiered: this.name, err: asErr(error) }, `tiered ${this.name}: ${message}`);
  }

  #later(ms: number, job: () => unknown): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      Promise.resolve()
        .then(job)
        .catch((error: unknown) => this.#log(error, 'a background job failed'));
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }
}
