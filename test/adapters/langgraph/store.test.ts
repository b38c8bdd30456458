// The LangGraph store adapter on Redis 8 (vector sets), Redis 7 (flat engine), the cluster, and
// whatever engine 'auto' picks on an external server (RediSearch where it has it):
// the same operations run against LangGraph's own InMemoryStore and ours give the same answers;
// then what InMemoryStore lacks (TTL with refresh on read, pruned namespace listings), and the
// store inside a real StateGraph, where a fact put in one thread is found from another thread of
// the same user and never from another user's.
import type { Embeddings } from '@langchain/core/embeddings';
import { Annotation, InMemoryStore, StateGraph, type BaseStore, type LangGraphRunnableConfig, type Operation } from '@langchain/langgraph';
import { InvalidNamespaceError } from '@langchain/langgraph-checkpoint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentMemoryStore } from '../../../adapters/langgraph/store.js';
import { HashingEmbeddings } from '../../../src/embeddings/hashing.js';
import { InvalidArgumentError } from '../../../src/errors.js';
import { probeCapabilities } from '../../../src/connection/capabilities.js';
import { createAgentMemory, type AgentMemory } from '../../../src/index.js';
import { pickEngine } from '../../../src/vector/create.js';
import { deletePrefix, scanKeys, targetsWithCluster, uniquePrefix } from '../../harness/index.js';

const DIMS = 64;
const embeddings = new HashingEmbeddings(DIMS);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The same steps on any BaseStore; returns every answer, with scores apart (compared with a tolerance). */
async function scenario(store: BaseStore): Promise<{ answers: unknown[]; scores: (number | undefined)[][] }> {
  const answers: unknown[] = [];
  const scores: (number | undefined)[][] = [];
  const strip = (items: { namespace: string[]; key: string; value: unknown; score?: number | undefined }[]) => {
    scores.push(items.map((i) => i.score));
    return items.map(({ namespace, key, value }) => ({ namespace, key, value }));
  };
  const put = (ns: string[], key: string, value: Record<string, unknown>, index?: false | string[]) => store.put(ns, key, value, index);
  await put(['memories', 'alice'], 'tea', { text: 'Alice drinks green tea every morning', kind: 'preference', n: 1 });
  await put(['memories', 'alice'], 'nuts', { text: 'Alice is allergic to peanuts and cashews', kind: 'health', n: 5 });
  await put(['memories', 'alice'], 'city', { text: 'Alice lives in Lyon near the river', kind: 'fact', n: 3 });
  await put(['memories', 'bob'], 'coffee', { text: 'Bob drinks black coffee at night', kind: 'preference', n: 2 });
  await put(['memories', 'bob', 'work'], 'job', { text: 'Bob works as a train driver', kind: 'fact', n: 4 });
  await put(
    ['notes'],
    'book',
    { title: 'A book about trains', chapters: [{ text: 'steam engines' }, { text: 'electric trains in Japan' }] },
    ['title', 'chapters[*].text'],
  );
  await put(['notes'], 'secret', { text: 'peanuts are legumes', kind: 'fact', n: 9 }, false);
  await put(['memories', 'alice'], 'city', { text: 'Alice moved to Paris last year', kind: 'fact', n: 3 }); // update keeps its place

  const get = async (ns: string[], key: string) => {
    const item = await store.get(ns, key);
    return item && { namespace: item.namespace, key: item.key, value: item.value };
  };
  answers.push(await get(['memories', 'alice'], 'city'), await get(['memories', 'alice'], 'nope'), await get(['memories'], 'tea'));
  answers.push(strip(await store.search(['memories'])));
  answers.push(strip(await store.search(['memories', 'alice'], { limit: 2, offset: 1 })));
  answers.push(strip(await store.search([], { filter: { kind: 'fact' } })));
  answers.push(strip(await store.search(['memories'], { filter: { n: { $gt: 1, $lte: 4 } } })));
  answers.push(strip(await store.search(['memories'], { filter: { kind: { $ne: 'fact' }, n: { $lt: 5 } } })));
  answers.push(strip(await store.search([], { filter: { kind: { $in: ['health', 'preference'] } } })));
  answers.push(strip(await store.search([], { filter: { kind: { $nin: ['fact'] } } })));
  answers.push(strip(await store.search(['memories', 'alice'], { query: 'what does she drink in the morning?', limit: 1 })));
  answers.push(strip(await store.search(['memories'], { query: 'who drinks coffee or tea', limit: 3 })));
  answers.push(strip(await store.search(['memories'], { query: 'drinks', limit: 2, offset: 1 })));
  answers.push(strip(await store.search(['memories'], { query: 'where does alice live', filter: { kind: 'fact' } })));
  answers.push(strip(await store.search(['notes'], { query: 'trains in Japan' }))); // ranked book, then the unindexed note
  answers.push(strip(await store.search([], { query: 'peanuts', filter: { n: 9 } })));

  await store.delete(['memories', 'alice'], 'nuts');
  answers.push(await get(['memories', 'alice'], 'nuts'), strip(await store.search(['memories', 'alice'], { query: 'peanuts allergy' })));

  // One batch runs in order: a get sees the puts before it; the last write to a key wins.
  const batch: Operation[] = [
    { namespace: ['memories', 'bob'], key: 'coffee', value: { text: 'Bob quit coffee', kind: 'preference', n: 0 } },
    { namespace: ['memories', 'bob'], key: 'coffee' },
    { namespace: ['memories', 'bob'], key: 'tea', value: { text: 'first' } },
    { namespace: ['memories', 'bob'], key: 'tea', value: { text: 'Bob now drinks tea', kind: 'preference', n: 1 } },
  ];
  const results = (await store.batch(batch)) as unknown[];
  answers.push((results[1] as { value: unknown }).value, await get(['memories', 'bob'], 'coffee'), await get(['memories', 'bob'], 'tea'));

  answers.push(await store.listNamespaces());
  answers.push(await store.listNamespaces({ prefix: ['memories'] }));
  answers.push(await store.listNamespaces({ suffix: ['alice'] }));
  answers.push(await store.listNamespaces({ prefix: ['memories', '*'], maxDepth: 2 }));
  answers.push(await store.listNamespaces({ maxDepth: 1 }));
  answers.push(await store.listNamespaces({ limit: 2, offset: 1 }));
  return { answers, scores };
}

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('AgentMemoryStore (%s)', (_, target) => {
  let memory: AgentMemory;
  let prefix: string;
  let counter = 0;
  const storeOf = (options: ConstructorParameters<typeof AgentMemoryStore>[1] = {}) =>
    new AgentMemoryStore(memory, { name: `s${counter++}`, ...options });

  beforeAll(async () => {
    prefix = uniquePrefix('lgs');
    memory = await createAgentMemory({ redis: target.nodes ? { nodes: target.nodes } : { url: target.url }, prefix });
  });
  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await memory.close();
  });

  it("answers like LangGraph's InMemoryStore: get, put, delete, filters, semantic search, batches, listings", async () => {
    const index = { dims: DIMS, fields: ['text'] };
    const reference = await scenario(new InMemoryStore({ index: { ...index, embeddings: embeddings as unknown as Embeddings } }));
    const ours = storeOf({ index: { ...index, embed: embeddings } });
    const got = await scenario(ours);
    expect(got.answers).toEqual(reference.answers);
    expect(got.scores.map((s) => s.map((x) => x === undefined))).toEqual(reference.scores.map((s) => s.map((x) => x === undefined)));
    got.scores.flat().forEach((score, i) => {
      if (score !== undefined) expect(score).toBeCloseTo(reference.scores.flat()[i]!, 3);
    });
    // What the answers say in words: the update kept the key's place, the query found the tea.
    expect(got.answers[3]).toEqual([
      expect.objectContaining({ key: 'tea' }),
      expect.objectContaining({ key: 'nuts' }),
      expect.objectContaining({ key: 'city', value: expect.objectContaining({ text: 'Alice moved to Paris last year' }) }),
      expect.objectContaining({ key: 'coffee' }),
      expect.objectContaining({ key: 'job' }),
    ]);
    expect(got.answers[10]).toEqual([expect.objectContaining({ key: 'tea' })]);
    const engine = (await ours.documents()).vectors!.engine;
    const server = await probeCapabilities(memory.connection);
    expect(engine).toBe(pickEngine(server, 'cosine'));
    if (target.name === 'redis7') expect(engine).toBe('flat');
    else if (target.name === 'redis8' || target.name === 'cluster') expect(engine).toBe('vectorset'); // the harness's servers: no search module
  });

  it('answers like InMemoryStore without an index: a query does not rank, filters still work', async () => {
    const reference = await scenario(new InMemoryStore());
    const got = await scenario(storeOf());
    expect(got).toEqual(reference);
  });

  it('keeps createdAt on update, moves updatedAt, and accepts an embed function', async () => {
    const store = storeOf({ index: { dims: DIMS, fields: ['text'], embed: (texts) => embeddings.embedDocuments(texts) } });
    await store.put(['u'], 'k', { text: 'first version' });
    const first = (await store.get(['u'], 'k'))!;
    await sleep(5);
    await store.put(['u'], 'k', { text: 'second version' });
    const second = (await store.get(['u'], 'k'))!;
    expect(second.createdAt).toEqual(first.createdAt);
    expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
    const [hit] = await store.search(['u'], { query: 'second version' });
    expect(hit!.score).toBeCloseTo(1, 3);
  });

  it('expires items on time, refreshes them on read, and leaves none of their keys behind', async () => {
    const ttl = 1.2 / 60; // 1.2 s, in minutes
    const store = storeOf({ index: { dims: DIMS, embed: embeddings }, ttl: { defaultTtl: ttl } });
    const lazy = storeOf({ ttl: { defaultTtl: ttl, refreshOnRead: false } });
    await store.put(['ttl'], 'read', { text: 'read often' });
    await store.put(['ttl'], 'idle', { text: 'never read' });
    await store.put(['ttl'], 'forever', { text: 'kept' }, undefined, { ttl: null });
    await lazy.put(['ttl'], 'lazy', { text: 'not refreshed' });
    for (let i = 0; i < 3; i++) {
      await sleep(500);
      expect(await store.get(['ttl'], 'read')).not.toBeNull(); // each read moves the deadline
      expect(await lazy.get(['ttl'], 'lazy')).toEqual(i < 2 ? expect.anything() : null);
    }
    expect(await store.get(['ttl'], 'idle')).toBeNull();
    expect((await store.search(['ttl'], { query: 'never read' })).map((i) => i.key)).toEqual(['read', 'forever']);
    await store.delete(['ttl'], 'forever');
    await sleep(1200 + 1100); // the item, then its vectors' grace
    expect(await store.search(['ttl'])).toEqual([]);
    // Documents, their vectors and the namespace's bookkeeping are gone; the vector engine's own
    // per-scope id set (and vector set) stay until a search meets them, as for long-term memory.
    const left = await scanKeys(memory.connection, `${prefix}:*`);
    const name = `s${counter - 2}`;
    expect(left.filter((k) => k.includes(`:ds:${name}:{ds:`) || (k.includes(`:ltm:ds-${name}:`) && !/:(ids|vs)$/.test(k)))).toEqual([]);
    expect(left.filter((k) => k.includes(`:ltm:ds-${name}:`)).length).toBeGreaterThan(0); // so the filter above looked at something
  });

  it('search refreshes what it returns (and only that) when refreshOnRead is on', async () => {
    const store = storeOf({ ttl: { defaultTtl: 1 / 60 } });
    await store.put(['s'], 'a', { kind: 'x' });
    await store.put(['s'], 'b', { kind: 'y' });
    for (let i = 0; i < 3; i++) {
      await sleep(450);
      expect((await store.search(['s'], { filter: { kind: 'x' } })).map((d) => d.key)).toEqual(['a']);
    }
    expect((await store.search(['s'])).map((d) => d.key)).toEqual(['a']);
  });

  it('lists only namespaces that hold items, and forgets emptied ones', async () => {
    const store = storeOf();
    await store.put(['a', 'one'], 'k', { v: 1 });
    await store.put(['a', 'two'], 'k', { v: 2 });
    await store.delete(['a', 'one'], 'k');
    expect(await store.listNamespaces()).toEqual([['a', 'two']]);
    const registry = await memory.connection.send<string[]>(['ZRANGE', memory.keys.documentStore(`s${counter - 1}`).registry, '0', '-1'], {
      key: memory.keys.documentStore(`s${counter - 1}`).registry,
    });
    expect(registry).toEqual(['a\u0000two']);
    await store.put(['a', 'one'], 'k', { v: 3 });
    expect(await store.listNamespaces({ prefix: ['a'] })).toEqual([
      ['a', 'one'],
      ['a', 'two'],
    ]);
  });

  it('deletes everything under a namespace prefix, vectors included, and nothing else', async () => {
    const store = storeOf({ index: { dims: DIMS, embed: embeddings, fields: ['text'] } });
    await store.put(['memories', 'alice'], 'diet', { text: 'Alice is vegetarian' });
    await store.put(['memories', 'alice', 'prefs'], 'seat', { text: 'Alice likes the window seat' });
    await store.put(['memories', 'alicia'], 'diet', { text: 'Alicia eats fish' });
    await store.put(['memories', 'bob'], 'diet', { text: 'Bob is vegetarian too' });
    expect(await store.deleteNamespaces(['memories', 'alice'])).toBe(2);
    expect(await store.search(['memories', 'alice'], { query: 'vegetarian' })).toEqual([]);
    expect((await store.listNamespaces()).sort()).toEqual([
      ['memories', 'alicia'],
      ['memories', 'bob'],
    ]);
    expect((await store.search(['memories'], { query: 'vegetarian' })).map((i) => i.key)).toEqual(['diet', 'diet']);
    await expect(store.deleteNamespaces([])).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('keeps stores apart by name, and rejects bad input before writing', async () => {
    const one = storeOf();
    const two = storeOf();
    await one.put(['x'], 'k', { v: 1 });
    expect(await two.get(['x'], 'k')).toBeNull();
    await expect(one.put(['bad.label'], 'k', { v: 1 })).rejects.toBeInstanceOf(InvalidNamespaceError);
    await expect(one.put([], 'k', { v: 1 })).rejects.toBeInstanceOf(InvalidNamespaceError);
    await expect(one.search(['x'], { filter: { v: { $regex: '.*' } } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(one.put(['x'], 'k2', [1, 2] as unknown as Record<string, unknown>)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await one.search(['x'])).toHaveLength(1);
  });

  it("inside a StateGraph: a fact put in one thread is found in another thread of the same user, not in another user's", async () => {
    const store = storeOf({ index: { dims: DIMS, embed: embeddings, fields: ['text'] } });
    const State = Annotation.Root({ input: Annotation<string>(), found: Annotation<string[]>() });
    const remember = async (state: typeof State.State, config: LangGraphRunnableConfig) => {
      const userId = config.configurable?.userId as string;
      if (state.input.startsWith('remember: ')) {
        await config.store!.put(['memories', userId], `${config.configurable?.thread_id}`, {
          text: state.input.slice('remember: '.length),
        });
        return { found: [] };
      }
      const hits = await config.store!.search(['memories', userId], { query: state.input, limit: 1 });
      return { found: hits.map((h) => h.value.text as string) };
    };
    const graph = new StateGraph(State).addNode('remember', remember).addEdge('__start__', 'remember').compile({ store });
    await graph.invoke(
      { input: 'remember: Alice is vegetarian and never eats meat' },
      { configurable: { thread_id: 't1', userId: 'alice' } },
    );
    await graph.invoke({ input: 'remember: Bob loves steak' }, { configurable: { thread_id: 't2', userId: 'bob' } });
    const alice = await graph.invoke({ input: 'does she eat meat?' }, { configurable: { thread_id: 't3', userId: 'alice' } });
    const carol = await graph.invoke({ input: 'does she eat meat?' }, { configurable: { thread_id: 't4', userId: 'carol' } });
    expect(alice.found).toEqual(['Alice is vegetarian and never eats meat']);
    expect(carol.found).toEqual([]);
  });
});
