// CheckpointStore at maxmemory (noeviction), on a throwaway Redis 8 and Redis 7 of this file's own:
// a put that would start a lost thread anew, and writes that would rebuild a lost write index, are
// refused with OUT_OF_MEMORY before their first write (the dataset digest is unchanged), and every
// read of such a thread still works (what it deletes needs no memory).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type LocalRedis } from '../../scripts/local-redis.js';
import { connect, type RedisConnection } from '../../src/connection/connect.js';
import { CheckpointStore } from '../../src/checkpoint/checkpoint-store.js';
import { Keyspace } from '../../src/keys.js';
import { OutOfMemoryError, type CheckpointInput } from '../../src/index.js';
import { harness, uniquePrefix } from '../harness/index.js';
import { datasetDigest, setMaxmemory, usedMemory } from '../faults/invariants.js';

const SERVERS = [
  { name: 'redis8', binary: harness().binaries.redis8 },
  { name: 'redis7', binary: harness().binaries.redis7 },
].filter((s) => s.binary !== undefined);

const bytes = (text: string) => ({ type: 'json', bytes: Buffer.from(JSON.stringify(text)) });
const checkpoint = (n: number, big = ''): CheckpointInput => ({
  ns: '',
  id: `cp${n}`,
  checkpoint: bytes(`c${n}`),
  metadata: bytes(`m${n}`),
  channelVersions: { messages: n },
  values: [{ channel: 'messages', version: n, value: bytes(`v${n}${big}`) }],
});
const write = (taskId: string, value: string) => ({ taskId, idx: 0, channel: 'messages', taskPath: '', value: bytes(value) });

describe.each(SERVERS)('CheckpointStore at maxmemory ($name)', ({ binary }) => {
  let server: LocalRedis;
  let connection: RedisConnection;
  const keys = new Keyspace(uniquePrefix('cpm'));
  const store = () => new CheckpointStore(connection, keys);
  beforeAll(async () => {
    server = await startRedis(binary!, ['--maxmemory-policy', 'noeviction', '--enable-debug-command', 'yes']);
    connection = await connect({ url: server.url });
  });
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });
  const atLimit = async () => setMaxmemory(connection, (await usedMemory(connection)) - 64 * 1024);

  it('a put on a thread that lost its checkpoints key is refused before it deletes the leftovers; reads still work', async () => {
    const s = store();
    for (let i = 1; i <= 3; i++) await s.put('lost', checkpoint(i));
    const k = keys.checkpointThread('lost');
    await connection.send(['UNLINK', k.checkpoints]);
    await atLimit();
    const digest = await datasetDigest(connection);
    const error = await s.put('lost', checkpoint(4, 'x'.repeat(1024))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect(await datasetDigest(connection)).toBe(digest);
    // A read at the limit: the thread is gone, and what is left of it goes (UNLINK needs no memory).
    expect(await s.get('lost', '')).toBeUndefined();
    expect(await connection.send<number>(['EXISTS', k.ids, k.blobs])).toBe(0);
    await setMaxmemory(connection, 0);
    await s.put('lost', checkpoint(4));
    expect((await s.get('lost', ''))?.id).toBe('cp4');
  });

  it('writes that would rebuild a lost write index are refused whole; reads still serve every write', async () => {
    const s = store();
    await s.put('wi', checkpoint(1));
    await s.putWrites('wi', '', 'cp1', [write('a', 'a0')]);
    const k = keys.checkpointThread('wi');
    await connection.send(['UNLINK', k.writeIndex]);
    await atLimit();
    const digest = await datasetDigest(connection);
    const error = await s.putWrites('wi', '', 'cp1', [write('b', 'b0')]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect(await datasetDigest(connection)).toBe(digest);
    expect((await s.get('wi', ''))?.writes.map((w) => w.taskId)).toEqual(['a']);
    expect(await s.prune('wi', { keepLast: 1 })).toBe(0);
    await setMaxmemory(connection, 0);
  });
});
