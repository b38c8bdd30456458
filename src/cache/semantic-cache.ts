// The semantic cache: serves a cached LLM answer when a new prompt means the same as an earlier
// one (its embedding is within a threshold). Entries expire one by one and live in a scope per
// tenant and model (their own key, so one tenant never gets another's answer, another model's
// neither, and a lookup needs no filter); a miss is computed once across processes, under the
// exact cache's stampede lock.
import { z } from 'zod';
import type { EmbeddingsLike } from '../embeddings/embedder.js';
import { DimensionMismatchError } from '../errors.js';
import { KeyPartSchema, type Keyspace } from '../keys.js';
import { SecondsSchema } from '../ttl.js';
import { parseInput } from '../validate.js';
import { parseFilter, type Filter } from '../vector/filter.js';
import type { VectorIndex } from '../vector/types.js';
import { Cache } from './cache.js';
import { canonicalJson } from './llm-cache.js';
import type { Operation, SpanLike, TelemetryAttributes } from '../observe/telemetry.js';

/**
 * HNSW search effort of a semantic cache's index unless told otherwise: a lookup wants the single
 * nearest prompt, which needs far less exploration than a top-10 recall.
 */
export const SEMANTIC_CACHE_EF_RUNTIME = 64;

export const SemanticCacheOptionsSchema = z
  .object({
    /** A cached prompt this similar (0–1, the engines' score scale) counts as the same. Default 0.95. */
    threshold: z.number().min(0).max(1).default(0.95),
    /** How long an entry lives. Default one hour. */
    ttlSeconds: SecondsSchema.default(3600),
  })
  .strict();

const CallSchema = z
  .object({
    /** The model the answer came from: answers of other models are never served. */
    model: z.string().min(1).max(256).optional(),
    /** The tenant whose cache this is (default `_`). */
    tenant: KeyPartSchema.optional(),
    threshold: z.number().min(0).max(1).optional(),
    filter: z.unknown().optional(),
    ttlSeconds: SecondsSchema.optional(),
    /** Values of the index's declared fields, for later filters. */
    metadata: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  })
  .strict();
export type SemanticCallOptions = z.input<typeof CallSchema>;

export type SemanticLookup<T> = { hit: true; response: T; score: number; prompt: string } | { hit: false };

interface Entry {
  prompt: string;
  response: unknown;
  model: string | null;
  createdAt: number;
}

// What a recording lookup span learns: hit or miss, and the similarity (never the prompt).
const describeLookup = (span: SpanLike, found: SemanticLookup<unknown>): void => {
  span.setAttribute('agent_memory.cache.hit', found.hit);
  if (found.hit) span.setAttribute('agent_memory.score', found.score);
};

export class SemanticCache {
  readonly options: z.output<typeof SemanticCacheOptionsSchema>;
  readonly #ops: { lookup: Operation; store: Operation; getOrCompute: Operation };
  readonly #hit: TelemetryAttributes;
  readonly #miss: TelemetryAttributes;

  /** `index` must declare `model` as a tag field; `exact` provides the stampede lock of the miss path. */
  constructor(
    readonly index: VectorIndex,
    private readonly embedder: EmbeddingsLike,
    private readonly keyspace: Keyspace,
    private readonly exact: Cache,
    options: z.input<typeof SemanticCacheOptionsSchema> = {},
  ) {
    this.options = parseInput(SemanticCacheOptionsSchema, options, 'semantic cache options');
    const telemetry = index.connection.telemetry;
    const on = { 'agent_memory.engine': index.engine, 'agent_memory.cache.name': exact.name };
    this.#ops = {
      lookup: telemetry.operation('semantic_cache.lookup', on),
      store: telemetry.operation('semantic_cache.store', on),
      getOrCompute: telemetry.operation('semantic_cache.get_or_compute', on),
    };
    // `kind` tells these lookups from the exact ones of the lock cache, which shares the name.
    const counted = { ...telemetry.common, 'agent_memory.cache.name': exact.name, 'agent_memory.cache.kind': 'semantic' };
    this.#hit = Object.freeze({ ...counted, 'agent_memory.cache.hit': true });
    this.#miss = Object.freeze({ ...counted, 'agent_memory.cache.hit': false });
  }

  /**
   * The cached answer of the nearest earlier prompt, if it is within the threshold. A lookup the
   * server's query time limit cut short is a QueryTimeoutError (transient), never read as a miss.
   */
  lookup<T = unknown>(prompt: string, options: SemanticCallOptions = {}): Promise<SemanticLookup<T>> {
    return this.#ops.lookup.run(async () => {
      const found = await this.#lookup<T>(prompt, options);
      this.index.connection.telemetry.cacheLookups(found.hit ? this.#hit : this.#miss, 1);
      return found;
    }, describeLookup);
  }

  async #lookup<T>(prompt: string, options: SemanticCallOptions): Promise<SemanticLookup<T>> {
    const o = parseInput(CallSchema, options, 'semantic cache lookup options');
    const vector = await this.#embed(parseInput(z.string().min(1), prompt, 'prompt'));
    const [best] = await this.index.query(this.#scope(o.tenant, o.model), vector, { k: 1, filter: this.#filter(o), allowPartial: false });
    if (!best || best.score < (o.threshold ?? this.options.threshold)) return { hit: false };
    const entry = JSON.parse(best.payload) as Entry;
    return { hit: true, response: entry.response as T, score: best.score, prompt: entry.prompt };
  }

  /** Caches an answer for a prompt. */
  store(prompt: string, response: unknown, options: SemanticCallOptions = {}): Promise<void> {
    return this.#ops.store.run(() => this.#store(prompt, response, options));
  }

  async #store(prompt: string, response: unknown, options: SemanticCallOptions): Promise<void> {
    const o = parseInput(CallSchema, options, 'semantic cache store options');
    const vector = await this.#embed(parseInput(z.string().min(1), prompt, 'prompt'));
    const entry: Entry = { prompt, response, model: o.model ?? null, createdAt: Date.now() };
    const tags: Record<string, string[]> = {};
    const numbers: Record<string, number> = {};
    for (const [field, value] of Object.entries(o.metadata ?? {})) {
      if (this.index.definition.fields[field] === 'tag') tags[field] = [String(value)];
      else if (this.index.definition.fields[field] === 'numeric' && typeof value === 'number') numbers[field] = value;
    }
    const id = Cache.id(`${o.model ?? ''}\u0000${prompt}`);
    await this.index.upsert(this.#scope(o.tenant, o.model), [
      {
        id,
        vector,
        tags,
        numbers,
        payload: JSON.stringify(entry),
        expiresAt: Date.now() + (o.ttlSeconds ?? this.options.ttlSeconds) * 1000,
      },
    ]);
  }

  /** The cached answer of a prompt that means the same, or `compute()`'s, stored; computed once across processes. */
  getOrCompute<T>(prompt: string, compute: () => T | Promise<T>, options: SemanticCallOptions = {}): Promise<T> {
    return this.#ops.getOrCompute.run(() => this.#getOrCompute(prompt, compute, options));
  }

  async #getOrCompute<T>(prompt: string, compute: () => T | Promise<T>, options: SemanticCallOptions): Promise<T> {
    const found = await this.lookup<T>(prompt, options);
    if (found.hit) return found.response;
    const lockKey = canonicalJson({ semantic: true, tenant: options.tenant ?? '_', model: options.model ?? null, prompt });
    return this.exact.getOrCompute(
      lockKey,
      async () => {
        const again = await this.lookup<T>(prompt, options);
        if (again.hit) return again.response;
        const response = await compute();
        await this.store(prompt, response, options);
        return response;
      },
      { ttlSeconds: Math.min(60, options.ttlSeconds ?? this.options.ttlSeconds) },
    );
  }

  /** Drops every entry of a tenant for a model. */
  clear(options: { tenant?: string; model?: string } = {}): Promise<number> {
    return this.index.dropScope(this.#scope(options.tenant, options.model));
  }

  /** One scope per tenant and model: the model's name is digested into a key-safe agent id. */
  #scope(tenant: string | undefined, model: string | undefined) {
    return this.keyspace.memoryScope({
      tenant,
      userId: 'semantic-cache',
      agentId: model === undefined ? undefined : `m${Cache.id(model)}`,
    });
  }

  #filter(o: z.output<typeof CallSchema>): Filter | undefined {
    return o.filter === undefined ? undefined : parseFilter(o.filter, this.index.definition.fields);
  }

  async #embed(text: string): Promise<number[]> {
    const vector = await this.embedder.embedQuery(text);
    if (vector.length !== this.index.definition.dim) {
      throw new DimensionMismatchError(
        `the embedder returns ${vector.length}-dimensional vectors; the semantic cache index holds ${this.index.definition.dim}`,
      );
    }
    return vector;
  }
}
