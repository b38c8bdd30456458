// The document store's write cut at each of its steps, and its index losing one key, on Redis 8,
// Redis 7 and the cluster. Each cut is made by running the steps before it by hand (the scripts and
// the vector index the store uses), as a writer that stopped there would leave them: reads show
// nothing of a write cut before its commit, all of one cut after, and a retry completes it.
// deleteNamespaces finds every document whichever index key is gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import { vectorScope } from '../../src/keys.js';
import { runScript, script } from '../../src/scripts/index.js';
import { documentId, type DocumentStore } from '../../src/store/document-store.js';
import { encodeNamespace } from '../../src/store/namespace.js';
import { deletePrefix, targetsWithCluster, uniquePrefix } from '../harness/index.js';

const embedder = new HashingEmbeddings(64);
const REGISTER = script('store-register-2');

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('DocumentStore cut writes and lost keys (%s)', (_, target) => {
  let memory: AgentMemory;
  let prefix: string;
  beforeAll(async () => {
    prefix = uniquePrefix('dsc');
    memory = await createAgentMemory({ redis: target.nodes ? { nodes: target.nodes } : { url: target.url }, prefix });
  });
  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await memory.close();
  });

  const open = (name: string): Promise<DocumentStore> => memory.documentStore({ name, index: { dim: 64, embedder, fields: ['text'] } });
  const keysOf = (name: string, ns: string[]) => memory.keys.documentStore(name).namespace(encodeNamespace(ns));
  const storeKeys = async (): Promise<string[]> => {
    const found: string[] = [];
    for await (const batch of memory.connection.scan(`${prefix}:*`)) found.push(...batch);
    return found.filter((k) => !k.includes(':ltm-def:'));
  };
  /** Step (1) of a write by hand: the vectors of `text` for `key`, under a version no document names. */
  const upsertVectors = async (store: DocumentStore, name: string, ns: string[], key: string, text: string, version: string) => {
    const id = documentId(key);
    const [vector] = await embedder.embedDocuments([text]);
    await store.vectors!.upsert(vectorScope(keysOf(name, ns).tag), [
      { id: `${id}.${version}.0`, vector: vector!, payload: `${id}.${version}` },
    ]);
  };
  /** Step (1') by hand: the registration begun, as by a writer that stopped before its commit. */
  const beginRegistration = (name: string, ns: string[]) => {
    const k = memory.keys.documentStore(name);
    return runScript<[number, string]>(memory.connection, REGISTER, [k.registry, k.generations], ['begin', encodeNamespace(ns), 'stopped']);
  };

  it('a write cut before its commit shows nothing: not its vectors, not its namespace; a retry completes it', async () => {
    const store = await open('cut-before');
    const ns = ['cut', 'u1'];
    await store.write([{ namespace: ['cut', 'u0'], key: 'k0', value: { text: 'green tea in the morning' } }]);
    await upsertVectors(store, 'cut-before', ns, 'k1', 'flight to lyon', 'stopped');
    await beginRegistration('cut-before', ns);
    expect(await store.get(ns, 'k1')).toBeNull();
    expect(await store.search(['cut'], { query: 'flight to lyon' })).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ key: 'k1' })]),
    );
    expect((await store.search(['cut'], { query: 'flight to lyon' })).map((d) => d.key)).toEqual(['k0']);
    // The registered namespace holds nothing: not listed, and unregistered on the way.
    expect(await store.listNamespaces()).toEqual([['cut', 'u0']]);
    // The retry: whole.
    await store.write([{ namespace: ns, key: 'k1', value: { text: 'flight to lyon' } }]);
    const [hit] = await store.search(['cut'], { query: 'flight to lyon' });
    expect(hit).toMatchObject({ key: 'k1', namespace: ns });
    expect(hit!.score).toBeGreaterThan(0.99);
    expect(await store.listNamespaces()).toEqual([
      ['cut', 'u0'],
      ['cut', 'u1'],
    ]);
    // What the cut write left (its vectors under the stopped version) goes with the namespace.
    expect(await store.deleteNamespaces(['cut'])).toBe(2);
    expect(await storeKeys()).toEqual(expect.not.arrayContaining([expect.stringContaining(':ds-cut-before:')]));
  });

  it('vectors written for an update that was never committed do not rank the old value', async () => {
    const store = await open('cut-update');
    const ns = ['upd'];
    await store.write([{ namespace: ns, key: 'k', value: { text: 'green tea in the morning' } }]);
    await upsertVectors(store, 'cut-update', ns, 'k', 'flight to lyon', 'stopped');
    const [hit] = await store.search(ns, { query: 'flight to lyon' });
    // Found by its own vectors only (it is the namespace's one document), with their score.
    expect(hit).toMatchObject({ key: 'k', value: { text: 'green tea in the morning' } });
    const [own] = await store.search(ns, { query: 'green tea in the morning' });
    expect(own!.score).toBeGreaterThan(0.99);
    expect(hit!.score).toBeLessThan(0.9);
  });

  it('a write cut after its commit (old vectors and registration not settled) reads whole', async () => {
    const store = await open('cut-after');
    const ns = ['after'];
    await store.write([{ namespace: ns, key: 'k', value: { text: 'green tea in the morning' } }]);
    // The old version's vectors, as a write cut before deleting them would leave them.
    await upsertVectors(store, 'cut-after', ns, 'k', 'green tea in the morning', 'old');
    await store.write([{ namespace: ns, key: 'k', value: { text: 'flight to lyon' } }]);
    await upsertVectors(store, 'cut-after', ns, 'k', 'green tea in the morning', 'old2');
    await beginRegistration('cut-after', ns); // and a generation never cleared
    const found = await store.search(ns, { query: 'green tea in the morning' });
    expect(found.map((d) => [d.key, d.value.text])).toEqual([['k', 'flight to lyon']]);
    expect(found[0]!.score).toBeLessThan(0.9);
    expect(await store.listNamespaces()).toEqual([['after']]);
  });

  it('a refused commit puts the registration back exactly as it was', async () => {
    const k = memory.keys.documentStore('abort');
    const read = async () => [
      await memory.connection.send<string[]>(['ZRANGE', k.registry, '0', '-1'], { key: k.registry }),
      await memory.connection.send<string[]>(['HGETALL', k.generations], { key: k.generations }),
    ];
    const args = (mode: string, ns: string, token: string, begun: [number, string] = [0, '']) => [
      mode,
      ns,
      token,
      String(begun[0]),
      begun[1],
    ];
    await runScript(memory.connection, REGISTER, [k.registry, k.generations], args('begin', 'old', 'someone'));
    const before = await read();
    for (const ns of ['new', 'old']) {
      const begun = await runScript<[number, string]>(memory.connection, REGISTER, [k.registry, k.generations], args('begin', ns, 'mine'));
      expect(await runScript(memory.connection, REGISTER, [k.registry, k.generations], args('abort', ns, 'mine', begun))).toBe(1);
      expect(await read()).toEqual(before);
    }
  });

  it('a listing between registration and commit cannot unregister the namespace the commit fills', async () => {
    const store = await open('race');
    const k = memory.keys.documentStore('race');
    const keys = [k.registry, k.generations];
    await runScript(memory.connection, REGISTER, keys, ['begin', 'r', 'w1']);
    // A listing reads the generation and finds the namespace empty (before the commit) ...
    const generation = await memory.connection.send<string>(['HGET', k.generations, 'r'], { key: k.generations });
    // ... the writer commits (documents, then the registration's commit step) ...
    await store.write([{ namespace: ['r'], key: 'x', value: { text: 'x' } }]);
    await runScript(memory.connection, REGISTER, keys, ['commit', 'r', 'w1']);
    // ... and the listing's removal, compared with the generation it read, does nothing.
    expect(await runScript(memory.connection, script('store-unregister-2'), keys, ['r', generation])).toBe(0);
    expect(await store.listNamespaces()).toEqual([['r']]);
    // Had the removal come first, the commit step registers it again.
    await runScript(memory.connection, REGISTER, keys, ['begin', 'r', 'w2']);
    expect(await runScript(memory.connection, script('store-unregister-2'), keys, ['r', 'w2'])).toBe(1);
    expect(await runScript(memory.connection, REGISTER, keys, ['commit', 'r', 'w2'])).toBe(1);
    expect(await store.listNamespaces()).toEqual([['r']]);
  });

  it('a namespace whose document set is lost is listed, rebuilt on read, and a write does not hide the rest', async () => {
    const store = await open('lost-docs');
    const ns = ['lost'];
    await store.write(
      ['a', 'b', 'c'].map((key, i) => ({
        namespace: ns,
        key,
        value: { text: `note ${key}` },
        ...(i === 2 ? { index: false as const } : {}),
        ...(i === 1 ? { ttlSeconds: 600 } : {}),
      })),
    );
    const keys = keysOf('lost-docs', ns);
    await memory.connection.send(['UNLINK', keys.documents], { key: keys.documents });
    // A write first: it must not make its one document the whole namespace.
    await store.write([{ namespace: ns, key: 'd', value: { text: 'note d' } }]);
    expect((await store.search(ns)).map((d) => d.key)).toEqual(['a', 'b', 'c', 'd']);
    await memory.connection.send(['UNLINK', keys.documents], { key: keys.documents });
    expect(await store.listNamespaces()).toEqual([['lost']]);
    expect((await store.search(ns, { query: 'note', limit: 10 })).map((d) => d.key).sort()).toEqual(['a', 'b', 'c', 'd']);
    // Rebuilt: expiries and unindexed documents too.
    const [b] = await store.getMany([{ namespace: ns, key: 'b' }], { refreshTtl: false });
    expect(b!.expiresAt).toBeGreaterThan(Date.now());
    expect(await memory.connection.send<number>(['ZCARD', keys.expiries], { key: keys.expiries })).toBe(1);
    expect(await memory.connection.send<string[]>(['ZRANGE', keys.plain, '0', '-1'], { key: keys.plain })).toEqual([documentId('c')]);
    // Deleting every document of a namespace with a lost set empties it whole.
    await memory.connection.send(['UNLINK', keys.documents], { key: keys.documents });
    await store.write(['a', 'b', 'c', 'd'].map((key) => ({ namespace: ns, key, value: null })));
    expect(await store.listNamespaces()).toEqual([]);
    expect(await storeKeys()).toEqual(expect.not.arrayContaining([expect.stringContaining(':ds:lost-docs:')]));
  });

  it.each([
    ['documents', ['documents'] as const],
    ['meta', ['meta'] as const],
    ['registry and meta', ['registry', 'meta'] as const],
    ['documents, registry and meta', ['documents', 'registry', 'meta'] as const],
  ])('deleteNamespaces finds every document of a prefix when %s is gone', async (label, lost) => {
    const name = `del-${label.replace(/[ ,]+/g, '-')}`;
    const store = await open(name);
    const spaces = [
      ['forget', 'alice'],
      ['forget', 'alice', 'notes'],
      ['forget', 'alicia'],
    ];
    await store.write(
      spaces.flatMap((ns) => ['k1', 'k2'].map((key) => ({ namespace: ns, key, value: { text: `${ns.join(' ')} ${key}` } }))),
    );
    const k = memory.keys.documentStore(name);
    for (const ns of spaces.slice(0, 2)) {
      const keys = keysOf(name, ns);
      for (const which of lost) {
        const key = which === 'registry' ? k.registry : which === 'meta' ? keys.meta : keys.documents;
        await memory.connection.send(['UNLINK', key], { key });
      }
    }
    expect(await store.deleteNamespaces(['forget', 'alice'])).toBe(4);
    expect(await store.getMany(spaces.flatMap((ns) => ['k1', 'k2'].map((key) => ({ namespace: ns, key }))))).toEqual([
      null,
      null,
      null,
      null,
      expect.objectContaining({ key: 'k1' }),
      expect.objectContaining({ key: 'k2' }),
    ]);
    const left = (await storeKeys()).filter((key) => key.includes(`:ds:${name}:`) || key.includes(`:ds-${name}:`));
    const alicia = keysOf(name, ['forget', 'alicia']).tag;
    expect(left.filter((key) => !key.includes(alicia) && !key.endsWith(':namespaces'))).toEqual([]);
  });
});
