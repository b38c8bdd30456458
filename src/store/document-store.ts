// The document store: JSON documents under hierarchical namespaces, with optional vectors for
// search by meaning (on the vector engines), filters on any value field, per-document TTL with
// refresh on read, and a registry for listing namespaces. Each namespace is one hash tag (one
// cluster slot); a search over a prefix fans out over the registered namespaces under it.
// It never embeds without an embedder the caller gave, and never builds a query from a value.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ServerCapabilities } from '../connection/capabilities.js';
import type { RedisConnection } from '../connection/connect.js';
import { embedTexts, type EmbeddingsLike } from '../embeddings/embedder.js';
import { ConflictError, InvalidArgumentError } from '../errors.js';
import { unlinkMatching } from '../forget.js';
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
import { compileValueFilter } from './value-filter.js';

const WRITE = script('store-write-4');
const READ = script('store-read-4');
const UNREGISTER = script('store-unregister-2');

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
    /** Conditions on value fields (see value-filter.ts). */
    filter: z.record(z.string(), z.unknown()).optional(),
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
   * documents are one atomic script; their vectors (embedded in one call for the whole batch)
   * are written beside it on the same slot.
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

  async #writeNamespace(ns: NamespaceRef, entries: { write: DocumentWrite; json: string | null; ttlMs: number | null; texts: string[] }[], vectorOf: Map<string, number[]>): Promise<void> {
    const args: string[] = [ns.keys.documentPrefix, JSON.stringify(ns.path)];
    const items: VectorItem[] = [];
    const now = Date.now();
    for (const e of entries) {
      const id = documentId(e.write.key);
      args.push(e.json === null ? 'del' : 'put', id, e.write.key, e.json ?? '', e.ttlMs === null ? '' : String(e.ttlMs), String(e.texts.length));
      const expiresAt = e.ttlMs === null ? undefined : now + e.ttlMs + VECTOR_GRACE_MS;
      e.texts.forEach((text, j) => items.push({ id: `${id}.${j}`, vector: vectorOf.get(text)!, payload: id, expiresAt }));
    }
    const hasPuts = entries.some((e) => e.json !== null);
    const [[wasEmpty, , ...before]] = await Promise.all([
      runScript<number[]>(this.connection, WRITE, this.#scriptKeys(ns), args),
      this.vectors && items.length > 0 ? this.vectors.upsert(ns.scope, items) : undefined,
      // Heals a registration lost to a failure; the one after a first write below is the one that counts.
      hasPuts ? this.connection.send(['ZADD', this.#keys.registry, 'NX', '0', ns.encoded], { key: this.#keys.registry }) : undefined,
    ]);
    const stale = entries.flatMap((e, i) => Array.from({ length: Math.max(0, Number(before[i]) - e.texts.length) }, (_, j) => `${documentId(e.write.key)}.${e.texts.length + j}`));
    await Promise.all([
      // A namespace that was empty is registered after its documents exist (see store-unregister-2.lua).
      wasEmpty === 1 && hasPuts ? this.connection.transaction([['ZADD', this.#keys.registry, '0', ns.encoded], ['HINCRBY', this.#keys.generations, ns.encoded, '1']], this.#keys.registry) : undefined,
      this.vectors && stale.length > 0 ? this.vectors.delete(ns.scope, stale) : undefined,
    ]);
  }

  // ——— reads ———

  #rows(flat: (string | number | null)[]): Row[] {
    const rows: Row[] = [];
    for (let i = 1; i < flat.length; i += 8) {
      const [id, key, value, created, updated, , n, deadline] = flat.slice(i, i + 8);
      rows.push({
        id: String(id),
        vectors: Number(n ?? 0),
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
          this.vectors!.expire(ns.scope, Array.from({ length: r.vectors }, (_, j) => `${r.id}.${j}`), r.document!.expiresAt! + VECTOR_GRACE_MS),
        ),
      );
    }
    return rows;
  }

  /** A page of a namespace's documents (or of those without vectors) in creation order. */
  async #readPage(ns: NamespaceRef, which: 'documents' | 'plain', start: number, size: number): Promise<{ next: number; rows: Row[] }> {
    const flat = await runScript<(string | number | null)[]>(this.connection, READ, this.#scriptKeys(ns), [ns.keys.documentPrefix, which, String(start), String(size)]);
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
    const keep = o.filter ? compileValueFilter(o.filter) : () => true;
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
    const seen = new Map<string, FoundDocument | null>();
    for (let k = Math.max(need * 2, 10); ; k *= 4) {
      const hits = await this.vectors!.query(ns.scope, vector, { k });
      const best = new Map<string, number>();
      for (const h of hits) best.set(h.payload, Math.max(best.get(h.payload) ?? -Infinity, h.score));
      const unread = [...best.keys()].filter((id) => !seen.has(id));
      for (const row of await this.#readIds(ns, unread, false)) seen.set(row.id, row.document && keep(row.document.value) ? row.document : null);
      const passing = [...best.entries()].flatMap(([id, score]) => (seen.get(id) ? [{ ...seen.get(id)!, score }] : []));
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

  /** Registered namespaces whose encoded path lies in a lexicographic range, with their generations. */
  async #registered(head: readonly string[]): Promise<{ path: string[]; encoded: string; generation: string }[]> {
    const encodedHead = encodeNamespace(head);
    const [min, max] = head.length === 0 ? ['-', '+'] : [`[${encodedHead}`, `(${encodedHead}\u0001`];
    const found: string[] = [];
    for (let offset = 0; ; offset += REGISTRY_PAGE) {
      const page = await this.connection.send<string[]>(['ZRANGE', this.#keys.registry, min, max, 'BYLEX', 'LIMIT', String(offset), String(REGISTRY_PAGE)], { key: this.#keys.registry });
      found.push(...page);
      if (page.length < REGISTRY_PAGE) break;
    }
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
   * label. Pages of 500, each one write per namespace. Returns how many documents were deleted.
   */
  async deleteNamespaces(prefix: Namespace): Promise<number> {
    const path = parseInput(NamespaceSchema, prefix, 'namespace prefix');
    let deleted = 0;
    let previous = '';
    for (;;) {
      const page = await this.search(path, { limit: 500, refreshTtl: false });
      if (page.length === 0) return deleted + (await this.#sweepNamespaces(path));
      const first = JSON.stringify([page[0]!.namespace, page[0]!.key]);
      if (first === previous) throw new ConflictError(`deleteNamespaces: ${first} is still there after its deletion (written again meanwhile?); call it again`);
      previous = first;
      await this.write(page.map((d) => ({ namespace: d.namespace, key: d.key, value: null })));
      deleted += page.length;
    }
  }

  /**
   * Whatever the registry or a namespace's document set no longer lists (eviction takes them key
   * by key): every namespace under `path`, found by a SCAN of the store's namespace meta keys,
   * loses all its keys and its vectors. Returns how many documents went.
   */
  async #sweepNamespaces(path: readonly string[]): Promise<number> {
    const namespaceKeys = new Set<string>();
    for await (const batch of this.connection.scan(this.#keys.namespaceMetaPattern)) for (const key of batch) namespaceKeys.add(key);
    let documents = 0;
    for (const metaKey of namespaceKeys) {
      const stored = await this.connection.send<string | null>(['HGET', metaKey, 'path'], { key: metaKey });
      const nsPath = stored === null ? null : (JSON.parse(stored) as string[]);
      if (!nsPath || !isUnder(nsPath, path)) continue;
      const ns = this.#namespace(nsPath);
      const vectorPrefix = this.vectors ? `${this.#keyspace.vector(this.vectors.definition.namespace).namespacePrefix}${ns.keys.tag}:` : null;
      const gone = await unlinkMatching(this.connection, `${escapeGlob(metaKey.slice(0, -':meta'.length))}:*`, () => true);
      if (vectorPrefix) await unlinkMatching(this.connection, `${escapeGlob(vectorPrefix)}*`, () => true);
      documents += gone.filter((k) => k.startsWith(ns.keys.documentPrefix)).length;
      await this.connection.send(['ZREM', this.#keys.registry, ns.encoded], { key: this.#keys.registry });
    }
    return documents;
  }

  /**
   * Namespaces holding at least one live document, sorted label by label, filtered by `prefix` /
   * `suffix` (`'*'` matches any label), truncated to `maxDepth` labels, then paginated. Namespaces
   * found empty are removed from the registry on the way.
   */
  async listNamespaces(options: ListNamespacesOptions = {}): Promise<string[][]> {
    const o = parseInput(ListNamespacesSchema, options, 'list namespaces options');
    const candidates = (await this.#registered(literalHead(o.prefix ?? []))).filter(
      (r) => (!o.prefix || matchesPattern(r.path, 'prefix', o.prefix)) && (!o.suffix || matchesPattern(r.path, 'suffix', o.suffix)),
    );
    const empty = await Promise.all(candidates.map(async (r) => (await runScript<number[]>(this.connection, WRITE, this.#scriptKeys(this.#namespace(r.path)), [this.#namespace(r.path).keys.documentPrefix, '']))[1] === 1));
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
