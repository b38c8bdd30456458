// The mixed workload of the maxmemory tests, driven through createAgentMemory the way an agent
// would: session appends, state and tool results; a tagged cache (set, getOrCompute, invalidateTag);
// long-term memory; checkpoints. It keeps the model every invariant check needs: what each session's
// writer acknowledged, which tag generations were invalidated (a read must never serve an older
// one), what was remembered and checkpointed. Test harness only: it counts, the tests assert.
import type { AgentMemory } from '../../src/index.js';
import { Cache } from '../../src/cache/cache.js';
import type { CheckpointStore } from '../../src/checkpoint/checkpoint-store.js';
import type { LongTermMemory } from '../../src/memory/long-term-memory.js';
import type { RedisConnection } from '../../src/connection/connect.js';
import type { Session, SessionRef } from '../../src/session/session.js';
import { Locks, userKeys, viewSession, type Rng, type SessionHistory } from './invariants.js';

export const TENANT = 'mm';
/** Shared tags; every entry also carries its user's tag (memory.userTag), for forgetUser. */
export const TAGS = ['tag:a', 'tag:b', 'tag:c'];
const WORDS = [
  'peanuts',
  'lyon',
  'flight',
  'tea',
  'invoice',
  'refund',
  'piano',
  'garden',
  'allergy',
  'meeting',
  'train',
  'coffee',
  'python',
  'hiking',
  'budget',
  'daughter',
];
const LTM_TAGS = ['health', 'food', 'travel'];

/** Random-looking text, sliced from one block made once: cheap, and it does not compress. */
const BLOCK = Array.from({ length: 1 << 15 }, (_, i) => String.fromCharCode(97 + ((i * 7919 + (i >> 3) * 104729) % 26))).join('');
export const pad = (rng: Rng, min: number, max: number): string => {
  const length = min + rng.int(max - min + 1);
  const start = rng.int(BLOCK.length - length);
  return BLOCK.slice(start, start + length);
};

export interface UserModel {
  userId: string;
  sessions: { ref: SessionRef; session: Session; history: SessionHistory }[];
  cacheKeys: string[];
  /** Memory ids remembered (and not forgotten by id), per scope label. */
  memories: Map<'user' | 'agent', Set<string>>;
  thread: string;
  checkpoints: Set<string>;
  checkpointSeq: number;
}

export interface Op {
  name: string;
  /** `write` needs memory; `read` must work at the limit; `free` (deletions) too. */
  kind: 'write' | 'read' | 'free';
  /** What the entity looks like through the public API, for "a failed write changed nothing". */
  observe?: () => Promise<unknown>;
  /**
   * Keys the call may make before its write even when the write is refused: the tag generations a
   * getOrCompute's read makes when missing (README, Caches: a read makes them; its store may then fail).
   */
  bookkeeping?: string[];
  run: () => Promise<unknown>;
}

export interface World {
  memory: AgentMemory;
  cache: Cache;
  ltm: LongTermMemory;
  checkpoints: CheckpointStore;
  users: UserModel[];
  /** Per tag, the generation new writes carry (from 1), and the last one invalidated (0: none). */
  epoch: Map<string, number>;
  invalidated: Map<string, number>;
  locks: Locks;
  /** Entries served although one of their tags was invalidated after they were written, or wrong values. */
  staleReads: string[];
  cacheReads: number;
  /** Recalled memories that were not one of this workload's, and checkpoints read back that were never put. */
  strangers: string[];
  /** Checkpoints read back without the channel value they were put with. */
  incompleteCheckpoints: number;
  invalidations: number;
}

export function makeWorld(memory: AgentMemory, ltm: LongTermMemory, users: number, sessionsPerUser: number): World {
  const cache = memory.cache({ name: 'answers', ttl: { mode: 'fixed', seconds: 900 } });
  const checkpoints = memory.checkpoints({ tenant: TENANT, ttl: { mode: 'sliding', seconds: 900 } });
  const models: UserModel[] = Array.from({ length: users }, (_, u) => {
    const userId = `u${u}`;
    return {
      userId,
      sessions: Array.from({ length: sessionsPerUser }, (_, s) => {
        const ref = { tenant: TENANT, userId, sessionId: `s${s}` };
        return { ref, session: memory.sessions.session(ref), history: { label: `${userId}-s${s}`, lastAcked: -1 } };
      }),
      cacheKeys: Array.from({ length: 30 }, (_, k) => `${userId}:q${k}`),
      memories: new Map([
        ['user', new Set<string>()],
        ['agent', new Set<string>()],
      ]),
      thread: `${userId}-thread`,
      checkpoints: new Set<string>(),
      checkpointSeq: 0,
    };
  });
  return {
    memory,
    cache,
    ltm,
    checkpoints,
    users: models,
    epoch: new Map(TAGS.map((t) => [t, 1])),
    invalidated: new Map(TAGS.map((t) => [t, 0])),
    locks: new Locks(),
    staleReads: [],
    cacheReads: 0,
    strangers: [],
    incompleteCheckpoints: 0,
    invalidations: 0,
  };
}

const userTag = (world: World, user: UserModel) => world.memory.userTag({ tenant: TENANT, userId: user.userId });
const scopeOf = (user: UserModel, which: 'user' | 'agent') => ({
  tenant: TENANT,
  userId: user.userId,
  ...(which === 'agent' ? { agentId: 'helper' } : {}),
});

/** A cache value as this workload writes it: its key, and the generation of each of its tags when written. */
interface CacheValue {
  k: string;
  tags: Record<string, number>;
  pad: string;
}

/**
 * Checks a value a cache read returned: it is the key's, and none of its tags was invalidated
 * after it was written (`invalidatedBefore`: the invalidations that had returned when the read began).
 */
export function checkCacheValue(world: World, key: string, value: unknown, invalidatedBefore: Map<string, number>): void {
  world.cacheReads++;
  if (value === undefined) return;
  const v = value as CacheValue;
  if (v === null || typeof v !== 'object' || v.k !== key || typeof v.tags !== 'object') {
    world.staleReads.push(`${key}: served a value that is not its own (${JSON.stringify(value).slice(0, 80)})`);
    return;
  }
  for (const [tag, generation] of Object.entries(v.tags)) {
    const gone = invalidatedBefore.get(tag) ?? 0;
    if (generation <= gone)
      world.staleReads.push(`${key}: served with ${tag} generation ${generation} after invalidateTag(${tag}) had returned (up to ${gone})`);
  }
}

/** Every user-tag invalidation (forgetUser) marks this user's generation, as invalidateTag does for shared tags. */
export function markForgotten(world: World, user: UserModel): void {
  const tag = userTag(world, user);
  world.invalidated.set(tag, world.epoch.get(tag) ?? 1);
  world.epoch.set(tag, (world.epoch.get(tag) ?? 1) + 1);
}

async function sessionSnapshot(session: Session) {
  const info = await session.info();
  const rest = info && { ...info, ttl: { ...info.ttl, expiresAt: null } };
  return {
    info: rest,
    messages: (await session.messages()).map((m) => m.id),
    state: await session.state.get(),
    tools: await session.toolResults(),
  };
}

/**
 * One operation on `user`'s entities, chosen by `rng`. Recalls do not record accesses: a
 * background write would change the dataset under the next operation's check.
 */
export function nextOp(world: World, user: UserModel, rng: Rng): Op {
  const roll = rng.next();
  const entry = rng.pick(user.sessions);
  const { session, history } = entry;
  const { cache, ltm, checkpoints } = world;
  const observeSession = () => sessionSnapshot(session);

  // ——— sessions (45%) ———
  if (roll < 0.16) {
    const i = history.lastAcked + 1;
    return {
      name: 'session.append',
      kind: 'write',
      observe: observeSession,
      run: async () => {
        await session.append(
          { role: 'user', content: `${history.label}:${i} ${pad(rng, 1500, 5000)}` },
          { idempotencyKey: `${history.label}:${i}` },
        );
        history.lastAcked = i;
      },
    };
  }
  if (roll < 0.22)
    return {
      name: 'session.state.set',
      kind: 'write',
      observe: observeSession,
      run: () => session.state.set({ i: history.lastAcked, note: pad(rng, 300, 1200) }),
    };
  if (roll < 0.25)
    return {
      name: 'session.state.patch',
      kind: 'write',
      observe: observeSession,
      run: () => session.state.patch({ i: history.lastAcked, scratch: pad(rng, 50, 200) }),
    };
  if (roll < 0.3 && history.lastAcked >= 0) {
    const i = history.lastAcked;
    return {
      name: 'session.setToolResult',
      kind: 'write',
      observe: observeSession,
      run: () => session.setToolResult(`t${i}`, { i, out: pad(rng, 300, 1800) }),
    };
  }
  if (roll < 0.32)
    return {
      name: 'session.setMetadata',
      kind: 'write',
      observe: observeSession,
      run: () => session.setMetadata({ topic: pad(rng, 10, 60) }),
    };
  if (roll < 0.45) {
    const reads: [string, () => Promise<unknown>][] = [
      ['session.messages', () => session.messages({ last: 5 })],
      ['session.window', () => session.window({ maxTokens: 1500 })],
      ['session.info', () => session.info()],
      ['session.count', () => session.count()],
      ['session.state.get', () => session.state.get()],
      ['session.toolResults', () => session.toolResults()],
      ['sessions.list', () => world.memory.sessions.list({ tenant: TENANT, userId: user.userId })],
    ];
    const [name, run] = rng.pick(reads);
    return { name, kind: 'read', run };
  }

  // ——— cache (35%) ———
  const key = rng.pick(user.cacheKeys);
  const tags = [userTag(world, user), rng.pick(TAGS), ...(rng.chance(0.3) ? [rng.pick(TAGS)] : [])];
  const valueFor = (): CacheValue => ({
    k: key,
    tags: Object.fromEntries(tags.map((t) => [t, world.epoch.get(t) ?? 1])),
    pad: pad(rng, 1200, 4800),
  });
  if (roll < 0.57) {
    return {
      name: 'cache.set',
      kind: 'write',
      observe: () => cache.get(key),
      run: () => world.locks.hold(tags, () => cache.set(key, valueFor(), { tags: [...new Set(tags)] })),
    };
  }
  if (roll < 0.63) {
    const keys = world.memory.keys.cache(cache.name, cache.options.shards);
    const shard = keys.shardOf(Cache.id(key));
    return {
      name: 'cache.getOrCompute',
      kind: 'write',
      observe: () => cache.get(key),
      bookkeeping: [...new Set(tags)].map((t) => keys.tagGeneration(Cache.id(t), shard)),
      run: () =>
        world.locks.hold(tags, async () => {
          const before = new Map(world.invalidated);
          const value = valueFor();
          const got = await cache.getOrCompute(key, () => value, { tags: [...new Set(tags)] });
          if (got !== value) checkCacheValue(world, key, got, before);
        }),
    };
  }
  if (roll < 0.76) {
    const many = rng.chance(0.3);
    return {
      name: many ? 'cache.getMany' : 'cache.get',
      kind: 'read',
      run: async () => {
        const keys = many ? [key, rng.pick(user.cacheKeys), rng.pick(user.cacheKeys)] : [key];
        const before = new Map(world.invalidated);
        const values = many ? await cache.getMany(keys) : [await cache.get(key)];
        for (const [i, v] of values.entries()) checkCacheValue(world, keys[i]!, v, before);
      },
    };
  }
  if (roll < 0.785) {
    const tag = rng.pick(TAGS);
    return {
      name: 'cache.invalidateTag',
      kind: 'free',
      run: () =>
        world.locks.hold([tag], async () => {
          await cache.invalidateTag(tag);
          world.invalidated.set(tag, world.epoch.get(tag)!);
          world.epoch.set(tag, world.epoch.get(tag)! + 1);
          world.invalidations++;
        }),
    };
  }
  if (roll < 0.79) return { name: 'cache.delete', kind: 'free', run: () => cache.delete(key) };

  // ——— long-term memory (14%) ———
  const which = rng.chance(0.3) ? 'agent' : 'user';
  const scope = scopeOf(user, which);
  const text = `fact ${user.userId} ${rng.pick(WORDS)} ${rng.pick(WORDS)} ${rng.pick(WORDS)} ${rng.int(1000)}`;
  if (roll < 0.86) {
    return {
      name: 'ltm.remember',
      kind: 'write',
      observe: () => ltm.count(scope),
      run: async () => {
        const { id } = await ltm.remember(scope, {
          text,
          tags: [rng.pick(LTM_TAGS)],
          metadata: { note: pad(rng, 100, 500) },
          ...(rng.chance(0.3) ? { ttlSeconds: 900 } : {}),
        });
        user.memories.get(which)!.add(id);
      },
    };
  }
  if (roll < 0.9) {
    return {
      name: 'ltm.recall',
      kind: 'read',
      run: async () => {
        for (const hit of await ltm.recall(scope, text, { k: 5, trackAccess: 'off' })) {
          if (typeof hit.text !== 'string' || !hit.text.startsWith(`fact ${user.userId} `))
            world.strangers.push(`recall: ${JSON.stringify(hit).slice(0, 80)}`);
        }
      },
    };
  }
  if (roll < 0.91) return { name: 'ltm.count', kind: 'read', run: () => ltm.count(scope) };
  if (roll < 0.92) {
    const id = [...user.memories.get(which)!][0];
    if (id !== undefined) return { name: 'ltm.get', kind: 'read', run: () => ltm.get(scope, id) };
  }

  // ——— checkpoints (8%) ———
  if (roll < 0.96) {
    const seq = ++user.checkpointSeq;
    const id = `cp${String(seq).padStart(6, '0')}`;
    return {
      name: 'checkpoints.put',
      kind: 'write',
      observe: async () => (await checkpoints.get(user.thread, ''))?.id ?? null,
      run: async () => {
        await checkpoints.put(user.thread, {
          ns: '',
          id,
          checkpoint: { type: 'json', bytes: Buffer.from(JSON.stringify({ seq })) },
          metadata: { type: 'json', bytes: Buffer.from('{}') },
          channelVersions: { messages: seq },
          values: [{ channel: 'messages', version: seq, value: { type: 'json', bytes: Buffer.from(pad(rng, 200, 900)) } }],
        });
        user.checkpoints.add(id);
      },
    };
  }
  return {
    name: 'checkpoints.get',
    kind: 'read',
    run: async () => {
      const found = await checkpoints.get(user.thread, '');
      if (!found) return;
      if (!user.checkpoints.has(found.id)) world.strangers.push(`checkpoint ${found.id} never put`);
      if (found.values.length !== 1) world.incompleteCheckpoints++;
    },
  };
}

/**
 * What the eviction cases check once the load is over (no more eviction meanwhile): each session
 * whole or gone, list() lists exactly the live sessions, no entry served with an invalidated tag
 * generation (recorded in world.staleReads), and forgetUser of the first `forget` users leaves no
 * key of theirs and no entry of theirs served.
 */
export async function auditAfterEviction(world: World, admin: RedisConnection, prefix: string, forget: number) {
  const { memory } = world;
  const views = await Promise.all(world.users.flatMap((u) => u.sessions.map((s) => viewSession(s.session, s.history))));
  const listProblems: string[] = [];
  for (const user of world.users) {
    const live = new Set<string>();
    for (const s of user.sessions) if ((await s.session.info()) !== null) live.add(s.ref.sessionId);
    const listed = new Set(
      (await memory.sessions.list({ tenant: TENANT, userId: user.userId }, { limit: 1000 })).sessions.map((s) => s.sessionId),
    );
    for (const id of live) if (!listed.has(id)) listProblems.push(`${user.userId}/${id} live but not listed`);
    for (const id of listed) if (!live.has(id)) listProblems.push(`${user.userId}/${id} listed but gone`);
  }
  for (const user of world.users) {
    const before = new Map(world.invalidated);
    for (const [i, v] of (await world.cache.getMany(user.cacheKeys)).entries()) checkCacheValue(world, user.cacheKeys[i]!, v, before);
  }
  const left: string[] = [];
  const served: string[] = [];
  for (const user of world.users.slice(0, forget)) {
    await memory.forgetUser({ tenant: TENANT, userId: user.userId });
    markForgotten(world, user);
    left.push(...(await userKeys(admin, prefix, TENANT, user.userId)));
    for (const [i, v] of (await world.cache.getMany(user.cacheKeys)).entries()) if (v !== undefined) served.push(user.cacheKeys[i]!);
  }
  return { views, listProblems, left, served, forgotten: forget };
}
