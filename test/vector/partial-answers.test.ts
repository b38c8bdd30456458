// A query the server cut short is never read as an answer: the semantic cache does not take it as
// a miss, long-term memory's deduplication does not take it as "no near-copy" (it fails typed and
// inserts nothing). The engine here is a real flat index whose query answers as the RediSearch
// engine does after a timeout (QueryTimeoutError unless allowPartial); the RediSearch side of it is
// unit-tested on reply shapes in redisearch-replies.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SemanticCache } from '../../src/cache/semantic-cache.js';
import { Cache } from '../../src/cache/cache.js';
import type { RedisConnection } from '../../src/connection/connect.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { QueryTimeoutError } from '../../src/errors.js';
import { Keyspace } from '../../src/keys.js';
import { LongTermMemory } from '../../src/memory/long-term-memory.js';
import { FlatIndex } from '../../src/vector/engines/flat.js';
import { IndexDefinitionSchema, markPartial, type QueryOptions, type Scope } from '../../src/vector/types.js';
import { connectTo, deletePrefix, targets, uniquePrefix } from '../harness/index.js';

/** A flat index whose queries, once `timingOut`, answer like a RediSearch query its time limit stopped. */
class TimingOutIndex extends FlatIndex {
  timingOut = false;
  asked: QueryOptions[] = [];
  override async query(scope: Scope, vector: ArrayLike<number>, options: QueryOptions) {
    this.asked.push(options);
    if (!this.timingOut) return super.query(scope, vector, options);
    if (options.allowPartial) return markPartial([]);
    throw new QueryTimeoutError('the query reached the server’s time limit');
  }
}

const target = targets()[0]!;

describe(`answers cut short (${target.name})`, () => {
  let connection: RedisConnection;
  let prefix: string;
  let keyspace: Keyspace;
  beforeAll(async () => {
    connection = await connectTo(target);
    prefix = uniquePrefix('pa');
    keyspace = new Keyspace(prefix);
  });
  afterAll(async () => {
    await deletePrefix(connection, prefix);
    await connection.close();
  });

  it('a semantic-cache lookup that timed out is a QueryTimeoutError, not a miss, and getOrCompute computes nothing', async () => {
    const index = new TimingOutIndex(connection, keyspace, IndexDefinitionSchema.parse({ namespace: 'semantic-t', dim: 64 }));
    await index.ensure();
    const cache = new SemanticCache(index, new HashingEmbeddings(64), keyspace, new Cache(connection, keyspace, { name: 'semantic-t' }), {
      threshold: 0.8,
    });
    await cache.store('What is the capital of France?', 'Paris');
    index.timingOut = true;
    await expect(cache.lookup('What is the capital of France?')).rejects.toBeInstanceOf(QueryTimeoutError);
    let computed = 0;
    await expect(cache.getOrCompute('What is the capital of France?', () => ++computed)).rejects.toMatchObject({
      code: 'QUERY_TIMEOUT',
      transient: true,
    });
    expect(computed).toBe(0);
    expect(index.asked.every((o) => o.allowPartial !== true)).toBe(true);
    index.timingOut = false;
    expect(await cache.lookup('What is the capital of France?')).toMatchObject({ hit: true, response: 'Paris' });
  });

  it('remember fails typed instead of skipping deduplication, and inserts no copy', async () => {
    const index = new TimingOutIndex(connection, keyspace, IndexDefinitionSchema.parse({ namespace: 'dedupe-t', dim: 64 }));
    await index.ensure();
    const memory = new LongTermMemory(index, new HashingEmbeddings(64), keyspace);
    const ref = { userId: 'alice' };
    expect(await memory.remember(ref, { text: 'Alice drinks green tea' })).toMatchObject({ status: 'inserted' });
    index.timingOut = true;
    await expect(memory.remember(ref, { text: 'Alice drinks green tea' })).rejects.toBeInstanceOf(QueryTimeoutError);
    await expect(memory.rememberMany(ref, [{ text: 'Alice drinks green tea' }, { text: 'Alice lives in Paris' }])).rejects.toBeInstanceOf(
      QueryTimeoutError,
    );
    expect(index.asked.every((o) => o.allowPartial !== true)).toBe(true);
    index.timingOut = false;
    expect(await memory.count(ref)).toBe(1);
    expect(await memory.remember(ref, { text: 'Alice drinks green tea' })).toMatchObject({ status: 'merged' });
    await memory.dropAll();
  });
});
