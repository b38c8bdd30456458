// Migration from and to @langchain/redis with its REAL classes: a conversation written by its
// RedisChatMessageHistory is imported into a session (once, however often it runs) and a session
// exported back is read by it; RedisVectorStore's hashes, written with its own encoders, are
// imported; and (with REDISEARCH_URL, since RedisVectorStore needs RediSearch) a store it wrote.
import { createRequire } from 'node:module';
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { RedisChatMessageHistory, RedisVectorStore } from '@langchain/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exportToRedisChatMessageHistory,
  importRedisChatMessageHistory,
  importRedisVectorStore,
  parseRedisVectorStoreHash,
} from '../../../adapters/langchain/langchain-redis.js';
import { toLangChainMessage, toMessageInput } from '../../../adapters/langchain/messages.js';
import { AgentMemoryVectorStore } from '../../../adapters/langchain/vector-store.js';
import { connect, type RedisConnection } from '../../../src/connection/connect.js';
import { HashingEmbeddings } from '../../../src/embeddings/hashing.js';
import { Keyspace } from '../../../src/keys.js';
import { LongTermMemory } from '../../../src/memory/long-term-memory.js';
import { SessionStore } from '../../../src/session/store.js';
import { FlatIndex } from '../../../src/vector/engines/flat.js';
import { IndexDefinitionSchema } from '../../../src/vector/types.js';
import { connectTo, deletePrefix, harness, targets, uniquePrefix } from '../../harness/index.js';

/** What a message looks like to a reader, class and all. */
const shape = (m: BaseMessage) => ({
  type: m.getType(),
  content: m.content,
  ...(AIMessage.isInstance(m) ? { tool_calls: m.tool_calls } : {}),
  ...(ToolMessage.isInstance(m) ? { tool_call_id: m.tool_call_id } : {}),
});

const conversation = (): BaseMessage[] => [
  new SystemMessage('You are terse.'),
  new HumanMessage({ content: 'Weather in Lyon?', id: 'h1' }),
  new AIMessage({ content: '', tool_calls: [{ id: 'call_1', name: 'weather', args: { city: 'Lyon' }, type: 'tool_call' }] }),
  new ToolMessage({ content: '{"temp":21}', tool_call_id: 'call_1' }),
  new AIMessage({ content: [{ type: 'text', text: 'It is 21 °C in Lyon.' }] }),
];

describe('migration from and to @langchain/redis RedisChatMessageHistory', () => {
  const target = targets()[0]!;
  let connection: RedisConnection;
  let prefix: string;
  let memory: { connection: RedisConnection; keys: Keyspace; sessions: SessionStore };
  const histories: RedisChatMessageHistory[] = [];
  const theirs = (sessionId: string) => {
    const history = new RedisChatMessageHistory({ sessionId, config: { url: target.url } });
    histories.push(history);
    return history;
  };

  beforeAll(async () => {
    connection = await connectTo(target);
    prefix = uniquePrefix('mig');
    const keys = new Keyspace(prefix);
    memory = { connection, keys, sessions: new SessionStore(connection, keys) };
  });
  afterAll(async () => {
    for (const h of histories) {
      await h.clear();
      if (h.client.isOpen) await h.client.quit();
    }
    await deletePrefix(connection, prefix);
    await connection.close();
  });

  it('imports a conversation written by RedisChatMessageHistory, every message type intact, once however often it runs', async () => {
    const source = theirs(`lc-${prefix}-chat-1`);
    for (const message of conversation()) await source.addMessage(message);
    const into = { userId: 'alice', sessionId: 'chat-1' };
    expect(await importRedisChatMessageHistory(memory, { key: `lc-${prefix}-chat-1`, into })).toEqual({ read: 5, appended: 5 });
    expect(await importRedisChatMessageHistory(memory, { key: `lc-${prefix}-chat-1`, into })).toEqual({ read: 5, appended: 0 });
    const ours = (await memory.sessions.session(into).messages()).map(toLangChainMessage);
    expect(ours.map(shape)).toEqual(conversation().map(shape));
    expect(ours[1]!.id).toBe('h1');
    expect((await source.getMessages()).length).toBe(5); // the source is left as it was
    // The source grows: a re-run appends only what is new.
    await source.addMessage(new HumanMessage('one more thing'));
    expect(await importRedisChatMessageHistory(memory, { key: `lc-${prefix}-chat-1`, into })).toEqual({ read: 6, appended: 1 });
    const after = (await memory.sessions.session(into).messages()).map((m) => m.content);
    expect(after).toHaveLength(6);
    expect(after.at(-1)).toBe('one more thing');
    expect(
      await importRedisChatMessageHistory(memory, { key: `lc-${prefix}-absent`, into: { userId: 'alice', sessionId: 'empty' } }),
    ).toEqual({ read: 0, appended: 0 });
  });

  it('exports a session that RedisChatMessageHistory reads back in order, replacing the list, with its TTL', async () => {
    const from = { userId: 'bob', sessionId: 'chat-2' };
    await memory.sessions.session(from).append(conversation().map(toMessageInput));
    const key = `lc-${prefix}-chat-2`;
    const reader = theirs(key);
    await reader.addMessage(new HumanMessage('stale message that the export replaces'));
    expect(await exportToRedisChatMessageHistory(memory, { from, key, ttlSeconds: 300 })).toEqual({ written: 5 });
    expect((await reader.getMessages()).map(shape)).toEqual(conversation().map(shape));
    const pttl = await connection.send<number>(['PTTL', key], { key });
    expect(pttl).toBeGreaterThan(290_000);
    // Their history keeps working on the exported list: a new message lands after ours.
    await reader.addMessage(new HumanMessage('and tomorrow?'));
    expect((await reader.getMessages()).at(-1)!.content).toBe('and tomorrow?');
    await expect(exportToRedisChatMessageHistory(memory, { from, key: `${prefix}:own-key` })).rejects.toThrow(
      /under this library's prefix/,
    );
  });
});

describe('RedisVectorStore hash format', () => {
  // Its own (private) encoders, so the fixture is what RedisVectorStore.addVectors writes, byte for byte.
  const theirs = new RedisVectorStore(new HashingEmbeddings(4), { redisClient: undefined as never, indexName: 'unit' });

  it('parses what RedisVectorStore writes: content, escaped metadata JSON, float32 vector', () => {
    const metadata = { source: 'a-b:c', quote: 'say "hi"', n: 3, ok: true, tags: ['x-y', 'z'], nested: { k: null } };
    const parsed = parseRedisVectorStoreHash(
      Buffer.from('Lyon is on the Rhône'),
      Buffer.from(theirs['escapeSpecialChars'](JSON.stringify(metadata))),
      theirs['getFloat32Buffer']([0.5, -1, 2, 0]),
    );
    expect(parsed).toMatchObject({ ok: true, vector: [0.5, -1, 2, 0] });
    if (!parsed.ok) throw new Error('unreachable');
    expect(parsed.document.pageContent).toBe('Lyon is on the Rhône');
    expect(parsed.document.metadata).toEqual(metadata);
    expect(parseRedisVectorStoreHash(null, null, null)).toEqual({ ok: false, reason: 'no content field' });
    expect(parseRedisVectorStoreHash(Buffer.from('x'), Buffer.from('{broken'), null)).toEqual({
      ok: false,
      reason: 'metadata is not JSON',
    });
    expect(parseRedisVectorStoreHash(Buffer.from('x'), null, null)).toMatchObject({ ok: true, vector: null });
  });
});

describe.each(
  targets()
    .slice(0, 1)
    .map((t) => [t.name, t] as const),
)('import of RedisVectorStore hashes (%s, written with its own encoders)', (_, target) => {
  let connection: RedisConnection;
  let prefix: string;
  beforeAll(async () => {
    connection = await connectTo(target);
    prefix = uniquePrefix('rvh');
  });
  afterAll(async () => {
    for await (const keys of connection.scan(`doc:${prefix}-idx:*`))
      for (const key of keys) await connection.send(['UNLINK', key], { key });
    await deletePrefix(connection, prefix);
    await connection.close();
  });

  it('imports documents with metadata and kept vectors, digests odd ids, skips non-documents, and re-embeds on request', async () => {
    const encoders = new RedisVectorStore(new HashingEmbeddings(32), { redisClient: undefined as never, indexName: 'x' });
    const embeddings = new HashingEmbeddings(32);
    // The hash RedisVectorStore.addVectors writes (what a RediSearch server would hold), here without RediSearch.
    const write = async (key: string, text: string, metadata: object, vector: number[] | null) => {
      const fields: (string | Buffer)[] = ['content', text, 'metadata', encoders['escapeSpecialChars'](JSON.stringify(metadata))];
      if (vector) fields.push('content_vector', encoders['getFloat32Buffer'](vector));
      await connection.send(['HSET', key, ...fields], { key });
    };
    const base = `doc:${prefix}-idx:`;
    await write(`${base}0`, 'Lyon is on the Rhône', { city: 'Lyon', 'a-b': 'x:y' }, await embeddings.embedQuery('Lyon is on the Rhône'));
    await write(
      `${base}odd id/with:colons`,
      'Bananas are rich in potassium',
      { kind: 'food' },
      await embeddings.embedQuery('Bananas are rich in potassium'),
    );
    await write(`${base}2`, 'Paris is the capital', {}, new Array(8).fill(0.5)); // another dimension
    await connection.send(['HSET', `${base}bad`, 'metadata', '{}'], { key: `${base}bad` });
    const keyspace = new Keyspace(prefix);
    const index = new FlatIndex(connection, keyspace, IndexDefinitionSchema.parse({ namespace: 'imported', dim: 32 }));
    await index.ensure();
    const store = new AgentMemoryVectorStore(embeddings, {
      memory: new LongTermMemory(index, embeddings, keyspace),
      scope: { userId: 'alice' },
    });
    await expect(importRedisVectorStore(store, { indexName: `${prefix}-idx` })).rejects.toThrow(/8 dimensions.*reembed: true/);
    expect(await importRedisVectorStore(store, { indexName: `${prefix}-idx`, reembed: true })).toEqual({
      imported: 3,
      skipped: [{ key: `${base}bad`, reason: 'no content field' }],
    });
    const [top] = await store.similaritySearch('Which river flows through Lyon?', 1);
    expect(top).toMatchObject({ id: '0', pageContent: 'Lyon is on the Rhône', metadata: { city: 'Lyon', 'a-b': 'x:y' } });
    const bananas = (await store.similaritySearch('potassium bananas', 1))[0]!;
    expect(bananas.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(bananas.metadata).toEqual({ kind: 'food' });
    await connection.send(['UNLINK', `${base}2`], { key: `${base}2` });
    expect(await importRedisVectorStore(store, { keyPrefix: base })).toMatchObject({ imported: 2 }); // kept vectors, same ids replaced
    expect(await store.memory.count({ userId: 'alice' })).toBe(3);
  });
});

const redisearchUrl = harness().redisearchUrl;
// Skipped (and listed as skipped, with this title) unless REDISEARCH_URL is set: RedisVectorStore writes through RediSearch.
describe.runIf(redisearchUrl !== null)(
  'import of a RedisVectorStore (runs only with REDISEARCH_URL: RedisVectorStore needs RediSearch to write)',
  () => {
    let connection: RedisConnection;
    let prefix: string;
    let theirs: RedisVectorStore;
    let client: { connect(): Promise<unknown>; quit(): Promise<unknown> };

    beforeAll(async () => {
      connection = await connect({ url: redisearchUrl! });
      prefix = uniquePrefix('rvs');
      // @langchain/redis takes a client of its own redis (v4), not this library's.
      const nested = createRequire(createRequire(import.meta.url).resolve('@langchain/redis'))('redis') as {
        createClient(o: { url: string }): typeof client;
      };
      client = nested.createClient({ url: redisearchUrl! });
      await client.connect();
      theirs = new RedisVectorStore(new HashingEmbeddings(64), { redisClient: client as never, indexName: `${prefix}-idx` });
    });
    afterAll(async () => {
      await theirs?.dropIndex(true);
      await client?.quit();
      await deletePrefix(connection, prefix);
      await connection.close();
    });

    it('copies every document with its metadata and vector into a user’s store', async () => {
      const embeddings = new HashingEmbeddings(64);
      await theirs.addDocuments([
        { pageContent: 'Lyon is on the Rhône', metadata: { city: 'Lyon', tags: ['fr-69'] } },
        { pageContent: 'Bananas are rich in potassium', metadata: { kind: 'food' } },
      ]);
      const keyspace = new Keyspace(prefix);
      const index = new FlatIndex(connection, keyspace, IndexDefinitionSchema.parse({ namespace: 'imported', dim: 64 }));
      await index.ensure();
      const store = new AgentMemoryVectorStore(embeddings, {
        memory: new LongTermMemory(index, embeddings, keyspace),
        scope: { userId: 'alice' },
      });
      expect(await importRedisVectorStore(store, { indexName: `${prefix}-idx` })).toEqual({ imported: 2, skipped: [] });
      const [top] = await store.similaritySearch('Which river flows through Lyon?', 1);
      expect(top).toMatchObject({ pageContent: 'Lyon is on the Rhône', metadata: { city: 'Lyon', tags: ['fr-69'] } });
      expect((await store.getByIds(['0', '1'])).filter(Boolean)).toHaveLength(2);
    });
  },
);
