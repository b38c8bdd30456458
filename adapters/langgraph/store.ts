// LangGraph's long-term store (BaseStore) on the library's document store: translates LangGraph
// operations, index and TTL configs, dates and scores to and from core calls. It never sends a
// Redis command itself and holds no storage logic: everything it stores goes through DocumentStore.
import {
  BaseStore,
  validateNamespace,
  type GetOperation,
  type Item,
  type ListNamespacesOperation,
  type Operation,
  type OperationResults,
  type PutOperation,
  type SearchItem,
  type SearchOperation,
} from '@langchain/langgraph-checkpoint';
import { fromLangGraphFilter } from './filter.js';
import type { AgentMemory } from '../../src/index.js';
import { openFromClient, openFromUrl, type NodeRedisClient, type OpenFrom } from './open-memory.js';
import type { EmbeddingsLike } from '../../src/entries/embeddings.js';
import type { EngineChoice } from '../../src/entries/memory.js';
import {
  matchesNamespacePattern,
  type DocumentStore,
  type DocumentWrite,
  type FoundDocument,
  type StoredDocument,
} from '../../src/entries/store.js';

/** A function that embeds texts, as LangGraph's stores accept in place of an Embeddings object. */
export type EmbedTexts = (texts: string[]) => Promise<number[][]>;

/** LangGraph's index config: `{ dims, embed, fields }` (`embeddings` is accepted for `embed`). */
export interface AgentMemoryStoreIndexConfig {
  /** The embedder's dimension. */
  dims: number;
  /** LangChain Embeddings, or a function embedding texts. */
  embed?: EmbeddingsLike | EmbedTexts;
  /** Same as `embed` (the name LangGraph's InMemoryStore uses). */
  embeddings?: EmbeddingsLike;
  /** JSON paths of the texts to embed; default `['$']` (the whole value). */
  fields?: string[];
  /** Vector engine; default `auto` (RediSearch, else vector sets, else flat). */
  engine?: EngineChoice;
}

/** LangGraph's TTL config, in minutes. */
export interface AgentMemoryStoreTtlConfig {
  /** Minutes until an item put without its own `ttl` expires. Default: never. */
  defaultTtl?: number;
  /** Whether get and search move the expiry of what they return. Default true. */
  refreshOnRead?: boolean;
}

export interface AgentMemoryStoreOptions {
  /** Names the store's keys; stores with other names do not see each other. Default `default`. */
  name?: string;
  index?: AgentMemoryStoreIndexConfig;
  ttl?: AgentMemoryStoreTtlConfig;
}

/** A put that may carry its own TTL in minutes (`null`: never expires, despite `defaultTtl`). */
export type AgentMemoryPutOperation = PutOperation & { ttl?: number | null };
/** A get or search that may override the store's `refreshOnRead`. */
export type AgentMemoryGetOperation = GetOperation & { refreshTtl?: boolean };
export type AgentMemorySearchOperation = SearchOperation & { refreshTtl?: boolean };

const isPut = (op: Operation): op is AgentMemoryPutOperation => 'value' in op;
const isGet = (op: Operation): op is AgentMemoryGetOperation => 'key' in op && 'namespace' in op && !('value' in op);
const isSearch = (op: Operation): op is AgentMemorySearchOperation => 'namespacePrefix' in op;
const isList = (op: Operation): op is ListNamespacesOperation =>
  'matchConditions' in op || ('limit' in op && 'offset' in op && !('namespacePrefix' in op));

const toItem = (d: StoredDocument): Item => ({
  namespace: d.namespace,
  key: d.key,
  value: d.value,
  createdAt: new Date(d.createdAt),
  updatedAt: new Date(d.updatedAt),
});

/** LangGraph reports cosine similarity in [-1, 1]; the engines report (1 + cos) / 2. */
const toSearchItem = (d: FoundDocument): SearchItem => (d.score === undefined ? toItem(d) : { ...toItem(d), score: 2 * d.score - 1 });

function embedderOf(index: AgentMemoryStoreIndexConfig): EmbeddingsLike {
  const embed = index.embed ?? index.embeddings;
  if (typeof embed === 'function') return { embedDocuments: embed, embedQuery: async (text) => (await embed([text]))[0]! };
  if (!embed) throw new TypeError('the index config needs `embed` (LangChain Embeddings or a function of texts)');
  return embed;
}

/**
 * A LangGraph long-term store on Redis: namespaced JSON items, semantic search through the index
 * config, value filters, TTLs with refresh on read. Give it to `graph.compile({ store })` or
 * `createAgent({ store })`.
 *
 * @example
 * const store = new AgentMemoryStore(memory, { index: { dims: 1536, embed: new OpenAIEmbeddings(), fields: ['text'] }, ttl: { defaultTtl: 60 * 24 * 30 } });
 * await store.put(['memories', userId], 'diet', { text: 'She is vegetarian' });
 * const hits = await store.search(['memories', userId], { query: 'what does she eat?', limit: 3 });
 */
export class AgentMemoryStore extends BaseStore {
  #opened: Promise<DocumentStore> | undefined;

  /** The agent memory a factory opened for this store; {@link end} closes it. */
  #owned: AgentMemory | undefined;

  constructor(
    private readonly memory: Pick<AgentMemory, 'documentStore'>,
    private readonly options: AgentMemoryStoreOptions = {},
  ) {
    super();
  }

  /**
   * A store with a connection of its own, as LangGraph's stores are made from a connection
   * string. Close it with {@link end}.
   *
   * @example const store = await AgentMemoryStore.fromUrl('redis://localhost:6379', { index: { dims: 1536, embed: new OpenAIEmbeddings() } });
   */
  static async fromUrl(url: string, options: AgentMemoryStoreOptions & OpenFrom = {}): Promise<AgentMemoryStore> {
    return AgentMemoryStore.#over(await openFromUrl(url, options), options);
  }

  /** A store on a node-redis client (or cluster) of yours, created with RESP3; {@link end} leaves your client open. */
  static async fromClient(client: NodeRedisClient, options: AgentMemoryStoreOptions & OpenFrom = {}): Promise<AgentMemoryStore> {
    return AgentMemoryStore.#over(await openFromClient(client, options), options);
  }

  static #over(memory: AgentMemory, { prefix: _, ...options }: AgentMemoryStoreOptions & OpenFrom): AgentMemoryStore {
    const made = new AgentMemoryStore(memory, options);
    made.#owned = memory;
    return made;
  }

  /** Closes what {@link fromUrl} or {@link fromClient} opened (a client of yours stays open); nothing for a store built on a memory. */
  async end(): Promise<void> {
    await this.#owned?.close();
  }

  /** The document store underneath (opened, and its vector index checked, on first use). */
  documents(): Promise<DocumentStore> {
    const { name, index, ttl } = this.options;
    this.#opened ??= this.memory
      .documentStore({
        ...(name === undefined ? {} : { name }),
        ...(index === undefined
          ? {}
          : {
              index: {
                dim: index.dims,
                embedder: embedderOf(index),
                ...(index.fields ? { fields: index.fields } : {}),
                ...(index.engine ? { engine: index.engine } : {}),
              },
            }),
        ttl: {
          ...(ttl?.defaultTtl === undefined ? {} : { defaultSeconds: ttl.defaultTtl * 60 }),
          ...(ttl?.refreshOnRead === undefined ? {} : { refreshOnRead: ttl.refreshOnRead }),
        },
      })
      .catch((error: unknown) => {
        this.#opened = undefined;
        throw error;
      });
    return this.#opened;
  }

  /**
   * Not part of LangGraph's interface: deletes every item under a namespace prefix of at least one
   * label, e.g. all of a user's memories when they ask to be forgotten. Returns how many.
   *
   * @example await store.deleteNamespaces(['memories', userId]);
   */
  async deleteNamespaces(prefix: string[]): Promise<number> {
    return (await this.documents()).deleteNamespaces(prefix);
  }

  override async start(): Promise<void> {
    await this.documents();
  }

  /**
   * Runs operations as if one after the other: each run of consecutive writes is one call (the
   * last write to a key winning, one script per namespace), each run of consecutive reads runs in
   * parallel (gets grouped per namespace), and a read sees every write before it in the batch.
   * Every operation is validated before anything runs.
   */
  async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    const store = await this.documents();
    const results: unknown[] = operations.map(() => undefined);
    type Step =
      | { kind: 'write'; writes: DocumentWrite[] }
      | { kind: 'read'; gets: { at: number; op: AgentMemoryGetOperation }[]; others: (() => Promise<void>)[] };
    const steps: Step[] = [];
    const step = <K extends Step['kind']>(kind: K): Extract<Step, { kind: K }> => {
      let last = steps.at(-1);
      if (last?.kind !== kind) {
        last = kind === 'write' ? { kind: 'write', writes: [] } : { kind: 'read', gets: [], others: [] };
        steps.push(last);
      }
      return last as Extract<Step, { kind: K }>;
    };
    operations.forEach((op, at) => {
      if ('namespace' in op) validateNamespace(op.namespace, { allowReservedRoot: true });
      if (isPut(op)) {
        step('write').writes.push({
          namespace: op.namespace,
          key: op.key,
          value: op.value,
          index: op.index,
          ttlSeconds: op.ttl === undefined || op.ttl === null ? op.ttl : op.ttl * 60,
        });
      } else if (isGet(op)) {
        step('read').gets.push({ at, op });
      } else if (isSearch(op)) {
        validateNamespace(op.namespacePrefix, { allowEmpty: true, allowReservedRoot: true });
        const { filter, query, limit, offset, refreshTtl } = op;
        const where = filter === undefined ? undefined : fromLangGraphFilter(filter);
        const options = {
          ...(where ? { filter: where } : {}),
          ...(query ? { query } : {}),
          ...(limit === undefined ? {} : { limit }),
          ...(offset === undefined ? {} : { offset }),
          ...(refreshTtl === undefined ? {} : { refreshTtl }),
        };
        step('read').others.push(async () => {
          results[at] = (await store.search(op.namespacePrefix, options)).map(toSearchItem);
        });
      } else if (isList(op)) {
        const prefix = op.matchConditions?.filter((c) => c.matchType === 'prefix').map((c) => c.path) ?? [];
        const suffix = op.matchConditions?.filter((c) => c.matchType === 'suffix').map((c) => c.path) ?? [];
        const options = {
          ...(op.maxDepth === undefined ? {} : { maxDepth: op.maxDepth }),
          limit: op.limit,
          offset: op.offset,
          ...(prefix[0] ? { prefix: prefix[0] } : {}),
          ...(suffix[0] ? { suffix: suffix[0] } : {}),
        };
        step('read').others.push(async () => {
          results[at] = prefix.length > 1 || suffix.length > 1 ? await this.#listAll(store, op) : await store.listNamespaces(options);
        });
      } else {
        throw new TypeError(`unknown store operation: ${JSON.stringify(Object.keys(op))}`);
      }
    });
    for (const s of steps) {
      if (s.kind === 'write') {
        await store.write(s.writes);
        continue;
      }
      const reads = s.others.map((run) => run());
      // Gets that differ only in refreshTtl are read separately; one call per setting.
      for (const refresh of [undefined, true, false]) {
        const group = s.gets.filter((g) => g.op.refreshTtl === refresh);
        if (group.length === 0) continue;
        reads.push(
          store
            .getMany(
              group.map((g) => g.op),
              refresh === undefined ? {} : { refreshTtl: refresh },
            )
            .then((docs) => {
              for (const [i, d] of docs.entries()) results[group[i]!.at] = d ? toItem(d) : null;
            }),
        );
      }
      await Promise.all(reads);
    }
    return results as OperationResults<Op>;
  }

  /** listNamespaces with several prefix or suffix conditions (only a raw batch makes them): every one must hold. */
  async #listAll(store: DocumentStore, op: ListNamespacesOperation): Promise<string[][]> {
    const all = await store.listNamespaces({ limit: 100_000, ...(op.maxDepth === undefined ? {} : { maxDepth: op.maxDepth }) });
    return all
      .filter((ns) => (op.matchConditions ?? []).every((c) => matchesNamespacePattern(ns, c.matchType, c.path)))
      .slice(op.offset, op.offset + op.limit);
  }

  /** Puts an item; `options.ttl` in minutes (`null`: never expires). */
  override async put(
    namespace: string[],
    key: string,
    value: Record<string, unknown>,
    index?: false | string[],
    options: { ttl?: number | null } = {},
  ): Promise<void> {
    validateNamespace(namespace);
    const op: AgentMemoryPutOperation = {
      namespace,
      key,
      value,
      ...(index === undefined ? {} : { index }),
      ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
    };
    await this.batch([op]);
  }

  /** Gets an item; `options.refreshTtl` overrides the store's `refreshOnRead`. */
  override async get(namespace: string[], key: string, options: { refreshTtl?: boolean } = {}): Promise<Item | null> {
    validateNamespace(namespace, { allowEmpty: true, allowReservedRoot: true });
    const op: AgentMemoryGetOperation = { namespace, key, ...(options.refreshTtl === undefined ? {} : { refreshTtl: options.refreshTtl }) };
    return (await this.batch([op]))[0] as Item | null;
  }

  /** Searches under a namespace prefix; `options.refreshTtl` overrides the store's `refreshOnRead`. */
  override async search(
    namespacePrefix: string[],
    options: { filter?: Record<string, unknown>; limit?: number; offset?: number; query?: string; refreshTtl?: boolean } = {},
  ): Promise<SearchItem[]> {
    validateNamespace(namespacePrefix, { allowEmpty: true, allowReservedRoot: true });
    const { limit = 10, offset = 0, ...rest } = options;
    const op: AgentMemorySearchOperation = { namespacePrefix, limit, offset, ...rest };
    return (await this.batch([op]))[0] as SearchItem[];
  }
}
