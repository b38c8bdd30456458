// The typed gateway to the session scripts (session-*.lua): one builder per script that lays out
// KEYS and ARGV exactly as its header (and includes/session.lua) documents, and one runner that
// sends it and decodes the reply. Builders are pure; stores never build these arrays themselves.
import type { RedisConnection } from '../connection/connect.js';
import type { SessionKeys, UserKeys } from '../keys.js';
import { OutOfMemoryError } from '../errors.js';
import type { TtlPolicy } from '../ttl.js';
import { pairs, runCall, runCallInTransaction, type ScriptCall } from './call.js';
import { script } from './index.js';

const APPEND = script('session-append-8');
const OPEN = script('session-open-7');
const READ = script('session-read-7');
const WRITE = script('session-write-7');
const WRITE_STATE = script('session-write-state-8');
const COMMIT_SUMMARY = script('session-commit-summary-7');
const CLEAR = script('session-clear-8');
const LIST = script('session-list-1');
const INDEX_REBUILD = script('session-index-rebuild-1');

/** The session a script runs on, and the TTL policy it writes with (KEYS[1..7], ARGV[1..4] of includes/session.lua). */
export interface SessionTarget {
  keys: SessionKeys;
  /** The user's session index (KEYS[7]). */
  index: string;
  sessionId: string;
  ttl: TtlPolicy;
  /** The caller sets the TTL policy explicitly; else the stored one wins. */
  ttlExplicit: boolean;
  /** Where the scripts that publish (append, clear, write-state) write their events (KEYS[8], ARGV[5..7] of includes/session-events.lua). */
  events: SessionEvents;
}

/** The event stream of the session's partition, and whether (and how capped) the store publishes to it. */
export interface SessionEvents {
  stream: string;
  /** The stream's cap (XADD MAXLEN ~), or undefined when the store publishes no events. */
  maxLen: number | undefined;
  tenant: string;
  userId: string;
}

/** `[mode, milliseconds]` as the session scripts take them. */
export function ttlArgs(policy: TtlPolicy): [string, string] {
  // A positive TTL never rounds to 0 ms (which would mean expiring at once, or forever elsewhere).
  return [policy.mode, policy.mode === 'none' ? '0' : String(Math.max(1, Math.ceil(policy.seconds * 1000)))];
}

function sessionCall(lua: ScriptCall['script'], t: SessionTarget, args: readonly string[]): ScriptCall {
  const k = t.keys;
  return {
    script: lua,
    keys: [k.messages, k.meta, k.state, k.tools, k.idempotency, k.pending, t.index],
    args: [t.sessionId, ...ttlArgs(t.ttl), t.ttlExplicit ? '1' : '0', ...args],
  };
}

/** A call of a script that publishes: sessionCall's KEYS and ARGV[1..4], then the event stream and ARGV[5..7]. */
function publishingCall(lua: ScriptCall['script'], t: SessionTarget, args: readonly string[]): ScriptCall {
  const base = sessionCall(lua, t, []);
  const e = t.events;
  return {
    script: lua,
    keys: [...base.keys, e.stream],
    args: [...base.args, e.maxLen === undefined ? '' : String(e.maxLen), e.tenant, e.userId, ...args],
  };
}

/** Field writes of a hash: `set` as [field, JSON value] pairs, then the fields to delete. */
export interface FieldChanges {
  set: readonly (readonly [string, string])[];
  remove: readonly string[];
}

const fieldArgs = (c: FieldChanges): string[] => [String(c.set.length), ...c.set.flat(), ...c.remove];

// ——— session-append-8 ———

export interface AppendInput {
  /** Messages kept in the window (0: no limit). */
  maxMessages: number;
  /** What happens to trimmed messages. */
  trimmed: 'drop' | 'summarize';
  idempotencyWindow: number;
  idempotencyKey?: string | undefined;
  /** Per message: its dedupe id ('' none), its id (for the event) and its JSON. */
  messages: readonly { dedupeId: string; id: string; json: string }[];
}

export interface AppendReply {
  appended: number;
  /** Messages in the window after the trim. */
  length: number;
  /** Messages waiting for the summarizer. */
  pending: number;
  /** Per message: true appended, false skipped as a duplicate. */
  flags: boolean[];
}

export function sessionAppendCall(t: SessionTarget, input: AppendInput): ScriptCall {
  return publishingCall(APPEND, t, [
    String(input.maxMessages),
    input.trimmed,
    String(input.idempotencyWindow),
    input.idempotencyKey ?? '',
    String(input.messages.length),
    ...input.messages.flatMap((m) => [m.dedupeId, m.id, m.json]),
  ]);
}

export async function sessionAppend(connection: RedisConnection, t: SessionTarget, input: AppendInput): Promise<AppendReply> {
  const [appended, length, pending, flags] = await runCall<[number, number, number, string]>(connection, sessionAppendCall(t, input));
  return { appended, length, pending, flags: [...String(flags)].map((c) => c === '1') };
}

// ——— session-open-7, then plain reads (session-read-7 at maxmemory on older servers) ———

/** Which parts of a session to read; messages from `from` to `to` (LRANGE indexes) when `from` is given. */
export interface ReadParts {
  from?: number | undefined;
  to?: number | undefined;
  meta?: boolean | undefined;
  state?: boolean | undefined;
  /** A tool call id, or '*' for every tool result. */
  tool?: string | undefined;
  pending?: boolean | undefined;
}

export interface SessionReadReply {
  messages: string[];
  length: number;
  meta: Map<string, string>;
  /** Remaining TTL in ms (-1: none; only read with `meta`). */
  pttl: number;
  state: Map<string, string>;
  tools: Map<string, string>;
  pending: string[];
}

/** The script that opens a read (checks whole-or-gone, moves a sliding deadline when due). */
export function sessionOpenCall(t: SessionTarget): ScriptCall {
  return sessionCall(OPEN, t, []);
}

/**
 * A whole hash as field/value pairs in an array: HRANDFIELD with a count above any hash's size
 * returns every field once. Not HGETALL: in RESP3 that is a map, which node-redis decodes into a
 * plain object, where a field named `__proto__` (a state or tool call id can be one) is lost.
 */
const wholeHash = (key: string): string[] => ['HRANDFIELD', key, '2147483647', 'WITHVALUES'];

/**
 * The plain commands that read `parts`, run in the same MULTI right after session-open-7 (or the
 * check commands): the messages (if asked), the length, then meta and its PTTL, state, tool
 * results, pending messages (each if asked), in that order.
 */
export function sessionReadCommands(t: SessionTarget, parts: ReadParts): string[][] {
  const k = t.keys;
  const commands: string[][] = [];
  if (parts.from !== undefined) commands.push(['LRANGE', k.messages, String(parts.from), String(parts.to ?? -1)]);
  commands.push(['LLEN', k.messages]);
  if (parts.meta) commands.push(wholeHash(k.meta), ['PTTL', k.meta]);
  if (parts.state) commands.push(wholeHash(k.state));
  if (parts.tool === '*') commands.push(wholeHash(k.tools));
  else if (parts.tool !== undefined && parts.tool !== '') commands.push(['HGET', k.tools, parts.tool]);
  if (parts.pending) commands.push(['LRANGE', k.pending, '0', '-1']);
  return commands;
}

/**
 * The whole-or-gone check of includes/session.lua's load_session as plain commands, for a read
 * that has no deadline to move: meta's policy and counters, its PTTL, and whether each other key
 * exists. decodeSessionCheck reads their replies exactly as load_session reads the same values.
 */
export function sessionCheckCommands(t: SessionTarget): string[][] {
  const k = t.keys;
  return [
    ['HMGET', k.meta, 'ttl_mode', 'ttl_ms', 'n_msgs', 'n_pending', 'n_tools', 'state_bytes', 'idem'],
    ['PTTL', k.meta],
    ['EXISTS', k.messages],
    ['EXISTS', k.state],
    ['EXISTS', k.tools],
    ['EXISTS', k.idempotency],
    ['EXISTS', k.pending],
  ];
}

/** What a read learned of a whole session: its policy and remaining TTL (ms, -1: none). */
export interface SessionPulse {
  mode: string;
  ttlMs: number;
  remainingMs: number;
}

/** The replies of sessionCheckCommands: null when the session is gone (meta missing, or a key it expects missing). */
export function decodeSessionCheck(replies: readonly unknown[]): SessionPulse | null {
  const [fields, pttl, msgs, state, tools, idem, pending] = replies as [(string | null)[], number, ...number[]];
  const [mode, ttl, nMsgs, nPending, nTools, stateBytes, nIdem] = fields;
  if (mode === null || mode === undefined) return null;
  const expects = (count: string | null | undefined, exists: number | undefined) => Number(count ?? 0) > 0 && Number(exists) !== 1;
  if (expects(nMsgs, msgs) || expects(stateBytes, state) || expects(nTools, tools) || expects(nIdem, idem) || expects(nPending, pending))
    return null;
  return { mode, ttlMs: Number(ttl ?? 0), remainingMs: Number(pttl) };
}

/** The step a sliding deadline moves by, at least (includes/session.lua step_of): min(1% of the TTL, 1 s). */
const stepOf = (ttlMs: number): number => (ttlMs > 0 ? Math.min(ttlMs / 100, 1000) : 1000);

/**
 * Per store: until when (performance.now()) each session read recently has no deadline to move,
 * with the policy it had, so its reads can skip the script. Bounded; forgetting costs one script.
 */
export class ReadSkips {
  readonly #until = new Map<string, { at: number; mode: string; ttlMs: number }>();
  constructor(readonly capacity = 10_000) {}

  /** The policy a read may assume of `metaKey` now, or undefined when it must run the script. */
  get(metaKey: string): { mode: string; ttlMs: number } | undefined {
    const known = this.#until.get(metaKey);
    if (known && performance.now() < known.at) return known;
    if (known) this.#until.delete(metaKey);
    return undefined;
  }

  /** After a script read that began at `sentAt`: a sliding session's deadline is due again `step` after it was last moved. */
  remember(metaKey: string, pulse: SessionPulse, sentAt: number): void {
    const at =
      pulse.mode !== 'sliding'
        ? Number.POSITIVE_INFINITY
        : pulse.remainingMs < 0
          ? sentAt
          : sentAt + pulse.remainingMs - pulse.ttlMs + stepOf(pulse.ttlMs);
    if (at <= sentAt) return;
    if (this.#until.size >= this.capacity) this.#until.clear();
    this.#until.set(metaKey, { at, mode: pulse.mode, ttlMs: pulse.ttlMs });
  }

  forget(metaKey: string): void {
    this.#until.delete(metaKey);
  }
}

/** A sliding session whose deadline would move by at least the step: a read must move it. */
const slidingDue = (p: SessionPulse): boolean => p.mode === 'sliding' && (p.remainingMs < 0 || p.ttlMs - p.remainingMs >= stepOf(p.ttlMs));

/**
 * Decodes a read's replies after its opening (session-open-7's or the check's): null when
 * `whole` is false, whatever the reads returned (leftovers are never data).
 */
export function decodeSessionRead(parts: ReadParts, whole: boolean, replies: readonly unknown[]): SessionReadReply | null {
  if (!whole) return null;
  let i = 0;
  const next = () => replies[i++];
  const messages = parts.from !== undefined ? (next() as string[]) : [];
  const length = Number(next());
  const meta = parts.meta ? hashReply(next()) : new Map<string, string>();
  const pttl = parts.meta ? Number(next()) : -1;
  const state = parts.state ? hashReply(next()) : new Map<string, string>();
  let tools = new Map<string, string>();
  if (parts.tool === '*') tools = hashReply(next());
  else if (parts.tool !== undefined && parts.tool !== '') {
    const value = next();
    if (value !== null && value !== undefined) tools = new Map([[parts.tool, String(value)]]);
  }
  const pending = parts.pending ? (next() as string[]) : [];
  return { messages, length, meta, pttl, state, tools, pending };
}

/** HRANDFIELD … WITHVALUES as a Map: pairs of [field, value] (RESP3) or a flat array (RESP2). */
function hashReply(reply: unknown): Map<string, string> {
  if (!Array.isArray(reply)) return new Map();
  if (reply.length > 0 && Array.isArray(reply[0])) return new Map((reply as [string, string][]).map(([f, v]) => [String(f), String(v)]));
  return pairs(reply as string[]);
}

/** session-open-7's reply as a pulse; null when the session is gone. */
function decodeOpen(reply: unknown): SessionPulse | null {
  const [whole, mode, ttl, remaining] = reply as [number, string?, number?, number?];
  if (Number(whole) !== 1) return null;
  return { mode: String(mode), ttlMs: Number(ttl ?? 0), remainingMs: Number(remaining ?? -1) };
}

/** session-read-7: the same read, every part returned by the script (the read at maxmemory where a MULTI is refused). */
export function sessionReadCall(t: SessionTarget, parts: ReadParts): ScriptCall {
  return sessionCall(READ, t, [
    parts.from === undefined ? '' : String(parts.from),
    String(parts.to ?? -1),
    parts.meta ? '1' : '0',
    parts.state ? '1' : '0',
    parts.tool ?? '',
    parts.pending ? '1' : '0',
  ]);
}

/** Decodes session-read-7's reply; null when the session does not exist. */
export function decodeSessionReadScript(reply: readonly unknown[]): SessionReadReply | null {
  if (reply[0] === 0) return null;
  const [, messages, length, meta, pttl, state, tools, pending] = reply as [
    number,
    string[],
    number,
    string[],
    number,
    string[],
    string[],
    string[],
  ];
  return { messages, length, meta: pairs(meta), pttl, state: pairs(state), tools: pairs(tools), pending };
}

/**
 * Reads parts of a session in one round trip, null when it is gone; no data passes through Lua.
 * A read that may have a sliding deadline to move is a MULTI of session-open-7 (whole-or-gone,
 * deadline moved when due) and plain reads. A read that `skips` says has none (this store read the
 * session within the step, with the same policy) is a MULTI of plain commands only: the check of
 * sessionCheckCommands, then the reads; if the check finds the policy changed and the deadline
 * due after all, session-open-7 runs after it (a second round trip, rare). At maxmemory, a server
 * that refuses to queue commands in a MULTI (Redis 7.0 does; 8 queues reads) is asked again with
 * session-read-7, which reads there.
 */
export async function sessionRead(
  connection: RedisConnection,
  t: SessionTarget,
  parts: ReadParts,
  skips?: ReadSkips,
): Promise<SessionReadReply | null> {
  const metaKey = t.keys.meta;
  const reads = sessionReadCommands(t, parts);
  try {
    const known = skips?.get(metaKey);
    if (known) {
      const check = sessionCheckCommands(t);
      const replies = await connection.transaction([...check, ...reads], t.keys.messages);
      const pulse = decodeSessionCheck(replies.slice(0, check.length));
      if (!pulse) {
        skips!.forget(metaKey);
        return null;
      }
      if (pulse.mode !== known.mode || pulse.ttlMs !== known.ttlMs || slidingDue(pulse)) {
        skips!.forget(metaKey);
        if (slidingDue(pulse)) await runCall(connection, sessionOpenCall(t));
      }
      return decodeSessionRead(parts, true, replies.slice(check.length));
    }
    const sentAt = performance.now();
    const [open, ...replies] = await runCallInTransaction(connection, sessionOpenCall(t), reads);
    const pulse = decodeOpen(open);
    if (pulse) skips?.remember(metaKey, pulse, sentAt);
    else skips?.forget(metaKey);
    return decodeSessionRead(parts, pulse !== null, replies);
  } catch (error) {
    if (!(error instanceof OutOfMemoryError)) throw error;
    skips?.forget(metaKey);
    return decodeSessionReadScript(await runCall<unknown[]>(connection, sessionReadCall(t, parts)));
  }
}

// ——— session-write-7 ———

/** A tool result to store and/or metadata fields to change (none of either: only the TTL policy and activity). */
export interface WriteInput {
  toolResult?: { toolCallId: string; json: string } | undefined;
  metadata?: FieldChanges | undefined;
}

export function sessionWriteCall(t: SessionTarget, input: WriteInput): ScriptCall {
  return sessionCall(WRITE, t, [
    input.toolResult?.toolCallId ?? '',
    input.toolResult?.json ?? '',
    ...fieldArgs(input.metadata ?? { set: [], remove: [] }),
  ]);
}

export async function sessionWrite(connection: RedisConnection, t: SessionTarget, input: WriteInput): Promise<void> {
  await runCall(connection, sessionWriteCall(t, input));
}

// ——— session-write-state-8 ———

export interface WriteStateInput extends FieldChanges {
  mode: 'replace' | 'patch';
  /** Compare-and-set: write only at this version. */
  expectedVersion?: number | undefined;
  /** Size limit of the whole state, in bytes. */
  maxBytes: number;
}

export function sessionWriteStateCall(t: SessionTarget, input: WriteStateInput): ScriptCall {
  return publishingCall(WRITE_STATE, t, [
    input.mode,
    input.expectedVersion === undefined ? '' : String(input.expectedVersion),
    String(input.maxBytes),
    ...fieldArgs(input),
  ]);
}

/** Returns the state's new version. */
export function sessionWriteState(connection: RedisConnection, t: SessionTarget, input: WriteStateInput): Promise<number> {
  return runCall<number>(connection, sessionWriteStateCall(t, input));
}

// ——— session-commit-summary-7 ———

export interface CommitSummaryInput {
  /** The summary version the new summary was built on (compare-and-set). */
  expectedVersion: string;
  /** How many pending messages, from the head, it covers. */
  covers: number;
  summary: string;
}

export function sessionCommitSummaryCall(t: SessionTarget, input: CommitSummaryInput): ScriptCall {
  return sessionCall(COMMIT_SUMMARY, t, [input.expectedVersion, String(input.covers), input.summary]);
}

/** Returns the new summary version; ConflictError when another summary was committed first. */
export function sessionCommitSummary(connection: RedisConnection, t: SessionTarget, input: CommitSummaryInput): Promise<number> {
  return runCall<number>(connection, sessionCommitSummaryCall(t, input));
}

// ——— session-clear-8 ———

/** 'messages': the messages, pending ones and summary; 'session': every key of the session. */
export type ClearWhat = 'messages' | 'session';

export function sessionClearCall(t: SessionTarget, what: ClearWhat): ScriptCall {
  return publishingCall(CLEAR, t, [what]);
}

/** Returns how many messages were removed. */
export function sessionClear(connection: RedisConnection, t: SessionTarget, what: ClearWhat): Promise<number> {
  return runCall<number>(connection, sessionClearCall(t, what));
}

// ——— session-list-1 ———

/** The keys of a user that the listing scripts take. */
export type SessionIndexKeys = Pick<UserKeys, 'sessions' | 'sessionPrefix'>;

export interface ListInput {
  offset: number;
  limit: number;
  /** Session ids to list instead of the index's (what a SCAN found); read-only then. */
  ids?: readonly string[] | undefined;
}

export interface ListedSession {
  sessionId: string;
  meta: Map<string, string>;
  messageCount: number;
  /** Remaining TTL in ms (-1: none). */
  pttl: number;
}

export function sessionListCall(keys: SessionIndexKeys, input: ListInput): ScriptCall {
  return {
    script: LIST,
    keys: [keys.sessions],
    args: [keys.sessionPrefix, String(input.offset), String(input.limit), ...(input.ids ?? [])],
  };
}

/** Decodes session-list-1's reply; null when the index is missing or not known complete (rebuild it). */
export function decodeSessionList(reply: readonly unknown[]): { total: number; sessions: ListedSession[] } | null {
  const [total, ...rows] = reply as [number, ...[string, string[], number, number][]];
  if (total === -1) return null;
  return { total, sessions: rows.map(([sessionId, meta, messageCount, pttl]) => ({ sessionId, meta: pairs(meta), messageCount, pttl })) };
}

export async function sessionList(
  connection: RedisConnection,
  keys: SessionIndexKeys,
  input: ListInput,
): Promise<{ total: number; sessions: ListedSession[] } | null> {
  return decodeSessionList(await runCall<unknown[]>(connection, sessionListCall(keys, input)));
}

// ——— session-index-rebuild-1 ———

export interface IndexRebuildInput {
  /** TTL in ms of an index with no session. */
  emptyIndexTtlMs: number;
  /** The session ids a SCAN found. */
  ids: readonly string[];
}

export function sessionIndexRebuildCall(keys: SessionIndexKeys, input: IndexRebuildInput): ScriptCall {
  return { script: INDEX_REBUILD, keys: [keys.sessions], args: [keys.sessionPrefix, String(input.emptyIndexTtlMs), ...input.ids] };
}

/** Returns how many live sessions were indexed. */
export function sessionIndexRebuild(connection: RedisConnection, keys: SessionIndexKeys, input: IndexRebuildInput): Promise<number> {
  return runCall<number>(connection, sessionIndexRebuildCall(keys, input));
}
