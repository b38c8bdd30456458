// The fault suite's workloads and their audit: session appends and cache sets driven the way an
// application would (each failure retried with the same idempotency key until acknowledged), a log
// of every attempt, and the check through a direct connection that counts lost, duplicated and
// stale writes. Test harness only: it asserts nothing itself.
import type { AgentMemory } from '../../src/index.js';
import { AgentMemoryError } from '../../src/errors.js';
import type { Cache } from '../../src/cache/cache.js';
import type { SessionRef } from '../../src/session/session.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A call still pending this long after it began is counted as hung and retried (its late outcome
 * ignored): every library call is bounded by commandTimeoutMs (at most 2 s in this suite), so
 * none should get here, and a hang shows up as a figure instead of a stalled test.
 */
export const HANG_AFTER_MS = 6000;

const HUNG = Symbol('hung');

/** `call()`, or HUNG if it has not settled within HANG_AFTER_MS. */
async function bounded<T>(call: () => Promise<T>): Promise<T | typeof HUNG> {
  let timer: NodeJS.Timeout | undefined;
  const pending = call();
  pending.catch(() => undefined);
  try {
    return await Promise.race([pending, new Promise<typeof HUNG>((r) => (timer = setTimeout(() => r(HUNG), HANG_AFTER_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every failed attempt, by code; anything that is not an AgentMemoryError is kept whole. */
export class FailureLog {
  readonly byCode = new Map<string, number>();
  /** Failures with `transient: false`, by code (a retry of the same call later succeeded). */
  readonly permanentByCode = new Map<string, number>();
  readonly untyped: unknown[] = [];
  readonly at: number[] = [];
  /** Calls that had not settled (neither resolved nor rejected) HANG_AFTER_MS after they began. */
  hung = 0;

  record(error: unknown): void {
    this.at.push(Date.now());
    if (error instanceof AgentMemoryError && typeof error.code === 'string') {
      this.byCode.set(error.code, (this.byCode.get(error.code) ?? 0) + 1);
      if (!error.transient) this.permanentByCode.set(error.code, (this.permanentByCode.get(error.code) ?? 0) + 1);
    } else {
      this.untyped.push(error);
    }
  }

  get total(): number {
    return this.at.length;
  }

  get typed(): number {
    return this.total - this.untyped.length;
  }

  get permanent(): number {
    return [...this.permanentByCode.values()].reduce((a, b) => a + b, 0);
  }

  /** e.g. `37 failed typed (CONNECTION_FAILED 30, TIMEOUT 7), 0 untyped, 0 not marked transient, 0 hung` */
  describe(): string {
    const codes = [...this.byCode].map(([code, n]) => `${code} ${n}`).join(', ');
    const untyped = this.untyped.length === 0 ? '0 untyped' : `${this.untyped.length} untyped (${describeUntyped(this.untyped)})`;
    const permanent = [...this.permanentByCode].map(([code, n]) => `${code} ${n}`).join(', ');
    return `${this.typed} failed typed${codes ? ` (${codes})` : ''}, ${untyped}, ${this.permanent} not marked transient${permanent ? ` (${permanent})` : ''}, ${this.hung} hung`;
  }
}

/** One line for an error: `ConnectionError CONNECTION_FAILED (transient)`, or `untyped Error: read ECONNRESET`. */
export function describeError(e: unknown): string {
  if (e instanceof AgentMemoryError) return `${e.name} ${e.code}${e.transient ? ' (transient)' : ''}`;
  return e instanceof Error ? `untyped ${e.constructor.name}: ${e.message}` : `untyped ${String(e)}`;
}

/** Every untyped failure in the logs, described: what the fault checks expect to be none. */
export function untypedFailures(...logs: FailureLog[]): string[] {
  return logs.flatMap((l) => l.untyped.map(describeError));
}

function describeUntyped(errors: unknown[]): string {
  const kinds = new Map<string, number>();
  for (const e of errors) {
    const kind = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return [...kinds].map(([k, n]) => `${n}× ${k}`).join('; ');
}

export interface WriteRecord {
  /** The message content and the call's idempotency key. */
  id: string;
  ref: SessionRef;
  attempts: number;
  /** When the append was acknowledged (ms since the epoch); undefined if it never was. */
  ackedAt?: number;
  /** When the attempt that was acknowledged started. */
  ackedAttemptAt?: number;
  /** An attempt after a failure found the write already there (its earlier reply was lost). */
  alreadyApplied: boolean;
}

export interface AppendLoad {
  label: string;
  writes: WriteRecord[];
  failures: FailureLog;
  /** When each acknowledgement came, in order. */
  acks: number[];
  /** Settles when every write is acknowledged or given up. */
  done: Promise<void>;
  /** Resolves once `n` writes are acknowledged. */
  acked(n: number): Promise<void>;
}

export interface AppendLoadOptions {
  /** Sessions to spread the writes over, round robin. */
  refs: SessionRef[];
  /** How many writes. */
  total: number;
  concurrency: number;
  /** Prefix of each write's id (content and idempotency key). */
  label: string;
  /** A write still failing this long after its first attempt is given up. */
  giveUpAfterMs: number;
}

/** The bookkeeping both workloads share: the log, and one write retried until acknowledged. */
function appendLog(memory: AgentMemory, label: string, giveUpAfterMs: number) {
  const writes: WriteRecord[] = [];
  const failures = new FailureLog();
  const acks: number[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const wake = (all = false) => {
    for (const w of waiters.filter((w) => all || acks.length >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  /** Appends `write`, retrying (10–30 ms apart) with the same message and idempotency key. */
  const write = async (record: WriteRecord): Promise<void> => {
    const session = memory.sessions.session(record.ref);
    const started = Date.now();
    for (;;) {
      record.attempts++;
      const attemptAt = Date.now();
      try {
        const result = await bounded(() => session.append({ role: 'user', content: record.id }, { idempotencyKey: record.id }));
        if (result === HUNG) {
          failures.hung++;
          if (Date.now() - started > giveUpAfterMs) return;
          continue;
        }
        record.ackedAt = Date.now();
        record.ackedAttemptAt = attemptAt;
        record.alreadyApplied = record.attempts > 1 && result.duplicates === 1;
        acks.push(record.ackedAt);
        wake();
        return;
      } catch (error) {
        failures.record(error);
        if (Date.now() - started > giveUpAfterMs) return;
        await sleep(10 + Math.random() * 20);
      }
    }
  };
  const load = (done: Promise<unknown>): AppendLoad => ({
    label,
    writes,
    failures,
    acks,
    done: done.then(() => wake(true)),
    acked: (n) => (acks.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
  });
  return { writes, write, load };
}

const newWrite = (label: string, index: number, ref: SessionRef): WriteRecord => ({
  id: `${label}-${index}`,
  ref,
  attempts: 0,
  alreadyApplied: false,
});

/**
 * Appends `total` one-message calls, `concurrency` at a time, spread round robin over `refs`; a
 * failed call is retried with the same message and idempotency key until acknowledged, as the README advises.
 */
export function runAppends(memory: AgentMemory, options: AppendLoadOptions): AppendLoad {
  const { refs, total, concurrency, label, giveUpAfterMs } = options;
  const log = appendLog(memory, label, giveUpAfterMs);
  for (let i = 0; i < total; i++) log.writes.push(newWrite(label, i, refs[i % refs.length]!));
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < total; i = next++) await log.write(log.writes[i]!);
  };
  return log.load(Promise.all(Array.from({ length: concurrency }, worker)));
}

/**
 * One writer per session, each appending every `paceMs` (one call at a time, retried as
 * {@link runAppends} does) until `stop()`: a user whose server is down stalls; the others go on.
 */
export function runSessionWriters(
  memory: AgentMemory,
  options: { refs: SessionRef[]; paceMs: number; label: string; giveUpAfterMs: number },
): AppendLoad & { stop(): void } {
  const { refs, paceMs, label, giveUpAfterMs } = options;
  const log = appendLog(memory, label, giveUpAfterMs);
  let stopped = false;
  const writer = async (ref: SessionRef) => {
    while (!stopped) {
      const record = newWrite(label, log.writes.length, ref);
      log.writes.push(record);
      await log.write(record);
      await sleep(paceMs);
    }
  };
  return { ...log.load(Promise.all(refs.map(writer))), stop: () => (stopped = true) };
}

export interface AppendAudit {
  acknowledged: number;
  /** Acknowledged writes found nowhere. */
  lost: WriteRecord[];
  /** Writes found more than once. */
  duplicated: string[];
  /** Writes never acknowledged (given up), and how many of them were written anyway. */
  unacknowledged: number;
  unacknowledgedPresent: number;
  /** Retries that found their write already applied: replies the fault swallowed. */
  alreadyApplied: number;
  /** Messages with this load's label that no write of it made. */
  strangers: number;
}

/** Reads every session of the load through `direct` (a connection the faults never touched) and counts. */
export async function auditAppends(direct: AgentMemory, load: AppendLoad): Promise<AppendAudit> {
  const refs = [...new Map(load.writes.map((w) => [`${w.ref.tenant}/${w.ref.userId}/${w.ref.sessionId}`, w.ref])).values()];
  const seen = new Map<string, number>();
  for (const ref of refs) {
    for (const message of await direct.sessions.session(ref).messages()) {
      const content = String(message.content);
      seen.set(content, (seen.get(content) ?? 0) + 1);
    }
  }
  const ids = new Set(load.writes.map((w) => w.id));
  const unacked = load.writes.filter((w) => w.ackedAt === undefined);
  return {
    acknowledged: load.writes.length - unacked.length,
    lost: load.writes.filter((w) => w.ackedAt !== undefined && !seen.has(w.id)),
    duplicated: [...seen].filter(([, n]) => n > 1).map(([id]) => id),
    unacknowledged: unacked.length,
    unacknowledgedPresent: unacked.filter((w) => seen.has(w.id)).length,
    alreadyApplied: load.writes.filter((w) => w.alreadyApplied).length,
    strangers: [...seen.keys()].filter((id) => id.startsWith(`${load.label}-`) && !ids.has(id)).length,
  };
}

export interface CacheLoad {
  /** Per key, the last version acknowledged (0: none). */
  lastAcked: Map<string, number>;
  failures: FailureLog;
  acks: number[];
  /** Sets never acknowledged (given up). */
  givenUp: number;
  done: Promise<void>;
}

/**
 * Sets each of `keys` to versions 1..`versions` in order (a key's next version only after its
 * previous one was acknowledged), `concurrency` keys at a time, retrying each failed set.
 */
export function runCacheSets(
  cache: Cache,
  options: { keys: string[]; versions: number; concurrency: number; giveUpAfterMs: number },
): CacheLoad {
  const { keys, versions, concurrency, giveUpAfterMs } = options;
  const lastAcked = new Map(keys.map((k) => [k, 0]));
  const failures = new FailureLog();
  const acks: number[] = [];
  const load: CacheLoad = { lastAcked, failures, acks, givenUp: 0, done: Promise.resolve() };
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < keys.length; i = next++) {
      const key = keys[i]!;
      for (let version = 1; version <= versions; version++) {
        const started = Date.now();
        for (;;) {
          try {
            if ((await bounded(() => cache.set(key, { key, version }))) === HUNG) {
              failures.hung++;
              if (Date.now() - started > giveUpAfterMs) {
                load.givenUp++;
                break;
              }
              continue;
            }
            lastAcked.set(key, version);
            acks.push(Date.now());
            break;
          } catch (error) {
            failures.record(error);
            if (Date.now() - started > giveUpAfterMs) {
              load.givenUp++;
              break;
            }
            await sleep(10 + Math.random() * 20);
          }
        }
      }
    }
  };
  load.done = Promise.all(Array.from({ length: concurrency }, worker)).then(() => undefined);
  return load;
}

/** Reads every key through `direct`: missing ones are lost, older versions than acknowledged are stale. */
export async function auditCache(direct: Cache, load: CacheLoad): Promise<{ acknowledged: number; lost: number; stale: number }> {
  let lost = 0;
  let stale = 0;
  let acknowledged = 0;
  for (const [key, version] of load.lastAcked) {
    if (version === 0) continue;
    acknowledged++;
    const found = await direct.get<{ key: string; version: number }>(key);
    if (found === undefined) lost++;
    else if (found.key !== key || found.version < version) stale++;
  }
  return { acknowledged, lost, stale };
}

/** After each of `cuts` (times), how long until the next acknowledgement: [median, max] in ms. */
export function recoveryAfter(cuts: number[], acks: number[]): { median: number; max: number } {
  const sorted = [...acks].sort((a, b) => a - b);
  const gaps = cuts
    .map((cut) => sorted.find((a) => a >= cut))
    .map((ack, i) => (ack === undefined ? Number.POSITIVE_INFINITY : ack - cuts[i]!))
    .sort((a, b) => a - b);
  return { median: gaps[Math.floor(gaps.length / 2)] ?? 0, max: gaps.at(-1) ?? 0 };
}
