// The embedder interface: what LangChain's Embeddings classes (OpenAI, Azure OpenAI, …) already
// offer, so they plug in as they are. The library never calls a model itself.

/** Anything with LangChain's two embedding methods. */
export interface EmbeddingsLike {
  embedQuery(text: string): Promise<number[]>;
  embedDocuments(texts: string[]): Promise<number[][]>;
}
