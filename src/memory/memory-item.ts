// A long-term memory as stored: the Memory record, kept as the vector item's JSON payload, and
// its filterable fields (tags, numbers) laid out as the index definition declares them.
import type { z } from 'zod';
import type { ResolvedIndexDefinition, VectorItem } from '../vector/types.js';

type Json = z.core.util.JSONType;

/** A stored memory. */
export interface Memory {
  id: string;
  text: string;
  metadata: Record<string, Json>;
  tags: string[];
  importance: number;
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
}

/** A memory with how often and when it was last recalled. */
export interface MemoryWithAccess extends Memory {
  accessCount: number;
  lastAccessedAt: number | null;
}

export function decodeMemory(id: string, payload: string): Memory {
  return { ...(JSON.parse(payload) as Memory), id };
}

/** The vector item of a memory: its payload, and the values of the definition's filterable fields. */
export function memoryItem(definition: ResolvedIndexDefinition, memory: Memory, vector: number[]): VectorItem {
  const tags: Record<string, string[]> = {};
  const numbers: Record<string, number> = {};
  for (const [field, kind] of Object.entries(definition.fields)) {
    const value =
      field === 'tags'
        ? memory.tags
        : field === 'importance'
          ? memory.importance
          : field === 'createdAt'
            ? memory.createdAt
            : field === 'updatedAt'
              ? memory.updatedAt
              : memory.metadata[field];
    if (kind === 'tag') {
      const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
      tags[field] = list.filter((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean').map(String);
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      numbers[field] = value;
    }
  }
  return { id: memory.id, vector, tags, numbers, payload: JSON.stringify(memory), expiresAt: memory.expiresAt ?? undefined };
}
