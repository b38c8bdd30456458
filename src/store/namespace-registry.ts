// The document store's registry of namespaces: which namespaces a prefix search visits, the
// listing of namespaces (dropping those found empty, by compare-and-remove on their generation),
// and the deletion of every namespace under a prefix, which depends on no index eviction can take.
import type { RedisConnection } from '../connection/connect.js';
import { escapeGlob, type DocumentStoreKeys, type Keyspace } from '../keys.js';
import { storeUnregister } from '../scripts/store.js';
import type { VectorIndex } from '../vector/types.js';
import { compareNamespaces, decodeNamespace, encodeNamespace, isUnder, literalHead, matchesPattern, type Namespace } from './namespace.js';
import type { NamespaceDocuments, NamespaceRef } from './namespace-documents.js';

/** Registry entries read per round trip. */
const REGISTRY_PAGE = 1000;

export interface ListNamespacesQuery {
  prefix?: Namespace | undefined;
  suffix?: Namespace | undefined;
  maxDepth?: number | undefined;
  limit: number;
  offset: number;
}

export class NamespaceRegistry {
  readonly #connection: RedisConnection;
  readonly #keys: DocumentStoreKeys;

  constructor(
    readonly documents: NamespaceDocuments,
    readonly keyspace: Keyspace,
    readonly vectors: VectorIndex | null,
  ) {
    this.#connection = documents.connection;
    this.#keys = documents.keys;
  }

  /** The encoded paths of registered namespaces that lie in the lexicographic range of `head`. */
  async #registeredPaths(head: readonly string[]): Promise<string[]> {
    const encodedHead = encodeNamespace(head);
    const [min, max] = head.length === 0 ? ['-', '+'] : [`[${encodedHead}`, `(${encodedHead}\u0001`];
    const found: string[] = [];
    for (let offset = 0; ; offset += REGISTRY_PAGE) {
      const page = await this.#connection.send<string[]>(
        ['ZRANGE', this.#keys.registry, min, max, 'BYLEX', 'LIMIT', String(offset), String(REGISTRY_PAGE)],
        { key: this.#keys.registry },
      );
      found.push(...page);
      if (page.length < REGISTRY_PAGE) break;
    }
    return found;
  }

  /** Registered namespaces under `head`, with their generations. */
  async #registered(head: readonly string[]): Promise<{ path: string[]; encoded: string; generation: string }[]> {
    const found = await this.#registeredPaths(head);
    const generations =
      found.length === 0
        ? []
        : await this.#connection.send<(string | null)[]>(['HMGET', this.#keys.generations, ...found], { key: this.#keys.generations });
    return found
      .map((encoded, i) => ({ path: decodeNamespace(encoded), encoded, generation: generations[i] ?? '' }))
      .filter((r) => isUnder(r.path, head));
  }

  /** The namespaces a prefix search visits, in listing order: the prefix itself and every registered one under it. */
  async namespacesUnder(prefix: string[]): Promise<NamespaceRef[]> {
    const registered = await this.#registered(prefix);
    const paths = registered.map((r) => r.path);
    if (prefix.length > 0 && !registered.some((r) => r.encoded === encodeNamespace(prefix))) paths.push(prefix);
    return paths.sort(compareNamespaces).map((p) => this.documents.ref(p));
  }

  /** See DocumentStore.deleteNamespaces. `path`: validated, at least one label. */
  async deleteUnder(path: string[]): Promise<number> {
    // Every registered path names its tag without a read; the prefix itself needs no registry.
    const registered = (await this.#registeredPaths([])).map(decodeNamespace);
    const pathOf = new Map<string, string[] | null>(registered.map((p) => [this.documents.ref(p).keys.tag, p]));
    pathOf.set(this.documents.ref(path).keys.tag, path);
    const keysOf = await this.#keysByTag(this.#namespaceKeyBase());
    for (const [tag, keys] of keysOf) if (!pathOf.has(tag)) pathOf.set(tag, await this.#storedPath(keys));
    const doomed = new Set([...pathOf].filter(([, p]) => p !== null && isUnder(p, path)).map(([tag]) => tag));
    const vectorKeysOf = this.vectors
      ? await this.#keysByTag(this.keyspace.vector(this.vectors.definition.namespace).namespacePrefix)
      : new Map<string, string[]>();
    let documents = 0;
    for (const tag of doomed) {
      const keys = [...(keysOf.get(tag) ?? []), ...(vectorKeysOf.get(tag) ?? [])];
      const removed = await Promise.all(keys.map((key) => this.#connection.send<number>(['UNLINK', key], { key })));
      documents += keys.filter((key, i) => removed[i] === 1 && key.includes(`${tag}:d:`)).length;
    }
    const unregister = [
      ...new Set(
        [
          ...registered.filter((p) => isUnder(p, path)),
          ...[...pathOf].filter(([tag, p]) => p !== null && doomed.has(tag)).map(([, p]) => p!),
        ].map(encodeNamespace),
      ),
    ];
    if (unregister.length > 0) {
      // Deletions only, and not in a MULTI, which Redis 7.0 refuses whole at maxmemory.
      await Promise.all([
        this.#connection.send(['ZREM', this.#keys.registry, ...unregister], { key: this.#keys.registry }),
        this.#connection.send(['HDEL', this.#keys.generations, ...unregister], { key: this.#keys.generations }),
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
    for await (const batch of this.#connection.scan(`${escapeGlob(base)}{ds:*`)) {
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
      const stored = await this.#connection.send<string | null>(['HGET', key, key.endsWith(':meta') ? 'path' : 'p'], { key });
      if (stored !== null) return JSON.parse(stored) as string[];
    }
    return null;
  }

  /** See DocumentStore.listNamespaces; `o` already validated. */
  async list(o: ListNamespacesQuery): Promise<string[][]> {
    const candidates = (await this.#registered(literalHead(o.prefix ?? []))).filter(
      (r) => (!o.prefix || matchesPattern(r.path, 'prefix', o.prefix)) && (!o.suffix || matchesPattern(r.path, 'suffix', o.suffix)),
    );
    const empty = await Promise.all(candidates.map((r) => this.documents.isEmpty(this.documents.ref(r.path))));
    const dead = candidates.filter((_, i) => empty[i]);
    if (dead.length > 0)
      await storeUnregister(this.#connection, this.#keys, { namespaces: dead.map((r) => ({ path: r.encoded, generation: r.generation })) });
    let live = candidates.filter((_, i) => !empty[i]).map((r) => r.path);
    if (o.maxDepth !== undefined) {
      const truncated = new Map(live.map((p) => p.slice(0, o.maxDepth)).map((p) => [encodeNamespace(p), p]));
      live = [...truncated.values()];
    }
    return live.sort(compareNamespaces).slice(o.offset, o.offset + o.limit);
  }
}
