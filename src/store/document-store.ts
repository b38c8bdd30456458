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
import { InvalidArgumentError } from '../errors.js';
import { DocumentStoreNameSchema, type Keyspace } from '../keys.js';
import { SecondsSchema } from '../ttl.js';
import { checkSize, encodeJson, parseInput } from '../validate.js';
import { createVectorIndex, type EngineChoice } from '../vector/create.js';
import { IndexDefinitionSchema, type VectorIndex } from '../vector/types.js';
import { nearestDocuments } from './document-vectors.js';
import { compareNamespaces, NamespacePatternSchema, NamespacePrefixSchema, NamespaceSchema, type Namespace } from './namespace.js';
import { NamespaceDocuments, type NamespaceRef, type PreparedDocument, type StoredDocument } from './namespace-documents.js';
import { NamespaceRegistry } from './namespace-registry.js';
import { textsAtPath } from './text-paths.js';
import { FilterSchema, compileToPredicate, documentFieldValues } from '../vector/filter.js';

/** Documents read per round trip when a search walks a namespace in order. */
const PAGE = 200;

const EmbedderSchema = z.custom<EmbeddingsLike>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as EmbeddingsLike).embedQuery === 'function' &&
    typeof (v as EmbeddingsLike).embedDocuments === 'function',
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
    maxValueBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
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

export type { StoredDocument } from './namespace-documents.js';

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
  readonly #documents: NamespaceDocuments;
  readonly #registry: NamespaceRegistry;

  private constructor(
    readonly connection: RedisConnection,
    keyspace: Keyspace,
    options: z.output<typeof DocumentStoreOptionsSchema>,
    /** The vector index of the store's documents, when it has an `index` option. */
    readonly vectors: VectorIndex | null,
  ) {
    this.options = options;
    this.#documents = new NamespaceDocuments(connection, keyspace.documentStore(options.name), vectors);
    this.#registry = new NamespaceRegistry(this.#documents, keyspace, vectors);
  }

  /** Opens a store, creating (or checking) its vector index when it has one. */
  static async open(
    connection: RedisConnection,
    keyspace: Keyspace,
    server: ServerCapabilities,
    options: DocumentStoreOptions = {},
  ): Promise<DocumentStore> {
    const o = parseInput(DocumentStoreOptionsSchema, options, 'document store options');
    let vectors: VectorIndex | null = null;
    if (o.index) {
      const definition = parseInput(
        IndexDefinitionSchema,
        { namespace: keyspace.documentStore(o.name).vectorNamespace, dim: o.index.dim, metric: 'cosine' },
        'document store index',
      );
      vectors = await createVectorIndex(connection, keyspace, definition, o.index.engine as EngineChoice, server);
    }
    return new DocumentStore(connection, keyspace, o, vectors);
  }

  #namespace(path: readonly string[]): NamespaceRef {
    return this.#documents.ref(path);
  }

  // ——— writes ———

  /**
   * Puts and deletes documents. Writes to one key in one call: the last wins. Per namespace, the
   * documents are one atomic script, the commit point; their vectors (embedded in one call for the
   * whole batch) and the namespace's registration are written before it and shown by no read until
   * it runs (see NamespaceDocuments.write). Refused at maxmemory (OutOfMemoryError), it leaves nothing; a
   * failure of another kind leaves it invisible or whole, and calling it again completes it.
   */
  async write(writes: readonly DocumentWrite[]): Promise<void> {
    const latest = new Map<string, { ns: NamespaceRef } & PreparedDocument>();
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
      const ttlSeconds =
        w.ttlSeconds === undefined
          ? this.options.ttl.defaultSeconds
          : w.ttlSeconds === null
            ? undefined
            : parseInput(SecondsSchema, w.ttlSeconds, `writes.${i}.ttlSeconds`);
      const paths =
        w.index === false
          ? []
          : w.index === undefined
            ? (this.options.index?.fields ?? [])
            : parseInput(PathsSchema, w.index, `writes.${i}.index`);
      const texts = value !== null && this.vectors ? [...new Set(paths.flatMap((p) => textsAtPath(value, p)))] : [];
      const ns = this.#namespace(path);
      latest.set(JSON.stringify([ns.encoded, key]), {
        ns,
        id: documentId(key),
        key,
        json,
        ttlMs: ttlSeconds === undefined ? null : Math.round(ttlSeconds * 1000),
        texts,
      });
    }
    if (latest.size === 0) return;
    const all = [...latest.values()];
    const unique = [...new Set(all.flatMap((e) => e.texts))];
    const vectors = unique.length > 0 ? await embedTexts(this.options.index!.embedder, unique, 'document') : [];
    if (vectors.length !== unique.length)
      throw new InvalidArgumentError('embedder', [{ path: '', message: `returned ${vectors.length} vectors for ${unique.length} texts` }]);
    const vectorOf = new Map(unique.map((t, i) => [t, vectors[i]!]));
    const byNamespace = new Map<string, typeof all>();
    for (const e of all) byNamespace.set(e.ns.encoded, [...(byNamespace.get(e.ns.encoded) ?? []), e]);
    await Promise.all([...byNamespace.values()].map((entries) => this.#documents.write(entries[0]!.ns, entries, vectorOf)));
  }

  #refreshDefault(refreshTtl: boolean | undefined): boolean {
    return refreshTtl ?? this.options.ttl.refreshOnRead;
  }

  /** Documents by namespace and key (null for missing or expired ones), one script per namespace. */
  async getMany(
    refs: readonly { namespace: Namespace; key: string }[],
    options: { refreshTtl?: boolean | undefined } = {},
  ): Promise<(StoredDocument | null)[]> {
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
        const rows = await this.#documents.readIds(g.ns, g.ids, refresh);
        for (const [j, r] of rows.entries()) out[g.at[j]!] = r.document;
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
    const namespaces = await this.#registry.namespacesUnder(path);
    // An empty query ranks nothing, as in LangGraph's reference store.
    const ranked = Boolean(o.query) && this.vectors !== null;
    let found: FoundDocument[];
    if (!ranked) {
      found = await this.#walk(namespaces, 'documents', keep, o.offset, o.limit);
    } else {
      const vector = (await embedTexts(this.options.index!.embedder, [o.query!], 'query'))[0]!;
      const need = o.offset + o.limit;
      const perNamespace = await Promise.all(
        namespaces.map((ns) =>
          nearestDocuments<FoundDocument>(this.vectors!, ns.scope, vector, keep, need, (ids) => this.#documents.readIds(ns, ids, false)),
        ),
      );
      const scored = perNamespace.flat().sort((a, b) => b.score! - a.score! || compareNamespaces(a.namespace, b.namespace));
      found = scored.slice(o.offset, need);
      if (scored.length < need) {
        // Every namespace was searched to its end: the unranked documents continue the list.
        const plainOffset = Math.max(0, o.offset - scored.length);
        found.push(...(await this.#walk(namespaces, 'plain', keep, plainOffset, o.limit - found.length)));
      }
    }
    if (this.#refreshDefault(o.refreshTtl) && found.some((d) => d.expiresAt !== null)) {
      const refreshed = await this.getMany(
        found.filter((d) => d.expiresAt !== null),
        { refreshTtl: true },
      );
      let i = 0;
      found = found.map((d) => (d.expiresAt === null ? d : { ...d, expiresAt: refreshed[i++]?.expiresAt ?? d.expiresAt }));
    }
    return found;
  }

  /** Walks namespaces in order, reading one zset page by page, until `offset + limit` pass `keep`. */
  async #walk(
    namespaces: NamespaceRef[],
    which: 'documents' | 'plain',
    keep: (v: Record<string, unknown>) => boolean,
    offset: number,
    limit: number,
  ): Promise<FoundDocument[]> {
    const out: FoundDocument[] = [];
    let skip = offset;
    if (limit <= 0) return out;
    for (const ns of namespaces) {
      for (let start = 0; start !== -1 && out.length < limit; ) {
        const page = await this.#documents.readPage(ns, which, start, PAGE);
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
    return this.#registry.deleteUnder(parseInput(NamespaceSchema, prefix, 'namespace prefix'));
  }

  /**
   * Namespaces holding at least one live document, sorted label by label, filtered by `prefix` /
   * `suffix` (`'*'` matches any label), truncated to `maxDepth` labels, then paginated. Namespaces
   * found empty are removed from the registry on the way; one whose index was lost is rebuilt from
   * its documents before it is judged (at maxmemory, where the rebuild is refused, it is listed).
   */
  async listNamespaces(options: ListNamespacesOptions = {}): Promise<string[][]> {
    return this.#registry.list(parseInput(ListNamespacesSchema, options, 'list namespaces options'));
  }
}
