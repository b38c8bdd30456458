// maxmemory on throwaway servers of this file's own (Redis 8 with vector sets, Redis 7 with the flat
// engine), under a mixed load through createAgentMemory (workload.ts): sessions, a tagged cache,
// long-term memory, checkpoints. noeviction: every failing write is an OUT_OF_MEMORY (transient)
// that changed nothing (the dataset digest and the entity as read back are as before), and every
// read and deletion works at the limit. allkeys-lru and volatile-ttl: after heavy eviction, 0
// untyped errors, every session whole or gone, no entry served after its tag was invalidated,
// list() lists exactly the live sessions, and forgetUser leaves no key of the user.
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type LocalRedis } from '../../scripts/local-redis.js';
import { connect, type RedisConnection } from '../../src/connection/connect.js';
import { HashingEmbeddings } from '../../src/embeddings/hashing.js';
import { createAgentMemory, type AgentMemory } from '../../src/index.js';
import { harness, uniquePrefix } from '../harness/index.js';
import {
  attempt,
  datasetDigest,
  describeError,
  evictedKeys,
  faultSeed,
  isTyped,
  seeded,
  setMaxmemory,
  Tally,
  usedMemory,
  userKeys,
  viewSession,
  type Outcome,
} from './invariants.js';
import { auditAfterEviction, makeWorld, nextOp, TENANT, type Op, type World } from './workload.js';

const POLICIES = ['noeviction', 'allkeys-lru', 'volatile-ttl'] as const;
const SERVERS = [
  { server: 'redis8', binary: harness().binaries.redis8, engine: 'vectorset' as const },
  { server: 'redis7', binary: harness().binaries.redis7, engine: 'flat' as const },
].filter((s) => s.binary !== undefined);
// Redis 7 (flat engine, and its stricter OOM rule for MULTI) where it adds most: noeviction and allkeys-lru.
const CASES = SERVERS.flatMap((s) =>
  POLICIES.filter((p) => s.server === 'redis8' || p !== 'volatile-ttl').map((policy) => ({ ...s, policy })),
);
const SEED = faultSeed(1313);

describe.each(CASES)('faults: maxmemory ($server, $policy)', ({ server: name, binary, engine, policy }) => {
  const prefix = uniquePrefix('fm');
  let server: LocalRedis;
  let admin: RedisConnection;
  let memory: AgentMemory;
  let world: World;
  const rng = seeded(SEED + POLICIES.indexOf(policy) * 7 + (name === 'redis7' ? 100 : 0));
  const tallies = { write: new Tally(), read: new Tally(), free: new Tally() };
  const run = async (op: Op): Promise<Outcome<unknown>> => tallies[op.kind].add(op.name, await attempt(op.run));

  beforeAll(async () => {
    server = await startRedis(binary!, ['--maxmemory-policy', policy, '--enable-debug-command', 'yes']);
    admin = await connect({ url: server.url });
    memory = await createAgentMemory({
      redis: { url: server.url, commandTimeoutMs: 3000 },
      prefix,
      sessions: { maxMessages: 0, ttl: { mode: 'sliding', seconds: 900 } },
    });
    const ltm = await memory.longTerm({ embedder: new HashingEmbeddings(64), engine, namespace: 'facts', fields: { tags: 'tag' } });
    world = makeWorld(memory, ltm, policy === 'noeviction' ? 3 : 4, 3);
    // Some of everything before the limit.
    for (let i = 0; i < 80; i++) await run(nextOp(world, world.users[i % world.users.length]!, rng));
  });
  afterAll(async () => {
    await memory?.close();
    await admin?.close();
    await server?.stop();
  });

  if (policy === 'noeviction')
    it('every failing write is OUT_OF_MEMORY and changed nothing; every read and deletion works at the limit', async () => {
      // A document store too, with documents that expire (so a read moves their deadline).
      const docs = await memory.documentStore({
        name: 'docs',
        index: { dim: 64, embedder: new HashingEmbeddings(64), engine, fields: ['text'] },
        ttl: { defaultSeconds: 900 },
      });
      const ns = ['notes', world.users[0]!.userId];
      await docs.write([
        { namespace: ns, key: 'n1', value: { text: 'she likes green tea' } },
        { namespace: ns, key: 'n2', value: { text: 'flight to lyon' }, index: false },
      ]);
      await setMaxmemory(admin, (await usedMemory(admin)) + 100 * 1024);
      const wrongErrors: string[] = [];
      const halfWritten: string[] = [];
      let generationsLeft = 0;
      // One operation at a time, so that the dataset before and after a failing write can be compared.
      let ops = 0;
      for (; ops < 1500 && !(tallies.write.count('OUT_OF_MEMORY') >= 25 && ops >= 150); ops++) {
        const op = nextOp(world, world.users[ops % world.users.length]!, rng);
        const write = op.kind === 'write';
        const seen = write && op.name.startsWith('session.') ? await op.observe?.() : undefined;
        const digest = write ? await datasetDigest(admin) : '';
        const absent = op.bookkeeping
          ? (await Promise.all(op.bookkeeping.map(async (k) => ((await admin.send<number>(['EXISTS', k])) === 0 ? k : null)))).filter(
              (k) => k !== null,
            )
          : [];
        const outcome = await run(op);
        if (outcome.ok || 'hung' in outcome || !write) continue;
        if (!(isTyped(outcome.error) && outcome.error.code === 'OUT_OF_MEMORY' && outcome.error.transient))
          wrongErrors.push(`${op.name}: ${describeError(outcome.error)}`);
        if ((await datasetDigest(admin)) !== digest) {
          // Tag generations its read made (allowed: README) are put back as they were; anything else is half a write.
          const made = (await Promise.all(absent.map(async (k) => ((await admin.send<number>(['UNLINK', k])) === 1 ? k : null)))).filter(
            (k) => k !== null,
          );
          if (made.length > 0 && (await datasetDigest(admin)) === digest) generationsLeft++;
          else halfWritten.push(`${op.name}: the dataset changed`);
        }
        if (seen !== undefined) {
          const after = await op.observe!();
          if (!isDeepStrictEqual(seen, after))
            halfWritten.push(`${op.name}: ${JSON.stringify(seen)?.slice(0, 200)} became ${JSON.stringify(after)?.slice(0, 200)}`);
        }
      }

      // At the limit (pinned below what is used; a write proves it): every read of every entity, then every deletion.
      const pinAtLimit = async () => setMaxmemory(admin, (await usedMemory(admin)) - 64 * 1024);
      await pinAtLimit();
      const probe = await attempt(() => world.cache.set('probe', 'x'.repeat(64 * 1024)));
      const atLimit = new Tally();
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.message);
      process.on('warning', onWarning);
      const user = world.users[0]!;
      const scope = { tenant: TENANT, userId: user.userId };
      const { session } = user.sessions[0]!;
      const knownKey = user.cacheKeys[0]!;
      const memoryId = [...user.memories.get('user')!][0];
      const reads: [string, () => Promise<unknown>][] = [
        ['session.messages', () => session.messages()],
        ['session.messages last', () => session.messages({ last: 2 })],
        ['session.window', () => session.window({ maxTokens: 500 })],
        ['session.count', () => session.count()],
        ['session.summary', () => session.summary()],
        ['session.info', () => session.info()],
        ['session.state.get', () => session.state.get()],
        ['session.toolResult', () => session.toolResult('t0')],
        ['session.toolResults', () => session.toolResults()],
        ['sessions.list', () => memory.sessions.list(scope)],
        // A listing whose index is gone rebuilds it first (README): still a read.
        [
          'sessions.list (index gone)',
          async () => {
            await admin.send(['UNLINK', memory.keys.user({ tenant: TENANT, userId: world.users[2]!.userId }).sessions]);
            return memory.sessions.list({ tenant: TENANT, userId: world.users[2]!.userId });
          },
        ],
        ['cache.get', () => world.cache.get(knownKey)],
        ['cache.getMany', () => world.cache.getMany(user.cacheKeys)],
        ['ltm.recall', () => world.ltm.recall(scope, 'fact peanuts tea', { k: 3 })],
        ['ltm.count', () => world.ltm.count(scope)],
        ...(memoryId ? [['ltm.get', () => world.ltm.get(scope, memoryId)] as [string, () => Promise<unknown>]] : []),
        ['documents.get', () => docs.get(ns, 'n1')],
        ['documents.search', () => docs.search(ns, { query: 'tea' })],
        ['documents.listNamespaces', () => docs.listNamespaces()],
        ['checkpoints.get', () => world.checkpoints.get(user.thread, '')],
        [
          'checkpoints.list',
          async () => {
            for await (const _ of world.checkpoints.list(user.thread)) void _;
          },
        ],
        [
          'checkpoints.threads',
          async () => {
            for await (const _ of world.checkpoints.threads()) void _;
          },
        ],
      ];
      // A hit of getOrCompute is a read too.
      const hitKey = (await Promise.all(user.cacheKeys.map(async (k) => ((await world.cache.get(k)) === undefined ? null : k)))).find(
        (k) => k !== null,
      );
      if (hitKey)
        reads.push([
          'cache.getOrCompute (hit)',
          () =>
            world.cache.getOrCompute(hitKey, () => {
              throw new Error('a hit must not compute');
            }),
        ]);
      const readFailures: string[] = [];
      // Reads and deletions each at the limit, whatever the one before freed (a background free, a deletion).
      for (const [what, read] of reads) {
        await pinAtLimit();
        const outcome = atLimit.add(what, await attempt(read));
        if (!outcome.ok) readFailures.push(`${what}: ${'hung' in outcome ? 'hung' : describeError(outcome.error)}`);
      }
      // Recall that records its accesses before returning: a write, so it may be refused (figure only).
      const awaitedAccess = await attempt(() => world.ltm.recall(scope, 'fact peanuts tea', { k: 3, trackAccess: 'await' }));
      await new Promise((r) => setTimeout(r, 50)); // the background access record of the default recall
      process.off('warning', onWarning);

      // Sessions were never evicted: every one reads whole.
      const views = await Promise.all(world.users.flatMap((u) => u.sessions.map((s) => viewSession(s.session, s.history))));

      // Deletions only free memory: they work at the limit, forgetUser included.
      const frees: [string, () => Promise<unknown>][] = [
        ['cache.delete', () => world.cache.delete(knownKey)],
        ['cache.invalidateTag', () => world.cache.invalidateTag('tag:a')],
        ['session.clear', () => world.users[1]!.sessions[0]!.session.clear()],
        ['session.delete', () => world.users[1]!.sessions[1]!.session.delete()],
        [
          'ltm.forget',
          () =>
            world.ltm.forget(
              { tenant: TENANT, userId: world.users[1]!.userId },
              { ids: [...world.users[1]!.memories.get('user')!].slice(0, 2) },
            ),
        ],
        ['checkpoints.deleteThread', () => world.checkpoints.deleteThread(world.users[1]!.thread)],
        ['documents.write (deletion)', () => docs.write([{ namespace: ns, key: 'n2', value: null }])],
        ['documents.deleteNamespaces', () => docs.deleteNamespaces(ns)],
        ['forgetUser', () => memory.forgetUser(scope)],
      ];
      const freeFailures: string[] = [];
      for (const [what, free] of frees) {
        await pinAtLimit(); // each one at the limit, whatever the one before freed
        const outcome = await attempt(free);
        if (!outcome.ok) freeFailures.push(`${what}: ${'hung' in outcome ? 'hung' : describeError(outcome.error)}`);
      }
      const left = await userKeys(admin, prefix, TENANT, user.userId);

      const w = tallies.write;
      console.log(
        `faults: maxmemory ${name} noeviction: ${ops} ops one at a time; writes ${w.describe()}; reads ${tallies.read.describe()}; deletions ${tallies.free.describe()}; ` +
          `${wrongErrors.length} failed writes not OUT_OF_MEMORY, ${halfWritten.length} half-written (dataset digest compared, and sessions read back), ` +
          `${generationsLeft} failed getOrCompute left only tag generations its read made; ` +
          `at the limit (probe write: ${probe.ok ? 'accepted' : describeError((probe as { error: unknown }).error)}): ${atLimit.ok}/${reads.length} reads ok${readFailures.length ? ` (${readFailures.join('; ')})` : ''}, ` +
          `recall with trackAccess 'await': ${awaitedAccess.ok ? 'ok' : 'hung' in awaitedAccess ? 'hung' : describeError(awaitedAccess.error)}, ${warnings.length} access-record warnings; ` +
          `${views.filter((v) => !v.gone).length}/${views.length} sessions whole, ${views.flatMap((v) => v.broken).length} broken; ` +
          `${frees.length - freeFailures.length}/${frees.length} deletions ok${freeFailures.length ? ` (${freeFailures.join('; ')})` : ''}, forgetUser left ${left.length} keys`,
      );
      expect(w.count('OUT_OF_MEMORY')).toBeGreaterThanOrEqual(20);
      expect(probe.ok).toBe(false);
      expect(wrongErrors).toEqual([]);
      expect(halfWritten).toEqual([]);
      expect([...tallies.read.untyped, ...tallies.read.hung, ...tallies.read.unexpected()]).toEqual([]);
      expect(tallies.free.failed).toBe(0);
      expect([...w.untyped, ...w.hung]).toEqual([]);
      expect(readFailures).toEqual([]);
      expect(views.flatMap((v) => v.broken)).toEqual([]);
      expect(views.every((v) => !v.gone)).toBe(true);
      expect(world.staleReads).toEqual([]);
      expect(freeFailures).toEqual([]);
      expect(left).toEqual([]);
    }, 30_000);

  // A write near the limit, 64 KB with 16 KB left (Redis refuses it as it arrives: its own bytes
  // take memory over) or with 96 KB left (its first command or script fits, and its payload takes
  // memory over: Redis lets that one finish and refuses every later command of the same call).
  // Each call must be whole: stored (and read back whole), or refused with OUT_OF_MEMORY having
  // changed nothing.
  if (policy === 'noeviction')
    it('a write near the limit is whole: stored (and read back) or refused having changed nothing', async () => {
      const big = 'z'.repeat(64 * 1024);
      await setMaxmemory(admin, 0); // the test before leaves the server at its limit
      const docs = await memory.documentStore({
        name: 'crossing',
        index: { dim: 64, embedder: new HashingEmbeddings(64), engine, fields: ['text'] },
      });
      const results: string[] = [];
      const halves: string[] = [];
      for (const left of [16, 96]) {
        const scope = { tenant: TENANT, userId: `crossing${left}` };
        const agent = { ...scope, agentId: `agent${left}` };
        const session = memory.sessions.session({ ...scope, sessionId: 'c' });
        const thread = `crossing${left}`;
        const writes: [string, () => Promise<unknown>, () => Promise<boolean>][] = [
          ['session.append', () => session.append({ role: 'user', content: big }), async () => (await session.count()) === 1],
          [
            'cache.set (tagged)',
            () => world.cache.set(thread, big, { tags: ['tag:c'] }),
            async () => (await world.cache.get(thread)) === big,
          ],
          [
            'checkpoints.put (a new thread)',
            () =>
              world.checkpoints.put(thread, {
                ns: '',
                id: 'cp1',
                checkpoint: { type: 'json', bytes: Buffer.from('{}') },
                metadata: { type: 'json', bytes: Buffer.from('{}') },
                channelVersions: { messages: 1 },
                values: [{ channel: 'messages', version: 1, value: { type: 'json', bytes: Buffer.from(big) } }],
              }),
            async () => {
              const threads: string[] = [];
              for await (const t of world.checkpoints.threads()) threads.push(t);
              return (await world.checkpoints.get(thread, '')) !== undefined && threads.includes(thread);
            },
          ],
          [
            'ltm.remember (a new agent)',
            () => world.ltm.remember(agent, { text: `crossing ${big}`, id: 'x1' }),
            async () => (await world.ltm.get(agent, 'x1')) !== null,
          ],
          [
            'documents.write (a new namespace)',
            () => docs.write([{ namespace: ['crossing', thread], key: 'd1', value: { text: big } }]),
            async () => (await docs.get(['crossing', thread], 'd1')) !== null && (await docs.listNamespaces()).some((n) => n[1] === thread),
          ],
        ];
        for (const [what, write, whole] of writes) {
          await setMaxmemory(admin, 0);
          await setMaxmemory(admin, (await usedMemory(admin)) + left * 1024);
          const digest = await datasetDigest(admin);
          const outcome = await attempt(write);
          await setMaxmemory(admin, 0);
          const label = `${what} with ${left} KB left`;
          if (outcome.ok) {
            results.push(`${label}: stored`);
            if (!(await whole())) halves.push(`${label}: succeeded but does not read back whole`);
          } else {
            results.push(`${label}: ${'hung' in outcome ? 'hung' : describeError(outcome.error)}`);
            if ('hung' in outcome || !(isTyped(outcome.error) && outcome.error.code === 'OUT_OF_MEMORY')) halves.push(results.at(-1)!);
            else if ((await datasetDigest(admin)) !== digest) halves.push(`${label}: refused with OUT_OF_MEMORY, but the dataset changed`);
          }
        }
      }
      console.log(
        `faults: maxmemory ${name} writes of 64 KB near the limit: ${results.join('; ')}; ${halves.length} not whole${halves.length ? ` (${halves.join('; ')})` : ''}`,
      );
      expect(halves).toEqual([]);
    });
  else
    it('after heavy eviction: 0 untyped errors, sessions whole or gone, no stale tagged entry, list() exact, forgetUser leaves 0 keys', async () => {
      // volatile-ttl can only evict keys with a TTL; memories without one stay, so it gets more room.
      await setMaxmemory(admin, (await usedMemory(admin)) + (policy === 'volatile-ttl' ? 512 : 256) * 1024);
      const evictedBefore = await evictedKeys(admin);
      // One worker per user, so that each session has one writer and its history is exact.
      const started = Date.now();
      await Promise.all(
        world.users.map(async (user, w) => {
          const own = seeded(SEED * 31 + w);
          for (let i = 0; i < 350; i++) await run(nextOp(world, user, own));
        }),
      );
      const loadMs = Date.now() - started;
      const evicted = (await evictedKeys(admin)) - evictedBefore;
      // No more eviction while the invariants are read.
      await setMaxmemory(admin, 0);

      const { views, listProblems, left, served } = await auditAfterEviction(world, admin, prefix, 2);

      const w = tallies.write;
      const whole = views.filter((v) => !v.gone);
      console.log(
        `faults: maxmemory ${name} ${policy}: ${w.total + tallies.read.total + tallies.free.total} ops (4 workers, ${loadMs} ms), ${evicted} keys evicted; ` +
          `writes ${w.describe()}; reads ${tallies.read.describe()}; deletions ${tallies.free.describe()}; ` +
          `sessions ${whole.length} whole (${whole.reduce((n, v) => n + v.messages, 0)} messages), ${views.length - whole.length} gone, ${views.flatMap((v) => v.broken).length} broken; ` +
          `list(): ${listProblems.length} wrong; cache: ${world.cacheReads} reads checked, ${world.staleReads.length} stale after ${world.invalidations} invalidateTag; ` +
          `${world.strangers.length} strangers read back, ${world.incompleteCheckpoints} checkpoints read without their value; ` +
          `forgetUser of 2 users: ${left.length} keys left, ${served.length} entries still served`,
      );
      expect(evicted).toBeGreaterThanOrEqual(50);
      expect([...w.untyped, ...tallies.read.untyped, ...tallies.free.untyped]).toEqual([]);
      expect([...w.hung, ...tallies.read.hung, ...tallies.free.hung]).toEqual([]);
      expect(w.unexpected('OUT_OF_MEMORY')).toEqual([]);
      expect(w.ok / w.total).toBeGreaterThan(0.8);
      expect([...tallies.read.unexpected(), ...tallies.free.unexpected()]).toEqual([]);
      expect(views.flatMap((v) => v.broken)).toEqual([]);
      expect(listProblems).toEqual([]);
      expect(world.staleReads).toEqual([]);
      expect(world.strangers).toEqual([]);
      expect(left).toEqual([]);
      expect(served).toEqual([]);
    }, 30_000);
});
