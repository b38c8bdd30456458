// A LangChain retriever over two-tier retrieval (src/tiered/): a RAG chain asks it as any
// retriever, and each document says which tier answered. It translates hits into documents and
// calls the retriever; it never talks to Redis or the cold store itself.
import { Document } from '@langchain/core/documents';
import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import type { Filter, TieredHit, TieredRetriever } from '../../src/index.js';

export interface AgentMemoryTieredRetrieverOptions extends BaseRetrieverInput {
  tiered: TieredRetriever;
  /** Documents per query. Default 4. */
  k?: number;
  filter?: Filter;
  /** The tenant, when the retriever is scoped by one (`tenantField`). */
  tenant?: string;
  /**
   * A hit as a document. Default: a payload that is JSON `{ pageContent, metadata? }` becomes that
   * document, any other payload is the page content.
   */
  toDocument?: (hit: TieredHit) => Document;
}

/** A payload as a document: JSON `{ pageContent, metadata? }` as it is, anything else as text. */
export function payloadDocument(hit: TieredHit): Document {
  try {
    const parsed: unknown = JSON.parse(hit.payload);
    if (parsed && typeof parsed === 'object' && typeof (parsed as { pageContent?: unknown }).pageContent === 'string') {
      const { pageContent, metadata } = parsed as { pageContent: string; metadata?: unknown };
      return new Document({ pageContent, metadata: metadata && typeof metadata === 'object' ? (metadata as Record<string, unknown>) : {} });
    }
  } catch {
    // not JSON: the payload is the text
  }
  return new Document({ pageContent: hit.payload, metadata: {} });
}

/**
 * Retrieves through a {@link TieredRetriever}: hot tier first, cold store on a miss. Each
 * document has the item's `id`, and `metadata.tiered` = `{ tier, score, reason }`.
 *
 * @example const retriever = new AgentMemoryTieredRetriever({ tiered: menu, k: 3 }); const docs = await retriever.invoke('vegan lunch');
 */
export class AgentMemoryTieredRetriever extends BaseRetriever {
  static override lc_name(): string {
    return 'AgentMemoryTieredRetriever';
  }
  lc_namespace = ['redis_agent_memory', 'retrievers'];
  readonly tiered: TieredRetriever;
  readonly k: number;
  readonly filter: Filter | undefined;
  readonly tenant: string | undefined;
  readonly #toDocument: (hit: TieredHit) => Document;

  constructor({ tiered, k = 4, filter, tenant, toDocument = payloadDocument, ...base }: AgentMemoryTieredRetrieverOptions) {
    super(base);
    this.tiered = tiered;
    this.k = k;
    this.filter = filter;
    this.tenant = tenant;
    this.#toDocument = toDocument;
  }

  override async _getRelevantDocuments(query: string): Promise<Document[]> {
    const result = await this.tiered.search(query, {
      k: this.k,
      ...(this.filter === undefined ? {} : { filter: this.filter }),
      ...(this.tenant === undefined ? {} : { tenant: this.tenant }),
    });
    return result.hits.map((hit) => {
      const doc = this.#toDocument(hit);
      doc.id = hit.id;
      doc.metadata = { ...doc.metadata, tiered: { tier: result.tier, score: hit.score, reason: result.reason } };
      return doc;
    });
  }
}
