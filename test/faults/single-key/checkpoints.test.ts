// Single-key deletion of each key kind of a checkpoint thread (see shared.ts): every call
// settles, typed, and what a read returns after the loss follows the rule of that key kind
// (README, Checkpointer, eviction): ids/cps/blobs lost, the thread is gone (every read agrees) and
// the next put starts it anew; w lost, the pending writes are gone as a unit; wi lost, nothing is
// (rebuilt from w); registry lost, the thread is listed again after its next put.
import { describe, it } from 'vitest';
import { keysMatching } from '../invariants.js';
import { pick, Probe, redis8, useServers } from './shared.js';

const s = useServers('fkp');

const CHECKPOINT_KINDS = {
  ids: ':ids',
  checkpoints: ':cps',
  blobs: ':blobs',
  writes: ':w',
  'write index': ':wi',
  'thread registry': 'registry',
} as const;
type Kind = keyof typeof CHECKPOINT_KINDS;

/** What each read must show after the loss (the figures line, part by part). */
const EXPECTED: Record<Kind, { latest: string; cp2: string; list: string; threads: boolean }> = {
  ids: { latest: 'nothing', cp2: 'nothing', list: 'empty', threads: false },
  checkpoints: { latest: 'nothing', cp2: 'nothing', list: 'empty', threads: false },
  blobs: { latest: 'nothing', cp2: 'nothing', list: 'empty', threads: false },
  writes: {
    latest: 'cp3 with 1/1 values, 0 writes',
    cp2: 'cp2 with 1/1 values, 0 writes',
    list: 'cp3(1v,0w) cp2(1v,0w) cp1(1v,0w)',
    threads: true,
  },
  'write index': {
    latest: 'cp3 with 1/1 values, 1 writes',
    cp2: 'cp2 with 1/1 values, 0 writes',
    list: 'cp3(1v,1w) cp2(1v,0w) cp1(1v,0w)',
    threads: true,
  },
  // No SCAN per threads() call: a thread whose registry entry is lost is listed after its next put.
  'thread registry': {
    latest: 'cp3 with 1/1 values, 1 writes',
    cp2: 'cp2 with 1/1 values, 0 writes',
    list: 'cp3(1v,1w) cp2(1v,0w) cp1(1v,0w)',
    threads: false,
  },
};

describe.skipIf(!redis8)('faults: single-key deletion, checkpoints (Redis 8)', () => {
  it.each(Object.keys(CHECKPOINT_KINDS) as Kind[])(
    'a thread that loses its %s key: every call settles, typed, and reads follow its rule',
    async (kind) => {
      const probe = new Probe();
      const tenant = `cp-${kind.replace(' ', '-').replace(' ', '-')}`;
      const store = s.memory8.checkpoints({ tenant });
      const thread = 'thread-1';
      const bytes = (s: string) => ({ type: 'json', bytes: Buffer.from(JSON.stringify(s)) });
      // A thread that lost its history starts anew with a checkpoint of its own (no parent): a put
      // continuing a lost parent is refused (test/checkpoint/checkpoint-eviction.test.ts).
      const lost = ['ids', 'checkpoints', 'blobs'].includes(kind);
      const put = (n: number) =>
        store.put(thread, {
          ns: '',
          id: `cp${n}`,
          ...(n > 1 && !(n === 4 && lost) ? { parentId: `cp${n - 1}` } : {}),
          checkpoint: bytes(`c${n}`),
          metadata: bytes(`m${n}`),
          channelVersions: { messages: n },
          values: [{ channel: 'messages', version: n, value: bytes(`v${n}`) }],
        });
      for (let n = 1; n <= 3; n++) await put(n);
      await store.putWrites(thread, '', 'cp3', [{ taskId: 'task', idx: 0, channel: 'messages', taskPath: '', value: bytes('w') }]);
      const keys = await keysMatching(s.admin8, `${s.prefix}:*`);
      const suffix = CHECKPOINT_KINDS[kind];
      const threadTag = `{cp:${tenant}:${Buffer.from(thread).toString('hex')}}`;
      const victim = pick(
        keys,
        (k) => (suffix === 'registry' ? k === `${s.prefix}:cp-threads:${tenant}` : k === `${s.prefix}:${threadTag}${suffix}`),
        kind,
      );
      await s.admin8.send(['UNLINK', victim]);

      const latest = await probe.call('get latest', () => store.get(thread, ''));
      const byId = await probe.call('get cp2', () => store.get(thread, '', 'cp2'));
      const listed: string[] = [];
      await probe.call('list', async () => {
        for await (const c of store.list(thread)) listed.push(`${c.id}(${c.values.length}v,${c.writes.length}w)`);
      });
      const threads: string[] = [];
      await probe.call('threads', async () => {
        for await (const t of store.threads()) threads.push(t);
      });
      for (const c of [latest, byId]) if (c && !['cp1', 'cp2', 'cp3'].includes(c.id)) probe.problems.push(`read back ${c.id}, never put`);
      await probe.call('put cp4', () => put(4));
      await probe.call('putWrites', () =>
        store.putWrites(thread, '', 'cp4', [{ taskId: 'task', idx: 0, channel: 'messages', taskPath: '', value: bytes('w4') }]),
      );
      const fresh = await probe.call('get after put', () => store.get(thread, ''));
      if (fresh && fresh.id !== 'cp4') probe.problems.push(`the newest checkpoint read back is ${fresh.id}, not cp4`);
      const listedAfter: string[] = [];
      await probe.call('list after put', async () => {
        for await (const c of store.list(thread)) listedAfter.push(`${c.id}(${c.values.length}v,${c.writes.length}w)`);
      });
      const threadsAfter: string[] = [];
      await probe.call('threads after put', async () => {
        for await (const t of store.threads()) threadsAfter.push(t);
      });
      await probe.call('prune', () => store.prune(thread, { keepLast: 1 }));
      await probe.call('deleteThread', () => store.deleteThread(thread));
      const left = (await keysMatching(s.admin8, `${s.prefix}:*`)).filter((k) => k.includes(threadTag));
      if (left.length > 0) probe.problems.push(`deleteThread left ${left.join(', ')}`);
      const describe = (c: typeof latest) => (c ? `${c.id} with ${c.values.length}/1 values, ${c.writes.length} writes` : 'nothing');
      probe.notes.unshift(
        `latest: ${describe(latest)}; cp2: ${describe(byId)}; list: ${listed.join(' ') || 'empty'}; listed in threads(): ${threads.length > 0}, after a new put: ${threadsAfter.length > 0}; after put: ${describe(fresh)}; list after put: ${listedAfter.join(' ') || 'empty'}`,
      );

      // The rule of this key kind.
      const want = EXPECTED[kind];
      const seen = { latest: describe(latest), cp2: describe(byId), list: listed.join(' ') || 'empty', threads: threads.length > 0 };
      for (const part of ['latest', 'cp2', 'list', 'threads'] as const) {
        if (seen[part] !== want[part])
          probe.problems.push(`${part} after the loss: ${String(seen[part])}, the rule says ${String(want[part])}`);
      }
      // After the next put: the new checkpoint whole, no leftovers of a lost history, the thread listed.
      if (describe(fresh) !== 'cp4 with 1/1 values, 1 writes') probe.problems.push(`after put: ${describe(fresh)}`);
      const wantAfter = lost
        ? 'cp4(1v,1w)'
        : kind === 'writes'
          ? 'cp4(1v,1w) cp3(1v,0w) cp2(1v,0w) cp1(1v,0w)'
          : 'cp4(1v,1w) cp3(1v,1w) cp2(1v,0w) cp1(1v,0w)';
      if (listedAfter.join(' ') !== wantAfter)
        probe.problems.push(`list after put: ${listedAfter.join(' ') || 'empty'}, the rule says ${wantAfter}`);
      if (!threadsAfter.includes(thread)) probe.problems.push('threads() misses the thread after a new put');

      console.log(probe.line('checkpoints', kind));
      probe.expectClean();
    },
  );
});
