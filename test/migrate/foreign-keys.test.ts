// Reading and writing keys another library owns, on Redis 8, Redis 7 and the cluster: lists read
// head to tail and replaced atomically with their TTL, hashes found by prefix (glob characters
// taken literally) with binary values intact, and this library's own keys refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../src/connection/connect.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { escapeGlob, readForeignList, replaceForeignList, scanForeignHashes } from '../../src/migrate/foreign-keys.js';
import { connectTo, deletePrefix, targetsWithCluster, uniquePrefix } from '../harness/index.js';

describe('escapeGlob', () => {
  it('escapes exactly the SCAN MATCH glob characters', () => {
    expect(escapeGlob('doc:*?[a]\\x{y}')).toBe('doc:\\*\\?\\[a\\]\\\\x{y}');
  });
});

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('foreign keys (%s)', (_, target) => {
  let connection: RedisConnection;
  let prefix: string;
  const own = 'am';
  beforeAll(async () => {
    connection = await connectTo(target);
    prefix = uniquePrefix('f');
  });
  afterAll(async () => {
    await deletePrefix(connection, prefix);
    await connection.close();
  });

  it('reads a list head to tail, replaces it in one step with a TTL, and refuses this library’s keys', async () => {
    const key = `${prefix}:chat`;
    expect(await readForeignList(connection, own, key)).toEqual([]);
    await connection.send(['LPUSH', key, 'one', 'two'], { key });
    expect(await readForeignList(connection, own, key)).toEqual(['two', 'one']);
    await replaceForeignList(connection, own, key, ['c', 'b', 'a'], { ttlSeconds: 100 });
    expect(await readForeignList(connection, own, key)).toEqual(['c', 'b', 'a']);
    const pttl = await connection.send<number>(['PTTL', key], { key });
    expect(pttl).toBeGreaterThan(90_000);
    await expect(readForeignList(connection, own, 'am:{_:alice}:s:x:msgs')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(replaceForeignList(connection, prefix, key, [])).rejects.toThrow(/under this library's prefix/);
  });

  it('finds hashes by a literal prefix on every shard, with binary fields intact, skipping other types', async () => {
    const base = `${prefix}:doc:i*x:`;
    const blob = Buffer.from(new Float32Array([0.25, -1]).buffer);
    for (let i = 0; i < 12; i++)
      await connection.send(['HSET', `${base}${i}`, 'content', `text ${i}`, 'vec', blob], { key: `${base}${i}` });
    await connection.send(['HSET', `${prefix}:doc:iAx:0`, 'content', 'not under the prefix'], { key: `${prefix}:doc:iAx:0` });
    await connection.send(['SET', `${base}string`, 'x'], { key: `${base}string` });
    const found = [];
    for await (const batch of scanForeignHashes(connection, own, base, ['content', 'vec', 'missing'])) found.push(...batch);
    expect(found.map((h) => h.key).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `${base}${i}`).sort());
    const one = found.find((h) => h.key === `${base}3`)!;
    expect(one.values[0]!.toString()).toBe('text 3');
    expect(one.values[1]!.equals(blob)).toBe(true);
    expect(one.values[2]).toBeNull();
  });
});
