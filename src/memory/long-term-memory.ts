// Long-term memory: facts, preferences and episodes an agent keeps about a user, recalled by
// meaning. remember (with deduplication), recall (similarity or a blend with recency and
// importance), get, update, forget. The scope is always applied by the library: a caller's filter
// can narrow a recall, never widen it to another user. Deduplication is in dedupe.ts, ranking in
// scoring.ts, the stored shape in memory-item.ts.
import type { EventLog } from '../events/event-log.js';
import { z } from 'zod';
import { embedTexts, type EmbeddingsLike } from '../embeddings/embedder.js';
import { DimensionMismatchError, InvalidArgumentError } from '../errors.js';
import { unlinkMatching } from '../forget.js';
import { escapeGlob, KeyPartSchema, vectorScope, type Keyspace, type MemoryScopeRef } from '../keys.js';
import { SecondsSchema } from '../ttl.js';
import { jsonRecordSchema, parseInput } from '../validate.js';
import { parseFilter, type Filter } from '../vector/filter.js';
import type { Hit, Scope, VectorIndex, VectorItem } from '../vector/types.js';
import { mergeBatch } from './dedupe.js';
import { decodeMemory, memoryItem, type Memory, type MemoryWithAccess } from './memory-item.js';
import { candidatesFor, rankHits, ScoringSchema, type Recalled } from './scoring.js';
import { asErr } from '../observe/logger.js';
import type { MigrationCheckpoint } from '../migrate/checkpoint.js';
import type { Operation } from '../observe/telemetry.js';

export type { Memory, MemoryWithAccess } from './memory-item.js';
export type { Recalled } from './scoring.js';

const TagSchema = z.string().min(1).max(256);

/** How many nearest stored memories deduplication weighs for each input (the most similar wins). */
const MERGE_CANDIDATES = 3;
/**
 * The HNSW search effort of that query (at most the index's own): a near-copy sits so close that a
 * small effort finds it; the bench's `remember.dedupe_agreement` checks the decision against the
 * exact one (1.00 at 30k and 100k, dim 128), at a third of the cost of a recall at effort 200.
 */
const MERGE_EF = 64;

/** What `remember` takes. */
export const MemoryInputSchema = z
  .object({
    text: z.string().min(1, 'must not be empty').max(100_000),
    /** Any JSON; fields declared filterable in the memory's `fields` are also indexed for filters. */
    metadata: jsonRecordSchema(z.string()).optional(),
    /** Labels, filterable as the `tags` field. */
    tags: z.array(TagSchema).max(64).optional(),
    /** 0 (trivial) to 1 (essential); used by blended scoring. Default 0.5. */
    importance: z.number().min(0).max(1).optional(),
    /** Forget it after this long. */
    ttlSeconds: SecondsSchema.optional(),
    /** Your own id (upsert); default a new UUID. */
    id: KeyPartSchema.optional(),
  })
  .strict();
export type MemoryInput = z.input<typeof MemoryInputSchema>;

export const RecallOptionsSchema = z
  .object({
    k: z.number().int().min(1).max(1000).default(5),
    filter: z.unknown().optional(),
    /** Drop results whose similarity is below this (0 to 1 for cosine). */
    minScore: z.number().min(0).max(1).optional(),
    /** `similarity` (default) or a blend of similarity, recency and importance (see README). */
    scoring: ScoringSchema.default('similarity'),
    /**
     * Count the recall in each returned memory's access stats: `background` (default: not waited
     * for; a failure becomes a process warning), `await`, or `off`.
     */
    trackAccess: z.enum(['background', 'await', 'off']).default('background'),
    /** Return each memory's stored vector as `vector` (for maximal marginal relevance). Default false. */
    withVectors: z.boolean().default(false),
  })
  .strict();
export type RecallOptions = z.input<typeof RecallOptionsSchema>;

const VectorSchema = z.array(z.number().refine(Number.isFinite, 'must be a finite number')).min(1);

export const RememberOptionsSchema = z
  .object({
    /**
     * Merge near-copies (at least `dedupeThreshold` similar) into what is stored or earlier in the
     * batch. Default true; false writes every input as given (same id: replaced), as a document
     * store expects.
     */
    dedupe: z.boolean().default(true),
    /** Vectors already computed for the inputs, one each, in order: nothing is embedded. */
    vectors: z.array(VectorSchema).optional(),
    /**
     * Write as a bulk load (imports, backfills): up to 100 000 inputs, pipelined in chunks outside
     * any transaction (VectorIndex.upsertMany), with `onProgress` after each chunk. Each memory is whole or
     * absent, but the batch is not all-or-nothing: a failure leaves the chunks before it written
     * (remember them again: deduplication or your ids make that safe). Default false: at most
     * 1 000 inputs, written in one transaction.
     */
    bulk: z.boolean().default(false),
    /** With `bulk`: called after each chunk with how many of the batch's writes are done. */
    onProgress: z.custom<(progress: { written: number; total: number }) => void>((v) => typeof v === 'function').optional(),
  })
  .strict();
export type RememberOptions = z.input<typeof RememberOptionsSchema>;

const MAX_BATCH = 1000;
const MAX_BULK = 100_000;

export const LongTermMemoryOptionsSchema = z
  .object({
    /**
     * Two memories this similar (0–1, the engines' score scale) are one: remembering the second
     * updates the first. Default 0.97; 1 turns deduplication off.
     */
    dedupeThreshold: z.number().min(0).max(1).default(0.97),
  })
  .strict();

export interface RememberResult {
  id: string;
  /** `merged` when a near-identical memory existed: it was updated instead of a copy inserted. */
  status: 'inserted' | 'merged';
}

/** How far `migrateTo` got. */
export interface MigrationProgress {
  /** Scopes finished. */
  scopes: number;
  /** Memories copied by this run (expired ones are skipped, not copied). */
  memories: number;
  /** Ids gone through, those a checkpoint said were done included, of `total`. */
  processed: number;
  /** Ids in the namespace when the run started. */
  total: number;
  /** Ids an earlier run had done (from the checkpoint). */
  resumed: number;
}

/** What `forget` takes: ids, or a filter (checked against the index's fields when used). */
const ForgetTargetSchema = z.union([
  z.object({ ids: z.array(KeyPartSchema).max(10_000) }).strict(),
  z.object({ filter: z.unknown() }).strict(),
]);

export class LongTermMemory {
  readonly options: z.output<typeof LongTermMemoryOptionsSchema>;
  /** Spans: the engine and the namespace (a name you chose) on each, and the GenAI memory operation. */
  readonly #ops: Record<'remember' | 'recall' | 'forget', Operation>;

  constructor(
    readonly index: VectorIndex,
    /** The embedder of texts (remember, update, recall by text). */
    readonly embedder: EmbeddingsLike,
    /** The key scheme (its prefix marks the keys this library owns). */
    readonly keyspace: Keyspace,
    options: z.input<typeof LongTermMemoryOptionsSchema> = {},
    /** Where memory events go (memory.written, memory.forgotten); none when absent. */
    readonly events?: EventLog,
  ) {
    this.options = parseInput(LongTermMemoryOptionsSchema, options, 'long-term memory options');
    const telemetry = index.connection.telemetry;
    const on = { 'agent_memory.engine': index.engine, 'agent_memory.namespace': index.definition.namespace };
    this.#ops = {
      remember: telemetry.operation('memory.remember', { ...on, 'gen_ai.operation.name': 'upsert_memory' }),
      recall: telemetry.operation('memory.recall', { ...on, 'gen_ai.operation.name': 'search_memory' }),
      forget: telemetry.operation('memory.forget', { ...on, 'gen_ai.operation.name': 'delete_memory' }),
    };
    if (index.definition.fields.tags !== undefined && index.definition.fields.tags !== 'tag') {
      throw new InvalidArgumentError('index definition', [
        { path: 'fields.tags', message: 'is reserved for memory tags and must be a tag field' },
      ]);
    }
  }

  /** Remembers one memory. */
  async remember(scope: MemoryScopeRef, input: MemoryInput): Promise<RememberResult> {
    return (await this.rememberMany(scope, [input]))[0]!;
  }

  /**
   * Remembers many: one embedding call (none with `vectors`), deduplication against what is stored
   * and within the batch (unless `dedupe: false`), one transaction for the writes (with `bulk`:
   * pipelined chunks, see {@link RememberOptionsSchema}).
   *
   * @example await memory.rememberMany(user, facts, { bulk: true, onProgress: (p) => log(`${p.written}/${p.total}`) });
   */
  async rememberMany(scope: MemoryScopeRef, inputs: readonly MemoryInput[], options: RememberOptions = {}): Promise<RememberResult[]> {
    return this.#ops.remember.run(async (span) => {
      const results = await this.#rememberMany(scope, inputs, options);
      if (span) {
        span.setAttribute('agent_memory.input_count', results.length);
        span.setAttribute('agent_memory.merged_count', results.filter((r) => r.status === 'merged').length);
      }
      return results;
    });
  }

  async #rememberMany(scope: MemoryScopeRef, inputs: readonly MemoryInput[], options: RememberOptions): Promise<RememberResult[]> {
    const s = this.#scope(scope);
    const o = parseInput(RememberOptionsSchema, options, 'remember options');
    const parsed = parseInput(
      z
        .array(MemoryInputSchema)
        .min(1)
        .max(o.bulk ? MAX_BULK : MAX_BATCH, o.bulk ? undefined : `at most ${MAX_BATCH} a call; more with { bulk: true }`),
      inputs,
      'memories',
    );
    if (o.onProgress && !o.bulk) throw new InvalidArgumentError('remember options', [{ path: 'onProgress', message: 'needs bulk: true' }]);
    if (o.vectors !== undefined && o.vectors.length !== parsed.length) {
      throw new InvalidArgumentError('remember options', [
        { path: 'vectors', message: `has ${o.vectors.length} vectors for ${parsed.length} memories` },
      ]);
    }
    const vectors = o.vectors
      ? this.#checkDimensions(o.vectors)
      : await this.#embed(
          parsed.map((m) => m.text),
          'document',
        );
    const now = Date.now();
    const threshold = o.dedupe ? this.options.dedupeThreshold : 1;
    const nearest = threshold < 1 ? await Promise.all(vectors.map((v) => this.#mergeCandidate(s, v))) : vectors.map(() => undefined);
    const { written, results } = mergeBatch(parsed, vectors, nearest, threshold, this.index.definition.metric, now);
    const items = written.map((w) => this.#item(w.memory, w.vector));
    if (o.bulk) await this.index.upsertMany(s, items, o.onProgress ? { onProgress: o.onProgress } : {});
    else await this.index.upsert(s, items);
    this.#publish(scope, s, 'memory.written', [...new Set(results.map((r) => r.id))]);
    return results;
  }

  /**
   * The stored memory most similar to `vector`, found by the engine's own nearest-neighbour query
   * (HNSW on vector sets and RediSearch, exact on flat, whose scan is its index): the cost of a
   * recall, not of a scan of the scope. The best of a few candidates, for a graph search that
   * reaches the neighbourhood but not its best point first. Never partial: a near-copy a query cut
   * short missed would be inserted again, so such a query fails the remember (QueryTimeoutError).
   */
  async #mergeCandidate(scope: Scope, vector: number[]): Promise<Hit | undefined> {
    const ef = Math.min(MERGE_EF, this.index.definition.efRuntime);
    const hits = await this.index.query(scope, vector, { k: MERGE_CANDIDATES, ef, allowPartial: false });
    return hits.reduce<Hit | undefined>((best, hit) => (best === undefined || hit.score > best.score ? hit : best), undefined);
  }

  /**
   * Forgets every memory of a user in this namespace, agent-scoped ones included (their scopes
   * have hash tags of their own). The scopes are found by a SCAN of the namespace's keys, so an
   * index eviction took hides none; keys the engine's own drop leaves behind go too. Returns how many.
   */
  async forgetUser(user: { tenant?: string | undefined; userId: string }): Promise<number> {
    const keys = this.keyspace.user(user);
    const namespace = this.index.definition.namespace;
    const scopes = await this.#scopes(`${keys.tag.slice(0, -1)}[}:]*`);
    const counts = await Promise.all(
      scopes.map(async (s) => {
        const n = await this.index.count(s);
        await this.index.dropScope(s);
        return n;
      }),
    );
    await unlinkMatching(this.index.connection, keys.anyTagPattern, (key) => keys.ownsMemory(key, [namespace]));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** The memories most relevant to `query` (a text, or a vector already embedded), best first. */
  async recall(scope: MemoryScopeRef, query: string | readonly number[], options: RecallOptions = {}): Promise<Recalled[]> {
    return this.#ops.recall.run(async (span) => {
      const recalled = await this.#recall(scope, query, options);
      span?.setAttribute('agent_memory.result_count', recalled.length);
      return recalled;
    });
  }

  async #recall(scope: MemoryScopeRef, query: string | readonly number[], options: RecallOptions): Promise<Recalled[]> {
    const s = this.#scope(scope);
    const o = parseInput(RecallOptionsSchema, options, 'recall options');
    const filter = o.filter === undefined ? undefined : this.#filter(o.filter);
    const [vector] =
      typeof query === 'string'
        ? await this.#embed([parseInput(z.string().min(1), query, 'query')], 'query')
        : this.#checkDimensions([parseInput(VectorSchema, query, 'query vector')]);
    const hits = await this.index.query(s, vector!, { k: candidatesFor(o.k, o.scoring), filter, withVectors: o.withVectors });
    const recalled = rankHits(hits, o, Date.now());
    if (o.trackAccess !== 'off' && recalled.length > 0) {
      const touched = this.index.touch(
        s,
        recalled.map((r) => r.id),
      );
      if (o.trackAccess === 'await') await touched;
      else
        touched.catch((error: unknown) =>
          this.index.connection.logger.warn({ component: 'memory', err: asErr(error) }, 'could not record memory accesses'),
        );
    }
    return recalled;
  }

  /** One memory by id, with its access stats, or null. */
  async get(scope: MemoryScopeRef, id: string): Promise<MemoryWithAccess | null> {
    const s = this.#scope(scope);
    const valid = parseInput(KeyPartSchema, id, 'memory id');
    const [[payload], [access]] = await Promise.all([this.index.get(s, [valid]), this.index.accessStats(s, [valid])]);
    if (!payload) return null;
    return { ...decodeMemory(id, payload), accessCount: access?.count ?? 0, lastAccessedAt: access?.lastAt ?? null };
  }

  /** Changes a memory; a new text is embedded again. Returns the memory, or null if it does not exist. */
  async update(
    scope: MemoryScopeRef,
    id: string,
    patch: Partial<Pick<MemoryInput, 'text' | 'metadata' | 'tags' | 'importance' | 'ttlSeconds'>>,
  ): Promise<Memory | null> {
    const s = this.#scope(scope);
    const current = await this.get(scope, id);
    if (!current) return null;
    const p = parseInput(MemoryInputSchema.omit({ id: true }).partial(), patch, 'memory update');
    const now = Date.now();
    const { accessCount: _count, lastAccessedAt: _at, ...stored } = current;
    const memory: Memory = {
      ...stored,
      text: p.text ?? current.text,
      metadata: p.metadata ?? current.metadata,
      tags: p.tags ?? current.tags,
      importance: p.importance ?? current.importance,
      updatedAt: now,
      expiresAt: p.ttlSeconds !== undefined ? now + p.ttlSeconds * 1000 : current.expiresAt,
    };
    const [vector] = await this.#embed([memory.text], 'document');
    await this.index.upsert(s, [this.#item(memory, vector!)]);
    this.#publish(scope, s, 'memory.written', [id]);
    return memory;
  }

  /** Forgets memories by id, or every memory matching a filter. Returns how many. */
  async forget(scope: MemoryScopeRef, which: { ids: string[] } | { filter: Filter }): Promise<number> {
    return this.#ops.forget.run(async (span) => {
      const removed = await this.#forget(scope, which);
      span?.setAttribute('agent_memory.result_count', removed);
      return removed;
    });
  }

  async #forget(scope: MemoryScopeRef, which: { ids: string[] } | { filter: Filter }): Promise<number> {
    const s = this.#scope(scope);
    const target = parseInput(ForgetTargetSchema, which, 'forget target');
    const ids = 'ids' in target ? target.ids : await this.index.ids(s, this.#filter(target.filter as Filter));
    const removed = await this.index.delete(s, ids);
    if (removed > 0) this.#publish(scope, s, 'memory.forgotten', ids);
    return removed;
  }

  /** Forgets every memory of a scope (forgetUser calls it). */
  async forgetScope(scope: MemoryScopeRef): Promise<number> {
    const s = this.#scope(scope);
    const removed = await this.index.dropScope(s);
    if (removed > 0) this.#publish(scope, s, 'memory.forgotten', []);
    return removed;
  }

  /**
   * Publishes a memory event when this memory has events on: after the write it reports, in the
   * background (no round trip on the caller's path; a failure is a process warning). Unlike a
   * session's events it is not atomic with its write: a process that dies in between loses it.
   */
  #publish(ref: MemoryScopeRef, s: Scope, type: 'memory.written' | 'memory.forgotten', ids: string[]): void {
    if (!this.events) return;
    const draft = { type, tenant: ref.tenant ?? '_', userId: ref.userId, ids, namespace: this.index.definition.namespace };
    this.events
      .publish(s.tag, draft)
      .catch((error: unknown) =>
        this.index.connection.logger.warn({ component: 'memory', event: type, err: asErr(error) }, `could not publish ${type}`),
      );
  }

  /**
   * Copies every memory of this namespace (every scope, agents included) into `target`, another
   * namespace that may use another embedder, dimension, metric or engine: texts are embedded again
   * by the target's embedder; ids, timestamps and expiry are kept; expired memories are skipped.
   * Point the application at `target` once it returns, then drop this namespace with `dropAll()`.
   */
  async migrateTo(
    target: LongTermMemory,
    options: {
      batchSize?: number;
      onProgress?: (progress: MigrationProgress) => void;
      /**
       * Where to record and find how far the copy got (per scope, in id order): a run given the
       * checkpoint of a run that stopped continues where it stopped. Writes are by id, so a batch
       * written but not yet recorded is written again, never twice over.
       */
      checkpoint?: MigrationCheckpoint;
    } = {},
  ): Promise<MigrationProgress> {
    const batchSize = options.batchSize ?? 100;
    const scopes = await this.#scopes();
    // Sorted, so that a position in a scope means the same ids in the next run.
    const idsOf = await Promise.all(scopes.map(async (scope) => (await this.index.ids(scope)).sort()));
    const starts = await Promise.all(
      scopes.map(async (scope, n) => Math.min(idsOf[n]!.length, (await options.checkpoint?.position(scope.tag)) ?? 0)),
    );
    const resumed = starts.reduce((a, b) => a + b, 0);
    const progress = { scopes: 0, memories: 0, processed: resumed, total: idsOf.reduce((a, ids) => a + ids.length, 0), resumed };
    for (const [n, scope] of scopes.entries()) {
      const ids = idsOf[n]!;
      const start = starts[n]!;
      for (let i = start; i < ids.length; i += batchSize) {
        const chunk = ids.slice(i, i + batchSize);
        const payloads = await this.index.get(scope, chunk);
        const memories = chunk.flatMap((id, j) => (payloads[j] ? [decodeMemory(id, payloads[j]!)] : []));
        await target.#import(scope, memories);
        await options.checkpoint?.save(scope.tag, i + chunk.length);
        progress.memories += memories.length;
        progress.processed += chunk.length;
        options.onProgress?.({ ...progress });
      }
      progress.scopes++;
      options.onProgress?.({ ...progress });
    }
    return progress;
  }

  /**
   * Deletes every memory of every scope of this namespace, then what the engine created for it
   * (RediSearch: its index and alias) and its stored definition. Returns how many memories. The
   * namespace is gone: open it again (`longTerm()`) to use it anew.
   */
  async dropAll(): Promise<number> {
    let deleted = 0;
    for (const scope of await this.#scopes()) deleted += await this.index.dropScope(scope);
    await this.index.dropIndex();
    return deleted;
  }

  /**
   * Every scope with a key in this namespace (matching `pattern` after the namespace prefix), found
   * by a SCAN of all its keys, so a scope whose id set eviction took is still found.
   */
  async #scopes(pattern = '{*'): Promise<Scope[]> {
    const prefix = this.keyspace.vector(this.index.definition.namespace).namespacePrefix;
    const tags = new Set<string>();
    for await (const keys of this.index.connection.scan(`${escapeGlob(prefix)}${pattern}`)) {
      for (const key of keys) {
        const tag = /^\{[^{}]*\}/.exec(key.slice(prefix.length))?.[0];
        if (tag) tags.add(tag);
      }
    }
    return [...tags].map(vectorScope);
  }

  /** Writes memories as they are (no dedupe), embedded by this memory's embedder. */
  async #import(scope: Scope, memories: Memory[]): Promise<void> {
    const live = memories.filter((m) => m.expiresAt === null || m.expiresAt > Date.now());
    if (live.length === 0) return;
    const vectors = await this.#embed(
      live.map((m) => m.text),
      'document',
    );
    await this.index.upsertMany(
      scope,
      live.map((m, i) => this.#item(m, vectors[i]!)),
    );
  }

  count(scope: MemoryScopeRef): Promise<number> {
    return this.index.count(this.#scope(scope));
  }

  #scope(ref: MemoryScopeRef): Scope {
    return this.keyspace.memoryScope(ref);
  }

  #filter(input: unknown): Filter {
    return parseFilter(input, this.index.definition.fields);
  }

  async #embed(texts: string[], kind: 'query' | 'document'): Promise<number[][]> {
    return embedTexts(this.embedder, texts, kind, this.index.definition.dim);
  }

  #checkDimensions(vectors: readonly (readonly number[])[], what = 'the caller gave'): number[][] {
    for (const v of vectors) {
      if (!Array.isArray(v) || v.length !== this.index.definition.dim) {
        throw new DimensionMismatchError(
          `${what} ${Array.isArray(v) ? v.length : 'no'}-dimensional vectors; index ${this.index.definition.namespace} holds ${this.index.definition.dim}`,
        );
      }
    }
    return vectors as number[][];
  }

  #item(memory: Memory, vector: number[]): VectorItem {
    return memoryItem(this.index.definition, memory, vector);
  }
}
