// One namespace's documents, read and written through the store scripts (scripts/store.ts): the
// write of a batch in its commit order, reads by id (with TTL refresh) and by page, and the
// rebuild of an index eviction took. It never shows a write before its commit point.
import { randomBytes } from 'node:crypto';
import type { RedisConnection } from '../connection/connect.js';
import { AgentMemoryError, OutOfMemoryError } from '../errors.js';
import { escapeGlob, vectorScope, type DocumentNamespaceKeys, type DocumentStoreKeys } from '../keys.js';
import {
  INDEX_LOST,
  storeRead,
  storeRebuild,
  storeRegisterBegin,
  storeRegisterSettle,
  storeSettle,
  storeWrite,
  type NamespaceState,
  type Registration,
  type StoredRow,
} from '../scripts/store.js';
import type { Scope, VectorIndex, VectorItem } from '../vector/types.js';
import { encodeNamespace } from './namespace.js';
import { staleVectorIds, VECTOR_GRACE_MS, vectorItemId, vectorPayload } from './document-vectors.js';

/** A stored document. Times are ms since the epoch. */
export interface StoredDocument {
  namespace: string[];
  key: string;
  value: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  /** When it expires (after a refresh, the new deadline); null when it does not. */
  expiresAt: number | null;
}

export interface NamespaceRef {
  path: string[];
  encoded: string;
  keys: DocumentNamespaceKeys;
  scope: Scope;
}

export interface Row {
  id: string;
  document: StoredDocument | null;
  vectors: number;
  /** The version of the document's vectors ('' none, or an older release's). */
  version: string;
}

/** One document of a write, validated and encoded: `json` null deletes it. */
export interface PreparedDocument {
  id: string;
  key: string;
  json: string | null;
  ttlMs: number | null;
  texts: string[];
}

function toRow(r: StoredRow, path: string[]): Row {
  return {
    id: r.id,
    vectors: r.vectorCount,
    version: r.vectorVersion,
    document:
      r.key === null
        ? null
        : {
            namespace: path,
            key: r.key,
            value: JSON.parse(String(r.value)) as Record<string, unknown>,
            createdAt: r.created,
            updatedAt: r.updated,
            expiresAt: r.deadline,
          },
  };
}

export class NamespaceDocuments {
  constructor(
    readonly connection: RedisConnection,
    readonly keys: DocumentStoreKeys,
    /** The vector index of the store's documents, when it has one. */
    readonly vectors: VectorIndex | null,
  ) {}

  ref(path: readonly string[]): NamespaceRef {
    const encoded = encodeNamespace(path);
    const keys = this.keys.namespace(encoded);
    return { path: [...path], encoded, keys, scope: vectorScope(keys.tag) };
  }

  /**
   * One namespace's part of a write, in an order whose every prefix reads correctly: (1) the
   * vectors, under a fresh version no read accepts yet, beside (1') the registration, which shows
   * nothing while the namespace holds no document; (2) the documents, one script and the commit
   * point (refused whole at maxmemory); (3) the old version's vectors deleted and the registration
   * settled, both only deletions. A write refused before (2) is undone (its vectors and
   * registration removed); one that failed otherwise before (2) left only what no read shows.
   */
  async write(ns: NamespaceRef, entries: readonly PreparedDocument[], vectorOf: Map<string, number[]>): Promise<void> {
    const items: VectorItem[] = [];
    const now = Date.now();
    const operations = entries.map((e) => {
      const version = e.texts.length > 0 ? randomBytes(6).toString('base64url') : '';
      const expiresAt = e.ttlMs === null ? undefined : now + e.ttlMs + VECTOR_GRACE_MS;
      for (const [j, text] of e.texts.entries())
        items.push({ id: vectorItemId(e.id, version, j), vector: vectorOf.get(text)!, payload: vectorPayload(e.id, version), expiresAt });
      return {
        op: e.json === null ? ('del' as const) : ('put' as const),
        id: e.id,
        key: e.key,
        value: e.json ?? '',
        ttlMs: e.ttlMs,
        vectorCount: e.texts.length,
        vectorVersion: version,
      };
    });
    const hasPuts = entries.some((e) => e.json !== null);
    const token = randomBytes(9).toString('base64url');
    // (1) and (1'): nothing a read shows.
    const [upserted, registered] = await Promise.allSettled([
      this.vectors && items.length > 0 ? this.vectors.upsert(ns.scope, items) : undefined,
      hasPuts ? storeRegisterBegin(this.connection, this.keys, { path: ns.encoded, token }) : undefined,
    ]);
    const undo = async (vectorsWritten: boolean, registration: Registration | undefined) => {
      await Promise.all([
        vectorsWritten && items.length > 0
          ? this.vectors!.delete(
              ns.scope,
              items.map((i) => i.id),
            )
          : undefined,
        registration
          ? storeRegisterSettle(this.connection, this.keys, {
              step: 'abort',
              path: ns.encoded,
              token,
              added: registration.added,
              previous: registration.previous,
            })
          : undefined,
      ]);
    };
    if (upserted.status === 'rejected' || registered.status === 'rejected') {
      await undo(upserted.status === 'fulfilled', registered.status === 'fulfilled' ? registered.value : undefined);
      throw (upserted.status === 'rejected' ? upserted.reason : (registered as PromiseRejectedResult).reason) as Error;
    }
    // (2) the commit point.
    let result: Awaited<ReturnType<typeof storeWrite>>;
    try {
      result = await storeWrite(this.connection, ns.keys, { path: JSON.stringify(ns.path), operations });
    } catch (error) {
      // Refused: the script changed nothing, so what (1) wrote is undone. Any other failure may
      // have committed: what (1) wrote stays (invisible if not, whole if so).
      if (error instanceof OutOfMemoryError) await undo(true, registered.value);
      throw error;
    }
    // (3) deletions only: the old versions' vectors, the registration's generation.
    const stale = entries.flatMap((e, i) =>
      staleVectorIds(e.id, result.before[i]?.vectorCount ?? NaN, result.before[i]?.vectorVersion ?? ''),
    );
    await Promise.all([
      hasPuts ? storeRegisterSettle(this.connection, this.keys, { step: 'commit', path: ns.encoded, token }) : undefined,
      this.vectors && stale.length > 0 ? this.vectors.delete(ns.scope, stale) : undefined,
      result.state === INDEX_LOST ? this.repair(ns) : undefined,
    ]);
  }

  /**
   * Rebuilds a namespace's index from a SCAN of its document hashes (eviction took its document
   * set). Best effort: at maxmemory (or on any transient failure) it warns and leaves the index
   * marked lost, which every script then treats as such, for the next call to rebuild.
   * Returns the namespace's state after (0 not empty, 1 empty, 2 still lost).
   */
  async repair(ns: NamespaceRef): Promise<NamespaceState> {
    try {
      const ids: string[] = [];
      for await (const batch of this.connection.scan(`${escapeGlob(ns.keys.documentPrefix)}*`))
        for (const key of batch) ids.push(key.slice(ns.keys.documentPrefix.length));
      return await storeRebuild(this.connection, ns.keys, { ids });
    } catch (error) {
      if (!(error instanceof AgentMemoryError && error.transient)) throw error;
      this.connection.logger.warn(
        { component: 'store', err: error },
        'could not rebuild the index of a document namespace; the next call tries again',
      );
      return INDEX_LOST;
    }
  }

  /** Reads documents by id in one namespace, refreshing their TTL when asked; vectors follow. */
  async readIds(ns: NamespaceRef, ids: readonly string[], refresh: boolean): Promise<Row[]> {
    if (ids.length === 0) return [];
    const rows = (await storeRead(this.connection, ns.keys, { ids, refresh })).rows.map((r) => toRow(r, ns.path));
    if (refresh && this.vectors) {
      const moved = rows.filter((r) => r.document?.expiresAt != null && r.vectors > 0);
      await Promise.all(
        moved.map((r) =>
          this.vectors!.expire(ns.scope, staleVectorIds(r.id, r.vectors, r.version), r.document!.expiresAt! + VECTOR_GRACE_MS),
        ),
      );
    }
    return rows;
  }

  /**
   * A page of a namespace's documents (or of those without vectors) in creation order. A
   * namespace whose index was lost is rebuilt first, once (a rebuild refused at maxmemory leaves
   * the page to what the index still holds: a read never fails for want of a write).
   */
  async readPage(
    ns: NamespaceRef,
    which: 'documents' | 'plain',
    start: number,
    size: number,
    repaired = false,
  ): Promise<{ next: number; rows: Row[] }> {
    const page = await storeRead(this.connection, ns.keys, { which, start, size });
    if (page.indexLost && !repaired && (await this.repair(ns)) !== INDEX_LOST) return this.readPage(ns, which, start, size, true);
    return { next: page.next, rows: page.rows.map((r) => toRow(r, ns.path)) };
  }

  /** Whether the namespace holds no live document (expired ones purged first; a lost index rebuilt). */
  async isEmpty(ns: NamespaceRef): Promise<boolean> {
    let state = await storeSettle(this.connection, ns.keys);
    if (state === INDEX_LOST) state = await this.repair(ns);
    return state === 1;
  }
}
