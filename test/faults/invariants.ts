// What the maxmemory, single-key and fuzz fault tests share: every library call bounded (5 s) and
// judged (a typed AgentMemoryError, anything else, or hung), views of a whole server (keys,
// memory, dataset digest), a seeded generator, and the check that a session reads whole or gone.
// Test harness only: it asserts nothing itself; each test asserts what these helpers count.
import { AgentMemoryError } from '../../src/errors.js';
import type { RedisConnection } from '../../src/connection/connect.js';
import type { Session } from '../../src/session/session.js';

/** A call still pending this long is counted as hung (its late outcome ignored). */
export const CALL_LIMIT_MS = 5000;

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown } | { ok: false; hung: true };

const HUNG = Symbol('hung');

/** Runs `call` (which may also throw synchronously), bounded by CALL_LIMIT_MS. */
export async function attempt<T>(call: () => T | Promise<T>): Promise<Outcome<Awaited<T>>> {
  let timer: NodeJS.Timeout | undefined;
  let pending: Promise<Awaited<T>>;
  try {
    pending = Promise.resolve(call()) as Promise<Awaited<T>>;
  } catch (error) {
    return { ok: false, error };
  }
  pending.catch(() => undefined);
  try {
    const result = await Promise.race([pending, new Promise<typeof HUNG>((r) => (timer = setTimeout(() => r(HUNG), CALL_LIMIT_MS)))]);
    return result === HUNG ? { ok: false, hung: true } : { ok: true, value: result };
  } catch (error) {
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

/** An AgentMemoryError with a string code: the only kind of error the library may throw. */
export const isTyped = (error: unknown): error is AgentMemoryError =>
  error instanceof AgentMemoryError && typeof error.code === 'string' && error.code.length > 0;

/** `OutOfMemoryError OUT_OF_MEMORY (transient)`, or `untyped TypeError: …`. */
export function describeError(e: unknown): string {
  if (isTyped(e)) return `${e.name} ${e.code}${e.transient ? ' (transient)' : ''}`;
  return e instanceof Error ? `untyped ${e.constructor.name}: ${e.message}` : `untyped ${typeof e}: ${String(e)}`;
}

/** Outcomes of many calls: successes, typed failures by code, untyped failures (kept, with the call's name), hangs. */
export class Tally {
  ok = 0;
  readonly byCode = new Map<string, number>();
  readonly untyped: string[] = [];
  readonly hung: string[] = [];

  /** Records an outcome; returns it unchanged. */
  add<T>(what: string, outcome: Outcome<T>): Outcome<T> {
    if (outcome.ok) this.ok++;
    else if ('hung' in outcome) this.hung.push(what);
    else if (isTyped(outcome.error)) this.byCode.set(outcome.error.code, (this.byCode.get(outcome.error.code) ?? 0) + 1);
    else this.untyped.push(`${what}: ${describeError(outcome.error)}`);
    return outcome;
  }

  get failed(): number {
    return [...this.byCode.values()].reduce((a, b) => a + b, 0) + this.untyped.length + this.hung.length;
  }

  get total(): number {
    return this.ok + this.failed;
  }

  count(code: string): number {
    return this.byCode.get(code) ?? 0;
  }

  /** Codes other than `allowed`, with counts. */
  unexpected(...allowed: string[]): string[] {
    return [...this.byCode].filter(([code]) => !allowed.includes(code)).map(([code, n]) => `${code} ${n}`);
  }

  /** e.g. `412 ok, 37 failed typed (OUT_OF_MEMORY 37), 0 untyped, 0 hung` */
  describe(): string {
    const codes = [...this.byCode].map(([code, n]) => `${code} ${n}`).join(', ');
    const typed = this.failed - this.untyped.length - this.hung.length;
    return `${this.ok} ok, ${typed} failed typed${codes ? ` (${codes})` : ''}, ${this.untyped.length} untyped, ${this.hung.length} hung`;
  }
}

/** A small seeded generator (mulberry32): the same seed makes the same run. */
export function seeded(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number): number => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number): boolean => next() < p,
  };
}
export type Rng = ReturnType<typeof seeded>;

/** The seed of this run: FAULT_SEED, or the file's default. */
export const faultSeed = (fallback: number): number => (process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) : fallback);

// ——— the server ———

/** Every key matching `pattern` (SCAN). */
export async function keysMatching(connection: RedisConnection, pattern = '*'): Promise<string[]> {
  const found: string[] = [];
  for await (const batch of connection.scan(pattern)) found.push(...batch);
  return found;
}

/** One INFO section as fields. */
export async function infoFields(connection: RedisConnection, section: string): Promise<Map<string, string>> {
  const text = await connection.send<string>(['INFO', section]);
  return new Map(
    text
      .split(/\r?\n/)
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)] as [string, string]),
  );
}

export const usedMemory = async (connection: RedisConnection): Promise<number> =>
  Number((await infoFields(connection, 'memory')).get('used_memory'));
export const evictedKeys = async (connection: RedisConnection): Promise<number> =>
  Number((await infoFields(connection, 'stats')).get('evicted_keys'));
export const setMaxmemory = (connection: RedisConnection, bytes: number): Promise<unknown> =>
  connection.send(['CONFIG', 'SET', 'maxmemory', String(bytes)]);

/**
 * A digest of the whole dataset (every key, value and expiry): equal before and after a call
 * that changed nothing. Needs a server started with `--enable-debug-command yes`.
 */
export const datasetDigest = (connection: RedisConnection): Promise<string> => connection.send<string>(['DEBUG', 'DIGEST']);

/** The keys of user `userId` (tenant `tenant`) under `prefix`, in any layout: their hash tag, or one of their agents'. */
export async function userKeys(connection: RedisConnection, prefix: string, tenant: string, userId: string): Promise<string[]> {
  const all = await keysMatching(connection, `${prefix}:*`);
  return all.filter((k) => k.includes(`{${tenant}:${userId}}`) || k.includes(`{${tenant}:${userId}:`));
}

// ——— sessions: whole or gone ———

/** What one session's writer did: message `i` has content `<label>:<i>` and is followed by state `{ i }` and tool result `t<i>`. */
export interface SessionHistory {
  label: string;
  /** The index of the last append acknowledged; -1 before the first. */
  lastAcked: number;
}

export interface SessionView {
  gone: boolean;
  messages: number;
  /** Problems found: what makes the session neither whole nor gone. */
  broken: string[];
}

/**
 * Reads a session (messages, info, state, tool results) with nothing writing it, and checks that it
 * is either gone (every read sees nothing) or whole: its messages are `<label>:a` … `<label>:b`,
 * consecutive, b the last acknowledged append, as many as `info()` counts (and, with no trimming,
 * as `totalMessages`), and its state and tool results belong to the same run of writes (index a-1 … b).
 */
export async function viewSession(
  session: Session,
  history: SessionHistory,
  opts: { trims: boolean } = { trims: false },
): Promise<SessionView> {
  const [info, messages, state, tools] = [
    await session.info(),
    await session.messages(),
    await session.state.get(),
    await session.toolResults(),
  ];
  const broken: string[] = [];
  const id = `${history.label}`;
  if (info === null) {
    if (messages.length > 0) broken.push(`${id}: gone (info null) but ${messages.length} messages read`);
    if (state.version !== 0 || Object.keys(state.value).length > 0) broken.push(`${id}: gone but state ${JSON.stringify(state)}`);
    if (Object.keys(tools).length > 0) broken.push(`${id}: gone but tool results ${Object.keys(tools).join(',')}`);
    return { gone: true, messages: 0, broken };
  }
  if (info.messageCount !== messages.length)
    broken.push(`${id}: info().messageCount ${info.messageCount} but ${messages.length} messages read`);
  if (!opts.trims && info.totalMessages !== messages.length)
    broken.push(`${id}: ${messages.length} messages but totalMessages ${info.totalMessages} (leftovers mixed with a new run?)`);
  const indexes = messages.map((m) => {
    const text = typeof m.content === 'string' ? m.content : '';
    const match = new RegExp(`^${history.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)(?:\\s|$)`).exec(text);
    return match ? Number(match[1]) : NaN;
  });
  if (indexes.some(Number.isNaN)) broken.push(`${id}: messages of another session or writer`);
  for (let i = 1; i < indexes.length; i++) {
    if (indexes[i] !== indexes[i - 1]! + 1) {
      broken.push(`${id}: messages not consecutive (${indexes[i - 1]} then ${indexes[i]})`);
      break;
    }
  }
  if (indexes.length > 0 && indexes.at(-1) !== history.lastAcked)
    broken.push(`${id}: newest message ${indexes.at(-1)} but the last acknowledged append was ${history.lastAcked}`);
  const low = indexes.length > 0 ? indexes[0]! - 1 : history.lastAcked;
  const inRun = (n: unknown) => typeof n === 'number' && n >= low && n <= history.lastAcked;
  if (state.version > 0 && !inRun(state.value.i))
    broken.push(`${id}: state ${JSON.stringify(state.value.i)} from another run of writes (messages ${indexes[0]}…${indexes.at(-1)})`);
  if (state.version === 0 && Object.keys(state.value).length > 0) broken.push(`${id}: state without a version`);
  for (const [toolId, value] of Object.entries(tools)) {
    const n = Number(toolId.slice(1));
    if (!inRun(n) || (value as { i?: unknown } | null)?.i !== n)
      broken.push(`${id}: tool result ${toolId} from another run of writes (messages ${indexes[0]}…${indexes.at(-1)})`);
  }
  return { gone: false, messages: messages.length, broken };
}

/** One async lock per name; `hold(names)` takes them in a fixed order, so two holders never deadlock. */
export class Locks {
  readonly #tails = new Map<string, Promise<void>>();

  async hold<T>(names: readonly string[], body: () => Promise<T>): Promise<T> {
    const releases: (() => void)[] = [];
    for (const name of [...new Set(names)].sort()) {
      const previous = this.#tails.get(name) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((r) => (release = r));
      this.#tails.set(
        name,
        previous.then(() => mine),
      );
      await previous;
      releases.push(release);
    }
    try {
      return await body();
    } finally {
      for (const release of releases) release();
    }
  }
}
