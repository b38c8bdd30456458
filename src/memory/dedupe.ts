// Deduplication of remembered memories: an input this similar to a stored memory, or to one
// earlier in the same batch, is merged into it (metadata and tags joined, importance kept at the
// higher) instead of stored as a copy. A memory with the caller's own id is never merged away.
import { randomUUID } from 'node:crypto';
import type { Metric } from '../vector/types.js';
import { similarity } from '../vector/items.js';
import { decodeMemory, type Memory } from './memory-item.js';

/** One input of a batch, parsed: what `remember` takes (see MemoryInputSchema). */
export interface MemoryDraft {
  text: string;
  metadata?: Memory['metadata'] | undefined;
  tags?: string[] | undefined;
  importance?: number | undefined;
  ttlSeconds?: number | undefined;
  id?: string | undefined;
}

/**
 * The memories a batch writes, in order (a later input merged into an earlier one replaces it in
 * place), and each input's id and status. `nearest[i]`: the stored memory most similar to input i
 * (its score and payload), if any; `threshold` 1 merges nothing.
 */
export function mergeBatch(
  inputs: readonly MemoryDraft[],
  vectors: readonly number[][],
  nearest: readonly ({ id: string; score: number; payload: string } | undefined)[],
  threshold: number,
  metric: Metric,
  now: number,
): { written: { memory: Memory; vector: number[] }[]; results: { id: string; status: 'inserted' | 'merged' }[] } {
  const results: { id: string; status: 'inserted' | 'merged' }[] = [];
  // `vector`: what later inputs are compared with (the first of a merged group); `latest`: the
  // vector the memory is written with (the last input merged into it).
  const written: { vector: number[]; latest: number[]; memory: Memory }[] = [];
  for (const [i, input] of inputs.entries()) {
    const vector = vectors[i]!;
    // A near-copy of one written earlier in this batch, or of a stored one, is merged into it,
    // unless the caller gave its own id: a memory with its own id is written under that id,
    // never merged away (the same id twice in one batch: the later one wins).
    const inBatch =
      input.id !== undefined
        ? written.find((w) => w.memory.id === input.id)
        : threshold < 1
          ? written.find((w) => similarity(metric, Float32Array.from(w.vector), Float32Array.from(vector)) >= threshold)
          : undefined;
    const stored = nearest[i];
    let base: Memory | undefined = input.id === undefined ? inBatch?.memory : undefined;
    if (!base && input.id === undefined && stored && stored.score >= threshold) base = decodeMemory(stored.id, stored.payload);
    const id = input.id ?? base?.id ?? randomUUID();
    const memory: Memory = {
      id,
      text: input.text,
      metadata: { ...(base?.metadata ?? {}), ...(input.metadata ?? {}) },
      tags: [...new Set([...(base?.tags ?? []), ...(input.tags ?? [])])],
      importance: Math.max(base?.importance ?? 0, input.importance ?? 0.5),
      createdAt: base?.createdAt ?? now,
      updatedAt: now,
      expiresAt: input.ttlSeconds !== undefined ? now + input.ttlSeconds * 1000 : (base?.expiresAt ?? null),
    };
    if (inBatch) {
      inBatch.memory = memory;
      inBatch.latest = vector;
    } else {
      written.push({ vector, latest: vector, memory });
    }
    results.push({ id, status: base ? 'merged' : 'inserted' });
  }
  return { written: written.map((w) => ({ memory: w.memory, vector: w.latest })), results };
}
