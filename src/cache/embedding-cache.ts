// Caches embeddings in front of any LangChain-style embedder (embedQuery / embedDocuments): keys
// are digests of model + kind + text, vectors are stored as float32 bytes, a batch is looked up in
// one round trip, and only the misses (deduplicated) go to the embedder.
import { z } from 'zod';
import { checkVectors, type EmbeddingsLike } from '../embeddings/embedder.js';
import { parseInput } from '../validate.js';
import type { Cache } from './cache.js';

export type { EmbeddingsLike };

const OptionsSchema = z
  .object({
    /** Identifies the model (and its settings, e.g. dimensions): vectors of different models never mix. */
    model: z.string().min(1).max(512),
  })
  .strict();

const TextsSchema = z.array(z.string());

/**
 * An embedder with a cache in front. Implements the same two methods, so it drops in wherever
 * the embedder went. Vectors come back as float32 precision (what vector indexes store anyway).
 *
 * @example const embeddings = new EmbeddingCache(new OpenAIEmbeddings(), memory.cache({ name: 'emb' }), { model: 'text-embedding-3-small' });
 */
export class EmbeddingCache implements EmbeddingsLike {
  readonly #embedder: EmbeddingsLike;
  readonly #cache: Cache;
  readonly #model: string;

  constructor(embedder: EmbeddingsLike, cache: Cache, options: z.input<typeof OptionsSchema>) {
    this.#embedder = embedder;
    this.#cache = cache;
    this.#model = parseInput(OptionsSchema, options, 'embedding cache options').model;
  }

  async embedQuery(text: string): Promise<number[]> {
    const [vector] = await this.#embed('query', [text]);
    return vector!;
  }

  embedDocuments(texts: string[]): Promise<number[][]> {
    return this.#embed('document', texts);
  }

  async #embed(kind: 'query' | 'document', texts: string[]): Promise<number[][]> {
    parseInput(TextsSchema, texts, 'texts');
    if (texts.length === 0) return [];
    const keys = texts.map((t) => `${this.#model}\u0000${kind}\u0000${t}`);
    const cached = await this.#cache.getMany<Buffer>(keys);
    const out: (number[] | undefined)[] = cached.map((bytes) =>
      bytes ? Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)) : undefined,
    );
    const missing = [...new Set(texts.filter((_, i) => out[i] === undefined))];
    if (missing.length === 0) return out as number[][];
    const fresh = checkVectors(
      kind === 'query' ? [await this.#embedder.embedQuery(missing[0]!)] : await this.#embedder.embedDocuments(missing),
      missing.length,
    );
    // Misses come back rounded to float32 too, so a text gets the same vector from the embedder
    // and, later, from the cache.
    const stored = new Map(missing.map((t, i) => [t, new Float32Array(fresh[i]!)]));
    await this.#cache.setMany(
      [...stored].map(([t, v]) => ({ key: `${this.#model}\u0000${kind}\u0000${t}`, value: v, options: { encoding: 'bytes' as const } })),
    );
    return texts.map((t, i) => out[i] ?? Array.from(stored.get(t)!));
  }
}
