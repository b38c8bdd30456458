// One conversation's working memory: messages (window, summary, token-budget reads), tool-call
// results, metadata and TTL. Every method is one script call, one round trip; the summarizer is
// the only extra work, and only after a trim. It must never write anything when validation fails.
// Reads live in read-window.ts, appends in append.ts, the summary commit in summary.ts.
import { z } from 'zod';
import { sessionClear, sessionWrite } from '../scripts/session.js';
import { checkSize, encodeJson, JsonValueSchema, jsonRecordSchema, parseInput } from '../validate.js';
import { appendMessages, type AppendResult } from './append.js';
import { sessionInfo, type SessionContext, type SessionInfo } from './context.js';
import type { Message, MessageInput } from './message.js';
import { TtlPolicySchema, type TtlPolicy } from './options.js';
import type { SpanLike } from '../observe/telemetry.js';
import { readMessages, ReadOptionsSchema, type ReadOptions } from './read-window.js';
import { ReasoningState } from './reasoning-state.js';
import { summarize } from './summary.js';

export type { AppendResult } from './append.js';
export { SessionContext, sessionInfo, type SessionInfo, type SessionRef } from './context.js';
export type { ReadOptions } from './read-window.js';

type Json = z.core.util.JSONType;

const ToolCallIdSchema = z.string().min(1).max(256);
const MetadataPatchSchema = jsonRecordSchema(z.string().min(1).max(256), z.union([JsonValueSchema, z.undefined()]));

// What a recording span learns from each call's result: counts, never contents.
const describeAppend = (span: SpanLike, result: AppendResult): void => {
  span.setAttribute('agent_memory.message_count', result.ids.length);
  span.setAttribute('agent_memory.duplicates', result.duplicates);
};
const describeRead = (span: SpanLike, messages: Message[]): void => {
  span.setAttribute('agent_memory.result_count', messages.length);
};
const describeWindow = (span: SpanLike, window: { summary: string | null; messages: Message[] }): void => {
  span.setAttribute('agent_memory.result_count', window.messages.length);
  span.setAttribute('agent_memory.session.summary', window.summary !== null);
};

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
    return this.#ctx.connection.telemetry
      .operation('session.append')
      .run(() => appendMessages(this.#ctx, messages, options), describeAppend);
  }

  /**
   * Reads messages, oldest first: all of them, the `last` N, a page (`offset`, `limit`), or the
   * newest that fit `maxTokens`. A sliding session's TTL is refreshed. An expired session reads as [].
   */
  async messages(options: ReadOptions = {}): Promise<Message[]> {
    return this.#ctx.connection.telemetry
      .operation('session.read')
      .run(
        async () => (await readMessages(this.#ctx, parseInput(ReadOptionsSchema, options, 'read options'), false)).messages,
        describeRead,
      );
  }

  /** The running summary plus the newest messages (`last` or `maxTokens`, the summary counting against it). */
  async window(options: Pick<ReadOptions, 'last' | 'maxTokens'> = {}): Promise<{ summary: string | null; messages: Message[] }> {
    return this.#ctx.connection.telemetry
      .operation('session.window')
      .run(() => readMessages(this.#ctx, parseInput(ReadOptionsSchema, options, 'window options'), true), describeWindow);
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
    return summarize(this.#ctx);
  }

  /** Stores the result of a tool call (any JSON value). */
  async setToolResult(toolCallId: string, result: Json): Promise<void> {
    const id = parseInput(ToolCallIdSchema, toolCallId, 'tool call id');
    const json = encodeJson(parseInput(JsonValueSchema, result, 'tool result'), 'tool result');
    checkSize(json, this.#ctx.options.maxToolResultBytes, 'tool result');
    await sessionWrite(this.#ctx.connection, this.#ctx.target(), { toolResult: { toolCallId: id, json } });
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
    const set: [string, string][] = [];
    const remove: string[] = [];
    for (const [field, value] of Object.entries(fields)) {
      if (value === undefined) remove.push(field);
      else set.push([field, encodeJson(value, 'session metadata', field)]);
    }
    checkSize(set.flat().join(''), this.#ctx.options.maxStateBytes, 'session metadata');
    await sessionWrite(this.#ctx.connection, this.#ctx.target(), { metadata: { set, remove } });
  }

  /** Changes this session's TTL policy (a fixed TTL starts counting now). */
  async setTtl(policy: TtlPolicy): Promise<void> {
    await sessionWrite(this.#ctx.connection, this.#ctx.target(parseInput(TtlPolicySchema, policy, 'TTL policy')), {});
  }

  /** Timestamps, counts, metadata, summary and TTL; null when the session does not exist. */
  async info(): Promise<SessionInfo | null> {
    const reply = await this.#ctx.read({ meta: true });
    return reply ? sessionInfo(this.sessionId, reply.meta, reply.length, reply.pttl) : null;
  }

  /** Removes the messages and the summary; keeps state, tool results and metadata. Returns how many. */
  async clear(): Promise<number> {
    // Freeing memory works at maxmemory: a registry that cannot be written then is rebuilt by consumers.
    await this.#ctx.beforePublish()?.catch(() => undefined);
    return sessionClear(this.#ctx.connection, this.#ctx.target(), 'messages');
  }

  /** Deletes every key of the session (explicit invalidation). */
  async delete(): Promise<void> {
    await this.#ctx.beforePublish()?.catch(() => undefined);
    await sessionClear(this.#ctx.connection, this.#ctx.target(), 'session');
  }
}
