// Long-term memory at the edges, on flat and vector sets (Redis 8, Redis 7, the cluster): own ids
// never merged away within a batch, odd input as typed errors that write nothing, embedders that
// return the wrong shape, filter bounds printed exactly, __proto__ in metadata kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../src/connection/connect.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { AgentMemoryError } from '../../src/errors.js';
import { Keyspace } from '../../src/keys.js';
import { LongTermMemory } from '../../src/memory/long-term-memory.js';
import { FlatIndex } from '../../src/vector/engines/flat.js';
import { VectorSetIndex } from '../../src/vector/engines/vectorset.js';
import { IndexDefinitionSchema, type IndexDefinition, type VectorIndex } from '../../src/vector/types.js';
import { connectTo, deletePrefix, scanKeys, targetsWithCluster, uniquePrefix } from '../harness/index.js';

const engines: [string, (c: RedisConnection, k: Keyspace, d: IndexDefinition) => VectorIndex][] = [
  ['flat', (c, k, d) => new FlatIndex(c, k, IndexDefinitionSchema.parse(d))],
  ['vectorset', (c, k, d) => new VectorSetIndex(c, k, IndexDefinitionSchema.parse(d))],
];

const expectTyped = async (promise: Promise<unknown>, code: string) => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentMemoryError);
  expect((error as AgentMemoryError).code).toBe(code);
};

for (const target of targetsWithCluster()) {
  for (const [engine, make] of engines) {
    if (engine === 'vectorset' && target.name === 'redis7') continue;
    describe(`long-term memory edges: ${engine} on ${target.name}`, () => {
      let connection: RedisConnection;
      let prefix: string;
      let keyspace: Keyspace;
      let index: VectorIndex;
      let memory: LongTermMemory;
      const embedder = new HashingEmbeddings(64);

      beforeAll(async () => {
        connection = await connectTo(target);
        prefix = uniquePrefix('le');
        keyspace = new Keyspace(prefix);
        index = make(connection, keyspace, { namespace: 'edges', dim: 64, fields: { tags: 'tag', weight: 'numeric' } });
        await index.ensure();
        memory = new LongTermMemory(index, embedder, keyspace);
      });
      afterAll(async () => {
        await deletePrefix(connection, prefix);
        await connection.close();
      });

      it('a caller’s own id is never reported written and then lost to a near-copy in the same batch', async () => {
        const scope = { userId: 'own-ids' };
        const results = await memory.rememberMany(scope, [
          { id: 'first', text: 'Carol takes her tea with lemon' },
          { id: 'second', text: 'Carol takes her tea with lemon!' },
          { text: 'Carol takes her tea with lemon.' }, // no id of its own: merged into an earlier one
        ]);
        expect(results.slice(0, 2)).toEqual([
          { id: 'first', status: 'inserted' },
          { id: 'second', status: 'inserted' },
        ]);
        expect(results[2]!.status).toBe('merged');
        expect(results[2]!.id).toBe('first'); // the newer text wins the merge
        expect((await memory.get(scope, 'first'))?.text).toBe('Carol takes her tea with lemon.');
        expect((await memory.get(scope, 'second'))?.text).toBe('Carol takes her tea with lemon!');
        expect(await index.count({ tag: keyspace.memoryScope(scope).tag, token: keyspace.memoryScope(scope).token })).toBe(2);
      });

      it.each([
        [
          'circular metadata',
          () => {
            const m: Record<string, unknown> = {};
            m.self = m;
            return { text: 'x', metadata: m };
          },
        ],
        ['BigInt metadata', () => ({ text: 'x', metadata: { n: 1n } })],
        ['NaN metadata', () => ({ text: 'x', metadata: { n: Number.NaN } })],
        ['a Date in metadata', () => ({ text: 'x', metadata: { at: new Date() } })],
      ])('%s is a typed error that writes nothing', async (_, input) => {
        await expectTyped(memory.remember({ userId: 'odd' }, input() as never), 'INVALID_ARGUMENT');
        expect(await scanKeys(connection, `${prefix}:ltm:edges:{_:odd}*`)).toEqual([]);
      });

      it.each([42, 'ids', null, { ids: 'a' }, { ids: ['a'], filter: {} }, {}])('forget(scope, %j) is a typed error', async (which) => {
        await expectTyped(memory.forget({ userId: 'odd' }, which as never), 'INVALID_ARGUMENT');
      });

      it.each([
        ['fewer vectors than texts', { embedQuery: async () => [1], embedDocuments: async () => [] }],
        ['no array', { embedQuery: async () => undefined, embedDocuments: async () => undefined }],
        [
          'vectors with NaN',
          {
            embedQuery: async () => new Array(64).fill(Number.NaN),
            embedDocuments: async (t: string[]) => t.map(() => new Array(64).fill(Number.NaN)),
          },
        ],
        ['vectors of another dimension', { embedQuery: async () => [1, 2], embedDocuments: async (t: string[]) => t.map(() => [1, 2]) }],
      ])('an embedder returning %s fails typed and writes nothing', async (_, broken) => {
        const other = new LongTermMemory(index, broken as never, keyspace);
        await expectTyped(other.rememberMany({ userId: 'embed' }, [{ text: 'a' }, { text: 'b' }]), 'DIMENSION_MISMATCH');
        await expectTyped(other.recall({ userId: 'embed' }, 'a'), 'DIMENSION_MISMATCH');
        expect(await scanKeys(connection, `${prefix}:ltm:edges:{_:embed}*`)).toEqual([]);
      });

      it('filter bounds keep every digit: 1e-25 is not 0, and 1.2345678901234567e-15 is itself', async () => {
        const scope = { userId: 'tiny' };
        // biome-ignore lint/correctness/noPrecisionLoss: 17 significant digits, the two doubles next to each other
        const values = [0, 1e-25, 2e-25, 1.2345678901234567e-15, 1.2345678901234569e-15];
        await memory.rememberMany(
          scope,
          values.map((weight, i) => ({ id: `w${i}`, text: `weight number ${i}`, metadata: { weight } })),
          { dedupe: false },
        );
        const ids = async (filter: object) =>
          (await memory.recall(scope, 'weight number', { k: 10, filter: filter as never })).map((r) => r.id).sort();
        expect(await ids({ field: 'weight', gt: 0 })).toEqual(['w1', 'w2', 'w3', 'w4']);
        expect(await ids({ field: 'weight', gt: 1e-25 })).toEqual(['w2', 'w3', 'w4']);
        expect(await ids({ field: 'weight', gt: 1e-25, lt: 1e-24 })).toEqual(['w2']);
        // biome-ignore lint/correctness/noPrecisionLoss: the same double as values[3]
        expect(await ids({ field: 'weight', eq: 1.2345678901234567e-15 })).toEqual(['w3']);
      });

      it('__proto__ keys in metadata round-trip exactly', async () => {
        const metadata = JSON.parse('{"__proto__": {"admin": true}, "lang": "en"}') as Record<string, unknown>;
        const { id } = await memory.remember({ userId: 'proto' }, { text: 'proto text', metadata: metadata as never });
        expect(JSON.stringify((await memory.get({ userId: 'proto' }, id))!.metadata)).toBe(JSON.stringify(metadata));
      });
    });
  }
}
