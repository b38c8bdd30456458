// dropAll() leaves nothing of a namespace behind: every memory of every scope and, on RediSearch,
// its alias, its index and its stored definition (the command list is unit-tested in
// redisearch-replies.test.ts). Flat and vector sets on every target here, RediSearch with REDISEARCH_URL.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../src/connection/connect.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { RedisCommandError } from '../../src/errors.js';
import { Keyspace } from '../../src/keys.js';
import { LongTermMemory } from '../../src/memory/long-term-memory.js';
import { RediSearchIndex } from '../../src/vector/engines/redisearch.js';
import { connectTo, deletePrefix, scanKeys, uniquePrefix } from '../harness/index.js';
import { enginesHere } from './engines-here.js';


for (const { engine, target, make, unsupported } of enginesHere()) {
  describe(`dropAll: ${engine} on ${target.name}`, () => {
    let connection: RedisConnection;
    let prefix: string;
    let skipped: string | null = null;
    beforeAll(async () => {
      connection = await connectTo(target);
      skipped = await unsupported(connection);
      if (skipped) return;
      prefix = uniquePrefix('da');
    });
    beforeEach((context) => {
      if (skipped) context.skip(skipped);
    });
    afterAll(async () => {
      if (skipped) return connection.close();
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
      // Every engine drops the stored definition: the namespace can be made anew, with another one.
      expect(await connection.send(['EXISTS', keyspace.vector('gone').definition], { key: keyspace.vector('gone').definition })).toBe(0);
      if (index instanceof RediSearchIndex) {
        await expect(connection.send(['FT.INFO', index.indexName], { key: index.indexName })).rejects.toBeInstanceOf(RedisCommandError);
        await expect(connection.send(['FT.INFO', `${index.indexName}:v1`], { key: index.indexName })).rejects.toThrow(/unknown index|no such index/i);
      }
      const again = make(connection, keyspace, { namespace: 'gone', dim: 8 });
      await again.ensure();
      await again.dropIndex();
      expect(await memory.dropAll()).toBe(0); // twice is fine
    });
  });
}
