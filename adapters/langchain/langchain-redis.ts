// Migration from (and back to) @langchain/redis: its RedisChatMessageHistory lists and its
// RedisVectorStore hashes. The formats are translated here; the keys are read and written by the
// core (src/migrate/foreign-keys.ts). Nothing here sends a Redis command, or deletes the source.
import { createHash } from 'node:crypto';
import { Document } from '@langchain/core/documents';
import { mapChatMessagesToStoredMessages, mapStoredMessagesToChatMessages, type StoredMessage } from '@langchain/core/messages';
import {
  DimensionMismatchError,
  InvalidArgumentError,
  type Keyspace,
  type RedisConnection,
  type SessionRef,
  type SessionStore,
} from '../../src/index.js';
import { MemoryInputSchema } from '../../src/entries/memory.js';
import { readForeignList, replaceForeignList, scanForeignHashes } from '../../src/entries/migrate.js';
import { toLangChainMessage, toMessageInput } from './messages.js';
import type { AgentMemoryVectorStore } from './vector-store.js';

/** What the chat migrations need of `createAgentMemory(...)`'s result. */
export interface ChatMigrationMemory {
  connection: RedisConnection;
  keys: Keyspace;
  sessions: SessionStore;
}

/**
 * Copies a conversation written by @langchain/redis's `RedisChatMessageHistory` into a session.
 * `key` is the list it wrote: in LangChain JS the `sessionId` you gave it, as is (LangChain
 * Python's writes `message_store:<session id>`). Every message type round-trips; the source is
 * left as it was. Importing the same list again writes nothing twice, also after it grew: each
 * message is deduplicated by its own id, or by one derived from its position (from the oldest)
 * and content, so only the new ones are appended — while the session remembers the ids
 * (`idempotencyWindow`, default the last 1000 messages).
 *
 * @example await importRedisChatMessageHistory(memory, { key: 'chat-42', into: { userId: 'alice', sessionId: 'chat-42' } });
 */
export async function importRedisChatMessageHistory(
  memory: ChatMigrationMemory,
  options: { key: string; into: SessionRef },
): Promise<{ read: number; appended: number }> {
  const raw = await readForeignList(memory.connection, memory.keys.prefix, options.key);
  const session = memory.sessions.session(options.into);
  if (raw.length === 0) return { read: 0, appended: 0 };
  let stored: StoredMessage[];
  try {
    stored = raw.map((item) => JSON.parse(item) as StoredMessage).reverse(); // LPUSHed: the head is the newest
  } catch {
    throw new InvalidArgumentError('chat history list', [
      { path: options.key, message: 'holds an element that is not JSON: not a RedisChatMessageHistory list' },
    ]);
  }
  const oldestFirst = [...raw].reverse();
  const messages = mapStoredMessagesToChatMessages(stored).map((message, i) => {
    const input = toMessageInput(message);
    // A LangChain list only grows at its newest end, so (position from the oldest, content) names a message for good.
    return {
      ...input,
      id:
        input.id ??
        `lc-redis-import:${createHash('sha256').update(options.key).update(`\u0000${i}\u0000`).update(oldestFirst[i]!).digest('base64url')}`,
    };
  });
  const result = await session.append(messages);
  return { read: raw.length, appended: result.appended };
}

/**
 * Writes a session's messages as @langchain/redis's `RedisChatMessageHistory` reads them (list
 * `key`, newest first, LangChain's stored-message JSON), replacing what the list held. `ttlSeconds`
 * sets the list's expiry, as its `sessionTTL` would. The session's running summary is not exported.
 *
 * @example await exportToRedisChatMessageHistory(memory, { from: { userId: 'alice', sessionId: 'chat-42' }, key: 'chat-42' });
 */
export async function exportToRedisChatMessageHistory(
  memory: ChatMigrationMemory,
  options: { from: SessionRef; key: string; ttlSeconds?: number },
): Promise<{ written: number }> {
  const messages = await memory.sessions.session(options.from).messages();
  const stored = mapChatMessagesToStoredMessages(messages.map(toLangChainMessage));
  const values = stored.map((m) => JSON.stringify(m)).reverse();
  await replaceForeignList(
    memory.connection,
    memory.keys.prefix,
    options.key,
    values,
    options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds },
  );
  return { written: values.length };
}

/** How @langchain/redis's `RedisVectorStore` lays out its hashes (its defaults). */
export interface RedisVectorStoreLayout {
  /** The hashes' key prefix; default `doc:<indexName>:`. */
  keyPrefix?: string;
  indexName?: string;
  /** Default `content`. */
  contentKey?: string;
  /** Default `metadata` (JSON with `-`, `:` and `"` backslash-escaped). */
  metadataKey?: string;
  /** Default `content_vector` (float32 bytes). */
  vectorKey?: string;
}

/** One document read from a RedisVectorStore hash, or why it could not be. */
export type ParsedVectorStoreHash = { ok: true; document: Document; vector: number[] | null } | { ok: false; reason: string };

/** Undoes RedisVectorStore's escaping of its metadata JSON (`\-`, `\:`, `\"`). */
export const unescapeRedisVectorStoreMetadata = (text: string): string => text.replace(/\\([-:"])/g, '$1');

/**
 * A RedisVectorStore hash's content, metadata and vector as a document. Pure.
 *
 * @example parseRedisVectorStoreHash(Buffer.from('Lyon'), Buffer.from('{"city"\\:"Lyon"}'), null)
 */
export function parseRedisVectorStoreHash(content: Buffer | null, metadata: Buffer | null, vector: Buffer | null): ParsedVectorStoreHash {
  if (content === null) return { ok: false, reason: 'no content field' };
  let meta: Record<string, unknown> = {};
  if (metadata !== null) {
    try {
      const parsed: unknown = JSON.parse(unescapeRedisVectorStoreMetadata(metadata.toString('utf8')));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        return { ok: false, reason: 'metadata is not a JSON object' };
      meta = parsed as Record<string, unknown>;
    } catch {
      return { ok: false, reason: 'metadata is not JSON' };
    }
  }
  const floats =
    vector !== null && vector.length > 0 && vector.length % 4 === 0 ? Array.from(new Float32Array(Uint8Array.from(vector).buffer)) : null;
  return { ok: true, document: new Document({ pageContent: content.toString('utf8'), metadata: meta }), vector: floats };
}

/**
 * Copies every document of a @langchain/redis `RedisVectorStore` (its hashes under `keyPrefix`)
 * into `store`'s scope. Ids are the keys without the prefix (digested when they are not valid ids
 * here); the stored vectors are kept unless `reembed` (needed when the embedder or dimension
 * changes). Hashes that are not documents are skipped and listed. Re-running it replaces the same ids.
 *
 * @example await importRedisVectorStore(store, { indexName: 'docs' });
 */
export async function importRedisVectorStore(
  store: AgentMemoryVectorStore,
  options: RedisVectorStoreLayout & { reembed?: boolean; batchSize?: number },
): Promise<{ imported: number; skipped: { key: string; reason: string }[] }> {
  const keyPrefix = options.keyPrefix ?? (options.indexName === undefined ? undefined : `doc:${options.indexName}:`);
  if (keyPrefix === undefined)
    throw new InvalidArgumentError('import options', [{ path: 'keyPrefix', message: 'give keyPrefix or indexName' }]);
  const fields = [options.contentKey ?? 'content', options.metadataKey ?? 'metadata', options.vectorKey ?? 'content_vector'];
  const dim = store.memory.index.definition.dim;
  const skipped: { key: string; reason: string }[] = [];
  let imported = 0;
  const batchSize = options.batchSize ?? 100;
  let pending: { id: string; document: Document; vector: number[] | null }[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const needed = batch.filter((p) => options.reembed || p.vector === null);
    const embedded = needed.length > 0 ? await store.embeddings.embedDocuments(needed.map((p) => p.document.pageContent)) : [];
    const vectors = batch.map((p) => (options.reembed || p.vector === null ? embedded[needed.indexOf(p)]! : p.vector));
    const wrong = vectors.find((v) => v.length !== dim);
    if (wrong)
      throw new DimensionMismatchError(
        `the RedisVectorStore's vectors have ${wrong.length} dimensions; this store's index holds ${dim}: import with reembed: true`,
      );
    await store.addVectors(
      vectors,
      batch.map((p) => p.document),
      { ids: batch.map((p) => p.id) },
    );
    imported += batch.length;
  };
  for await (const hashes of scanForeignHashes(store.memory.index.connection, store.memory.keyspace.prefix, keyPrefix, fields)) {
    for (const { key, values } of hashes) {
      const parsed = parseRedisVectorStoreHash(values[0] ?? null, values[1] ?? null, values[2] ?? null);
      if (!parsed.ok) {
        skipped.push({ key, reason: parsed.reason });
        continue;
      }
      const rest = key.slice(keyPrefix.length);
      const id = MemoryInputSchema.shape.id.safeParse(rest).success
        ? rest
        : createHash('sha256').update(key).digest('base64url').slice(0, 22);
      pending.push({ id, document: parsed.document, vector: parsed.vector });
      if (pending.length >= batchSize) await flush();
    }
  }
  await flush();
  return { imported, skipped };
}
