// One table of gateway calls and the exact KEYS and ARGV each must produce (the wire format of
// every Lua script, as its header documents it). gateways.test.ts checks each row; headers.test.ts
// checks the table covers every script and agrees with each header's key count.
import { Keyspace } from '../../src/keys.js';
import type { ScriptCall } from '../../src/scripts/call.js';
import * as cache from '../../src/scripts/cache.js';
import * as checkpoint from '../../src/scripts/checkpoint.js';
import * as events from '../../src/scripts/events.js';
import * as lease from '../../src/scripts/lease.js';
import * as session from '../../src/scripts/session.js';
import * as store from '../../src/scripts/store.js';
import * as vector from '../../src/scripts/vector.js';

export interface GatewayCase {
  /** What the row shows. */
  title: string;
  call: ScriptCall;
  script: string;
  keys: string[];
  args: (string | Buffer)[];
  buffers?: boolean;
}

const ks = new Keyspace('am');
const user = ks.user({ tenant: 't', userId: 'u' });
const s = user.session('s1');
const SESSION_KEYS = [
  'am:{t:u}:s:s1:msgs',
  'am:{t:u}:s:s1:meta',
  'am:{t:u}:s:s1:state',
  'am:{t:u}:s:s1:tools',
  'am:{t:u}:s:s1:idem',
  'am:{t:u}:s:s1:pending',
  'am:{t:u}:sessions',
];
const target: session.SessionTarget = {
  keys: s,
  index: user.sessions,
  sessionId: 's1',
  ttl: { mode: 'sliding', seconds: 1.0001 },
  ttlExplicit: false,
  events: { stream: 'am:ev:{x}', maxLen: undefined, tenant: 't', userId: 'u' },
};
const COMMON = ['s1', 'sliding', '1001', '0'];
/** The scripts that publish: the event stream after the session's keys, and ARGV[5..7] (here: events off). */
const PUBLISHING_KEYS = [...SESSION_KEYS, 'am:ev:{x}'];
const QUIET = ['', 't', 'u'];

// Cache id 'AAAA…' lands in shard 0 of 4.
const c = ks.cache('c1', 4);
const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const TAG = 'BBBBBBBBBBBBBBBBBBBBBB';
const header = Buffer.from([1, 2, 3]);
const body = Buffer.from('body');

const thread = ks.checkpointThread('th');
const THREAD_KEYS = [thread.ids, thread.checkpoints, thread.blobs, thread.writes, thread.writeIndex];
const record = Buffer.from('{"p":null}\nxyz');
const blob = Buffer.from('json\n1');

const ds = ks.documentStore('default');
const ns = ds.namespace('ZW');
const NS_KEYS = [ns.documents, ns.plain, ns.expiries, ns.meta];

const scope = ks.vector('ns').scope('{t:u}');
const SCOPE_KEYS = ['am:ltm:ns:{t:u}:ids', 'am:ltm:ns:{t:u}:vs', 'am:ltm:ns:{t:u}:acc-n', 'am:ltm:ns:{t:u}:acc-at'];
const ITEM_PREFIX = 'am:ltm:ns:{t:u}:i:';

export const CASES: GatewayCase[] = [
  // ——— session ———
  {
    title: 'append: window, trim mode, idempotency, then (dedupe id, JSON) pairs',
    call: session.sessionAppendCall(target, {
      maxMessages: 50,
      trimmed: 'summarize',
      idempotencyWindow: 1000,
      idempotencyKey: 'req-1',
      messages: [
        { dedupeId: 'm1', id: 'm1', json: '{"a":1}' },
        { dedupeId: '', id: 'gen-2', json: '{"b":2}' },
      ],
    }),
    script: 'session-append-8',
    keys: PUBLISHING_KEYS,
    args: [...COMMON, ...QUIET, '50', 'summarize', '1000', 'req-1', '2', 'm1', 'm1', '{"a":1}', '', 'gen-2', '{"b":2}'],
  },
  {
    title: 'append without idempotency key',
    call: session.sessionAppendCall(target, {
      maxMessages: 0,
      trimmed: 'drop',
      idempotencyWindow: 1,
      messages: [{ dedupeId: '', id: 'gen-1', json: '{}' }],
    }),
    script: 'session-append-8',
    keys: PUBLISHING_KEYS,
    args: [...COMMON, ...QUIET, '0', 'drop', '1', '', '1', '', 'gen-1', '{}'],
  },
  {
    title: 'append with events on: the cap, tenant and user in ARGV[5..7]',
    call: session.sessionAppendCall(
      { ...target, events: { stream: 'am:ev:{x}', maxLen: 5000, tenant: 't', userId: 'u' } },
      { maxMessages: 0, trimmed: 'drop', idempotencyWindow: 1, messages: [{ dedupeId: '', id: 'gen-1', json: '{}' }] },
    ),
    script: 'session-append-8',
    keys: PUBLISHING_KEYS,
    args: [...COMMON, '5000', 't', 'u', '0', 'drop', '1', '', '1', '', 'gen-1', '{}'],
  },
  {
    title: 'open (a read): the session and its TTL policy, nothing else (the reads are plain commands)',
    call: session.sessionOpenCall(target),
    script: 'session-open-7',
    keys: SESSION_KEYS,
    args: COMMON,
  },
  {
    title: 'read in one script (at maxmemory where a MULTI is refused): a message range with every part',
    call: session.sessionReadCall(target, { from: -10, to: -1, meta: true, state: true, tool: '*', pending: true }),
    script: 'session-read-7',
    keys: SESSION_KEYS,
    args: [...COMMON, '-10', '-1', '1', '1', '*', '1'],
  },
  {
    title: 'read in one script: nothing but the length (no messages)',
    call: session.sessionReadCall(target, {}),
    script: 'session-read-7',
    keys: SESSION_KEYS,
    args: [...COMMON, '', '-1', '0', '0', '', '0'],
  },
  {
    title: 'write: a tool result',
    call: session.sessionWriteCall(target, { toolResult: { toolCallId: 'call-1', json: '"ok"' } }),
    script: 'session-write-7',
    keys: SESSION_KEYS,
    args: [...COMMON, 'call-1', '"ok"', '0'],
  },
  {
    title: 'write: metadata set and removed',
    call: session.sessionWriteCall(target, {
      metadata: {
        set: [
          ['a', '1'],
          ['b', '"x"'],
        ],
        remove: ['c'],
      },
    }),
    script: 'session-write-7',
    keys: SESSION_KEYS,
    args: [...COMMON, '', '', '2', 'a', '1', 'b', '"x"', 'c'],
  },
  {
    title: 'write: only an explicit TTL policy (fixed TTLs never round to 0 ms)',
    call: session.sessionWriteCall({ ...target, ttl: { mode: 'fixed', seconds: 0.0001 }, ttlExplicit: true }, {}),
    script: 'session-write-7',
    keys: SESSION_KEYS,
    args: ['s1', 'fixed', '1', '1', '', '', '0'],
  },
  {
    title: 'write-state: patch with compare-and-set',
    call: session.sessionWriteStateCall(
      { ...target, ttl: { mode: 'none' } },
      { mode: 'patch', expectedVersion: 3, maxBytes: 1024, set: [['step', '2']], remove: ['old'] },
    ),
    script: 'session-write-state-8',
    keys: PUBLISHING_KEYS,
    args: ['s1', 'none', '0', '0', ...QUIET, 'patch', '3', '1024', '1', 'step', '2', 'old'],
  },
  {
    title: 'write-state: replace at any version',
    call: session.sessionWriteStateCall(target, { mode: 'replace', maxBytes: 10, set: [], remove: [] }),
    script: 'session-write-state-8',
    keys: PUBLISHING_KEYS,
    args: [...COMMON, ...QUIET, 'replace', '', '10', '0'],
  },
  {
    title: 'commit-summary: expected version, covered count, text',
    call: session.sessionCommitSummaryCall(target, { expectedVersion: '4', covers: 12, summary: 'so far' }),
    script: 'session-commit-summary-7',
    keys: SESSION_KEYS,
    args: [...COMMON, '4', '12', 'so far'],
  },
  {
    title: 'clear: messages',
    call: session.sessionClearCall(target, 'messages'),
    script: 'session-clear-8',
    keys: PUBLISHING_KEYS,
    args: [...COMMON, ...QUIET, 'messages'],
  },
  {
    title: 'clear: the whole session',
    call: session.sessionClearCall(target, 'session'),
    script: 'session-clear-8',
    keys: PUBLISHING_KEYS,
    args: [...COMMON, ...QUIET, 'session'],
  },
  {
    title: 'list: a page of the index',
    call: session.sessionListCall(user, { offset: 20, limit: 10 }),
    script: 'session-list-1',
    keys: ['am:{t:u}:sessions'],
    args: ['am:{t:u}:s:', '20', '10'],
  },
  {
    title: 'list: the ids a SCAN found',
    call: session.sessionListCall(user, { offset: 0, limit: 5, ids: ['a', 'b'] }),
    script: 'session-list-1',
    keys: ['am:{t:u}:sessions'],
    args: ['am:{t:u}:s:', '0', '5', 'a', 'b'],
  },
  {
    title: 'index-rebuild: empty-index TTL, then the ids found',
    call: session.sessionIndexRebuildCall(user, { emptyIndexTtlMs: 86_400_000, ids: ['a'] }),
    script: 'session-index-rebuild-1',
    keys: ['am:{t:u}:sessions'],
    args: ['am:{t:u}:s:', '86400000', 'a'],
  },
  // ——— events ———
  {
    title: 'events forget: the stream, then tenant and user',
    call: events.eventsForgetCall('am:ev:{x}', { tenant: 't', userId: 'u' }),
    script: 'events-forget-1',
    keys: ['am:ev:{x}'],
    args: ['t', 'u'],
  },
  {
    title: 'events idle: watch, stream, meta; then member, quiet ms, cap, tenant, user, session',
    call: events.eventsIdleCall(
      {
        watch: 'am:ev:{x}:idle',
        stream: 'am:ev:{x}',
        maxLen: 10_000,
        meta: 'am:{t:u}:s:s1:meta',
        member: '["t","u","s1"]',
        tenant: 't',
        userId: 'u',
        sessionId: 's1',
      },
      400,
    ),
    script: 'events-idle-3',
    keys: ['am:ev:{x}:idle', 'am:ev:{x}', 'am:{t:u}:s:s1:meta'],
    args: ['["t","u","s1"]', '400', '10000', 't', 'u', 's1'],
  },
  // ——— lease ———
  {
    title: 'lease: the key, then operation, token and TTL in whole ms',
    call: lease.leaseCall('am:tier:{menu}:refresh', 'take', 'tok', 1500.2),
    script: 'lease-1',
    keys: ['am:tier:{menu}:refresh'],
    args: ['take', 'tok', '1501'],
  },
  // ——— cache ———
  {
    title: 'read: entry and generation keys of the tags, prefixes of the shard',
    call: cache.cacheReadCall(c, { id: ID, tagIds: [TAG], slidingTtlMs: 5000, newGeneration: 'G', generationTtlMs: 7000 }),
    script: 'cache-read-n',
    keys: [`am:c:{c1:0}:e:${ID}`, `am:c:{c1:0}:g:${TAG}`],
    args: ['am:c:{c1:0}:g:', 'am:c:{c1:0}:t:', '5000', 'G', '7000'],
    buffers: true,
  },
  {
    title: 'read: a plain get (no tags)',
    call: cache.cacheReadCall(c, { id: ID, tagIds: [], slidingTtlMs: 0, newGeneration: 'G', generationTtlMs: 0 }),
    script: 'cache-read-n',
    keys: [`am:c:{c1:0}:e:${ID}`],
    args: ['am:c:{c1:0}:g:', 'am:c:{c1:0}:t:', '0', 'G', '0'],
    buffers: true,
  },
  {
    title: 'lock: entry, lock, generation keys',
    call: cache.cacheLockCall(c, { id: ID, tagIds: [TAG], token: 'tok', lockTtlMs: 10_000, newGeneration: 'G', generationTtlMs: 0 }),
    script: 'cache-lock-n',
    keys: [`am:c:{c1:0}:e:${ID}`, `am:c:{c1:0}:l:${ID}`, `am:c:{c1:0}:g:${TAG}`],
    args: ['tok', '10000', 'am:c:{c1:0}:g:', 'G', '0'],
    buffers: true,
  },
  {
    title: 'fill: per tag its set and generation key; per tag its id and the generation seen',
    call: cache.cacheFillCall(c, {
      id: ID,
      header,
      body,
      ttlMs: 60_000,
      token: 'tok',
      storedMessage: 'S',
      failedMessage: 'F',
      newGeneration: 'G',
      tags: [{ id: TAG, seen: 'g0' }],
    }),
    script: 'cache-fill-n',
    keys: [`am:c:{c1:0}:e:${ID}`, `am:c:{c1:0}:l:${ID}`, `am:c:{c1:0}:t:${TAG}`, `am:c:{c1:0}:g:${TAG}`],
    args: ['fill', header, body, '60000', 'tok', 'am:c:c1:events', 'S', 'F', 'G', TAG, 'g0'],
  },
  {
    title: 'fill as fail: releases the lock, stores nothing',
    call: cache.cacheFailCall(c, { id: ID, token: 'tok', message: 'F' }),
    script: 'cache-fill-n',
    keys: [`am:c:{c1:0}:e:${ID}`, `am:c:{c1:0}:l:${ID}`],
    args: ['fail', '', '', '0', 'tok', 'am:c:c1:events', '', 'F', ''],
  },
  {
    title: 'delete: the entry and its event stream; channel, message, no cap (events off), cache, ids',
    call: cache.cacheDeleteCall(c, { id: ID, message: 'D', cache: 'c1', events: { stream: 'am:ev:{x}', maxLen: undefined } }),
    script: 'cache-delete-2',
    keys: [`am:c:{c1:0}:e:${ID}`, 'am:ev:{x}'],
    args: ['am:c:c1:events', 'D', '', 'c1', `["${ID}"]`],
  },
  {
    title: 'delete with events on: the cap in ARGV[3]',
    call: cache.cacheDeleteCall(c, { id: ID, message: 'D', cache: 'c1', events: { stream: 'am:ev:{x}', maxLen: 5000 } }),
    script: 'cache-delete-2',
    keys: [`am:c:{c1:0}:e:${ID}`, 'am:ev:{x}'],
    args: ['am:c:c1:events', 'D', '5000', 'c1', `["${ID}"]`],
  },
  {
    title: "invalidate-tag: one shard's tag set, generation and event stream; no cap (no event here)",
    call: cache.cacheInvalidateTagCall(c, {
      tagId: TAG,
      shard: 3,
      message: 'T',
      cache: 'c1',
      events: { stream: 'am:ev:{x}', maxLen: undefined },
    }),
    script: 'cache-invalidate-tag-3',
    keys: [`am:c:{c1:3}:t:${TAG}`, `am:c:{c1:3}:g:${TAG}`, 'am:ev:{x}'],
    args: [TAG, 'am:c:c1:events', 'T', '', 'c1'],
  },
  {
    title: "invalidate-tag writing the event (the tag's own shard): the cap in ARGV[4]",
    call: cache.cacheInvalidateTagCall(c, {
      tagId: TAG,
      shard: 3,
      message: 'T',
      cache: 'c1',
      events: { stream: 'am:ev:{x}', maxLen: 5000 },
    }),
    script: 'cache-invalidate-tag-3',
    keys: [`am:c:{c1:3}:t:${TAG}`, `am:c:{c1:3}:g:${TAG}`, 'am:ev:{x}'],
    args: [TAG, 'am:c:c1:events', 'T', '5000', 'c1'],
  },
  // ——— checkpoint ———
  {
    title: 'put: member, record, TTL, then blob pairs',
    call: checkpoint.checkpointPutCall(thread, {
      member: '00:01',
      record,
      ttl: { ms: 5000, mode: 'sliding' },
      blobs: [['00:63:31', blob]],
    }),
    script: 'checkpoint-put-5',
    keys: THREAD_KEYS,
    args: ['00:01', record, '5000', 'sliding', '00:63:31', blob],
  },
  {
    title: 'put-writes: TTL, then (field, value, replace) triples',
    call: checkpoint.checkpointPutWritesCall(thread, {
      ttl: { ms: 0, mode: 'none' },
      writes: [
        { field: 'f1', value: blob, replace: false },
        { field: 'f2', value: blob, replace: true },
      ],
    }),
    script: 'checkpoint-put-writes-5',
    keys: THREAD_KEYS,
    args: ['0', 'none', 'f1', blob, '0', 'f2', blob, '1'],
  },
  {
    title: 'read: namespace, bounds, paging, refresh',
    call: checkpoint.checkpointReadCall(thread, { ns: '*', only: '', before: 'ab', offset: 32, count: 32, refreshMs: 0 }),
    script: 'checkpoint-read-5',
    keys: THREAD_KEYS,
    args: ['*', '', 'ab', '32', '32', '0'],
    buffers: true,
  },
  {
    title: 'prune: namespace and how many to keep',
    call: checkpoint.checkpointPruneCall(thread, { ns: '6e73', keepLast: 3 }),
    script: 'checkpoint-prune-5',
    keys: THREAD_KEYS,
    args: ['6e73', '3'],
  },
  // ——— document store ———
  {
    title: 'write: prefix, path, then 7 values per operation',
    call: store.storeWriteCall(ns, {
      path: '["a"]',
      operations: [
        { op: 'put', id: 'd1', key: 'k1', value: '{"x":1}', ttlMs: 1000, vectorCount: 2, vectorVersion: 'v1' },
        { op: 'del', id: 'd2', key: 'k2', value: '', ttlMs: null, vectorCount: 0, vectorVersion: '' },
      ],
    }),
    script: 'store-write-4',
    keys: NS_KEYS,
    args: [ns.documentPrefix, '["a"]', 'put', 'd1', 'k1', '{"x":1}', '1000', '2', 'v1', 'del', 'd2', 'k2', '', '', '0', ''],
  },
  {
    title: 'write with no operation (settle)',
    call: store.storeWriteCall(ns, { path: '', operations: [] }),
    script: 'store-write-4',
    keys: NS_KEYS,
    args: [ns.documentPrefix, ''],
  },
  {
    title: 'read: by ids, refreshing',
    call: store.storeReadCall(ns, { ids: ['d1', 'd2'], refresh: true }),
    script: 'store-read-4',
    keys: NS_KEYS,
    args: [ns.documentPrefix, 'ids', '1', 'd1', 'd2'],
  },
  {
    title: 'read: a page of the plain documents',
    call: store.storeReadCall(ns, { which: 'plain', start: 200, size: 200 }),
    script: 'store-read-4',
    keys: NS_KEYS,
    args: [ns.documentPrefix, 'plain', '200', '200'],
  },
  {
    title: 'rebuild: prefix and the ids found',
    call: store.storeRebuildCall(ns, { ids: ['d1'] }),
    script: 'store-rebuild-4',
    keys: NS_KEYS,
    args: [ns.documentPrefix, 'd1'],
  },
  {
    title: 'register: begin',
    call: store.storeRegisterCall(ds, { step: 'begin', path: 'ZW', token: 'tok' }),
    script: 'store-register-2',
    keys: [ds.registry, ds.generations],
    args: ['begin', 'ZW', 'tok'],
  },
  {
    title: 'register: abort with what begin found',
    call: store.storeRegisterCall(ds, { step: 'abort', path: 'ZW', token: 'tok', added: true, previous: 'g1' }),
    script: 'store-register-2',
    keys: [ds.registry, ds.generations],
    args: ['abort', 'ZW', 'tok', '1', 'g1'],
  },
  {
    title: 'unregister: (path, generation) pairs',
    call: store.storeUnregisterCall(ds, {
      namespaces: [
        { path: 'ZW', generation: '' },
        { path: 'YQ', generation: 'g2' },
      ],
    }),
    script: 'store-unregister-2',
    keys: [ds.registry, ds.generations],
    args: ['ZW', '', 'YQ', 'g2'],
  },
  // ——— vector scopes ———
  {
    title: 'touch: the access stats keys, prefix, time, ids',
    call: vector.vectorTouchCall(scope, { at: 1700000000000, ids: ['a', 'b'] }),
    script: 'vector-touch-2',
    keys: SCOPE_KEYS.slice(2),
    args: [ITEM_PREFIX, '1700000000000', 'a', 'b'],
  },
  {
    title: 'read: with stats, on vectorset',
    call: vector.vectorReadCall(scope, { bySet: true, withStats: true, ids: ['a'] }),
    script: 'vector-read-4',
    keys: SCOPE_KEYS,
    args: [ITEM_PREFIX, '1', '1', 'a'],
  },
  {
    title: 'scan: fields, as buffers',
    call: vector.vectorScanCall(scope, { bySet: false, fields: ['v', 'n_x'], buffers: true }),
    script: 'vector-scan-4',
    keys: SCOPE_KEYS,
    args: [ITEM_PREFIX, '0', 'v', 'n_x'],
    buffers: true,
  },
  {
    title: 'delete: ids',
    call: vector.vectorDeleteCall(scope, { bySet: false, ids: ['a'] }),
    script: 'vector-delete-4',
    keys: SCOPE_KEYS,
    args: [ITEM_PREFIX, '0', 'a'],
  },
  {
    title: 'drop: the whole scope',
    call: vector.vectorDropCall(scope, { bySet: true }),
    script: 'vector-drop-4',
    keys: SCOPE_KEYS,
    args: [ITEM_PREFIX, '1'],
  },
  {
    title: 'purge: prefix, then the ids a query saw without a hash',
    call: vector.vectorPurgeCall(scope, { ids: ['a', 'b'] }),
    script: 'vector-purge-4',
    keys: SCOPE_KEYS,
    args: [ITEM_PREFIX, 'a', 'b'],
  },
];
