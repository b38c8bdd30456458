// Seeded property-based fuzzing (fast-check) of the public API of sessions, caches and long-term
// memory (vector sets and the flat engine), on a Redis 8 of this file's own: random sequences of
// calls with random arguments, valid and hostile (wrong types, strings where objects go, NaN,
// BigInt, cycles, `__proto__` keys, huge strings, ids with `{}:*?`). Every call settles within 5 s;
// a call that fails throws an AgentMemoryError with a code (never a TypeError or the like); a call
// that fails changed nothing (every key under the prefix reads back the same, DEBUG DIGEST-VALUE);
// no key outside the prefix is ever written; Object.prototype is never touched. FAULT_SEED
// overrides the seed; FAULT_RUNS the number of sequences.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type LocalRedis } from '../../scripts/local-redis.js';
import type { Cache } from '../../src/cache/cache.js';
import { connect, type RedisConnection } from '../../src/connection/connect.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import type { LongTermMemory } from '../../src/memory/long-term-memory.js';
import { harness, uniquePrefix } from '../harness/index.js';
import { attempt, CALL_LIMIT_MS, describeError, faultSeed, isTyped, keysMatching } from './invariants.js';

const SEED = faultSeed(1313);
const RUNS = Number(process.env.FAULT_RUNS ?? 200);
const DIM = 16;

/** What a compute passed to getOrCompute throws: the caller's own error comes back as it is (README). */
class ComputeError extends Error {}

// ——— arguments ———

const circular: Record<string, unknown> = { a: 1 };
circular.self = circular;
const circularArray: unknown[] = [1];
circularArray.push(circularArray);
const protoPolluter = JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "a": 1}') as Record<
  string,
  unknown
>;
const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { role: 'user', content: 'hi' });
class Instance {
  role = 'user';
  content = 'hi';
}
const HUGE = 'x'.repeat(300_000);
const ODD_IDS = [
  '{a}',
  'a:b',
  '*',
  '?',
  'a b',
  '',
  'ü',
  '{}:*?',
  '\u0000',
  'a'.repeat(129),
  '__proto__',
  'constructor',
  'a}b{c',
  '[x]',
  'a\nb',
];

/** Values no JSON store may take silently, and values of the wrong type. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    NaN,
    Infinity,
    -Infinity,
    -0,
    undefined,
    null,
    true,
    0,
    -1,
    1.5,
    2 ** 53,
    '',
    HUGE,
    circular,
    circularArray,
    protoPolluter,
    nullProto,
    new Instance(),
  ),
  fc.constantFrom<unknown>(
    () => 1,
    Symbol('s'),
    new Date(0),
    new Map([[1, 2]]),
    new Set([1]),
    new Float32Array([1, NaN]),
    Buffer.from('x'),
    // biome-ignore lint/suspicious/noSparseArray: a hole is one of the hostile inputs
    [1, , 3],
    /re/,
    Promise.resolve(1),
  ),
  fc.bigInt(),
  fc.constantFrom(...ODD_IDS),
  fc.string({ maxLength: 20 }),
  fc.anything({
    maxDepth: 2,
    maxKeys: 4,
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withTypedArray: true,
    withSparseArray: true,
    withBoxedValues: true,
    withObjectString: true,
  }),
);

/** Hostile values inside valid-looking containers: a JSON object with a BigInt three levels down. */
const deepHostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(fc.oneof(fc.string({ maxLength: 4 }), fc.constant('__proto__')), hostile, { minKeys: 1, maxKeys: 2 }),
  fc.array(hostile, { minLength: 1, maxLength: 2 }),
  hostile.map((h) => ({ a: { b: [1, { c: h }] } })),
);

/** Mostly `valid`, sometimes hostile. */
const or = <T>(valid: fc.Arbitrary<T>, weight = 4): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: valid as fc.Arbitrary<unknown>, weight }, { arbitrary: hostile, weight: 1 });
/** For JSON-valued arguments: also hostile values deep inside. */
const orDeep = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { arbitrary: valid as fc.Arbitrary<unknown>, weight: 4 },
    { arbitrary: hostile, weight: 1 },
    { arbitrary: deepHostile, weight: 1 },
  );

const json = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(protoPolluter), fc.constant({ nested: { __proto__: 'x' } }));
const jsonRecord = fc.dictionary(
  fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'toString')),
  fc.jsonValue({ maxDepth: 1 }),
  { maxKeys: 3 },
);

const SESSION_REFS = [
  { tenant: 'fz', userId: 'u1', sessionId: 's1' },
  { userId: 'u2', sessionId: 's2' },
];
const USERS = [{ tenant: 'fz', userId: 'u1' }, { userId: 'u2' }];
const SCOPES = [{ tenant: 'fz', userId: 'u1' }, { tenant: 'fz', userId: 'u1', agentId: 'a1' }, { userId: 'u2' }];

const sessionRef = or(fc.constantFrom(...SESSION_REFS), 6).chain((r) =>
  fc.oneof(
    { arbitrary: fc.constant(r), weight: 5 },
    {
      arbitrary: fc.record({ tenant: hostile, userId: fc.constantFrom('u1', ...ODD_IDS), sessionId: hostile }, { requiredKeys: [] }),
      weight: 1,
    },
  ),
);
const user = or(fc.constantFrom(...USERS), 6);
const scope = or(fc.constantFrom(...SCOPES), 6);

const message = fc.oneof(
  fc.record(
    { role: fc.constantFrom('user', 'assistant', 'system'), content: or(fc.string({ maxLength: 40 })), metadata: orDeep(jsonRecord) },
    { requiredKeys: ['role', 'content'] },
  ),
  fc.record(
    { role: fc.constant('tool'), toolCallId: or(fc.string({ minLength: 1, maxLength: 8 })), content: fc.string({ maxLength: 10 }) },
    { requiredKeys: ['role', 'content'] },
  ),
  fc.record({
    role: fc.constant('assistant'),
    content: fc.constant(''),
    toolCalls: or(
      fc.array(fc.record({ id: fc.string({ minLength: 1, maxLength: 4 }), name: fc.constant('f'), args: jsonRecord }), { maxLength: 2 }),
    ),
  }),
  fc.record({
    id: or(fc.constantFrom('m1', 'm2', 'm3')),
    role: or(fc.constantFrom('user', 'robot')),
    content: or(fc.string({ maxLength: 10 })),
    createdAt: or(fc.integer({ min: 0 })),
  }),
);
const messages = or(fc.oneof(message, fc.array(message, { minLength: 0, maxLength: 3 })));
const appendOptions = or(fc.record({ idempotencyKey: or(fc.constantFrom('i1', 'i2', 'i3')) }, { requiredKeys: [] }));
const readOptions = or(
  fc.oneof(
    fc.record({ last: or(fc.integer({ min: 1, max: 5 })) }),
    fc.record({ offset: or(fc.nat(4)), limit: or(fc.integer({ min: 1, max: 4 })) }),
    fc.record({ maxTokens: or(fc.integer({ min: 1, max: 200 })), last: fc.integer({ min: 1, max: 3 }) }, { requiredKeys: ['maxTokens'] }),
    fc.constant({ last: 1, offset: 0 }),
  ),
);
const toolId = or(fc.constantFrom('t1', 't2'));
const stateObject = orDeep(jsonRecord);
const writeOptions = or(fc.record({ expectedVersion: or(fc.nat(4)) }, { requiredKeys: [] }));
const ttlPolicy = or(
  fc.oneof(
    fc.record({ mode: fc.constantFrom('sliding', 'fixed'), seconds: or(fc.integer({ min: 60, max: 600 })) }),
    fc.constant({ mode: 'none' }),
    fc.constant({ mode: 'forever' }),
    fc.constant({ mode: 'fixed', seconds: 0 }),
  ),
);

const cacheKey = or(fc.constantFrom('k1', 'k2', 'k3', '{k}:*?', '__proto__'));
const tag = or(fc.constantFrom('doc:1', 'doc:2', 'user:fz:u1'));
const cacheValue = fc.oneof(
  { arbitrary: json, weight: 4 },
  { arbitrary: hostile, weight: 1 },
  { arbitrary: deepHostile, weight: 1 },
  { arbitrary: fc.constant(Buffer.from('bytes')), weight: 1 },
);
const cacheWrite = or(
  fc.record(
    {
      ttlSeconds: or(fc.integer({ min: 1, max: 600 })),
      tags: or(fc.array(tag, { maxLength: 3 })),
      encoding: or(fc.constantFrom('json', 'bytes')),
    },
    { requiredKeys: [] },
  ),
);
const compute = fc.oneof(
  cacheValue.map((v) => () => v),
  cacheValue.map((v) => async () => v),
  fc.constant(() => {
    throw new ComputeError('compute failed');
  }),
  hostile,
);

const vector = (dim: number) => fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: dim, maxLength: dim });
const memoryInput = or(
  fc.record(
    {
      text: or(fc.constantFrom('likes tea', 'lives in lyon', 'allergic to peanuts', 'flies on monday')),
      metadata: orDeep(jsonRecord),
      tags: or(fc.array(fc.constantFrom('health', 'home'), { maxLength: 2 })),
      importance: or(fc.double({ min: 0, max: 1, noNaN: true })),
      ttlSeconds: or(fc.integer({ min: 60, max: 600 })),
      id: or(fc.constantFrom('m1', 'm2')),
    },
    { requiredKeys: ['text'] },
  ),
);
const filter = or(
  fc.oneof(
    fc.constant({ field: 'tags', eq: 'health' }),
    fc.constant({ field: 'tags', in: ['health', 'home'] }),
    fc.constant({ not: { field: 'tags', eq: 'home' } }),
    fc.constant({ field: 'importance', gte: 0.5 }),
    fc.constant({ and: 'x' }),
    fc.constant({ field: '__proto__', eq: 1 }),
    fc.constant({ field: 'tags', eq: NaN }),
    fc.constant({ or: [] }),
  ),
);
const recallOptions = or(
  fc.record(
    {
      k: or(fc.integer({ min: 1, max: 5 })),
      filter,
      minScore: or(fc.double({ min: 0, max: 1, noNaN: true })),
      scoring: or(fc.constantFrom('similarity', { similarity: 1, recency: 0.5 })),
      trackAccess: or(fc.constantFrom('background', 'await', 'off')),
      withVectors: or(fc.boolean()),
    },
    { requiredKeys: [] },
  ),
);
const query = fc.oneof(
  or(fc.constantFrom('tea', 'peanuts', 'lyon')),
  vector(DIM),
  vector(3),
  fc.constant([NaN, ...Array(DIM - 1).fill(0)]),
  fc.constant(new Float32Array(DIM)),
);

/** One call: its name and arguments. */
type Call = { name: string; args: unknown[] };
const call = (name: string, ...args: fc.Arbitrary<unknown>[]): fc.Arbitrary<Call> =>
  fc.tuple(...args).map((a) => ({ name, args: a as unknown[] }));
const engines = fc.constantFrom('vectorset', 'flat');

const calls: fc.Arbitrary<Call> = fc.oneof(
  // sessions
  call('session.append', sessionRef, messages, appendOptions),
  call('session.messages', sessionRef, readOptions),
  call('session.window', sessionRef, readOptions),
  call('session.count', sessionRef),
  call('session.info', sessionRef),
  call('session.summary', sessionRef),
  call('session.setToolResult', sessionRef, toolId, orDeep(json)),
  call('session.toolResult', sessionRef, toolId),
  call('session.toolResults', sessionRef),
  call(
    'session.setMetadata',
    sessionRef,
    or(
      fc.dictionary(fc.constantFrom('a', 'b', '__proto__'), fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constant(undefined)), {
        maxKeys: 2,
      }),
    ),
  ),
  call('session.setTtl', sessionRef, ttlPolicy),
  call('session.clear', sessionRef),
  call('session.delete', sessionRef),
  call('state.get', sessionRef),
  call('state.set', sessionRef, stateObject, writeOptions),
  call(
    'state.patch',
    sessionRef,
    or(
      fc.dictionary(fc.constantFrom('a', 'b', '__proto__'), fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constant(undefined)), {
        maxKeys: 2,
      }),
    ),
    writeOptions,
  ),
  call('state.update', sessionRef, stateObject),
  call('sessions.list', user, or(fc.record({ offset: or(fc.nat(3)), limit: or(fc.integer({ min: 1, max: 5 })) }, { requiredKeys: [] }))),
  call('forgetUser', user),
  // cache
  call('cache.set', cacheKey, cacheValue, cacheWrite),
  call('cache.get', cacheKey),
  call('cache.getMany', or(fc.array(cacheKey, { maxLength: 3 }))),
  call(
    'cache.setMany',
    or(
      fc.array(or(fc.record({ key: cacheKey, value: cacheValue, options: cacheWrite }, { requiredKeys: ['key', 'value'] })), {
        maxLength: 3,
      }),
    ),
  ),
  call('cache.delete', cacheKey),
  call('cache.invalidateTag', tag),
  call('cache.getOrCompute', cacheKey, compute, cacheWrite),
  call('cache.keys', or(fc.constantFrom('', 'k', '{'))),
  // long-term memory
  call('ltm.remember', engines, scope, memoryInput),
  call(
    'ltm.rememberMany',
    engines,
    scope,
    or(fc.array(memoryInput, { maxLength: 3 })),
    or(
      fc.oneof(
        { arbitrary: fc.record({ dedupe: or(fc.boolean()) }, { requiredKeys: [] }), weight: 3 },
        { arbitrary: fc.record({ vectors: or(fc.array(or(vector(DIM)), { maxLength: 3 })) }), weight: 1 },
      ),
    ),
  ),
  call('ltm.recall', engines, scope, query, recallOptions),
  call('ltm.get', engines, scope, or(fc.constantFrom('m1', 'm2'))),
  call(
    'ltm.update',
    engines,
    scope,
    or(fc.constantFrom('m1', 'm2')),
    or(
      fc.record(
        { text: or(fc.constantFrom('likes coffee')), metadata: or(jsonRecord), importance: or(fc.double({ min: 0, max: 1, noNaN: true })) },
        { requiredKeys: [] },
      ),
    ),
  ),
  call(
    'ltm.forget',
    engines,
    scope,
    or(fc.oneof(fc.record({ ids: or(fc.array(or(fc.constantFrom('m1', 'm2')), { maxLength: 2 })) }), fc.record({ filter }))),
  ),
  call('ltm.count', engines, scope),
  call('ltm.forgetScope', engines, scope),
);

// ——— the harness ———

describe.skipIf(!harness().binaries.redis8)('faults: seeded fuzz of the public API (Redis 8 of its own)', () => {
  const prefix = uniquePrefix('fz');
  let server: LocalRedis;
  let admin: RedisConnection;
  let memory: AgentMemory;
  let cache: Cache;
  const ltm: Record<string, LongTermMemory> = {};

  beforeAll(async () => {
    server = await startRedis(harness().binaries.redis8!, ['--enable-debug-command', 'yes']);
    admin = await connect({ url: server.url });
    memory = await createAgentMemory({
      redis: { url: server.url, commandTimeoutMs: 2000 },
      prefix,
      sessions: {
        maxMessages: 4,
        summarizer: ({ summary, messages }) => `${summary ?? ''}${messages.length}`,
        maxMessageBytes: 4096,
        maxStateBytes: 4096,
        maxToolResultBytes: 4096,
      },
    });
    cache = memory.cache({ name: 'fz', keepKeys: true, maxValueBytes: 4096, stampede: { waitTimeoutMs: 1000 } });
    for (const engine of ['vectorset', 'flat'] as const) {
      ltm[engine] = await memory.longTerm({
        embedder: new HashingEmbeddings(DIM),
        engine,
        namespace: `fz-${engine}`,
        fields: { tags: 'tag', importance: 'numeric' },
      });
    }
  });
  afterAll(async () => {
    await memory?.close();
    await admin?.close();
    await server?.stop();
  });

  /** Runs one call; a throw from building the entity (session(), a bad ref) counts as the call's. */
  function invoke({ name, args }: Call): Promise<unknown> | unknown {
    const [a, b, c, d] = args;
    const session = () => memory.sessions.session(a as never);
    const index = () => ltm[a as string]!;
    switch (name) {
      case 'session.append':
        return session().append(b as never, c as never);
      case 'session.messages':
        return session().messages(b as never);
      case 'session.window':
        return session().window(b as never);
      case 'session.count':
        return session().count();
      case 'session.info':
        return session().info();
      case 'session.summary':
        return session().summary();
      case 'session.setToolResult':
        return session().setToolResult(b as never, c as never);
      case 'session.toolResult':
        return session().toolResult(b as never);
      case 'session.toolResults':
        return session().toolResults();
      case 'session.setMetadata':
        return session().setMetadata(b as never);
      case 'session.setTtl':
        return session().setTtl(b as never);
      case 'session.clear':
        return session().clear();
      case 'session.delete':
        return session().delete();
      case 'state.get':
        return session().state.get();
      case 'state.set':
        return session().state.set(b as never, c as never);
      case 'state.patch':
        return session().state.patch(b as never, c as never);
      case 'state.update':
        return session().state.update(() => b as never, { maxAttempts: 3 });
      case 'sessions.list':
        return memory.sessions.list(a as never, b as never);
      case 'forgetUser':
        return memory.forgetUser(a as never);
      case 'cache.set':
        return cache.set(a as never, b, c as never);
      case 'cache.get':
        return cache.get(a as never);
      case 'cache.getMany':
        return cache.getMany(a as never);
      case 'cache.setMany':
        return cache.setMany(a as never);
      case 'cache.delete':
        return cache.delete(a as never);
      case 'cache.invalidateTag':
        return cache.invalidateTag(a as never);
      case 'cache.getOrCompute':
        return cache.getOrCompute(a as never, b as never, c as never);
      case 'cache.keys':
        return (async () => {
          const out: string[] = [];
          for await (const key of cache.keys(a as never)) out.push(key);
          return out;
        })();
      case 'ltm.remember':
        return index().remember(b as never, c as never);
      case 'ltm.rememberMany':
        return index().rememberMany(b as never, c as never, d as never);
      case 'ltm.recall':
        return index().recall(b as never, c as never, d as never);
      case 'ltm.get':
        return index().get(b as never, c as never);
      case 'ltm.update':
        return index().update(b as never, c as never, d as never);
      case 'ltm.forget':
        return index().forget(b as never, c as never);
      case 'ltm.count':
        return index().count(b as never);
      case 'ltm.forgetScope':
        return index().forgetScope(b as never);
      default:
        throw new Error(`no call ${name}`);
    }
  }

  /** Every key under the prefix and its value digest (not its TTL: reads may move it). */
  async function snapshot(): Promise<Map<string, string>> {
    const keys = (await keysMatching(admin, `${prefix}:*`)).sort();
    const digests = await Promise.all(keys.map((k) => admin.send<string>(['DEBUG', 'DIGEST-VALUE', k])));
    return new Map(keys.map((k, i) => [k, String(digests[i])]));
  }

  /**
   * What changed from `before` to `after`, leaving out new tag-generation keys of the cache: a
   * getOrCompute's read makes them for the tags it would store with (README, Caches), before its
   * computation can fail.
   */
  function changes(before: Map<string, string>, after: Map<string, string>): string[] {
    const out: string[] = [];
    for (const [k, v] of after) {
      if (!before.has(k)) {
        if (!/:c:\{fz:\d+\}:g:/.test(k)) out.push(`+${k.slice(prefix.length)}`);
      } else if (before.get(k) !== v) out.push(`~${k.slice(prefix.length)}`);
    }
    for (const k of before.keys()) if (!after.has(k)) out.push(`-${k.slice(prefix.length)}`);
    return out;
  }

  it('only typed errors, no hang, a failed call changes nothing, no key outside the prefix', async () => {
    const counts = { calls: 0, ok: 0, typed: new Map<string, number>(), computeErrors: 0 };
    const byCall = new Map<string, { ok: number; failed: number }>();
    const problems: string[] = [];
    let sequences = 0;
    let outside = 0;
    const started = Date.now();
    const property = fc.asyncProperty(fc.array(calls, { minLength: 1, maxLength: 10 }), async (sequence) => {
      sequences++;
      // Each sequence starts from nothing under the prefix.
      for (const key of await keysMatching(admin, `${prefix}:*`)) await admin.send(['UNLINK', key]);
      const found: string[] = [];
      for (const c of sequence) {
        const before = await snapshot();
        const outcome = await attempt(() => invoke(c));
        // Whatever the call started in the background (an access record) lands before the next look.
        await memory.connection.send(['PING']);
        counts.calls++;
        const stat = byCall.get(c.name) ?? { ok: 0, failed: 0 };
        byCall.set(c.name, stat);
        if (outcome.ok) {
          counts.ok++;
          stat.ok++;
        } else if ('hung' in outcome) {
          found.push(`${c.name} hung (over ${CALL_LIMIT_MS} ms)`);
        } else {
          stat.failed++;
          const error = outcome.error;
          if (error instanceof ComputeError) counts.computeErrors++;
          else if (!isTyped(error)) found.push(`${c.name} threw ${describeError(error)}`);
          else counts.typed.set(error.code, (counts.typed.get(error.code) ?? 0) + 1);
          const changed = changes(before, await snapshot());
          if (changed.length > 0) found.push(`${c.name} failed (${describeError(error)}) and changed ${changed.join(' ')}`);
        }
        if (({} as Record<string, unknown>).polluted !== undefined) found.push(`${c.name} polluted Object.prototype`);
      }
      const all = await keysMatching(admin, '*');
      const strangers = all.filter((k) => !k.startsWith(`${prefix}:`));
      outside += strangers.length;
      if (strangers.length > 0) found.push(`keys outside the prefix: ${strangers.join(', ')}`);
      if (found.length > 0) {
        problems.push(...found);
        return false;
      }
      return true;
    });
    const result = await fc.check(property, { seed: SEED, numRuns: RUNS, endOnFailure: true });
    const codes = [...counts.typed].map(([code, n]) => `${code} ${n}`).join(', ');
    const failing = [...byCall].filter(([, s]) => s.failed > 0 && s.ok === 0).map(([n]) => n);
    console.log(
      `faults: fuzz ${sequences} sequences (seed ${SEED}), ${counts.calls} calls in ${Date.now() - started} ms: ${counts.ok} ok, ` +
        `${counts.calls - counts.ok - counts.computeErrors} failed typed (${codes}), ${counts.computeErrors} compute errors passed through, ` +
        `${problems.length} problems (untyped, hung, half-written, polluting), ${outside} keys outside the prefix; ${byCall.size} kinds of call, ` +
        `${failing.length ? `never succeeded: ${failing.join(', ')}` : 'each succeeded at least once'}`,
    );
    if (result.failed)
      console.log(
        `faults: fuzz counterexample (seed ${SEED}, path ${result.counterexamplePath}): ${fc.stringify(result.counterexample).slice(0, 2000)}`,
      );
    expect(problems).toEqual([]);
    expect(result.failed).toBe(false);
    expect(outside).toBe(0);
    expect(failing).toEqual([]);
  }, 60_000);
});
