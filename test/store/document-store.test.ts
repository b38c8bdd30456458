// The document store underneath the LangGraph adapter, on Redis 8, Redis 7 and the cluster: what
// the adapter's parity test cannot show. A query with a narrow filter widens its vector query until
// enough documents pass; unranked documents continue the ranked list across pages; an emptied
// namespace leaves the registry only if nobody registered it again; oversized values are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import { runScript, script } from '../../src/scripts/index.js';
import { encodeNamespace } from '../../src/store/namespace.js';
import { deletePrefix, targetsWithCluster, uniquePrefix } from '../harness/index.js';

const embedder = new HashingEmbeddings(64);

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('DocumentStore (%s)', (_, target) => {
  let memory: AgentMemory;
  let prefix: string;
  beforeAll(async () => {
    prefix = uniquePrefix('ds');
    memory = await createAgentMemory({ redis: target.nodes ? { nodes: target.nodes } : { url: target.url }, prefix });
  });
  afterAll(async () => {
    await deletePrefix(memory.connection, prefix);
    await memory.close();
  });

  it('widens a filtered query until enough documents pass, and ranks them', async () => {
    const store = await memory.documentStore({ name: 'widen', index: { dim: 64, embedder, fields: ['text'] } });
    const ns = ['w'];
    await store.write(
      Array.from({ length: 40 }, (_, i) => ({
        namespace: ns,
        key: `k${i}`,
        value: { text: `weather report number ${i} sunny and warm`, rare: i === 7 || i === 31 },
      })),
    );
    const found = await store.search(ns, { query: 'weather report sunny', filter: { field: 'rare', eq: true }, limit: 5 });
    expect(found.map((d) => d.key).sort()).toEqual(['k31', 'k7']);
    expect(found.every((d) => d.score !== undefined && d.score > 0.5)).toBe(true);
  });

  it('continues the ranked list with unranked documents, page after page', async () => {
    const store = await memory.documentStore({ name: 'pages', index: { dim: 64, embedder, fields: ['text'] } });
    const ns = ['p'];
    await store.write([
      { namespace: ns, key: 'r1', value: { text: 'blue ocean waves' } },
      { namespace: ns, key: 'r2', value: { text: 'blue sky' } },
      ...['u1', 'u2', 'u3'].map((key) => ({ namespace: ns, key, value: { text: 'blue too' }, index: false as const })),
    ]);
    const page = async (offset: number) =>
      (await store.search(ns, { query: 'blue ocean', limit: 2, offset })).map((d) => [d.key, d.score === undefined]);
    expect(await page(0)).toEqual([
      ['r1', false],
      ['r2', false],
    ]);
    expect(await page(2)).toEqual([
      ['u1', true],
      ['u2', true],
    ]);
    expect(await page(4)).toEqual([['u3', true]]);
  });

  it('removes an emptied namespace from the registry only if it was not registered again since', async () => {
    const store = await memory.documentStore({ name: 'reg' });
    const keys = memory.keys.documentStore('reg');
    await store.write([{ namespace: ['n'], key: 'k', value: { v: 1 } }]);
    const registry = () => memory.connection.send<string[]>(['ZRANGE', keys.registry, '0', '-1'], { key: keys.registry });
    const unregister = (generation: string) =>
      runScript<number>(
        memory.connection,
        script('store-unregister-2'),
        [keys.registry, keys.generations],
        [encodeNamespace(['n']), generation],
      );
    expect(await registry()).toEqual(['n']);
    expect(await unregister('stale')).toBe(0); // a stale generation: someone registered it since
    expect(await registry()).toEqual(['n']);
    expect(await unregister('')).toBe(1); // a committed write leaves no generation (store-register-2.lua)
    expect(await registry()).toEqual([]);
    // Its documents are still found under their exact namespace, and the next first write registers it again.
    expect((await store.search(['n'])).map((d) => d.key)).toEqual(['k']);
    await store.write([{ namespace: ['n'], key: 'k', value: null }]);
    await store.write([{ namespace: ['n'], key: 'k', value: { v: 2 } }]);
    expect(await store.listNamespaces()).toEqual([['n']]);
  });

  it('refuses oversized values, bad keys and bad namespaces before writing', async () => {
    const store = await memory.documentStore({ name: 'limits', maxValueBytes: 100 });
    await expect(store.write([{ namespace: ['x'], key: 'k', value: { text: 'x'.repeat(200) } }])).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(store.write([{ namespace: ['x'], key: '', value: { v: 1 } }])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store.write([{ namespace: ['a:b'], key: 'k', value: { v: 1 } }])).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await store.listNamespaces()).toEqual([]);
  });
});
