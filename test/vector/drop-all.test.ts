// dropAll() leaves nothing of a namespace behind: every memory of every scope and, on RediSearch,
// its alias, its index and its stored definition (the command list is unit-tested in
// redisearch-replies.test.ts). Flat and vector sets on every target here, RediSearch with REDISEARCH_URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../src/connection/connect.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { RedisCommandError } from '../../src/errors.js';
import { Keyspace } from '../../src/keys.js';
import { LongTermMemory } from '../../src/memory/long-term-memory.js';
import { FlatIndex } from '../../src/vector/engines/flat.js';
import { RediSearchIndex } from '../../src/vector/engines/redisearch.js';
import { VectorSetIndex } from '../../src/vector/engines/vectorset.js';
import { IndexDefinitionSchema, type IndexDefinition, type VectorIndex } from '../../src/vector/types.js';
import { connectTo, deletePrefix, scanKeys, targetsWithCluster, uniquePrefix, type RedisTarget } from '../harness/index.js';

type Make = (c: RedisConnection, k: Keyspace, d: IndexDefinition) => VectorIndex;
const engines: [string, RedisTarget, Make][] = [];
for (const target of targetsWithCluster()) {
  engines.push(['flat', target, (c, k, d) => new FlatIndex(c, k, IndexDefinitionSchema.parse(d))]);
  if (target.name !== 'redis7') engines.push(['vectorset', target, (c, k, d) => new VectorSetIndex(c, k, IndexDefinitionSchema.parse(d))]);
}
if (process.env.REDISEARCH_URL) engines.push(['redisearch', { name: 'redisearch', url: process.env.REDISEARCH_URL, version: null }, (c, k, d) => new RediSearchIndex(c, k, IndexDefinitionSchema.parse(d))]);

for (const [engine, target, make] of engines) {
  describe(`dropAll: ${engine} on ${target.name}`, () => {
    let connection: RedisConnection;
    let prefix: string;
    beforeAll(async () => {
      connection = await connectTo(target);
      prefix = uniquePrefix('da');
    });
    afterAll(async () => {
      await deletePrefix(connection, prefix);
      await connection.close();
    });

    it('deletes every memory of every scope, and what the engine made for the namespace', async () => {
      const keyspace = new Keyspace(prefix);
      const index = make(connection, keyspace, { namespace: 'gone', dim: 32, fields: { tags: 'tag' } });
      await index.ensure();
      const memory = new LongTermMemory(index, new HashingEmbeddings(32), keyspace);
      await memory.remember({ userId: 'alice' }, { text: 'Alice drinks green tea', tags: ['tea'] });
      await memory.remember({ userId: 'alice', agentId: 'support' }, { text: 'Alice asked about refunds' });
      await memory.remember({ tenant: 'acme', userId: 'bob' }, { text: 'Bob lives in Paris' });
      expect(await memory.dropAll()).toBe(3);
      expect(await scanKeys(connection, `${keyspace.vector('gone').namespacePrefix}*`)).toEqual([]);
      if (index instanceof RediSearchIndex) {
        await expect(connection.send(['FT.INFO', index.indexName], { key: index.indexName })).rejects.toBeInstanceOf(RedisCommandError);
        await expect(connection.send(['FT.INFO', `${index.indexName}:v1`], { key: index.indexName })).rejects.toThrow(/unknown index|no such index/i);
        expect(await connection.send(['EXISTS', keyspace.vector('gone').definition], { key: keyspace.vector('gone').definition })).toBe(0);
        // The namespace can be made anew, with another definition.
        const again = make(connection, keyspace, { namespace: 'gone', dim: 8 });
        await again.ensure();
        await again.dropIndex?.();
      }
      expect(await memory.dropAll()).toBe(0); // twice is fine
    });
  });
}
