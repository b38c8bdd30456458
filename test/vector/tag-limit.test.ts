// One tag-value limit on every engine, in UTF-8 bytes (MAX_TAG_BYTES = 2,048: RediSearch cannot
// match a TAG over 4,096 bytes and values are stored hex-encoded). At the limit a value is stored
// and matched; one byte over it is refused the same way everywhere (InvalidArgumentError, nothing
// written), on write and in filters. Runs on every engine this machine has, RediSearch with REDISEARCH_URL.
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { LongTermMemory } from '../../src/memory/long-term-memory.js';
import { MAX_TAG_BYTES, parseFilter } from '../../src/vector/filter.js';
import type { Scope, VectorIndex } from '../../src/vector/types.js';
import { enginesHere, useEngine } from './engines-here.js';

const FIELDS = { lang: 'tag' } as const;
const atLimitAscii = 'a'.repeat(MAX_TAG_BYTES);
const atLimitCjk = `${'語'.repeat(682)}ab`; // 682 × 3 + 2 = 2,048 bytes
const overCjk = '語'.repeat(683); // 2,049 bytes: what matched nothing on RediSearch
const overAscii = 'a'.repeat(MAX_TAG_BYTES + 1);

describe('the tag limit in filters (pure)', () => {
  it('counts UTF-8 bytes, not characters', () => {
    expect(Buffer.byteLength(atLimitCjk)).toBe(MAX_TAG_BYTES);
    expect(Buffer.byteLength(overCjk)).toBe(MAX_TAG_BYTES + 1);
    expect(() => parseFilter({ field: 'lang', eq: atLimitAscii }, FIELDS)).not.toThrow();
    expect(() => parseFilter({ field: 'lang', in: ['x', atLimitCjk] }, FIELDS)).not.toThrow();
    for (const value of [overAscii, overCjk, '🙂'.repeat(513)]) {
      expect(() => parseFilter({ field: 'lang', eq: value }, FIELDS)).toThrow(InvalidArgumentError);
      expect(() => parseFilter({ field: 'lang', in: ['x', value] }, FIELDS)).toThrow(/at most 2048 UTF-8 bytes/);
    }
    expect(() => parseFilter({ field: 'lang', eq: '' }, FIELDS)).toThrow(/must not be empty/);
  });
});

for (const here of enginesHere()) {
  describe(`the tag limit on write: ${here.engine} on ${here.target.name}`, () => {
    const on = useEngine(here, 'tl');
    let index: VectorIndex;
    const scope: Scope = { tag: '{t:u}', token: Buffer.from('{t:u}').toString('hex') };
    beforeAll(async () => {
      if (on.skipped) return;
      index = on.make({ namespace: 'tags', dim: 4, fields: FIELDS });
      await index.ensure();
    });

    it('stores and matches values of exactly the limit (ASCII and CJK)', async () => {
      await index.upsert(scope, [
        { id: 'ascii', vector: [1, 0, 0, 0], tags: { lang: [atLimitAscii] }, payload: '"a"' },
        { id: 'cjk', vector: [0, 1, 0, 0], tags: { lang: [atLimitCjk, 'zh'] }, payload: '"c"' },
      ]);
      expect(
        (
          await index.query(scope, [1, 0, 0, 0], { k: 5, filter: parseFilter({ field: 'lang', eq: atLimitAscii }, FIELDS), exact: true })
        ).map((h) => h.id),
      ).toEqual(['ascii']);
      expect(
        (await index.query(scope, [1, 0, 0, 0], { k: 5, filter: parseFilter({ field: 'lang', eq: atLimitCjk }, FIELDS), exact: true })).map(
          (h) => h.id,
        ),
      ).toEqual(['cjk']);
      expect(await index.ids(scope, parseFilter({ field: 'lang', in: [atLimitCjk] }, FIELDS))).toEqual(['cjk']);
    });

    it('refuses a value one byte over it, naming the item and field, and writes nothing of the batch', async () => {
      const before = await index.count(scope);
      const writing = index.upsert(scope, [
        { id: 'fine', vector: [0, 0, 1, 0], tags: { lang: ['en'] }, payload: '"f"' },
        { id: 'over', vector: [0, 0, 0, 1], tags: { lang: ['en', overCjk] }, payload: '"o"' },
      ]);
      await expect(writing).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(writing).rejects.toThrow(/item over: tags\.lang\.1: a tag value may be at most 2048 UTF-8 bytes; this one is 2049/);
      expect(await index.count(scope)).toBe(before);
      expect(await index.get(scope, ['fine', 'over'])).toEqual([null, null]);
    });

    it('long-term memory refuses an over-long metadata tag before writing', async () => {
      const ltm = new LongTermMemory(index, new HashingEmbeddings(4), on.keyspace);
      const ref = { tenant: 't', userId: 'u2' };
      await expect(ltm.remember(ref, { text: 'a fact', metadata: { lang: overAscii } })).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await ltm.count(ref)).toBe(0);
      await expect(ltm.remember(ref, { text: 'a fact', metadata: { lang: atLimitAscii } })).resolves.toMatchObject({ status: 'inserted' });
      await ltm.forgetScope(ref);
    });
  });
}
