// The embedder interface: what LangChain's Embeddings classes (OpenAI, Azure OpenAI, …) already
// offer, so they plug in as they are. The library never calls a model itself; what an embedder
// returns is checked in one place (embedTexts) before any store uses it.
import { EmbeddingShapeError } from '../errors.js';

/** Anything with LangChain's two embedding methods. */
export interface EmbeddingsLike {
  embedQuery(text: string): Promise<number[]>;
  embedDocuments(texts: string[]): Promise<number[][]>;
}

/**
 * Embeds `texts` (a query: exactly one) and checks what came back, the one place every store
 * does (see {@link checkVectors}).
 */
export async function embedTexts(
  embedder: EmbeddingsLike,
  texts: readonly string[],
  kind: 'query' | 'document',
  dim?: number,
): Promise<number[][]> {
  const vectors: unknown = kind === 'query' ? [await embedder.embedQuery(texts[0]!)] : await embedder.embedDocuments([...texts]);
  return checkVectors(vectors, texts.length, dim);
}

/**
 * What an embedder returned for `count` texts, checked: one vector per text, each an array of
 * `dim` finite numbers (of one common length when `dim` is not given). Anything else is an
 * EmbeddingShapeError, never a TypeError later on.
 */
export function checkVectors(vectors: unknown, count: number, dim?: number): number[][] {
  if (!Array.isArray(vectors) || vectors.length !== count) {
    throw new EmbeddingShapeError(`the embedder returned ${Array.isArray(vectors) ? vectors.length : 'no'} vectors for ${count} texts`);
  }
  const want = dim ?? (vectors[0] as unknown[] | undefined)?.length;
  for (const [i, v] of vectors.entries()) {
    if (!Array.isArray(v) || v.length === 0 || v.length !== want || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new EmbeddingShapeError(
        `the embedder returned, for text ${i}, ${Array.isArray(v) ? `a vector of ${v.length} values` : 'no vector'}; expected ${want} finite numbers`,
      );
    }
  }
  return vectors as number[][];
}
