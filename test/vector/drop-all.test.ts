// dropAll() leaves nothing of a namespace behind: every memory of every scope and, on RediSearch,
// its alias, its index and its stored definition (the command list is unit-tested in
// redisearch-replies.test.ts). Flat and vector sets on every target here, RediSearch with REDISEARCH_URL.
import { describe, expect, it } from 'vitest';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { RedisCommandError } from '../../src/errors.js';
import { LongTermMemory } from '../../src/memory/long-term-memory.js';
import { RediSearchIndex } from '../../src/vector/engines/redisearch.js';
import { scanKeys } from '../harness/index.js';
import { enginesHere, useEngine } from './engines-here.js';

for (const here of enginesHere()) {
  describe(`dropAll: ${here.engine} on ${here.target.name}`, () => {
    const on = useEngine(here, 'da');

    it('deletes every memory of every scope, and what the engine made for the namespace', async () => {
      const { connection, keyspace } = on;
      const index = on.make({ namespace: 'gone', dim: 32, fields: { tags: 'tag' } });
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
        await expect(connection.send(['FT.INFO', `${index.indexName}:v1`], { key: index.indexName })).rejects.toThrow(
          /unknown index|no such index/i,
        );
      }
      const again = on.make({ namespace: 'gone', dim: 8 });
      await again.ensure();
      await again.dropIndex();
      expect(await memory.dropAll()).toBe(0); // twice is fine
    });
  });
}
