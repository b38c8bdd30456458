// The extraction worker: consumes `session.appended` events, runs the strategies over the appended
// messages, and writes what they find into the user's long-term memory, merged into near-copies
// already known, with provenance. It watches the sessions it sees go quiet (events/idle.ts), and
// on each `session.idle` writes the session's episode. Idempotent: a re-delivered event writes nothing twice, since
// every extracted memory has a deterministic id. It must never write into another user's scope.
import { z } from 'zod';
import { embedTexts } from '../embeddings/embedder.js';
import type { IdleSweeps } from '../events/idle.js';
import type { AgentEvent, Consumer, ConsumeOptions, EventHandler, UserEvent } from '../events/types.js';
import { InvalidArgumentError } from '../errors.js';
import { KeyPartSchema } from '../keys.js';
import type { LongTermMemory, MemoryInput, Recalled } from '../memory/long-term-memory.js';
import type { SessionRef } from '../session/context.js';
import type { Message } from '../session/message.js';
import type { SessionStore } from '../session/store.js';
import { parseInput } from '../validate.js';
import { type BuiltinStrategy, type ExtractedMemory, type ExtractionInput, type Extractor, extractionId } from './extractor.js';
import { type ExtractionStrategy, resolveStrategies } from './strategies.js';

/** What the worker needs of the event log (`memory.events` has it). */
export interface EventSource {
  consume(group: string, handler: EventHandler, options?: ConsumeOptions): Consumer;
  noteActive(events: readonly UserEvent[]): Promise<void>;
  sweepIdleEvery(idleMs: number, onError?: (error: Error) => void): IdleSweeps;
  forgottenSince(user: { tenant: string; userId: string }, at: number): Promise<boolean>;
}

/** Earlier messages of the window given to an extractor as context (not as sources). */
const CONTEXT_MESSAGES = 10;
/** Messages read beyond the appended ones and their context, for appends that came after them. */
const TAIL_SLACK = 16;
/** A merged memory remembers the ids of this many extractions that merged into it (the newest). */
const MAX_EXTRACTION_IDS = 100;

const hasMethods =
  (...names: string[]) =>
  (v: unknown) =>
    typeof v === 'object' && v !== null && names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function');

export const ExtractionWorkerOptionsSchema = z
  .object({
    /** The event log to consume (`memory.events`); sessions must publish (`sessions: { events: true }`). */
    events: z.custom<EventSource>(
      hasMethods('consume', 'noteActive', 'sweepIdleEvery', 'forgottenSince'),
      'must be the event log (memory.events)',
    ),
    /** Where the messages are read. */
    sessions: z.custom<SessionStore>(hasMethods('session'), 'must be a session store (memory.sessions)'),
    /** Where the memories go (`await memory.longTerm(...)`). */
    memory: z.custom<LongTermMemory>(hasMethods('rememberMany', 'recall', 'get', 'update'), 'must be a long-term memory'),
    /** Who reads the messages: `rulesExtractor()` offline, `chatModelExtractor(model)` with a LangChain model. */
    extractor: z.custom<Extractor>(
      (v) => hasMethods('extract')(v) && typeof (v as { name?: unknown }).name === 'string',
      'must be an Extractor ({ name, extract })',
    ),
    /** Built-in names or `customStrategy(...)`s. Default `['facts', 'preferences', 'episode']`. */
    strategies: z.array(z.custom<BuiltinStrategy | ExtractionStrategy>()).optional(),
    /** The consumer group. Default `extraction`. */
    group: KeyPartSchema.default('extraction'),
    /**
     * A session with no activity for this long (ms) is announced idle (a `session.idle` event) and
     * its episode written (the `session` strategies). Keep it below the sessions' TTL: a session
     * that expired first has nothing left to summarize. `false`: no idle watch (episodes only on
     * `summarizeSession`, or on idle events another process announces). Default 30 minutes.
     */
    sessionIdleMs: z
      .union([
        z
          .number()
          .int()
          .min(100)
          .max(7 * 86_400_000),
        z.literal(false),
      ])
      .default(1_800_000),
    /** Options of the consumer (`types` is set by the worker). */
    consume: z.custom<ConsumeOptions>((v) => typeof v === 'object' && v !== null, 'must be consume options').optional(),
  })
  .strict();

export type ExtractionWorkerOptions = z.input<typeof ExtractionWorkerOptionsSchema>;

/** What one event (or one `summarizeSession`) wrote, by memory id. */
export interface ExtractionReport {
  /** New memories. */
  inserted: string[];
  /** Known memories (near-copies, or a session's episode rewritten) the extraction merged into. */
  merged: string[];
  /** Extractions already written by an earlier delivery: nothing written. */
  unchanged: string[];
  /** Message ids of the event no longer in the session's window (trimmed, cleared or expired): not read. */
  missingMessages: number;
}

export interface ExtractionCounts {
  /** `session.appended` events handled. */
  events: number;
  /** `session.idle` events handled (each writes the session's episode, when it has messages). */
  idle: number;
  inserted: number;
  merged: number;
  unchanged: number;
  missingMessages: number;
}

interface Candidate {
  id: string;
  strategy: ExtractionStrategy;
  extractor: string;
  memory: ExtractedMemory;
}

/** The provenance every extracted memory carries in `metadata.source`. */
export interface ExtractionSource {
  sessionId: string;
  messageIds: string[];
  extractor: string;
  strategy: string;
  /** When it was extracted (ms since the epoch). */
  at: number;
}

/**
 * Turns conversations into long-term memories in the background.
 *
 * @example const worker = new ExtractionWorker({ events: memory.events, sessions: memory.sessions, memory: facts, extractor: rulesExtractor() }).start();
 */
export class ExtractionWorker {
  readonly group: string;
  readonly strategies: readonly ExtractionStrategy[];
  readonly #events: EventSource;
  readonly #sessions: SessionStore;
  readonly #memory: LongTermMemory;
  readonly #extractor: Extractor;
  readonly #consume: ConsumeOptions;
  readonly #idleMs: number | false;
  #consumer: Consumer | undefined;
  #sweeps: IdleSweeps | undefined;
  readonly #counts: ExtractionCounts = { events: 0, idle: 0, inserted: 0, merged: 0, unchanged: 0, missingMessages: 0 };

  constructor(options: ExtractionWorkerOptions) {
    const o = parseInput(ExtractionWorkerOptionsSchema, options, 'extraction worker options');
    this.group = o.group;
    this.strategies = resolveStrategies(o.strategies);
    this.#events = o.events;
    this.#sessions = o.sessions;
    this.#memory = o.memory;
    this.#extractor = o.extractor;
    this.#consume = o.consume ?? {};
    this.#idleMs = o.sessionIdleMs;
  }

  /** Totals since the worker was made. */
  get counts(): Readonly<ExtractionCounts> {
    return { ...this.#counts };
  }

  /** Whether it is consuming. */
  get running(): boolean {
    return this.#consumer !== undefined;
  }

  /**
   * Starts consuming `session.appended` and `session.idle` events in the worker's group, and the
   * idle watch's sweeps (a no-op when running). Throws when the session store publishes no events:
   * nothing would ever reach the worker.
   */
  start(): this {
    if (this.#sessions.options?.events === false)
      throw new InvalidArgumentError('extraction worker options', [
        { path: 'sessions', message: 'publishes no events: create the memory with sessions: { events: true }' },
      ]);
    this.#consumer ??= this.#events.consume(
      this.group,
      async (event) => {
        await this.handle(event);
      },
      { ...this.#consume, types: ['session.appended', 'session.idle'] },
    );
    if (this.#idleMs !== false) this.#sweeps ??= this.#events.sweepIdleEvery(this.#idleMs, this.#consume.onError);
    return this;
  }

  /** Stops consuming and sweeping: events in flight finish (see Consumer.stop), the others go back to the group. */
  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    const consumer = this.#consumer;
    const sweeps = this.#sweeps;
    this.#consumer = undefined;
    this.#sweeps = undefined;
    await Promise.all([consumer?.stop(options), sweeps?.stop()]);
  }

  /**
   * Handles one event: for `session.appended`, notes the session active (the idle watch), reads
   * its window (one round trip; a sliding TTL is refreshed as by any read), keeps the appended
   * messages still in it, runs the `appended` strategies and writes; for `session.idle`, writes
   * the session's episode ({@link summarizeSession}). Other events are ignored. Safe to call
   * again with the same event: what it wrote is recognized by id and not written again.
   */
  async handle(event: AgentEvent): Promise<ExtractionReport> {
    const report: ExtractionReport = { inserted: [], merged: [], unchanged: [], missingMessages: 0 };
    if (event.type === 'session.idle' && event.sessionId !== undefined) {
      const ref = { tenant: event.tenant, userId: event.userId, sessionId: event.sessionId };
      const episode = await this.#summarize(ref, event.at);
      this.#counts.idle++;
      return episode;
    }
    if (event.type !== 'session.appended' || event.sessionId === undefined || event.ids.length === 0) return report;
    const ref = { tenant: event.tenant, userId: event.userId, sessionId: event.sessionId };
    const wanted = new Set(event.ids);
    const session = this.#sessions.session(ref);
    // The appended messages are usually the newest: read the tail first (with room for context and
    // later appends), the whole window only when some are older than that. The idle watch is
    // noted meanwhile (one round trip beside the read, not after it).
    const tail = wanted.size + CONTEXT_MESSAGES + TAIL_SLACK;
    let [{ summary, messages }] = await Promise.all([
      session.window({ last: tail }),
      this.#idleMs !== false ? this.#events.noteActive([event]) : undefined,
    ]);
    let first = messages.findIndex((m) => wanted.has(m.id));
    let picked = messages.filter((m) => wanted.has(m.id));
    if (messages.length === tail && (picked.length < wanted.size || first < CONTEXT_MESSAGES)) {
      ({ summary, messages } = await session.window());
      first = messages.findIndex((m) => wanted.has(m.id));
      picked = messages.filter((m) => wanted.has(m.id));
    }
    report.missingMessages = wanted.size - picked.length;
    this.#counts.missingMessages += report.missingMessages;
    const context = first > 0 ? messages.slice(Math.max(0, first - CONTEXT_MESSAGES), first) : [];
    const strategies = this.strategies.filter((s) => s.over === 'appended');
    if (picked.length > 0 && strategies.length > 0)
      await this.#extract(ref, strategies, { messages: picked, context, summary }, report, event.at);
    // Summaries in the background: the store's summarizer folds in what this append trimmed.
    const o = this.#sessions.options;
    if ((event.pending ?? 0) > 0 && o.summarizer && o.summarizeIn === 'background') await session.summarize();
    this.#counts.events++;
    return report;
  }

  /**
   * Runs the `session` strategies (the episode) over a session's whole window and its summary, and
   * writes what they find. The worker does it by itself when a session goes idle; call it before
   * `clear()` or `delete()`: the events of those come after the messages are gone, so the worker
   * cannot summarize a session from them.
   *
   * @example await worker.summarizeSession({ userId: 'alice', sessionId: 'chat-1' }); await chat.delete();
   */
  summarizeSession(ref: SessionRef): Promise<ExtractionReport> {
    return this.#summarize({ tenant: ref.tenant ?? '_', userId: ref.userId, sessionId: ref.sessionId }, Date.now());
  }

  async #summarize(ref: { tenant: string; userId: string; sessionId: string }, since: number): Promise<ExtractionReport> {
    const report: ExtractionReport = { inserted: [], merged: [], unchanged: [], missingMessages: 0 };
    const { summary, messages } = await this.#sessions.session(ref).window();
    const strategies = this.strategies.filter((s) => s.over === 'session');
    if (messages.length > 0 && strategies.length > 0)
      await this.#extract(ref, strategies, { messages, context: [], summary }, report, since);
    return report;
  }

  /**
   * Runs `strategies` and writes what they find, unless the user was forgotten since `since` (the
   * time of what the extraction reads): checked before extracting, and again after writing, when
   * what was just written is forgotten again, so a forgetUser that ran while the extraction was
   * in flight leaves nothing of it behind.
   */
  async #extract(
    ref: { tenant: string; userId: string; sessionId: string },
    strategies: readonly ExtractionStrategy[],
    parts: { messages: Message[]; context: Message[]; summary: string | null },
    report: ExtractionReport,
    since: number,
  ): Promise<void> {
    const user = { tenant: ref.tenant, userId: ref.userId };
    if (await this.#events.forgottenSince(user, since)) return;
    const base: Omit<ExtractionInput, 'strategy'> = { ...parts, user, sessionId: ref.sessionId };
    const found = await Promise.all(strategies.map((s) => s.run({ ...base, strategy: s.name }, this.#extractor)));
    const candidates = new Map<string, Candidate>();
    for (const [i, strategy] of strategies.entries()) {
      for (const memory of found[i]!) {
        const id = extractionId({
          ...ref,
          strategy: strategy.name,
          messageIds: strategy.perSession ? [] : memory.sourceMessageIds,
          text: strategy.perSession ? '' : memory.text,
        });
        if (!candidates.has(id)) candidates.set(id, { id, strategy, extractor: strategy.extractorName ?? this.#extractor.name, memory });
      }
    }
    if (candidates.size === 0) return;
    await this.#write(ref, [...candidates.values()], report);
    if (await this.#events.forgottenSince(user, since)) {
      await this.#memory.forget(user, { ids: [...report.inserted, ...report.merged] });
      report.inserted.length = 0;
      report.merged.length = 0;
      report.unchanged.length = 0;
      return;
    }
    this.#counts.inserted += report.inserted.length;
    this.#counts.merged += report.merged.length;
    this.#counts.unchanged += report.unchanged.length;
  }

  /**
   * Writes the candidates of one user: an id already stored is an earlier delivery (nothing
   * written, unless a per-session memory's text changed); a near-copy of a known memory (at least
   * the memory's `dedupeThreshold` similar) is merged into it; the rest is inserted in one write.
   */
  async #write(
    ref: { tenant: string; userId: string; sessionId: string },
    candidates: Candidate[],
    report: ExtractionReport,
  ): Promise<void> {
    const scope = { tenant: ref.tenant, userId: ref.userId };
    const memory = this.#memory;
    const stored = await Promise.all(candidates.map((c) => memory.get(scope, c.id)));
    const fresh: Candidate[] = [];
    for (const [i, c] of candidates.entries()) {
      const known = stored[i];
      if (known && known.text === c.memory.text) report.unchanged.push(c.id);
      else fresh.push(c);
    }
    if (fresh.length === 0) return;
    const at = Date.now();
    const vectors = await embedTexts(
      memory.embedder,
      fresh.map((c) => c.memory.text),
      'document',
      memory.index.definition.dim,
    );
    const threshold = memory.options.dedupeThreshold;
    const replacing = fresh.map((c) => stored[candidates.indexOf(c)] !== null);
    const nearest = await Promise.all(
      fresh.map(async (c, i) =>
        c.strategy.perSession || replacing[i] || threshold >= 1
          ? undefined
          : (await memory.recall(scope, vectors[i]!, { k: 1, minScore: threshold, trackAccess: 'off' }))[0],
      ),
    );
    const inserts: { candidate: Candidate; vector: number[]; replacing: boolean }[] = [];
    const merges = new Map<string, { target: Recalled; from: { candidate: Candidate; vector: number[] }[] }>();
    for (const [i, c] of fresh.entries()) {
      const near = nearest[i];
      if (!near) inserts.push({ candidate: c, vector: vectors[i]!, replacing: replacing[i]! });
      else if (extractionIdsOf(near.metadata).includes(c.id)) report.unchanged.push(c.id);
      else {
        const merge = merges.get(near.id) ?? { target: near, from: [] };
        merge.from.push({ candidate: c, vector: vectors[i]! });
        merges.set(near.id, merge);
      }
    }
    for (const { target, from } of merges.values()) {
      const latest = from[from.length - 1]!.candidate;
      const ids = [...new Set([...extractionIdsOf(target.metadata), ...from.map((f) => f.candidate.id)])].slice(-MAX_EXTRACTION_IDS);
      const updated = await memory.update(scope, target.id, {
        metadata: { ...target.metadata, source: { ...this.#source(latest, ref.sessionId, at) }, extractionIds: ids },
        tags: [...new Set([...target.tags, ...from.flatMap((f) => tagsOf(f.candidate.memory))])],
        importance: Math.max(target.importance, ...from.map((f) => f.candidate.memory.importance ?? 0.5)),
      });
      // Forgotten since the recall: what would have merged into it is inserted instead.
      if (updated) report.merged.push(target.id);
      else inserts.push(...from.map((f) => ({ ...f, replacing: false })));
    }
    if (inserts.length === 0) return;
    await memory.rememberMany(
      scope,
      inserts.map((x) => this.#input(x.candidate, ref.sessionId, at)),
      { vectors: inserts.map((x) => x.vector) },
    );
    for (const x of inserts) (x.replacing ? report.merged : report.inserted).push(x.candidate.id);
  }

  #source(c: Candidate, sessionId: string, at: number): ExtractionSource {
    return { sessionId, messageIds: [...c.memory.sourceMessageIds], extractor: c.extractor, strategy: c.strategy.name, at };
  }

  #input(c: Candidate, sessionId: string, at: number): MemoryInput {
    return {
      id: c.id,
      text: c.memory.text,
      tags: tagsOf(c.memory),
      importance: c.memory.importance ?? 0.5,
      metadata: { source: { ...this.#source(c, sessionId, at) }, extractionIds: [c.id] },
    };
  }
}

const tagsOf = (m: ExtractedMemory): string[] => [...new Set([m.kind, ...(m.tags ?? [])])];

function extractionIdsOf(metadata: Record<string, unknown>): string[] {
  const ids = metadata.extractionIds;
  return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
}
