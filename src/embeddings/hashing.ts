// A deterministic, offline embedder for tests and examples: words and character trigrams hashed
// into a fixed number of signed buckets, L2-normalised. Texts that share words are close; it has
// lexical signal only, no meaning, and must never be mistaken for a real model.
import { createHash } from 'node:crypto';
import type { EmbeddingsLike } from './embedder.js';

export class HashingEmbeddings implements EmbeddingsLike {
  constructor(readonly dimensions = 256) {}

  embed(text: string): number[] {
    const v = new Float64Array(this.dimensions);
    const words =
      text
        .toLowerCase()
        .normalize('NFKC')
        .match(/[\p{L}\p{N}]+/gu) ?? [];
    const features = [...words.map((w) => `w:${w}`), ...words.flatMap((w) => trigrams(`_${w}_`).map((t) => `c:${t}`))];
    for (const feature of features) {
      const h = createHash('sha1').update(feature).digest();
      const bucket = h.readUInt32BE(0) % this.dimensions;
      v[bucket]! += (h[4]! & 1 ? 1 : -1) * (feature.startsWith('w:') ? 2 : 1);
    }
    const norm = Math.hypot(...v) || 1;
    return Array.from(v, (x) => x / norm);
  }

  async embedQuery(text: string): Promise<number[]> {
    return this.embed(text);
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embed(t));
  }
}

function trigrams(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 3 <= word.length; i++) out.push(word.slice(i, i + 3));
  return out;
}
