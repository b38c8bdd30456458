// A session's reasoning state: a JSON object (plan, scratchpad, step, intermediate results) kept
// as one hash field per top-level key, with a version for compare-and-set so that two workers
// updating the same session never lose an update. A conflict is a ConflictError, never a retry.
import { z } from 'zod';
import { ConflictError } from '../errors.js';
import { sessionWriteState } from '../scripts/session.js';
import { checkSize, encodeJson, JsonValueSchema, jsonRecordSchema, parseInput } from '../validate.js';
import type { SessionContext } from './context.js';

type Json = z.core.util.JSONType;
export type StateObject = Record<string, Json>;

const FieldName = z.string().min(1).max(256);
const StateSchema = jsonRecordSchema(FieldName);
const PatchSchema = jsonRecordSchema(FieldName, z.union([JsonValueSchema, z.undefined()]));
const WriteOptionsSchema = z
  .object({
    /** Write only if the state is still at this version; else ConflictError and nothing is written. */
    expectedVersion: z.number().int().nonnegative().optional(),
  })
  .strict();
type WriteOptions = z.input<typeof WriteOptionsSchema>;
const UpdateOptionsSchema = z.object({ maxAttempts: z.number().int().min(1).max(10_000).default(100) }).strict();

export class ReasoningState {
  readonly #ctx: SessionContext;

  /** @internal */
  constructor(ctx: SessionContext) {
    this.#ctx = ctx;
  }

  /** The state and its version (`{}` and 0 before the first write). */
  async get(): Promise<{ value: StateObject; version: number }> {
    const reply = await this.#ctx.read({ meta: true, state: true });
    if (!reply) return { value: {}, version: 0 };
    const value: StateObject = Object.fromEntries([...reply.state].map(([field, json]) => [field, JSON.parse(json) as Json]));
    return { value, version: Number(reply.meta.get('state_v') ?? 0) };
  }

  /** Replaces the whole state. Returns the new version. */
  async set(value: StateObject, options: WriteOptions = {}): Promise<number> {
    return this.#write('replace', parseInput(StateSchema, value, 'state'), options);
  }

  /**
   * Sets some top-level fields and keeps the others; a field set to `undefined` is removed.
   * Returns the new version.
   *
   * @example await session.state.patch({ step: 3, scratchpad: undefined }, { expectedVersion: 2 });
   */
  async patch(fields: Record<string, Json | undefined>, options: WriteOptions = {}): Promise<number> {
    return this.#write('patch', parseInput(PatchSchema, fields, 'state patch'), options);
  }

  /**
   * Read-modify-write with compare-and-set, retried on conflict: `fn` gets the current state and
   * returns the new one (it may run more than once).
   */
  async update(
    fn: (current: StateObject) => StateObject | Promise<StateObject>,
    options: { maxAttempts?: number } = {},
  ): Promise<{ value: StateObject; version: number }> {
    parseInput(
      z.custom((f) => typeof f === 'function', 'must be a function'),
      fn,
      'state update function',
    );
    const { maxAttempts } = parseInput(UpdateOptionsSchema, options, 'state update options');
    for (let attempt = 1; ; attempt++) {
      const current = await this.get();
      const next = await fn(current.value);
      try {
        return { value: next, version: await this.set(next, { expectedVersion: current.version }) };
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= maxAttempts) throw error;
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, attempt * 2)));
      }
    }
  }

  async #write(mode: 'replace' | 'patch', fields: Record<string, Json | undefined>, options: WriteOptions): Promise<number> {
    const { expectedVersion } = parseInput(WriteOptionsSchema, options, 'state write options');
    const set: [string, string][] = [];
    const remove: string[] = [];
    for (const [field, value] of Object.entries(fields)) {
      if (value === undefined) remove.push(field);
      else set.push([field, encodeJson(value, 'state', field)]);
    }
    const limit = this.#ctx.options.maxStateBytes;
    if (mode === 'replace') checkSize(set.flat().join(''), limit, 'state');
    const registering = this.#ctx.beforePublish();
    if (registering) await registering;
    return sessionWriteState(this.#ctx.connection, this.#ctx.target(), { mode, expectedVersion, maxBytes: limit, set, remove });
  }
}
