// The vector part of the document store: how a document's vectors are named and versioned, so a
// read pairs a hit with its document only when the document names that version, and the search by
// meaning of one namespace. It never pairs vectors written before their document, or left from an
// earlier value, with it.
import type { Scope, VectorIndex } from '../vector/types.js';

/** Vectors outlive their document by this much, so a document never loses its vectors first. */
export const VECTOR_GRACE_MS = 1_000;

/**
 * The id of a document's `j`-th vector item. Each write of a document gives its vectors a fresh
 * version, which the document names only once it is committed: a read accepts a hit only when its
 * version is the document's, so vectors written before their document, or left from an earlier
 * value, are never paired with it. Documents of an older release have no version (items `<id>.<j>`).
 */
export const vectorItemId = (id: string, version: string, j: number): string => (version === '' ? `${id}.${j}` : `${id}.${version}.${j}`);
export const vectorPayload = (id: string, version: string): string => (version === '' ? id : `${id}.${version}`);
/** The document id and vector version a hit's payload names. */
const parsePayload = (payload: string): { id: string; version: string } => {
  const dot = payload.indexOf('.');
  return dot === -1 ? { id: payload, version: '' } : { id: payload.slice(0, dot), version: payload.slice(dot + 1) };
};
export const staleVectorIds = (id: string, count: number, version: string): string[] =>
  Array.from({ length: count }, (_, j) => vectorItemId(id, version, j));

/**
 * The `need` best documents of a namespace passing `keep`, widening the vector query until enough
 * pass. `read` reads documents by id (without moving their expiry) with their vector versions.
 */
export async function nearestDocuments<D extends { value: Record<string, unknown> }>(
  vectors: VectorIndex,
  scope: Scope,
  vector: number[],
  keep: (v: Record<string, unknown>) => boolean,
  need: number,
  read: (ids: string[]) => Promise<{ id: string; document: D | null; version: string }[]>,
): Promise<(D & { score: number })[]> {
  if (need === 0) return [];
  const seen = new Map<string, (D & { version: string }) | null>();
  for (let k = Math.max(need * 2, 10); ; k *= 4) {
    const hits = await vectors.query(scope, vector, { k });
    // Best score per document and vector version; a version the document does not name is not its own.
    const best = new Map<string, { version: string; score: number }[]>();
    for (const h of hits) {
      const { id, version } = parsePayload(h.payload);
      const versions = best.get(id) ?? [];
      const same = versions.find((v) => v.version === version);
      if (same) same.score = Math.max(same.score, h.score);
      else versions.push({ version, score: h.score });
      best.set(id, versions);
    }
    const unread = [...best.keys()].filter((id) => !seen.has(id));
    for (const row of await read(unread))
      seen.set(row.id, row.document && keep(row.document.value) ? { ...row.document, version: row.version } : null);
    const passing = [...best.entries()].flatMap(([id, versions]) => {
      const doc = seen.get(id);
      const score = doc ? versions.find((v) => v.version === doc.version)?.score : undefined;
      if (!doc || score === undefined) return [];
      const { version: _, ...found } = doc;
      return [{ ...(found as unknown as D), score }];
    });
    if (passing.length >= need || hits.length < k) return passing;
  }
}
