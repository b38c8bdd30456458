// createAgentMemory(config): connects (or adopts the caller's client) and hands out the stores. It
// wires parts together and holds no storage logic of its own.
import { z } from 'zod';
import { probeCapabilities, type ServerCapabilities } from './connection/capabilities.js';
import { ConnectionConfigSchema } from './connection/config.js';
import { adopt, AdoptableClientSchema, AdoptOptionsSchema, connect, type RedisConnection } from './connection/connect.js';
import { diagnose, type DoctorReport } from './connection/doctor.js';
import { checkHealth, type HealthOptions, type HealthReport } from './connection/health.js';
import { KeyPrefixSchema, Keyspace, type UserScope } from './keys.js';
import { Cache } from './cache/cache.js';
import { CheckpointStore, type CheckpointStoreOptions } from './checkpoint/checkpoint-store.js';
import { EmbeddingCache, type EmbeddingsLike } from './cache/embedding-cache.js';
import { EventLog, EventsConfigSchema } from './events/event-log.js';
import { ExtractionWorker, type ExtractionWorkerOptions } from './extraction/worker.js';
import { canonicalJson, LlmCache } from './cache/llm-cache.js';
import { InvalidArgumentError } from './errors.js';
import { unlinkUserKeys, userCacheTag } from './forget.js';
import type { CacheOptions } from './cache/options.js';
import { SEMANTIC_CACHE_EF_RUNTIME, SemanticCache, SemanticCacheOptionsSchema } from './cache/semantic-cache.js';
import { embedTexts, type EmbeddingsLike as Embedder } from './embeddings/embedder.js';
import { LongTermMemory, LongTermMemoryOptionsSchema } from './memory/long-term-memory.js';
import { createVectorIndex, type EngineChoice } from './vector/create.js';
import type { ColdStore } from './tiered/cold-store.js';
import { hotFieldsOf, TieredOptionsSchema, TieredRetriever, type TieredOptions } from './tiered/tiered.js';
import { IndexDefinitionSchema, type EnsureOptions, type IndexDefinition } from './vector/types.js';
import { DocumentStore, type DocumentStoreOptions } from './store/document-store.js';
import { SessionStoreOptionsSchema } from './session/options.js';
import { countSessions, SessionStore } from './session/store.js';
import { LoggerSchema } from './observe/logger.js';
import { openTelemetry, TelemetryOptionSchema } from './observe/telemetry.js';
import { parseInput } from './validate.js';

/** Options of {@link createAgentMemory}. Give exactly one of `redis` or `client`. */
export const AgentMemoryConfigSchema = z
  .object({
    /** How to reach Redis (see ConnectionConfig): the library opens, owns and closes its connection. */
    redis: ConnectionConfigSchema.optional(),
    /**
     * Your node-redis client or cluster (node-redis 6, or 5), created with RESP3 (`RESP: 3`; node-redis 6's
     * default). Opened if it is not open yet; `close()` leaves it open: it stays yours.
     */
    client: AdoptableClientSchema.optional(),
    /** With `client`: the command deadline and the other settings the library applies to it. */
    clientOptions: AdoptOptionsSchema.optional(),
    /** Prefix of every key the library writes. Default `am`. */
    prefix: KeyPrefixSchema.default('am'),
    /** Session store (working memory) options. */
    sessions: SessionStoreOptionsSchema.prefault({}),
    /** The event backbone (`memory.events`): how long its streams are. Stores publish with their own `events: true`. */
    events: EventsConfigSchema.prefault({}),
    /**
     * Where background failures and advice go (pino-compatible: `logger: pino()`). Default: quiet
     * except warnings and errors, which become process warnings (`process.emitWarning`).
     */
    logger: LoggerSchema.optional(),
    /**
     * OpenTelemetry spans and metrics (docs/observability.md). Default: the global providers of
     * `@opentelemetry/api` when installed (register the SDK first); `false`: none; or
     * `{ tracerProvider, meterProvider }` to use instead of the globals.
     */
    telemetry: TelemetryOptionSchema.optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if ((config.redis === undefined) === (config.client === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          config.redis === undefined
            ? 'give one of redis (how to connect) or client (your node-redis client)'
            : 'give only one of redis (how to connect) or client (your node-redis client), not both',
      });
    }
    if (config.clientOptions !== undefined && config.client === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['clientOptions'],
        message: 'is for a client of yours: give client too, or move the settings into redis',
      });
    }
  });

export type AgentMemoryConfig = z.input<typeof AgentMemoryConfigSchema>;

/** A connected agent memory. Close it when done. */
export interface AgentMemory {
  readonly connection: RedisConnection;
  readonly keys: Keyspace;
  /** Working memory: conversations, tool results, reasoning state. */
  readonly sessions: SessionStore;
  /** The event backbone: what the stores publish (with `events: true`), read by consumer groups. */
  readonly events: EventLog;
  /**
   * A background worker that turns this memory's conversations into long-term memories (sessions
   * must publish: `sessions: { events: true }`); call `start()`.
   *
   * @example const worker = memory.extraction({ memory: facts, extractor: rulesExtractor() }).start();
   */
  extraction(options: Omit<ExtractionWorkerOptions, 'events' | 'sessions'>): ExtractionWorker;
  /**
   * A cache (created once per name; later calls return the same one). Tag entries that belong to
   * a user with `userTag(user)`: `forgetUser` invalidates that tag in every cache made here.
   */
  cache(options: CacheOptions): Cache;
  /** An embedder with a cache in front (vectors as float32, batched lookups, only misses embedded). */
  embeddingCache(
    embedder: EmbeddingsLike,
    options: { model: string; cache?: Omit<CacheOptions, 'name'> & { name?: string } },
  ): EmbeddingCache;
  /** The exact LLM response cache. */
  llmCache(options?: Omit<CacheOptions, 'name'> & { name?: string }): LlmCache;
  /**
   * Long-term memory in a namespace (created on first use; `dim` is asked of the embedder when not
   * given). `engine: 'auto'` picks RediSearch, else vector sets, else flat; `memory.index.engine` says which.
   */
  longTerm(options: LongTermOptions): Promise<LongTermMemory>;
  /** Checkpoints of agent graphs, per thread (LangGraph's checkpointer stores through it). */
  checkpoints(options?: CheckpointStoreOptions): CheckpointStore;
  /**
   * A document store: JSON documents in namespaces, with search by meaning when given an `index`,
   * filters on any value field, and TTLs (the storage of the LangGraph store adapter).
   */
  documentStore(options?: DocumentStoreOptions): Promise<DocumentStore>;
  /** A semantic cache of LLM answers (per tenant, filtered by model). */
  semanticCache(options: SemanticCacheOptions): Promise<SemanticCache>;
  /**
   * Two-tier retrieval: a hot tier in Redis (a vector engine holding the policy's top `size`
   * items) in front of a cold store holding everything (PostgreSQL + pgvector: `PgVectorStore`
   * from `redis-agent-memory/tiered`). See docs/tiered.md.
   *
   * @example const menu = await memory.tiered({ name: 'menu', cold: new PgVectorStore({ connectionString, dim: 384 }), embedder });
   */
  tiered(options: TieredRetrieverOptions): Promise<TieredRetriever>;
  /** The cache tag that marks a user's entries, for `forgetUser`: `user:<tenant>:<userId>`. */
  userTag(user: UserScope): string;
  /**
   * Deletes everything the library keeps about a user: sessions, long-term memories (of every
   * agent) in the namespaces opened here, cache entries tagged `userTag(user)`, and their events
   * (pending ones included, and dead letters). Returns how
   * many sessions were deleted. One key stays for an hour: a mark named by a digest of the user
   * (no id in it), so an extraction in flight undoes what it writes after the forget.
   */
  forgetUser(user: UserScope): Promise<number>;
  /** What the server can do; probed once (one round trip) and remembered. */
  capabilities(): Promise<ServerCapabilities>;
  /** Checks the server for settings that put an agent's memory at risk. */
  doctor(): Promise<DoctorReport>;
  /**
   * For readiness probes: one PING on every connection the memory holds (the main one, each
   * subscriber and reader; on a cluster, every master once), all at once, within `timeoutMs`
   * (default 1000). Never throws for a connection that is down: its entry says why. See docs/connecting.md.
   *
   * @example const { ok } = await memory.health({ timeoutMs: 500 });
   */
  health(options?: HealthOptions): Promise<HealthReport>;
  close(): Promise<void>;
}

/** Options of `memory.longTerm(...)`: the index definition (namespace default `memories`) plus these. */
export type LongTermOptions = Omit<IndexDefinition, 'namespace' | 'dim'> & {
  namespace?: string;
  dim?: number;
  embedder: Embedder;
  engine?: EngineChoice;
  dedupeThreshold?: number;
  /** RediSearch: how opening waits for an index built over existing keys (default: up to 60 s). */
  ensure?: EnsureOptions;
  /** Publish memory.written / memory.forgotten to `memory.events` (after each write, in the background). Default false. */
  events?: boolean;
};

/** Options of `memory.tiered(...)`: the retriever's options (tiered.ts) plus its parts. */
export type TieredRetrieverOptions = TieredOptions & {
  /** Names its keys and its hot index (`tier-<name>`). */
  name: string;
  cold: ColdStore;
  /** Turns text queries into vectors (searches by vector need none). */
  embedder?: Embedder;
  /** The hot tier's engine; `auto` picks RediSearch, else vector sets (cosine only), else flat. */
  engine?: EngineChoice;
  /** The hot index's settings (HNSW degree and effort, vector-set quantization); dim, metric and fields come from the cold store. */
  hot?: Omit<IndexDefinition, 'namespace' | 'dim' | 'metric' | 'fields'>;
  /** RediSearch: how opening waits for an index built over existing keys (default: up to 60 s). */
  ensure?: EnsureOptions;
};

/** Options of `memory.semanticCache(...)`. `fields` declares filterable metadata; tenant and model are scopes, not filters. */
export type SemanticCacheOptions = Omit<IndexDefinition, 'namespace' | 'dim'> & {
  name?: string;
  dim?: number;
  embedder: Embedder;
  engine?: EngineChoice;
  threshold?: number;
  ttlSeconds?: number;
  /** RediSearch: how opening waits for an index built over existing keys (default: up to 60 s). */
  ensure?: EnsureOptions;
};

async function dimensionsOf(embedder: Embedder, dim: number | undefined): Promise<number> {
  return dim ?? (await embedTexts(embedder, ['dimension probe'], 'query'))[0]!.length;
}

/**
 * Connects to Redis and returns the library's entry point.
 *
 * @example
 * const memory = await createAgentMemory({ redis: { url: 'redis://localhost:6379' } });
 * @example
 * const memory = await createAgentMemory({ client: createClient({ url, RESP: 3 }) }); // your client, left open by close()
 * console.log(formatDoctorReport(await memory.doctor()));
 * await memory.close();
 */
export async function createAgentMemory(config: AgentMemoryConfig): Promise<AgentMemory> {
  const parsed = parseInput(AgentMemoryConfigSchema, config, 'agent memory config');
  const connection = parsed.client ? await adopt(parsed.client, parsed.clientOptions) : await connect(parsed.redis!);
  if (parsed.logger) connection.logger = parsed.logger;
  try {
    connection.telemetry = await openTelemetry(parsed.telemetry, connection.endpoint);
  } catch (error) {
    await connection.close(); // a provider that throws on getTracer/getMeter leaves nothing open
    throw error;
  }
  const keys = new Keyspace(parsed.prefix);
  const events = new EventLog(connection, keys, parsed.events);
  const sessions = new SessionStore(connection, keys, parsed.sessions, events);
  const caches = new Map<string, Cache>();
  const cache = (options: CacheOptions): Cache => {
    const created = new Cache(connection, keys, options, events);
    const existing = caches.get(created.name);
    if (existing) {
      if (canonicalJson(existing.options) !== canonicalJson(created.options)) {
        throw new InvalidArgumentError('cache options', [
          { path: 'name', message: `a cache named ${created.name} already exists with other options` },
        ]);
      }
      return existing;
    }
    caches.set(created.name, created);
    return created;
  };
  const longTerms: LongTermMemory[] = [];
  const longTerm = async ({
    embedder,
    engine = 'auto',
    dedupeThreshold,
    namespace = 'memories',
    dim,
    ensure,
    events: publishes = false,
    ...rest
  }: LongTermOptions): Promise<LongTermMemory> => {
    const definition = parseInput(
      IndexDefinitionSchema,
      { ...rest, namespace, dim: await dimensionsOf(embedder, dim) },
      'long-term memory index',
    );
    const options = parseInput(
      LongTermMemoryOptionsSchema,
      dedupeThreshold === undefined ? {} : { dedupeThreshold },
      'long-term memory options',
    );
    const index = await createVectorIndex(connection, keys, definition, engine, await capabilities(), ensure);
    const created = new LongTermMemory(index, embedder, keys, options, publishes ? events : undefined);
    longTerms.push(created);
    return created;
  };
  const semanticCache = async ({
    embedder,
    engine = 'auto',
    threshold,
    ttlSeconds,
    name = 'default',
    dim,
    fields,
    ensure,
    ...rest
  }: SemanticCacheOptions): Promise<SemanticCache> => {
    const definition = parseInput(
      IndexDefinitionSchema,
      {
        efRuntime: SEMANTIC_CACHE_EF_RUNTIME,
        ...rest,
        namespace: `semantic-${name}`,
        fields: fields ?? {},
        dim: await dimensionsOf(embedder, dim),
      },
      'semantic cache index',
    );
    const options = parseInput(
      SemanticCacheOptionsSchema,
      { ...(threshold === undefined ? {} : { threshold }), ...(ttlSeconds === undefined ? {} : { ttlSeconds }) },
      'semantic cache options',
    );
    const index = await createVectorIndex(connection, keys, definition, engine, await capabilities(), ensure);
    return new SemanticCache(index, embedder, keys, cache({ name: `semantic-${name}` }), options);
  };
  const tiereds: TieredRetriever[] = [];
  const tiered = async ({ name, cold, embedder, engine = 'auto', hot = {}, ensure, ...options }: TieredRetrieverOptions) => {
    const tierKeys = keys.tiered(name);
    // Every option checked before anything is created.
    const fields = hotFieldsOf(cold.definition.fields, parseInput(TieredOptionsSchema, options, 'tiered retriever options'));
    await cold.ensure();
    const definition = parseInput(
      IndexDefinitionSchema,
      { ...hot, namespace: tierKeys.namespace, dim: cold.definition.dim, metric: cold.definition.metric, fields },
      'tiered hot index',
    );
    const index = await createVectorIndex(connection, keys, definition, engine, await capabilities(), ensure);
    const created = new TieredRetriever(name, connection, tierKeys, index, cold, options, embedder);
    tiereds.push(created);
    return created;
  };
  const userTag = (user: UserScope): string => userCacheTag(keys, user);
  const forgetUser = async (user: UserScope): Promise<number> => {
    const tag = userTag(user);
    await events.markForgotten(user); // first: an extraction in flight undoes what it writes from now on
    await Promise.all([...[...caches.values()].map((c) => c.invalidateTag(tag)), ...longTerms.map((m) => m.forgetUser(user))]);
    // Then every key left under the user's tags, whatever index eviction took: one SCAN pass.
    const deleted = await unlinkUserKeys(
      connection,
      keys,
      user,
      longTerms.map((m) => m.index.definition.namespace),
    );
    // Events last: with the sessions gone, no idle sweep can announce one of them again.
    await events.forgetUser(user);
    return countSessions(keys.user(user).sessionPrefix, deleted);
  };
  let probed: Promise<ServerCapabilities> | undefined;
  const capabilities = (): Promise<ServerCapabilities> => {
    probed ??= probeCapabilities(connection).catch((error: unknown) => {
      probed = undefined;
      throw error;
    });
    return probed;
  };
  return {
    connection,
    keys,
    sessions,
    events,
    extraction: (options) => new ExtractionWorker({ ...options, events, sessions }),
    cache,
    embeddingCache: (embedder, { model, cache: options }) =>
      new EmbeddingCache(embedder, cache({ name: 'embeddings', ...options }), { model }),
    llmCache: (options) => new LlmCache(cache({ name: 'llm', ...options })),
    longTerm,
    checkpoints: (options) => new CheckpointStore(connection, keys, options),
    documentStore: async (options) => DocumentStore.open(connection, keys, await capabilities(), options),
    semanticCache,
    tiered,
    userTag,
    forgetUser: (user) => connection.telemetry.operation('memory.forget_user').run(() => forgetUser(user)),
    capabilities,
    doctor: async () => diagnose(await capabilities(), { endpoint: connection.endpoint, clientMode: connection.mode }),
    health: (options) => checkHealth(connection, options),
    // An adopted client stays open: connection.close() ends only what the library opened.
    close: async () => {
      await Promise.all([...caches.values(), ...tiereds].map((c) => c.close()));
      await connection.close();
    },
  };
}
