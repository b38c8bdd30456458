// The document store: JSON documents under hierarchical namespaces, with optional vectors for
// search by meaning (on the vector engines), filters on any value field, per-document TTL with
// refresh on read, and a registry for listing namespaces. Each namespace is one hash tag (one
// cluster slot); a search over a prefix fans out over the registered namespaces under it.
// It never embeds without an embedder the caller gave, and never builds a query from a value.
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ServerCapabilities } from '../connection/capabilities.js';
import type { RedisConnection } from '../connection/connect.js';
import { embedTexts, type EmbeddingsLike } from '../embeddings/embedder.js';
import { AgentMemoryError, InvalidArgumentError, OutOfMemoryError } from '../errors.js';
import { DocumentStoreNameSchema, escapeGlob, vectorScope, type DocumentNamespaceKeys, type DocumentStoreKeys, type Keyspace } from '../keys.js';
import { runScript, script } from '../scripts/index.js';
import { SecondsSchema } from '../ttl.js';
import { checkSize, encodeJson, parseInput } from '../validate.js';
import { createVectorIndex, type EngineChoice } from '../vector/create.js';
import { IndexDefinitionSchema, type Scope, type VectorIndex, type VectorItem } from '../vector/types.js';
import {
  compareNamespaces,
  decodeNamespace,
  encodeNamespace,
  isUnder,
  literalHead,
  matchesPattern,
  NamespacePatternSchema,
  NamespacePrefixSchema,
  NamespaceSchema,
  type Namespace,
} from './namespace.js';
import { textsAtPath } from './text-paths.js';
import { FilterSchema, compileToPredicate, documentFieldValues } from '../vector/filter.js';

const WRITE = script('store-write-4');
const READ = script('store-read-4');
const UNREGISTER = script('store-unregister-2');
const REGISTER = script('store-register-2');
const REBUILD = script('store-rebuild-4');

/** A namespace script's state: its document set is gone or incomplete (see includes/store.lua). */
const INDEX_LOST = 2;

/** Vectors outlive their document by this much, so a document never loses its vectors first. */
const VECTOR_GRACE_MS = 1_000;
/** Documents read per round trip when a search walks a namespace in order. */
const PAGE = 200;
/** Registry entries read per round trip. */
const REGISTRY_PAGE = 1000;

const EmbedderSchema = z.custom<EmbeddingsLike>(
  (v) => typeof v === 'object' && v !== null && typeof (v as EmbeddingsLike).embedQuery === 'function' && typeof (v as EmbeddingsLike).embedDocuments === 'function',
  'must have embedQuery and embedDocuments',
);

/** Options of a document store. */
export const DocumentStoreOptionsSchema = z
  .object({
    /** Names the store's keys and its vector index (`ds-<name>`). Default `default`. */
    name: DocumentStoreNameSchema.default('default'),
    /** Search by meaning: without it, documents are stored and found by filter only. */
    index: z
      .object({
        /** The embedder's dimension. */
        dim: z.number().int().min(1).max(32_768),
        embedder: EmbedderSchema,
        /** Paths of the texts to embed in each document (`$` the whole document). Default `['$']`. */
        fields: z.array(z.string().min(1)).min(1).default(['$']),
        /** `auto` (default): RediSearch, else vector sets, else flat. */
        engine: z.enum(['auto', 'redisearch', 'vectorset', 'flat']).default('auto'),
      })
      .strict()
      .optional(),
    ttl: z
      .object({
        /** Expiry of documents put without a TTL of their own. Default none. */
        defaultSeconds: SecondsSchema.optional(),
        /** Whether reads (get, search) move the expiry of what they return. Default true. */
        refreshOnRead: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** Largest document value, as JSON. Default 1 MiB. */
    maxValueBytes: z.number().int().positive().default(1024 * 1024),
  })
  .strict();
export type DocumentStoreOptions = z.input<typeof DocumentStoreOptionsSchema>;

const KeySchema = z.string().min(1, 'a key must not be empty').max(1024, 'a key must be at most 1024 characters');
const ValueSchema = z.record(z.string(), z.unknown());
const PathsSchema = z.array(z.string().min(1)).max(64);

/** One write: a value to put, or `null` to delete. */
export interface DocumentWrite {
  namespace: Namespace;
  key: string;
  value: Record<string, unknown> | null;
  /** Paths to embed instead of the store's `fields`; `false`: no vectors for this document. */
  index?: false | readonly string[] | undefined;
  /** Expiry in seconds; `null`: never (even with a default); absent: the store's default. */
  ttlSeconds?: number | null | undefined;
}

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

/** A document found by a search; `score` is the similarity (0–1, the engines' scale) when a query ranked it. */
export interface FoundDocument extends StoredDocument {
  score?: number;
}

export const DocumentSearchSchema = z
  .object({
    /** Text to rank by meaning (needs an index); without it, documents come in creation order. */
    query: z.string().optional(),
    /** Conditions on value fields, any field path (the library's Filter, evaluated in process; see vector/filter.ts). */
    filter: FilterSchema.optional(),
    limit: z.number().int().min(0).max(10_000).default(10),
    offset: z.number().int().min(0).default(0),
    /** Move the expiry of the documents returned; default the store's `refreshOnRead`. */
    refreshTtl: z.boolean().optional(),
  })
  .strict();
export type DocumentSearch = z.input<typeof DocumentSearchSchema>;

export const ListNamespacesSchema = z
  .object({
    prefix: NamespacePatternSchema.optional(),
    suffix: NamespacePatternSchema.optional(),
    /** Truncate namespaces to this many labels (deduplicated). */
    maxDepth: z.number().int().min(1).optional(),
    limit: z.number().int().min(0).max(100_000).default(100),
    offset: z.number().int().min(0).default(0),
  })
  .strict();
export type ListNamespacesOptions = z.input<typeof ListNamespacesSchema>;

/** A document's id inside its namespace: a digest of its key, so any key makes a valid Redis key. */
export const documentId = (key: string): string => createHash('sha256').update(key, 'utf8').digest('base64url').slice(0, 22);

/**
 * The id of a document's `j`-th vector item. Each write of a document gives its vectors a fresh
 * version, which the document names only once it is committed: a read accepts a hit only when its
 * version is the document's, so vectors written before their document, or left from an earlier
 * value, are never paired with it. Documents of an older release have no version (items `<id>.<j>`).
 */
const vectorItemId = (id: string, version: string, j: number): string => (version === '' ? `${id}.${j}` : `${id}.${version}.${j}`);
const vectorPayload = (id: string, version: string): string => (version === '' ? id : `${id}.${version}`);
/** The document id and vector version a hit's payload names. */
const parsePayload = (payload: string): { id: string; version: string } => {
  const dot = payload.indexOf('.');
  return dot === -1 ? { id: payload, version: '' } : { id: payload.slice(0, dot), version: payload.slice(dot + 1) };
};
const staleVectorIds = (id: string, count: number, version: string): string[] => Array.from({ length: count }, (_, j) => vectorItemId(id, version, j));

interface NamespaceRef {
  path: string[];
  encoded: string;
  keys: DocumentNamespaceKeys;
  scope: Scope;
}

interface Row {
  id: string;
  document: StoredDocument | null;
  vectors: number;
  /** The version of the document's vectors ('' none, or an older release's). */
  version: string;
}

/**
 * JSON documents in namespaces, on Redis. Open it with {@link DocumentStore.open} (or
 * `memory.documentStore(options)`).
 *
 * @example
 * const store = await memory.documentStore({ index: { dim: 256, embedder, fields: ['text'] } });
 * await store.write([{ namespace: ['memories', 'alice'], key: 'k1', value: { text: 'likes tea' } }]);
 * const [hit] = await store.search(['memories', 'alice'], { query: 'what does she drink?' });
 */
export class DocumentStore {
  readonly options: z.output<typeof DocumentStoreOptionsSchema>;
  readonly #keys: DocumentStoreKeys;
  readonly #keyspace: Keyspace;

  private constructor(
    readonly connection: RedisConnection,
    keyspace: Keyspace,
    options: z.output<typeof DocumentStoreOptionsSchema>,
    /** The vector index of the store's documents, when it has an `index` option. */
    readonly vectors: VectorIndex | null,
  ) {
    this.options = options;
    this.#keys = keyspace.documentStore(options.name);
    this.#keyspace = keyspace;
  }

  /** Opens a store, creating (or checking) its vector index when it has one. */
  static async open(connection: RedisConnection, keyspace: Keyspace, server: ServerCapabilities, options: DocumentStoreOptions = {}): Promise<DocumentStore> {
    const o = parseInput(DocumentStoreOptionsSchema, options, 'document store options');
    let vectors: VectorIndex | null = null;
    if (o.index) {
      const definition = parseInput(IndexDefinitionSchema, { namespace: keyspace.documentStore(o.name).vectorNamespace, dim: o.index.dim, metric: 'cosine' }, 'document store index');
      vectors = await createVectorIndex(connection, keyspace, definition, o.index.engine as EngineChoice, server);
    }
    return new DocumentStore(connection, keyspace, o, vectors);
  }

  #namespace(path: readonly string[]): NamespaceRef {
    const encoded = encodeNamespace(path);
    const keys = this.#keys.namespace(encoded);
    return { path: [...path], encoded, keys, scope: vectorScope(keys.tag) };
  }

  #scriptKeys(ns: NamespaceRef): string[] {
    return [ns.keys.documents, ns.keys.plain, ns.keys.expiries, ns.keys.meta];
  }

  // ——— writes ———

  /**
   * Puts and deletes documents. Writes to one key in one call: the last wins. Per namespace, the
   * documents are one atomic script, the commit point; their vectors (embedded in one call for the
   * whole batch) and the namespace's registration are written before it and shown by no read until
   * it runs (see #writeNamespace). Refused at maxmemory (OutOfMemoryError), it leaves nothing; a
   * failure of another kind leaves it invisible or whole, and calling it again completes it.
   */
  async write(writes: readonly DocumentWrite[]): Promise<void> {
    const latest = new Map<string, { ns: NamespaceRef; write: DocumentWrite; json: string | null; ttlMs: number | null; texts: string[] }>();
    for (const [i, w] of writes.entries()) {
      const path = parseInput(NamespaceSchema, w.namespace, `writes.${i}.namespace`);
      const key = parseInput(KeySchema, w.key, `writes.${i}.key`);
      let json: string | null = null;
      let value: Record<string, unknown> | null = null;
      if (w.value !== null) {
        value = parseInput(ValueSchema, w.value, `writes.${i}.value`);
        json = encodeJson(value, `writes.${i}.value`);
        checkSize(json, this.options.maxValueBytes, `writes.${i}.value`);
      }
      const ttlSeconds = w.ttlSeconds === undefined ? this.options.ttl.defaultSeconds : w.ttlSeconds === null ? undefined : parseInput(SecondsSchema, w.ttlSeconds, `writes.${i}.ttlSeconds`);
      const paths = w.index === false ? [] : w.index === undefined ? (this.options.index?.fields ?? []) : parseInput(PathsSchema, w.index, `writes.${i}.index`);
      const texts = value !== null && this.vectors ? [...new Set(paths.flatMap((p) => textsAtPath(value, p)))] : [];
      const ns = this.#namespace(path);
      latest.set(JSON.stringify([ns.encoded, key]), { ns, write: { ...w, key }, json, ttlMs: ttlSeconds === undefined ? null : Math.round(ttlSeconds * 1000), texts });
    }
    if (latest.size === 0) return;
    const all = [...latest.values()];
    const unique = [...new Set(all.flatMap((e) => e.texts))];
    const vectors = unique.length > 0 ? await embedTexts(this.options.index!.embedder, unique, 'document') : [];
    if (vectors.length !== unique.length) throw new InvalidArgumentError('embedder', [{ path: '', message: `returned ${vectors.length} vectors for ${unique.length} texts` }]);
    const vectorOf = new Map(unique.map((t, i) => [t, vectors[i]!]));
    const byNamespace = new Map<string, typeof all>();
    for (const e of all) byNamespace.set(e.ns.encoded, [...(byNamespace.get(e.ns.encoded) ?? []), e]);
    await Promise.all([...byNamespace.values()].map((entries) => this.#writeNamespace(entries[0]!.ns, entries, vectorOf)));
  }

  /**
   * One namespace's part of a write, in an order whose every prefix reads correctly: (1) the
   * vectors, under a fresh version no read accepts yet, beside (1') the registration, which shows
   * nothing while the namespace holds no document; (2) the documents, one script and the commit
   * point (refused whole at maxmemory); (3) the old version's vectors deleted and the registration
   * settled, both only deletions. A write refused before (2) is undone (its vectors and
   * registration removed); one that failed otherwise before (2) left only what no read shows.
   */
  async #writeNamespace(ns: NamespaceRef, entries: { write: DocumentWrite; json: string | null; ttlMs: number | null; texts: string[] }[], vectorOf: Map<string, number[]>): Promise<void> {
    const args: string[] = [ns.keys.documentPrefix, JSON.stringify(ns.path)];
    const items: VectorItem[] = [];
    const now = Date.now();
    for (const e of entries) {
      const id = documentId(e.write.key);
      const version = e.texts.length > 0 ? randomBytes(6).toString('base64url') : '';
      args.push(e.json === null ? 'del' : 'put', id, e.write.key, e.json ?? '', e.ttlMs === null ? '' : String(e.ttlMs), String(e.texts.length), version);
      const expiresAt = e.ttlMs === null ? undefined : now + e.ttlMs + VECTOR_GRACE_MS;
      e.texts.forEach((text, j) => items.push({ id: vectorItemId(id, version, j), vector: vectorOf.get(text)!, payload: vectorPayload(id, version), expiresAt }));
    }
    const hasPuts = entries.some((e) => e.json !== null);
    const token = randomBytes(9).toString('base64url');
    const registryKeys = [this.#keys.registry, this.#keys.generations];
    // (1) and (1'): nothing a read shows.
    const [upserted, registered] = await Promise.allSettled([
      this.vectors && items.length > 0 ? this.vectors.upsert(ns.scope, items) : undefined,
      hasPuts ? runScript<[number, string]>(this.connection, REGISTER, registryKeys, ['begin', ns.encoded, token]) : undefined,
    ]);
    const undo = async (vectorsWritten: boolean, registration: [number, string] | undefined) => {
      await Promise.all([
        vectorsWritten && items.length > 0 ? this.vectors!.delete(ns.scope, items.map((i) => i.id)) : undefined,
        registration ? runScript(this.connection, REGISTER, registryKeys, ['abort', ns.encoded, token, String(registration[0]), registration[1]]) : undefined,
      ]);
    };
    if (upserted.status === 'rejected' || registered.status === 'rejected') {
      await undo(upserted.status === 'fulfilled', registered.status === 'fulfilled' ? registered.value : undefined);
      throw (upserted.status === 'rejected' ? upserted.reason : (registered as PromiseRejectedResult).reason) as Error;
    }
    // (2) the commit point.
    let result: (number | string)[];
    try {
      result = await runScript<(number | string)[]>(this.connection, WRITE, this.#scriptKeys(ns), args);
    } catch (error) {
      // Refused: the script changed nothing, so what (1) wrote is undone. Any other failure may
      // have committed: what (1) wrote stays (invisible if not, whole if so).
      if (error instanceof OutOfMemoryError) await undo(true, registered.value);
      throw error;
    }
    const [, state, ...before] = result;
    // (3) deletions only: the old versions' vectors, the registration's generation.
    const stale = entries.flatMap((e, i) => staleVectorIds(documentId(e.write.key), Number(before[2 * i]), String(before[2 * i + 1] ?? '')));
    await Promise.all([
      hasPuts ? runScript(this.connection, REGISTER, registryKeys, ['commit', ns.encoded, token]) : undefined,
      this.vectors && stale.length > 0 ? this.vectors.delete(ns.scope, stale) : undefined,
      Number(state) === INDEX_LOST ? this.#repair(ns) : undefined,
    ]);
  }

  /**
   * Rebuilds a namespace's index from a SCAN of its document hashes (eviction took its document
   * set). Best effort: at maxmemory (or on any transient failure) it warns and leaves the index
   * marked lost, which every script then treats as such, for the next call to rebuild.
   * Returns the namespace's state after (0 not empty, 1 empty, 2 still lost).
   */
  async #repair(ns: NamespaceRef): Promise<number> {
    try {
      const ids: string[] = [];
      for await (const batch of this.connection.scan(`${escapeGlob(ns.keys.documentPrefix)}*`)) for (const key of batch) ids.push(key.slice(ns.keys.documentPrefix.length));
      return await runScript<number>(this.connection, REBUILD, this.#scriptKeys(ns), [ns.keys.documentPrefix, ...ids]);
    } catch (error) {
      if (!(error instanceof AgentMemoryError && error.transient)) throw error;
      process.emitWarning(`redis-agent-memory: could not rebuild the index of document namespace ${JSON.stringify(ns.path)} (${error.message}); the next call tries again`);
      return INDEX_LOST;
    }
  }

  // ——— reads ———

  #rows(flat: (string | number | null)[]): Row[] {
    const rows: Row[] = [];
    for (let i = 2; i < flat.length; i += 9) {
      const [id, key, value, created, updated, , n, version, deadline] = flat.slice(i, i + 9);
      rows.push({
        id: String(id),
        vectors: Number(n ?? 0),
        version: version === null || version === undefined ? '' : String(version),
        document:
          key === null || key === undefined
            ? null
            : { namespace: [], key: String(key), value: JSON.parse(String(value)) as Record<string, unknown>, createdAt: Number(created), updatedAt: Number(updated), expiresAt: deadline === null || deadline === undefined ? null : Number(deadline) },
      });
    }
    return rows;
  }

  /** Reads documents by id in one namespace, refreshing their TTL when asked; vectors follow. */
  async #readIds(ns: NamespaceRef, ids: readonly string[], refresh: boolean): Promise<Row[]> {
    if (ids.length === 0) return [];
    const flat = await runScript<(string | number | null)[]>(this.connection, READ, this.#scriptKeys(ns), [ns.keys.documentPrefix, 'ids', refresh ? '1' : '0', ...ids]);
    const rows = this.#rows(flat).map((r) => ({ ...r, document: r.document && { ...r.document, namespace: ns.path } }));
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
  async #readPage(ns: NamespaceRef, which: 'documents' | 'plain', start: number, size: number, repaired = false): Promise<{ next: number; rows: Row[] }> {
    const flat = await runScript<(string | number | null)[]>(this.connection, READ, this.#scriptKeys(ns), [ns.keys.documentPrefix, which, String(start), String(size)]);
    if (Number(flat[1]) === 1 && !repaired && (await this.#repair(ns)) !== INDEX_LOST) return this.#readPage(ns, which, start, size, true);
    const rows = this.#rows(flat).map((r) => ({ ...r, document: r.document && { ...r.document, namespace: ns.path } }));
    return { next: Number(flat[0]), rows };
  }

  #refreshDefault(refreshTtl: boolean | undefined): boolean {
    return refreshTtl ?? this.options.ttl.refreshOnRead;
  }

  /** Documents by namespace and key (null for missing or expired ones), one script per namespace. */
  async getMany(refs: readonly { namespace: Namespace; key: string }[], options: { refreshTtl?: boolean | undefined } = {}): Promise<(StoredDocument | null)[]> {
    const refresh = this.#refreshDefault(options.refreshTtl);
    const groups = new Map<string, { ns: NamespaceRef; at: number[]; ids: string[] }>();
    refs.forEach((ref, i) => {
      const ns = this.#namespace(parseInput(NamespaceSchema, ref.namespace, `gets.${i}.namespace`));
      const group = groups.get(ns.encoded) ?? { ns, at: [], ids: [] };
      group.at.push(i);
      group.ids.push(documentId(parseInput(KeySchema, ref.key, `gets.${i}.key`)));
      groups.set(ns.encoded, group);
    });
    const out: (StoredDocument | null)[] = refs.map(() => null);
    await Promise.all(
      [...groups.values()].map(async (g) => {
        const rows = await this.#readIds(g.ns, g.ids, refresh);
        rows.forEach((r, j) => (out[g.at[j]!] = r.document));
      }),
    );
    return out;
  }

  /** One document, or null. */
  async get(namespace: Namespace, key: string, options: { refreshTtl?: boolean | undefined } = {}): Promise<StoredDocument | null> {
    return (await this.getMany([{ namespace, key }], options))[0]!;
  }

  /**
   * Documents under a namespace prefix (`[]`: all), filtered by value, best first when a query
   * ranks them by meaning (documents without vectors follow, unranked), else by namespace and
   * creation order.
   */
  async search(prefix: Namespace, options: DocumentSearch = {}): Promise<FoundDocument[]> {
    const path = parseInput(NamespacePrefixSchema, prefix, 'namespace prefix');
    const o = parseInput(DocumentSearchSchema, options, 'search options');
    const keep = o.filter ? compileToPredicate(o.filter, documentFieldValues) : () => true;
    const namespaces = await this.#namespacesUnder(path);
    // An empty query ranks nothing, as in LangGraph's reference store.
    const ranked = Boolean(o.query) && this.vectors !== null;
    let found: FoundDocument[];
    if (!ranked) {
      found = await this.#walk(namespaces, 'documents', keep, o.offset, o.limit);
    } else {
      const vector = (await embedTexts(this.options.index!.embedder, [o.query!], 'query'))[0]!;
      const need = o.offset + o.limit;
      const perNamespace = await Promise.all(namespaces.map((ns) => this.#nearest(ns, vector, keep, need)));
      const scored = perNamespace.flat().sort((a, b) => b.score! - a.score! || compareNamespaces(a.namespace, b.namespace));
      found = scored.slice(o.offset, need);
      if (scored.length < need) {
        // Every namespace was searched to its end: the unranked documents continue the list.
        const plainOffset = Math.max(0, o.offset - scored.length);
        found.push(...(await this.#walk(namespaces, 'plain', keep, plainOffset, o.limit - found.length)));
      }
    }
    if (this.#refreshDefault(o.refreshTtl) && found.some((d) => d.expiresAt !== null)) {
      const refreshed = await this.getMany(found.filter((d) => d.expiresAt !== null), { refreshTtl: true });
      let i = 0;
      found = found.map((d) => (d.expiresAt === null ? d : { ...d, expiresAt: refreshed[i++]?.expiresAt ?? d.expiresAt }));
    }
    return found;
  }

  /** The `need` best documents of a namespace passing `keep`, widening the vector query until enough pass. */
  async #nearest(ns: NamespaceRef, vector: number[], keep: (v: Record<string, unknown>) => boolean, need: number): Promise<FoundDocument[]> {
    if (need === 0) return [];
    const seen = new Map<string, (FoundDocument & { version: string }) | null>();
    for (let k = Math.max(need * 2, 10); ; k *= 4) {
      const hits = await this.vectors!.query(ns.scope, vector, { k });
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
      for (const row of await this.#readIds(ns, unread, false)) seen.set(row.id, row.document && keep(row.document.value) ? { ...row.document, version: row.version } : null);
      const passing = [...best.entries()].flatMap(([id, versions]) => {
        const doc = seen.get(id);
        const score = doc ? versions.find((v) => v.version === doc.version)?.score : undefined;
        if (!doc || score === undefined) return [];
        const { version: _, ...found } = doc;
        return [{ ...found, score }];
      });
      if (passing.length >= need || hits.length < k) return passing;
    }
  }

  /** Walks namespaces in order, reading one zset page by page, until `offset + limit` pass `keep`. */
  async #walk(namespaces: NamespaceRef[], which: 'documents' | 'plain', keep: (v: Record<string, unknown>) => boolean, offset: number, limit: number): Promise<FoundDocument[]> {
    const out: FoundDocument[] = [];
    let skip = offset;
    if (limit <= 0) return out;
    for (const ns of namespaces) {
      for (let start = 0; start !== -1 && out.length < limit; ) {
        const page = await this.#readPage(ns, which, start, PAGE);
        for (const row of page.rows) {
          if (!row.document || !keep(row.document.value)) continue;
          if (skip > 0) skip--;
          else if (out.length < limit) out.push(row.document);
        }
        start = page.next;
      }
      if (out.length >= limit) break;
    }
    return out;
  }

  // ——— namespaces ———

  /** The encoded paths of registered namespaces that lie in the lexicographic range of `head`. */
  async #registeredPaths(head: readonly string[]): Promise<string[]> {
    const encodedHead = encodeNamespace(head);
    const [min, max] = head.length === 0 ? ['-', '+'] : [`[${encodedHead}`, `(${encodedHead}\u0001`];
    const found: string[] = [];
    for (let offset = 0; ; offset += REGISTRY_PAGE) {
      const page = await this.connection.send<string[]>(['ZRANGE', this.#keys.registry, min, max, 'BYLEX', 'LIMIT', String(offset), String(REGISTRY_PAGE)], { key: this.#keys.registry });
      found.push(...page);
      if (page.length < REGISTRY_PAGE) break;
    }
    return found;
  }

  /** Registered namespaces under `head`, with their generations. */
  async #registered(head: readonly string[]): Promise<{ path: string[]; encoded: string; generation: string }[]> {
    const found = await this.#registeredPaths(head);
    const generations = found.length === 0 ? [] : await this.connection.send<(string | null)[]>(['HMGET', this.#keys.generations, ...found], { key: this.#keys.generations });
    return found.map((encoded, i) => ({ path: decodeNamespace(encoded), encoded, generation: generations[i] ?? '' })).filter((r) => isUnder(r.path, head));
  }

  /** The namespaces a prefix search visits, in listing order: the prefix itself and every registered one under it. */
  async #namespacesUnder(prefix: string[]): Promise<NamespaceRef[]> {
    const registered = await this.#registered(prefix);
    const paths = registered.map((r) => r.path);
    if (prefix.length > 0 && !registered.some((r) => r.encoded === encodeNamespace(prefix))) paths.push(prefix);
    return paths.sort(compareNamespaces).map((p) => this.#namespace(p));
  }

  /**
   * Deletes every document (and its vectors) in the namespaces under `prefix`, e.g. everything a
   * user's namespaces hold: `deleteNamespaces(['memories', userId])`. The prefix needs at least one
   * label. It depends on no index that eviction can take: the store's namespace keys and vector
   * keys are found by a SCAN (each costs one pass over every master's keyspace), each namespace
   * named by the registry, else its meta, else any of its documents (each holds its path). Only
   * deletions, so it works at maxmemory. Documents written while it runs may survive it. Returns
   * how many documents were deleted.
   */
  async deleteNamespaces(prefix: Namespace): Promise<number> {
    const path = parseInput(NamespaceSchema, prefix, 'namespace prefix');
    // Every registered path names its tag without a read; the prefix itself needs no registry.
    const registered = (await this.#registeredPaths([])).map(decodeNamespace);
    const pathOf = new Map<string, string[] | null>(registered.map((p) => [this.#namespace(p).keys.tag, p]));
    pathOf.set(this.#namespace(path).keys.tag, path);
    const keysOf = await this.#keysByTag(this.#namespaceKeyBase());
    for (const [tag, keys] of keysOf) if (!pathOf.has(tag)) pathOf.set(tag, await this.#storedPath(keys));
    const doomed = new Set([...pathOf].filter(([, p]) => p !== null && isUnder(p, path)).map(([tag]) => tag));
    const vectorKeysOf = this.vectors ? await this.#keysByTag(this.#keyspace.vector(this.vectors.definition.namespace).namespacePrefix) : new Map<string, string[]>();
    let documents = 0;
    for (const tag of doomed) {
      const keys = [...(keysOf.get(tag) ?? []), ...(vectorKeysOf.get(tag) ?? [])];
      const removed = await Promise.all(keys.map((key) => this.connection.send<number>(['UNLINK', key], { key })));
      documents += keys.filter((key, i) => removed[i] === 1 && key.includes(`${tag}:d:`)).length;
    }
    const unregister = [...new Set([...registered.filter((p) => isUnder(p, path)), ...[...pathOf].filter(([tag, p]) => p !== null && doomed.has(tag)).map(([, p]) => p!)].map(encodeNamespace))];
    if (unregister.length > 0) {
      // Deletions only, and not in a MULTI, which Redis 7.0 refuses whole at maxmemory.
      await Promise.all([
        this.connection.send(['ZREM', this.#keys.registry, ...unregister], { key: this.#keys.registry }),
        this.connection.send(['HDEL', this.#keys.generations, ...unregister], { key: this.#keys.generations }),
      ]);
    }
    return documents;
  }

  /** What every namespace key of the store starts with (a hash tag `{ds:…}` follows). */
  #namespaceKeyBase(): string {
    const sample = this.#keys.namespace('');
    return sample.meta.slice(0, sample.meta.length - sample.tag.length - ':meta'.length);
  }

  /** Every key under `base` followed by a namespace hash tag `{ds:…}`, by that tag (one SCAN). */
  async #keysByTag(base: string): Promise<Map<string, string[]>> {
    const byTag = new Map<string, string[]>();
    for await (const batch of this.connection.scan(`${escapeGlob(base)}{ds:*`)) {
      for (const key of batch) {
        const close = key.indexOf('}', base.length);
        if (close === -1) continue;
        const tag = key.slice(base.length, close + 1);
        byTag.set(tag, [...(byTag.get(tag) ?? []), key]);
      }
    }
    return byTag;
  }

  /** The path a namespace's keys name: its meta's, else the first of its documents that holds one. */
  async #storedPath(keys: readonly string[]): Promise<string[] | null> {
    const candidates = [...keys.filter((k) => k.endsWith(':meta')), ...keys.filter((k) => k.includes(':d:'))];
    for (const key of candidates) {
      const stored = await this.connection.send<string | null>(['HGET', key, key.endsWith(':meta') ? 'path' : 'p'], { key });
      if (stored !== null) return JSON.parse(stored) as string[];
    }
    return null;
  }

  /**
   * Namespaces holding at least one live document, sorted label by label, filtered by `prefix` /
   * `suffix` (`'*'` matches any label), truncated to `maxDepth` labels, then paginated. Namespaces
   * found empty are removed from the registry on the way; one whose index was lost is rebuilt from
   * its documents before it is judged (at maxmemory, where the rebuild is refused, it is listed).
   */
  async listNamespaces(options: ListNamespacesOptions = {}): Promise<string[][]> {
    const o = parseInput(ListNamespacesSchema, options, 'list namespaces options');
    const candidates = (await this.#registered(literalHead(o.prefix ?? []))).filter(
      (r) => (!o.prefix || matchesPattern(r.path, 'prefix', o.prefix)) && (!o.suffix || matchesPattern(r.path, 'suffix', o.suffix)),
    );
    const empty = await Promise.all(
      candidates.map(async (r) => {
        const ns = this.#namespace(r.path);
        let state = Number((await runScript<number[]>(this.connection, WRITE, this.#scriptKeys(ns), [ns.keys.documentPrefix, '']))[1]);
        if (state === INDEX_LOST) state = await this.#repair(ns);
        return state === 1;
      }),
    );
    const dead = candidates.filter((_, i) => empty[i]);
    if (dead.length > 0) await runScript(this.connection, UNREGISTER, [this.#keys.registry, this.#keys.generations], dead.flatMap((r) => [r.encoded, r.generation]));
    let live = candidates.filter((_, i) => !empty[i]).map((r) => r.path);
    if (o.maxDepth !== undefined) {
      const truncated = new Map(live.map((p) => p.slice(0, o.maxDepth)).map((p) => [encodeNamespace(p), p]));
      live = [...truncated.values()];
    }
    return live.sort(compareNamespaces).slice(o.offset, o.offset + o.limit);
  }
}
