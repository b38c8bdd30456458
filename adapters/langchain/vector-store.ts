// A LangChain VectorStore on long-term memory: documents are memories of one scope (tenant, user,
// agent), so what the agent remembers and what a retriever finds share one layout. It translates
// documents and calls the memory; it never talks to Redis itself, and never merges near-copies.
import { randomUUID } from 'node:crypto';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { maximalMarginalRelevance } from '@langchain/core/utils/math';
import { VectorStore, type MaxMarginalRelevanceSearchOptions } from '@langchain/core/vectorstores';
import { z } from 'zod';
import {
  InvalidArgumentError,
  type Filter,
  type LongTermMemory,
  type MemoryInput,
  type MemoryScopeRef,
  type Recalled,
} from '../../src/index.js';

/** The most memories one write sends (the memory's batch limit). */
const BATCH = 1000;

export interface AgentMemoryVectorStoreOptions {
  /** The long-term memory (one namespace) the documents live in. */
  memory: LongTermMemory;
  /** Whose documents: `{ tenant?, userId, agentId? }`; every call is confined to it. */
  scope: MemoryScopeRef;
  /** Count searches in each memory's access stats, as `recall` does: `off` (default), `background` or `await`. */
  trackAccess?: 'off' | 'background' | 'await';
}

const DeleteSchema = z.union([
  z.object({ ids: z.array(z.string()).min(1) }).strict(),
  z.object({ filter: z.custom<Filter>((v) => v !== undefined && v !== null, 'give { ids } or { filter }') }).strict(),
]);

/**
 * @example
 * const facts = await memory.longTerm({ embedder, namespace: 'docs', fields: { source: 'tag' } });
 * const store = new AgentMemoryVectorStore(embedder, { memory: facts, scope: { userId: 'alice' } });
 * await store.addDocuments([new Document({ pageContent: 'Lyon is in France', metadata: { source: 'wiki' } })], { ids: ['lyon'] });
 * const docs = await store.asRetriever({ k: 4, filter: { field: 'source', eq: 'wiki' } }).invoke('Where is Lyon?');
 */
export class AgentMemoryVectorStore extends VectorStore {
  declare FilterType: Filter;

  readonly memory: LongTermMemory;
  readonly scope: MemoryScopeRef;
  readonly #trackAccess: 'off' | 'background' | 'await';

  constructor(embeddings: EmbeddingsInterface, options: AgentMemoryVectorStoreOptions) {
    super(embeddings, options as unknown as Record<string, unknown>);
    this.memory = options.memory;
    this.scope = options.scope;
    this.#trackAccess = options.trackAccess ?? 'off';
  }

  _vectorstoreType(): string {
    return 'redis-agent-memory';
  }

  /**
   * Embeds and stores documents. Ids come from `options.ids`, else each document's `id`, else a new
   * UUID; an id that exists is replaced (text, metadata and vector), never merged.
   */
  async addDocuments(documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    if (documents.length === 0) return [];
    return this.addVectors(await this.embeddings.embedDocuments(documents.map((d) => d.pageContent)), documents, options);
  }

  /** Stores documents with vectors you computed (with this store's embeddings). Returns their ids. */
  async addVectors(vectors: number[][], documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    if (vectors.length !== documents.length) {
      throw new InvalidArgumentError('documents', [
        { path: 'vectors', message: `${vectors.length} vectors for ${documents.length} documents` },
      ]);
    }
    if (options?.ids !== undefined && options.ids.length !== documents.length) {
      throw new InvalidArgumentError('documents', [
        { path: 'ids', message: `${options.ids.length} ids for ${documents.length} documents` },
      ]);
    }
    const ids = documents.map((d, i) => options?.ids?.[i] ?? d.id ?? randomUUID());
    const inputs = documents.map(
      (d, i): MemoryInput => ({ id: ids[i]!, text: d.pageContent, metadata: (d.metadata ?? {}) as MemoryInput['metadata'] }),
    );
    for (let i = 0; i < inputs.length; i += BATCH) {
      await this.memory.rememberMany(this.scope, inputs.slice(i, i + BATCH), { dedupe: false, vectors: vectors.slice(i, i + BATCH) });
    }
    return ids;
  }

  /** The `k` documents nearest to a vector, with their similarity (higher is closer; cosine in [0, 1]). */
  async similaritySearchVectorWithScore(query: number[], k: number, filter?: Filter): Promise<[DocumentInterface, number][]> {
    const recalled = await this.#recall(query, k, filter, false);
    return recalled.map((r) => [toDocument(r), r.similarity]);
  }

  /**
   * Maximal marginal relevance: fetches `fetchK` candidates with their stored vectors, then picks
   * `k` that are relevant and unlike each other (`lambda` 1: relevance only, 0: diversity only).
   */
  override async maxMarginalRelevanceSearch(
    query: string,
    options: MaxMarginalRelevanceSearchOptions<Filter>,
  ): Promise<DocumentInterface[]> {
    const { k = 4, fetchK = 20, lambda = 0.5, filter } = options;
    const vector = await this.embeddings.embedQuery(query);
    const candidates = await this.#recall(vector, Math.max(fetchK, k), filter, true);
    if (candidates.length === 0) return [];
    const picked = maximalMarginalRelevance(
      vector,
      candidates.map((c) => c.vector!),
      lambda,
      k,
    );
    return picked.map((i) => toDocument(candidates[i]!));
  }

  /** Deletes documents by `{ ids }`, or every document matching `{ filter }`, in this store's scope. */
  override async delete(params: { ids: string[] } | { filter: Filter }): Promise<void> {
    const parsed = DeleteSchema.safeParse(params);
    if (!parsed.success)
      throw new InvalidArgumentError('delete parameters', [
        { path: '', message: 'give { ids: [at least one id] } or { filter }, nothing else' },
      ]);
    const which = parsed.data;
    await this.memory.forget(this.scope, 'ids' in which ? { ids: which.ids } : { filter: which.filter });
  }

  /** Documents by id, in order; null for ids that do not exist (or expired). */
  async getByIds(ids: string[]): Promise<(DocumentInterface | null)[]> {
    const found = await Promise.all(ids.map((id) => this.memory.get(this.scope, id)));
    return found.map((m) => (m ? toDocument(m) : null));
  }

  /**
   * A store on `texts` (metadata: one object for all, or one per text).
   *
   * @example const store = await AgentMemoryVectorStore.fromTexts(['a', 'b'], {}, embedder, { memory: facts, scope });
   */
  static override async fromTexts(
    texts: string[],
    metadatas: object[] | object,
    embeddings: EmbeddingsInterface,
    options: AgentMemoryVectorStoreOptions,
  ): Promise<AgentMemoryVectorStore> {
    const documents = texts.map(
      (text, i) => new Document({ pageContent: text, metadata: (Array.isArray(metadatas) ? metadatas[i] : metadatas) ?? {} }),
    );
    return AgentMemoryVectorStore.fromDocuments(documents, embeddings, options);
  }

  /** A store on `documents`, added (their `id`s kept). */
  static override async fromDocuments(
    documents: DocumentInterface[],
    embeddings: EmbeddingsInterface,
    options: AgentMemoryVectorStoreOptions,
  ): Promise<AgentMemoryVectorStore> {
    const store = new AgentMemoryVectorStore(embeddings, options);
    await store.addDocuments(documents);
    return store;
  }

  #recall(vector: number[], k: number, filter: Filter | undefined, withVectors: boolean): Promise<Recalled[]> {
    return this.memory.recall(this.scope, vector, {
      k,
      withVectors,
      trackAccess: this.#trackAccess,
      ...(filter === undefined ? {} : { filter }),
    });
  }
}

function toDocument(memory: { id: string; text: string; metadata: Record<string, unknown> }): DocumentInterface {
  return new Document({ id: memory.id, pageContent: memory.text, metadata: memory.metadata });
}
