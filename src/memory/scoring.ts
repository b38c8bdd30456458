// How recalled memories are ranked: by similarity alone, or by a blend of similarity, recency
// (halving every `halfLifeDays` since the last update) and importance. Pure: no Redis here.
import { z } from 'zod';
import type { Hit } from '../vector/types.js';
import { decodeMemory, type Memory } from './memory-item.js';

export const ScoringSchema = z.union([
  z.literal('similarity'),
  z
    .object({
      /** Weights of similarity, recency and importance. Defaults 0.7, 0.2, 0.1. */
      similarity: z.number().min(0).default(0.7),
      recency: z.number().min(0).default(0.2),
      importance: z.number().min(0).default(0.1),
      /** Recency halves every this many days. Default 30. */
      halfLifeDays: z.number().positive().default(30),
    })
    .strict(),
]);
export type Scoring = z.output<typeof ScoringSchema>;

/** A recalled memory: the memory, its similarity to the query, and the score it was ranked by. */
export interface Recalled extends Memory {
  similarity: number;
  score: number;
  /** The stored vector, with `withVectors`. */
  vector?: number[];
}

/** How many hits to ask the engine for: a blend re-ranks, so it looks further. */
export const candidatesFor = (k: number, scoring: Scoring): number => (scoring === 'similarity' ? k : Math.min(1000, k * 4));

/** The `k` best of `hits` by `scoring`, those under `minScore` similarity dropped. */
export function rankHits(hits: readonly Hit[], o: { k: number; scoring: Scoring; minScore?: number | undefined }, now: number): Recalled[] {
  let recalled = hits.map((h): Recalled => {
    const memory = decodeMemory(h.id, h.payload);
    let score = h.score;
    if (o.scoring !== 'similarity') {
      const w = o.scoring;
      const ageDays = (now - memory.updatedAt) / 86_400_000;
      score = w.similarity * h.score + w.recency * 0.5 ** (ageDays / w.halfLifeDays) + w.importance * memory.importance;
    }
    const recalled: Recalled = { ...memory, similarity: h.score, score };
    if (h.vector) recalled.vector = h.vector;
    return recalled;
  });
  if (o.minScore !== undefined) recalled = recalled.filter((r) => r.similarity >= o.minScore!);
  if (o.scoring !== 'similarity') recalled.sort((a, b) => b.score - a.score);
  return recalled.slice(0, o.k);
}
