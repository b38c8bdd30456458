// One conversation's working memory: messages (window, summary, token-budget reads), tool-call
// results, metadata and TTL. Every method is one script call, one round trip; the summarizer is
// the only extra work, and only after a trim. It must never write anything when validation fails.
import { z } from 'zod';
import type { RedisConnection } from '../connection/connect.js';
import { ConflictError, InvalidArgumentError } from '../errors.js';
import { SESSION_KEY_SUFFIXES, type SessionKeys } from '../keys.js';
import { runScript, script, type LuaScript } from '../scripts/index.js';
import { checkSize, encodeJson, JsonValueSchema, jsonRecordSchema, parseInput } from '../validate.js';
import {
  MessageInputSchema,
  completeMessage,
  decodeMessage,
  type Message,
  type MessageInput,
} from './message.js';
import { TtlPolicySchema, ttlArgs, type ResolvedSessionStoreOptions, type TtlPolicy } from './options.js';
import { ReasoningState } from './reasoning-state.js';

type Json = z.core.util.JSONType;

const SCRIPTS = {
  append: script('session-append-7'),
  read: script('session-read-7'),
  write: script('session-write-7'),
  commitSummary: script('session-commit-summary-7'),
  clear: script('session-clear-7'),
};

/** Which session: an optional tenant, a user and a session id (each a key part, see keys.ts). */
export interface SessionRef {
  tenant?: string | undefined;
  userId: string;
  sessionId: string;
}

export interface AppendResult {
  /** Ids of the given messages, in order (generated where none was given). */
  ids: string[];
  /** How many were written; the others were duplicates of earlier appends. */
  appended: number;
  duplicates: number;
  /** Messages in the window after the append and trim. */
  length: number;
  /** Set when the summarizer failed; the trimmed messages wait for the next attempt. */
  summaryError?: Error;
}

export interface SessionInfo {
  sessionId: string;
  createdAt: number;
  updatedAt: number;
  /** Messages in the window now. */
  messageCount: number;
  /** Messages ever appended (trimmed ones included). */
  totalMessages: number;
  metadata: Record<string, Json>;
  summary: string | null;
  stateVersion: number;
  ttl: { mode: TtlPolicy['mode']; seconds: number | null; expiresAt: number | null };
}

const ReadOptionsSchema = z
  .object({
    /** The newest `last` messages. */
    last: z.number().int().positive().optional(),
    /** Paging from the oldest message: skip `offset`, return up to `limit`. */
    offset: z.number().int().nonnegative().optional(),
    limit: z.number().int().positive().optional(),
    /** The newest messages whose tokens (with the summary's, for `window`) fit this budget. */
    maxTokens: z.number().int().positive().optional(),
  })
  .strict()
  .refine((o) => o.last === undefined || (o.offset === undefined && o.limit === undefined), {
    message: 'give either last or offset/limit, not both',
  })
  .refine((o) => o.maxTokens === undefined || (o.offset === undefined && o.limit === undefined), {
    message: 'maxTokens reads from the newest message; it does not combine with offset/limit',
  });
export type ReadOptions = z.input<typeof ReadOptionsSchema>;

const MessagesSchema = z.array(MessageInputSchema).min(1, 'give at least one message');

const AppendOptionsSchema = z
  .object({
    /** A retried call with the same key writes nothing twice, even if the first reply was lost. */
    idempotencyKey: z.string().min(1).max(256).optional(),
  })
  .strict();

const ToolCallIdSchema = z.string().min(1).max(256);
const MetadataPatchSchema = jsonRecordSchema(z.string().min(1).max(256), z.union([JsonValueSchema, z.undefined()]));

/** The plumbing every part of a session shares: its keys in script order and the common ARGV. */
export class SessionContext {
  readonly keyList: readonly string[];

  constructor(
    readonly connection: RedisConnection,
    readonly ref: Readonly<SessionRef>,
    readonly keys: SessionKeys,
    readonly index: string,
    readonly options: ResolvedSessionStoreOptions,
    private readonly ttl: TtlPolicy,
    private readonly ttlExplicit: boolean,
  ) {
    this.keyList = [...(Object.keys(SESSION_KEY_SUFFIXES) as (keyof SessionKeys)[]).map((k) => keys[k]), index];
  }

  /** Runs a session script with the session's keys and common ARGV; `ttl` sets the policy explicitly. */
  run<T>(lua: LuaScript, args: readonly string[], ttl?: TtlPolicy): Promise<T> {
    const policy = ttl ?? this.ttl;
    const common = [this.ref.sessionId, ...ttlArgs(policy), ttl || this.ttlExplicit ? '1' : '0'];
    return runScript<T>(this.connection, lua, this.keyList, [...common, ...args]);
  }

  /** Reads parts of the session; null when it does not exist. */
  async read(parts: { from?: number; to?: number; meta?: boolean; state?: boolean; tool?: string; pending?: boolean }): Promise<ReadReply | null> {
    const reply = await this.run<unknown[]>(SCRIPTS.read, [
      parts.from === undefined ? '' : String(parts.from),
      String(parts.to ?? -1),
      parts.meta ? '1' : '0',
      parts.state ? '1' : '0',
      parts.tool ?? '',
      parts.pending ? '1' : '0',
    ]);
    if (reply[0] === 0) return null;
    const [, messages, length, meta, pttl, state, tools, pending] = reply as [number, string[], number, string[], number, string[], string[], string[]];
    return { messages, length, meta: pairs(meta), pttl, state: pairs(state), tools: pairs(tools), pending };
  }
}

interface ReadReply {
  messages: string[];
  length: number;
  meta: Map<string, string>;
  pttl: number;
  state: Map<string, string>;
  tools: Map<string, string>;
  pending: string[];
}

function pairs(flat: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i]!, flat[i + 1]!);
  return out;
}

/** Builds {@link SessionInfo} from a session's metadata hash. */
export function sessionInfo(sessionId: string, meta: Map<string, string>, messageCount: number, pttl: number): SessionInfo {
  // fromEntries defines properties: a `__proto__` field stays a field.
  const metadata = Object.fromEntries([...meta].filter(([field]) => field.startsWith('m:')).map(([field, value]) => [field.slice(2), JSON.parse(value) as Json]));
  const mode = (meta.get('ttl_mode') ?? 'none') as TtlPolicy['mode'];
  const ttlMs = Number(meta.get('ttl_ms') ?? 0);
  return {
    sessionId,
    createdAt: Number(meta.get('created') ?? 0),
    updatedAt: Number(meta.get('updated') ?? 0),
    messageCount,
    totalMessages: Number(meta.get('total') ?? 0),
    metadata,
    summary: meta.get('summary') ?? null,
    stateVersion: Number(meta.get('state_v') ?? 0),
    ttl: { mode, seconds: mode === 'none' ? null : ttlMs / 1000, expiresAt: pttl >= 0 ? Date.now() + pttl : null },
  };
}

/** One conversation. Get it from `SessionStore.session(...)`; it holds no data itself. */
export class Session {
  readonly #ctx: SessionContext;
  /** The session's reasoning state: a JSON object with a version for compare-and-set. */
  readonly state: ReasoningState;

  /** @internal */
  constructor(ctx: SessionContext) {
    this.#ctx = ctx;
    this.state = new ReasoningState(ctx);
  }

  get sessionId(): string {
    return this.#ctx.ref.sessionId;
  }

  get userId(): string {
    return this.#ctx.ref.userId;
  }

  /**
   * Appends one or more messages atomically (trim, TTL refresh and session index included).
   * Bad input throws InvalidArgumentError and writes nothing.
   *
   * @example await session.append({ role: 'user', content: 'Hi!' }, { idempotencyKey: requestId });
   */
  async append(messages: MessageInput | MessageInput[], options: { idempotencyKey?: string } = {}): Promise<AppendResult> {
    const list = Array.isArray(messages) ? messages : [messages];
    const { idempotencyKey } = parseInput(AppendOptionsSchema, options, 'append options');
    const parsed = parseInput(MessagesSchema, list, 'messages');
    const now = Date.now();
    const { maxMessages, maxMessageBytes, summarizer, idempotencyWindow } = this.#ctx.options;
    const args: string[] = [String(maxMessages), summarizer ? 'summarize' : 'drop', String(idempotencyWindow), idempotencyKey ?? '', String(parsed.length)];
    const ids: string[] = [];
    parsed.forEach((input, i) => {
      const message = completeMessage(input, now);
      const json = encodeJson(message, 'messages', String(i));
      checkSize(json, maxMessageBytes, 'messages', String(i));
      ids.push(message.id);
      args.push(input.id ?? '', json);
    });
    const [appended, length, pending] = await this.#ctx.run<[number, number, number, string]>(SCRIPTS.append, args);
    const result: AppendResult = { ids, appended, duplicates: parsed.length - appended, length };
    if (pending > 0 && summarizer) {
      try {
        await this.summarize();
      } catch (error) {
        result.summaryError = error as Error;
      }
    }
    return result;
  }

  /**
   * Reads messages, oldest first: all of them, the `last` N, a page (`offset`, `limit`), or the
   * newest that fit `maxTokens`. A sliding session's TTL is refreshed. An expired session reads as [].
   */
  async messages(options: ReadOptions = {}): Promise<Message[]> {
    return (await this.#readMessages(parseInput(ReadOptionsSchema, options, 'read options'), false)).messages;
  }

  /** The running summary plus the newest messages (`last` or `maxTokens`, the summary counting against it). */
  async window(options: Pick<ReadOptions, 'last' | 'maxTokens'> = {}): Promise<{ summary: string | null; messages: Message[] }> {
    return this.#readMessages(parseInput(ReadOptionsSchema, options, 'window options'), true);
  }

  async #readMessages(o: z.output<typeof ReadOptionsSchema>, withSummary: boolean): Promise<{ summary: string | null; messages: Message[] }> {
    if (o.maxTokens !== undefined) return this.#readByTokens(o.maxTokens, o.last, withSummary);
    const [from, to] =
      o.last !== undefined ? [-o.last, -1] : [o.offset ?? 0, o.limit !== undefined ? (o.offset ?? 0) + o.limit - 1 : -1];
    const reply = await this.#ctx.read({ from, to, meta: withSummary });
    return { summary: reply?.meta.get('summary') ?? null, messages: (reply?.messages ?? []).map(decodeMessage) };
  }

  /** Newest messages within a token budget, reading pages from the end (usually one round trip). */
  async #readByTokens(maxTokens: number, last: number | undefined, withSummary: boolean) {
    const count = this.#ctx.options.tokenCounter;
    const page = Math.min(500, Math.max(20, Math.ceil(maxTokens / 25)));
    let budget = maxTokens;
    let summary: string | null = null;
    const picked: Message[] = [];
    for (let end = -1; ; end -= page) {
      const take = last === undefined ? page : Math.min(page, last - picked.length);
      if (take <= 0) break;
      const reply = await this.#ctx.read({ from: end - take + 1, to: end, meta: withSummary && end === -1 });
      if (!reply) break;
      if (end === -1 && withSummary) {
        summary = reply.meta.get('summary') ?? null;
        if (summary !== null) budget -= count({ id: 'summary', role: 'system', content: summary, createdAt: 0 });
      }
      const batch = reply.messages.map(decodeMessage);
      for (let i = batch.length - 1; i >= 0; i--) {
        const tokens = count(batch[i]!);
        if (tokens > budget) return { summary, messages: picked.reverse() };
        budget -= tokens;
        picked.push(batch[i]!);
      }
      if (-end + take - 1 >= reply.length || batch.length < take) break;
    }
    return { summary, messages: picked.reverse() };
  }

  /** Messages in the window (0 for a session that does not exist). */
  async count(): Promise<number> {
    return (await this.#ctx.read({}))?.length ?? 0;
  }

  /** The running summary of trimmed messages, if a summarizer has written one. */
  async summary(): Promise<string | null> {
    return (await this.#ctx.read({ meta: true }))?.meta.get('summary') ?? null;
  }

  /**
   * Folds the messages waiting in the pending list into the running summary. `append` calls it
   * after a trim; call it yourself to retry after a `summaryError`. Safe under concurrency: a
   * summary is committed only over the version it was built on, else it is rebuilt.
   */
  async summarize(): Promise<void> {
    const summarizer = this.#ctx.options.summarizer;
    if (!summarizer) return;
    for (let attempt = 0; attempt < 10; attempt++) {
      const reply = await this.#ctx.read({ meta: true, pending: true });
      if (!reply || reply.pending.length === 0) return;
      const text = await summarizer({ summary: reply.meta.get('summary') ?? null, messages: reply.pending.map(decodeMessage) });
      if (typeof text !== 'string') throw new InvalidArgumentError('summary', [{ path: '', message: `the summarizer returned a ${typeof text}, not a string; the pending messages wait for the next summarize()` }]);
      try {
        await this.#ctx.run(SCRIPTS.commitSummary, [reply.meta.get('summary_v') ?? '0', String(reply.pending.length), text]);
        return;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    throw new ConflictError('the summary kept changing under concurrent writers; call summarize() again');
  }

  /** Stores the result of a tool call (any JSON value). */
  async setToolResult(toolCallId: string, result: Json): Promise<void> {
    const id = parseInput(ToolCallIdSchema, toolCallId, 'tool call id');
    const json = encodeJson(parseInput(JsonValueSchema, result, 'tool result'), 'tool result');
    checkSize(json, this.#ctx.options.maxToolResultBytes, 'tool result');
    await this.#ctx.run(SCRIPTS.write, [id, json, '0']);
  }

  /** The result stored for a tool call, or undefined. */
  async toolResult(toolCallId: string): Promise<Json | undefined> {
    const id = parseInput(ToolCallIdSchema, toolCallId, 'tool call id');
    const value = (await this.#ctx.read({ tool: id }))?.tools.get(id);
    return value === undefined ? undefined : (JSON.parse(value) as Json);
  }

  /** Every tool result of the session, by tool call id. */
  async toolResults(): Promise<Record<string, Json>> {
    const tools = (await this.#ctx.read({ tool: '*' }))?.tools ?? new Map<string, string>();
    return Object.fromEntries([...tools].map(([id, v]) => [id, JSON.parse(v) as Json]));
  }

  /** Sets (or, with `undefined`, removes) user metadata fields of the session. */
  async setMetadata(patch: Record<string, Json | undefined>): Promise<void> {
    const fields = parseInput(MetadataPatchSchema, patch, 'session metadata');
    const set: string[] = [];
    const remove: string[] = [];
    for (const [field, value] of Object.entries(fields)) {
      if (value === undefined) remove.push(field);
      else set.push(field, encodeJson(value, 'session metadata', field));
    }
    checkSize(set.join(''), this.#ctx.options.maxStateBytes, 'session metadata');
    await this.#ctx.run(SCRIPTS.write, ['', '', String(set.length / 2), ...set, ...remove]);
  }

  /** Changes this session's TTL policy (a fixed TTL starts counting now). */
  async setTtl(policy: TtlPolicy): Promise<void> {
    await this.#ctx.run(SCRIPTS.write, ['', '', '0'], parseInput(TtlPolicySchema, policy, 'TTL policy'));
  }

  /** Timestamps, counts, metadata, summary and TTL; null when the session does not exist. */
  async info(): Promise<SessionInfo | null> {
    const reply = await this.#ctx.read({ meta: true });
    return reply ? sessionInfo(this.sessionId, reply.meta, reply.length, reply.pttl) : null;
  }

  /** Removes the messages and the summary; keeps state, tool results and metadata. Returns how many. */
  async clear(): Promise<number> {
    return this.#ctx.run<number>(SCRIPTS.clear, ['messages']);
  }

  /** Deletes every key of the session (explicit invalidation). */
  async delete(): Promise<void> {
    await this.#ctx.run(SCRIPTS.clear, ['session']);
  }
}
