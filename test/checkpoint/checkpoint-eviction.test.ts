// CheckpointStore when Redis evicts key by key (README, Checkpointer, eviction), on Redis 8, Redis
// 7 and the cluster: a thread that lost ids, cps or blobs is gone for every read and starts anew
// on its next put (a put continuing the lost history is refused); w is the one truth of pending
// writes (lost: all of them, each task whole; wi lost: nothing, rebuilt on the next write); the
// registry is repaired by the next put.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/checkpoint-store.js';
import { Keyspace } from '../../src/keys.js';
import { ConflictError, type CheckpointInput, type RedisConnection } from '../../src/index.js';
import { connectTo, deletePrefix, scanKeys, targetsWithCluster, uniquePrefix } from '../harness/index.js';

const bytes = (text: string) => ({ type: 'json', bytes: Buffer.from(JSON.stringify(text)) });

/** Checkpoint n of a chain: `messages` changes every step, `doc` only at the first. */
function checkpoint(n: number, options: { parent?: boolean } = {}): CheckpointInput {
  return {
    ns: '',
    id: `cp${n}`,
    ...(n > 1 && options.parent !== false ? { parentId: `cp${n - 1}` } : {}),
    checkpoint: bytes(`c${n}`),
    metadata: bytes(`m${n}`),
    channelVersions: n === 1 ? { messages: 1, doc: 1 } : { messages: n, doc: 1 },
    values: [
      { channel: 'messages', version: n, value: bytes(`v${n}`) },
      ...(n === 1 ? [{ channel: 'doc', version: 1, value: bytes('doc') }] : []),
    ],
  };
}

const write = (taskId: string, idx: number, value: string) => ({ taskId, idx, channel: 'messages', taskPath: '', value: bytes(value) });

describe.each(targetsWithCluster().map((t) => [t.name, t] as const))('CheckpointStore under eviction (%s)', (_, target) => {
  let connection: RedisConnection;
  const prefix = uniquePrefix('cpe');
  const keys = new Keyspace(prefix);
  let n = 0;
  /** A store of its own tenant and a thread of three checkpoints, cp3 with two tasks' writes. */
  async function thread() {
    const tenant = `t${++n}`;
    const store = new CheckpointStore(connection, keys, { tenant });
    for (let i = 1; i <= 3; i++) await store.put('th', checkpoint(i));
    await store.putWrites('th', '', 'cp3', [write('a', 0, 'a0'), write('a', 1, 'a1')]);
    await store.putWrites('th', '', 'cp3', [write('b', 0, 'b0')]);
    return { store, k: keys.checkpointThread('th', tenant), registry: keys.checkpointThreads(tenant) };
  }
  const lose = (key: string) => connection.send(['UNLINK', key], { key });
  const exists = (key: string) => connection.send<number>(['EXISTS', key], { key });
  const ids = async (store: CheckpointStore) => {
    const found: string[] = [];
    for await (const c of store.list('th'))
      found.push(`${c.id}:${c.values.length}v:${c.writes.map((w) => `${w.taskId}${w.idx}`).join(',')}`);
    return found;
  };
  const threads = async (store: CheckpointStore) => {
    const found: string[] = [];
    for await (const t of store.threads()) found.push(t);
    return found;
  };

  beforeAll(async () => {
    connection = await connectTo(target);
  });
  afterAll(async () => {
    await deletePrefix(connection, prefix);
    await connection.close();
  });

  it.each(['ids', 'checkpoints', 'blobs'] as const)(
    'a thread that lost its %s key is gone for get, get by id, list and threads, and its leftovers go',
    async (kind) => {
      const { store, k } = await thread();
      await lose(k[kind]);
      expect(await store.get('th', '')).toBeUndefined();
      expect(await store.get('th', '', 'cp2')).toBeUndefined();
      expect(await ids(store)).toEqual([]);
      expect(await threads(store)).toEqual([]);
      // The read deleted what was left (UNLINK: no memory needed).
      for (const key of [k.ids, k.checkpoints, k.blobs, k.writes, k.writeIndex]) expect(await exists(key)).toBe(0);
      expect(await store.prune('th', { keepLast: 1 })).toBe(0);
    },
  );

  it('the next put of a lost thread starts it anew: no checkpoint, value or write of the old history comes back', async () => {
    const { store, k } = await thread();
    await lose(k.checkpoints); // ids, blobs (doc v1 among them) and both tasks' writes are left
    await store.put('th', { ...checkpoint(1), id: 'new1' });
    expect(await ids(store)).toEqual(['new1:2v:']);
    expect(await store.get('th', '', 'cp3')).toBeUndefined();
    expect(await connection.send<number>(['HLEN', k.writes], { key: k.writes })).toBe(0);
    expect(await threads(store)).toEqual(['th']);
  });

  it('a put that continues a lost parent and relies on its channel values is refused (CONFLICT) and writes nothing', async () => {
    const { store, k } = await thread();
    await lose(k.blobs); // doc v1 went with it: cp4 would come back without `doc`
    const before = await scanKeys(connection, `${prefix}:*`);
    const error = await store.put('th', checkpoint(4)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).code).toBe('CONFLICT');
    expect((await scanKeys(connection, `${prefix}:*`)).sort()).toEqual(before.sort());
    expect(await store.get('th', '')).toBeUndefined();
    // Carrying every value it lists, the same checkpoint is whole and starts the thread anew.
    const whole = checkpoint(4);
    await store.put('th', { ...whole, values: [...whole.values, { channel: 'doc', version: 1, value: bytes('doc') }] });
    expect(await ids(store)).toEqual(['cp4:2v:']);
  });

  it('a new thread may name a parent it does not hold when it carries every value it lists', async () => {
    const store = new CheckpointStore(connection, keys, { tenant: `t${++n}` });
    await store.put('th', { ...checkpoint(1), id: 'cp7', parentId: 'elsewhere' });
    expect((await store.get('th', ''))?.parentId).toBe('elsewhere');
  });

  it('a lost write index loses nothing: writes are read from w, and the next write rebuilds the index', async () => {
    const { store, k } = await thread();
    await lose(k.writeIndex);
    expect(await ids(store)).toEqual(['cp3:2v:a0,a1,b0', 'cp2:2v:', 'cp1:2v:']);
    expect(await store.putWrites('th', '', 'cp2', [write('c', 0, 'c0')])).toBe(1);
    expect(await connection.send<number>(['ZCARD', k.writeIndex], { key: k.writeIndex })).toBe(4);
    expect(await ids(store)).toEqual(['cp3:2v:a0,a1,b0', 'cp2:2v:c0', 'cp1:2v:']);
  });

  it('a lost w drops every pending write at once (never part of a task), and the stale index goes with the next write', async () => {
    const { store, k } = await thread();
    await lose(k.writes);
    expect(await ids(store)).toEqual(['cp3:2v:', 'cp2:2v:', 'cp1:2v:']);
    // Task a runs again (LangGraph re-runs a task without writes): stored whole, beside nothing stale.
    expect(await store.putWrites('th', '', 'cp3', [write('a', 0, 'a0'), write('a', 1, 'a1')])).toBe(2);
    expect(await ids(store)).toEqual(['cp3:2v:a0,a1', 'cp2:2v:', 'cp1:2v:']);
    expect(await connection.send<number>(['ZCARD', k.writeIndex], { key: k.writeIndex })).toBe(2);
  });

  it('prune after a lost write index still deletes the pruned checkpoints’ writes', async () => {
    const { store, k } = await thread();
    await store.put('th', checkpoint(4));
    await lose(k.writeIndex);
    expect(await store.prune('th', { keepLast: 1 })).toBe(3);
    expect(await connection.send<number>(['HLEN', k.writes], { key: k.writes })).toBe(0);
    expect(await ids(store)).toEqual(['cp4:2v:']);
  });

  it('writes that arrive before the put of their checkpoint are kept and served with it (LangGraph may send them first)', async () => {
    const store = new CheckpointStore(connection, keys, { tenant: `t${++n}` });
    expect(await store.putWrites('th', '', 'cp1', [write('a', 0, 'a0')])).toBe(1);
    await store.put('th', checkpoint(1));
    expect(await ids(store)).toEqual(['cp1:2v:a0']);
  });

  it('a lost registry lists a live thread again after its next put', async () => {
    const { store, registry } = await thread();
    await lose(registry);
    expect(await threads(store)).toEqual([]); // no SCAN per call: said in the README
    await store.put('th', checkpoint(4));
    expect(await threads(store)).toEqual(['th']);
    expect(await ids(store)).toEqual(['cp4:2v:', 'cp3:2v:a0,a1,b0', 'cp2:2v:', 'cp1:2v:']);
  });
});
