// The script gateways are pure builders: each row of cases.ts must produce exactly its KEYS and
// ARGV (order included), and the decoders turn replies into their named shapes.
import { describe, expect, it } from 'vitest';
import { Keyspace } from '../../src/keys.js';
import {
  decodeSessionList,
  decodeSessionCheck,
  decodeSessionRead,
  decodeSessionReadScript,
  ReadSkips,
  type SessionTarget,
  sessionCheckCommands,
  sessionReadCommands,
} from '../../src/scripts/session.js';
import { decodeStoreRead, decodeStoreWrite } from '../../src/scripts/store.js';
import { decodeVectorRead, decodeVectorScan } from '../../src/scripts/vector.js';
import { decodeCheckpointRead } from '../../src/scripts/checkpoint.js';
import { CASES } from './cases.js';

describe('script gateways: exact KEYS and ARGV', () => {
  it.each(CASES.map((c) => [c.title, c] as const))('%s', (_, c) => {
    expect(c.call.script.name).toBe(c.script);
    expect(c.call.keys).toEqual(c.keys);
    expect(c.call.args).toEqual(c.args);
    expect(c.call.buffers === true).toBe(c.buffers === true);
  });
});

function sessionTarget(): SessionTarget {
  const user = new Keyspace('am').user({ tenant: 't', userId: 'u' });
  return {
    keys: user.session('s1'),
    index: user.sessions,
    sessionId: 's1',
    ttl: { mode: 'sliding', seconds: 1 },
    ttlExplicit: false,
    events: { stream: 'am:ev:{x}', maxLen: undefined, tenant: 't', userId: 'u' },
  };
}

describe('script gateways: reply decoding', () => {
  it('session read: the plain commands after session-open-7, exactly, for every part and for none', () => {
    const t = sessionTarget();
    const k = t.keys;
    expect(sessionReadCommands(t, { from: -10, to: -1, meta: true, state: true, tool: '*', pending: true })).toEqual([
      ['LRANGE', k.messages, '-10', '-1'],
      ['LLEN', k.messages],
      ['HRANDFIELD', k.meta, '2147483647', 'WITHVALUES'],
      ['PTTL', k.meta],
      ['HRANDFIELD', k.state, '2147483647', 'WITHVALUES'],
      ['HRANDFIELD', k.tools, '2147483647', 'WITHVALUES'],
      ['LRANGE', k.pending, '0', '-1'],
    ]);
    expect(sessionReadCommands(t, { tool: 'call-1' })).toEqual([
      ['LLEN', k.messages],
      ['HGET', k.tools, 'call-1'],
    ]);
    expect(sessionReadCommands(t, {})).toEqual([['LLEN', k.messages]]);
  });

  it('session read: null for a gone session whatever the reads returned, maps for the hashes', () => {
    const all = { from: -10, to: -1, meta: true, state: true, tool: '*', pending: true };
    expect(decodeSessionRead(all, false, [['leftover'], 1, [], -2, [], [], []])).toBeNull();
    const r = decodeSessionRead(all, true, [['m'], 3, [['summary', 'S']], 500, ['a', '1'], [], ['p']]);
    expect(r).toEqual({
      messages: ['m'],
      length: 3,
      meta: new Map([['summary', 'S']]),
      pttl: 500,
      state: new Map([['a', '1']]),
      tools: new Map(),
      pending: ['p'],
    });
    expect(decodeSessionRead({ tool: 'c' }, true, [0, null])).toMatchObject({ messages: [], length: 0, tools: new Map(), pttl: -1 });
    expect(decodeSessionRead({ tool: 'c' }, true, [0, '"ok"'])!.tools).toEqual(new Map([['c', '"ok"']]));
  });

  it('session check (a read that skips the script): the commands, and whole-or-gone read as load_session reads it', () => {
    const t = sessionTarget();
    const k = t.keys;
    expect(sessionCheckCommands(t)).toEqual([
      ['HMGET', k.meta, 'ttl_mode', 'ttl_ms', 'n_msgs', 'n_pending', 'n_tools', 'state_bytes', 'idem'],
      ['PTTL', k.meta],
      ['EXISTS', k.messages],
      ['EXISTS', k.state],
      ['EXISTS', k.tools],
      ['EXISTS', k.idempotency],
      ['EXISTS', k.pending],
    ]);
    // fields: mode, ttl, n_msgs, n_pending, n_tools, state_bytes, idem; then PTTL; then EXISTS of msgs, state, tools, idem, pending
    const meta = (over: Partial<Record<number, string | null>> = {}) =>
      Object.assign(['sliding', '1000', '2', '0', '0', '0', '5'], over) as (string | null)[];
    expect(decodeSessionCheck([meta(), 900, 1, 0, 0, 1, 0])).toEqual({ mode: 'sliding', ttlMs: 1000, remainingMs: 900 });
    expect(decodeSessionCheck([meta({ 0: null }), -2, 1, 0, 0, 1, 0])).toBeNull(); // meta gone
    expect(decodeSessionCheck([meta(), 900, 0, 0, 0, 1, 0])).toBeNull(); // messages expected, gone
    expect(decodeSessionCheck([meta(), 900, 1, 0, 0, 0, 0])).toBeNull(); // idempotency set expected, gone
    expect(decodeSessionCheck([meta({ 4: '1' }), 900, 1, 0, 0, 1, 0])).toBeNull(); // tool results expected, gone
    expect(decodeSessionCheck([meta({ 2: '0', 6: null }), -1, 0, 1, 1, 1, 1])).toEqual({ mode: 'sliding', ttlMs: 1000, remainingMs: -1 }); // leftovers nobody expects
  });

  it('read skips: none for a session never read; until the sliding deadline is due again; forever for fixed', () => {
    const skips = new ReadSkips(2);
    expect(skips.get('m1')).toBeUndefined();
    const now = performance.now();
    skips.remember('m1', { mode: 'sliding', ttlMs: 100_000, remainingMs: 100_000 }, now); // just moved: due in 1 s
    expect(skips.get('m1')).toEqual(expect.objectContaining({ mode: 'sliding', ttlMs: 100_000 }));
    skips.remember('m2', { mode: 'sliding', ttlMs: 100_000, remainingMs: 99_000 - 1 }, now); // due already
    expect(skips.get('m2')).toBeUndefined();
    skips.remember('m3', { mode: 'fixed', ttlMs: 5000, remainingMs: -1 }, now - 1e9);
    expect(skips.get('m3')).toEqual(expect.objectContaining({ mode: 'fixed' }));
  });

  it('session-read-7 (the one-script read): null for a missing session, maps for the hashes', () => {
    expect(decodeSessionReadScript([0])).toBeNull();
    expect(decodeSessionReadScript([1, ['m'], 3, ['summary', 'S'], 500, ['a', '1'], [], ['p']])).toEqual({
      messages: ['m'],
      length: 3,
      meta: new Map([['summary', 'S']]),
      pttl: 500,
      state: new Map([['a', '1']]),
      tools: new Map(),
      pending: ['p'],
    });
  });

  it('session-list: null when the index must be rebuilt, else rows', () => {
    expect(decodeSessionList([-1])).toBeNull();
    expect(decodeSessionList([1, ['s1', ['created', '5'], 2, -1]])).toEqual({
      total: 1,
      sessions: [{ sessionId: 's1', meta: new Map([['created', '5']]), messageCount: 2, pttl: -1 }],
    });
  });

  it('store-write: emptiness, state and the vectors each document had', () => {
    expect(decodeStoreWrite([1, 0, 2, 'v1', 0, null])).toEqual({
      wasEmpty: true,
      state: 0,
      before: [
        { vectorCount: 2, vectorVersion: 'v1' },
        { vectorCount: 0, vectorVersion: '' },
      ],
    });
  });

  it('store-read: rows of 9 values, a missing document as nulls', () => {
    const reply = decodeStoreRead([
      -1,
      1,
      'd1',
      'k1',
      '{}',
      '10',
      '20',
      null,
      '0',
      null,
      null,
      'd2',
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(reply.next).toBe(-1);
    expect(reply.indexLost).toBe(true);
    expect(reply.rows[0]).toEqual({
      id: 'd1',
      key: 'k1',
      value: '{}',
      created: 10,
      updated: 20,
      ttlMs: null,
      vectorCount: 0,
      vectorVersion: '',
      deadline: null,
    });
    expect(reply.rows[1]!.key).toBeNull();
  });

  it('checkpoint-read: examined, then rows of four', () => {
    const b = Buffer.from('x');
    expect(decodeCheckpointRead([7, b, b, [b, b], [null]])).toEqual({
      examined: 7,
      rows: [{ member: b, record: b, blobs: [b, b], writes: [null] }],
    });
  });

  it('vector replies: read with and without stats, scan rows', () => {
    expect(decodeVectorRead(['p', null], false)).toEqual([
      { payload: 'p', count: null, lastAt: null },
      { payload: null, count: null, lastAt: null },
    ]);
    expect(decodeVectorRead(['p', '3', '99', null, null, null], true)).toEqual([
      { payload: 'p', count: 3, lastAt: 99 },
      { payload: null, count: null, lastAt: null },
    ]);
    expect(decodeVectorScan(['a', 'x', 'y', 'b', null, 'z'], 2)).toEqual([
      { id: 'a', values: ['x', 'y'] },
      { id: 'b', values: [null, 'z'] },
    ]);
  });
});
