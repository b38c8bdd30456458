// Checkpoint storage for agent graphs (LangGraph's checkpointer sits on it): per thread, each
// checkpoint's record, the channel values stored once per version, and the pending writes of its
// tasks. Values are opaque typed bytes: serialization is the caller's; this file never parses them.
import { z } from 'zod';
import type { RedisConnection } from '../connection/connect.js';
import { OutOfMemoryError } from '../errors.js';
import { KeyPartSchema, type CheckpointThreadKeys, type Keyspace } from '../keys.js';
import {
  checkpointPrune,
  checkpointPut,
  checkpointPutWrites,
  checkpointRead,
  threadKeyList,
  type ThreadTtl,
} from '../scripts/checkpoint.js';
import { TtlPolicySchema, type TtlPolicy } from '../ttl.js';
import { parseInput } from '../validate.js';
import { asErr } from '../observe/logger.js';
import type { Operation } from '../observe/telemetry.js';

export const CheckpointStoreOptionsSchema = z
  .object({
    /** Threads of different tenants never meet (keys and thread listing). Default `_`. */
    tenant: KeyPartSchema.optional(),
    /**
     * How long a thread is kept: `sliding` (every write and read moves the deadline of the whole
     * thread; a read only when it would move by at least min(1% of the TTL, 1 s)), `fixed` (from
     * its first checkpoint) or `none` (default: until `deleteThread`).
     */
    ttl: TtlPolicySchema.default({ mode: 'none' }),
    /** Checkpoints read per round trip while listing. Default 32. */
    pageSize: z.number().int().min(1).max(1000).default(32),
  })
  .strict();
export type CheckpointStoreOptions = z.input<typeof CheckpointStoreOptionsSchema>;

/** Serialized bytes and the serializer's name for them (e.g. `json`). */
export interface TypedValue {
  type: string;
  bytes: Uint8Array;
}

export interface CheckpointInput {
  /** The checkpoint namespace (`''` for the root graph). */
  ns: string;
  id: string;
  parentId?: string | undefined;
  /** The checkpoint without its channel values. */
  checkpoint: TypedValue;
  metadata: TypedValue;
  /** The version of every channel the checkpoint holds: its values are found by these. */
  channelVersions: Readonly<Record<string, string | number>>;
  /** Values of the channels that changed in this checkpoint (the others are stored already). */
  values: readonly { channel: string; version: string | number; value: TypedValue }[];
}

export interface WriteInput {
  taskId: string;
  /** Position in the task's writes; negative for special writes (errors, interrupts), which replace. */
  idx: number;
  channel: string;
  taskPath: string;
  value: TypedValue;
}

export type StoredWrite = WriteInput;

export interface StoredCheckpoint {
  threadId: string;
  ns: string;
  id: string;
  parentId: string | null;
  checkpoint: TypedValue;
  metadata: TypedValue;
  /** The channel values found for the record's channel versions. */
  values: { channel: string; version: string; value: TypedValue }[];
  /** Pending writes, in the order they were keyed (callers sort them as their framework requires). */
  writes: StoredWrite[];
}

export interface CheckpointQuery {
  /** Only this namespace (default: every namespace of the thread). */
  ns?: string | undefined;
  /** Only this checkpoint. */
  id?: string | undefined;
  /** Only checkpoints older than this id. */
  before?: string | undefined;
  /** How many the caller expects to take: the first page reads no more (default: `pageSize`). */
  expected?: number | undefined;
}

const NamespaceSchema = z.string().max(2048, 'must be at most 2048 characters');
const CheckpointIdSchema = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');
const PruneOptionsSchema = z
  .object({
    /** How many of the newest checkpoints of each namespace stay (at least 1). */
    keepLast: z.number().int().min(1),
    /** Only this namespace (default: every namespace of the thread). */
    ns: NamespaceSchema.optional(),
  })
  .strict();
const TypeSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\n]+$/, 'must not contain a newline');

const hex = (text: string): string => Buffer.from(text, 'utf8').toString('hex');
const unhex = (text: string): string => Buffer.from(text, 'hex').toString('utf8');

/** What a record's head says; the bytes of the checkpoint and then of the metadata follow it. */
interface RecordHead {
  ct: string;
  mt: string;
  /** Length of the checkpoint bytes. */
  cl: number;
  p: string | null;
  /** Blob fields of the checkpoint's channel values. */
  b: string[];
}

/** `<head>\n<bytes>`: the head is JSON (or a type name), so it never holds a newline. */
function frame(head: string, ...parts: Uint8Array[]): Buffer {
  return Buffer.concat([Buffer.from(`${head}\n`, 'utf8'), ...parts]);
}

function unframe(value: Buffer): { head: string; body: Buffer } {
  const newline = value.indexOf(10);
  return { head: value.subarray(0, newline).toString('utf8'), body: value.subarray(newline + 1) };
}

/**
 * @example
 * const checkpoints = memory.checkpoints({ ttl: { mode: 'sliding', seconds: 7 * 86400 } });
 * const latest = await checkpoints.get('thread-1', '');
 */
export class CheckpointStore {
  readonly options: z.output<typeof CheckpointStoreOptionsSchema>;
  readonly #connection: RedisConnection;
  readonly #keys: Keyspace;
  readonly #ttl: ThreadTtl;
  readonly #ops: Record<'put' | 'putWrites' | 'get', Operation>;

  constructor(connection: RedisConnection, keys: Keyspace, options: CheckpointStoreOptions = {}) {
    this.options = parseInput(CheckpointStoreOptionsSchema, options, 'checkpoint store options');
    this.#connection = connection;
    this.#keys = keys;
    const ttl: TtlPolicy = this.options.ttl;
    this.#ttl = { ms: ttl.mode === 'none' ? 0 : Math.round(ttl.seconds * 1000), mode: ttl.mode };
    const telemetry = connection.telemetry;
    this.#ops = {
      put: telemetry.operation('checkpoint.put'),
      putWrites: telemetry.operation('checkpoint.put_writes'),
      get: telemetry.operation('checkpoint.get'),
    };
  }

  #thread(threadId: string): CheckpointThreadKeys {
    return this.#keys.checkpointThread(threadId, this.options.tenant);
  }

  /**
   * Stores a checkpoint and the channel values that changed, in one round trip. A thread that is
   * gone (README: whole or gone) starts anew with it; a `ConflictError` when the checkpoint names a
   * parent and lists channel values it does not carry, since those went with the thread.
   */
  async put(threadId: string, input: CheckpointInput): Promise<void> {
    return this.#ops.put.run(async (span) => {
      span?.setAttribute('agent_memory.value_count', input.values.length);
      await this.#put(threadId, input);
    });
  }

  async #put(threadId: string, input: CheckpointInput): Promise<void> {
    const keys = this.#thread(threadId);
    const ns = hex(parseInput(NamespaceSchema, input.ns, 'checkpoint namespace'));
    const id = parseInput(CheckpointIdSchema, input.id, 'checkpoint id');
    const blobField = (channel: string, version: string | number) => `${ns}:${hex(channel)}:${hex(String(version))}`;
    const head: RecordHead = {
      ct: parseInput(TypeSchema, input.checkpoint.type, 'checkpoint type'),
      mt: parseInput(TypeSchema, input.metadata.type, 'metadata type'),
      cl: input.checkpoint.bytes.byteLength,
      p: input.parentId ?? null,
      b: Object.entries(input.channelVersions).map(([channel, version]) => blobField(channel, version)),
    };
    const record = frame(JSON.stringify(head), input.checkpoint.bytes, input.metadata.bytes);
    const blobs = input.values.map(
      ({ channel, version, value }) =>
        [blobField(channel, version), frame(parseInput(TypeSchema, value.type, 'value type'), value.bytes)] as const,
    );
    // The registry lives in another slot, so it cannot share the script. Every put reads it
    // alongside (no extra wait) and adds the thread when it is missing: a registry that eviction
    // took lists each live thread again after that thread's next put.
    const registry = this.#registry;
    const registered = this.#connection
      .send<string | null>(['ZSCORE', registry, threadId], { key: registry, readonly: true })
      .catch(() => null);
    const first = await checkpointPut(this.#connection, keys, { member: `${ns}:${hex(id)}`, record, ttl: this.#ttl, blobs });
    if (!first && (await registered) !== null) return;
    try {
      await this.#connection.send(['ZADD', registry, 'NX', String(Date.now()), threadId], { key: registry });
    } catch (error) {
      if (!first) {
        // A repair of a thread stored before: the checkpoint is stored, and the thread stays as
        // listed as it was; the next put tries again. The put itself did not fail.
        this.#connection.logger.warn(
          { component: 'checkpoint', err: asErr(error) },
          'a checkpoint thread could not be added back to the thread registry; its next put tries again',
        );
        return;
      }
      // A new thread that cannot be registered (maxmemory) would never be listed: undo it, so
      // the failed put leaves nothing behind, as its OutOfMemoryError says.
      if (error instanceof OutOfMemoryError) await this.#connection.send(['UNLINK', ...threadKeyList(keys)], { key: keys.ids });
      throw error;
    }
  }

  /** Stores pending writes of one task against a checkpoint, in one round trip; all or none of them. Returns how many were stored. */
  async putWrites(threadId: string, ns: string, checkpointId: string, writes: readonly WriteInput[]): Promise<number> {
    return this.#ops.putWrites.run(async (span) => {
      const stored = await this.#putWrites(threadId, ns, checkpointId, writes);
      span?.setAttribute('agent_memory.result_count', stored);
      return stored;
    });
  }

  async #putWrites(threadId: string, ns: string, checkpointId: string, writes: readonly WriteInput[]): Promise<number> {
    if (writes.length === 0) return 0;
    const keys = this.#thread(threadId);
    const member = `${hex(parseInput(NamespaceSchema, ns, 'checkpoint namespace'))}:${hex(parseInput(CheckpointIdSchema, checkpointId, 'checkpoint id'))}`;
    const framed = writes.map((write) => {
      const head = JSON.stringify([
        write.taskId,
        write.idx,
        write.channel,
        parseInput(TypeSchema, write.value.type, 'value type'),
        write.taskPath,
      ]);
      return { field: `${member}:${hex(write.taskId)}:${write.idx}`, value: frame(head, write.value.bytes), replace: write.idx < 0 };
    });
    return checkpointPutWrites(this.#connection, keys, { ttl: this.#ttl, writes: framed });
  }

  /** One checkpoint, or the newest of the namespace when `id` is not given; one round trip. */
  async get(threadId: string, ns: string, id?: string): Promise<StoredCheckpoint | undefined> {
    return this.#ops.get.run(async (span) => {
      const [found] = (await this.#read(threadId, { ns, id }, 0, 1)).checkpoints;
      span?.setAttribute('agent_memory.result_count', found ? 1 : 0);
      return found;
    });
  }

  /** Checkpoints of a thread (every thread of the tenant when `threadId` is undefined), newest first per namespace. */
  async *list(threadId: string | undefined, query: CheckpointQuery = {}): AsyncGenerator<StoredCheckpoint> {
    if (threadId !== undefined) {
      yield* this.#listThread(threadId, query);
      return;
    }
    for await (const thread of this.threads()) yield* this.#listThread(thread, query);
  }

  async *#listThread(threadId: string, query: CheckpointQuery): AsyncGenerator<StoredCheckpoint> {
    if (query.ns !== undefined && query.id !== undefined) {
      const found = await this.get(threadId, query.ns, query.id);
      if (found && (query.before === undefined || found.id < query.before)) yield found;
      return;
    }
    let size = Math.min(query.expected ?? this.options.pageSize, this.options.pageSize);
    for (let offset = 0; ; offset += size, size = this.options.pageSize) {
      const page = await this.#read(threadId, query, offset, size);
      yield* page.checkpoints;
      if (page.examined < size) return;
    }
  }

  /**
   * The tenant's threads, oldest first, from the thread registry. Threads that are gone (expired,
   * or missing a key of their history: the rule `get` follows) are dropped from it on the way. No
   * SCAN: a live thread whose registry entry eviction took is listed again after its next put.
   */
  async *threads(): AsyncGenerator<string> {
    const registry = this.#registry;
    for (let offset = 0; ; offset += 500) {
      const batch = await this.#connection.send<string[]>(['ZRANGE', registry, String(offset), String(offset + 499)], {
        key: registry,
        readonly: true,
      });
      const alive = await Promise.all(
        batch.map((t) => {
          const k = this.#thread(t);
          return this.#connection.send<number>(['EXISTS', k.ids, k.checkpoints, k.blobs], { key: k.ids, readonly: true });
        }),
      );
      const gone = batch.filter((_, i) => alive[i] !== 3);
      if (gone.length > 0) await this.#connection.send(['ZREM', registry, ...gone], { key: registry });
      for (const [i, thread] of batch.entries()) if (alive[i] === 3) yield thread;
      if (batch.length < 500) return;
      offset -= gone.length;
    }
  }

  /**
   * Keeps only the newest `keepLast` checkpoints of each namespace of a thread (or of `ns` alone),
   * deleting older ones with their writes and the channel values nothing kept refers to. One
   * round trip. Returns how many checkpoints were deleted.
   *
   * @example await checkpoints.prune('thread-1', { keepLast: 20 });
   */
  async prune(threadId: string, options: { keepLast: number; ns?: string }): Promise<number> {
    const { keepLast, ns } = parseInput(PruneOptionsSchema, options, 'prune options');
    return checkpointPrune(this.#connection, this.#thread(threadId), { ns: ns === undefined ? '*' : hex(ns), keepLast });
  }

  /** Deletes every checkpoint and write of a thread. */
  async deleteThread(threadId: string): Promise<void> {
    const keys = this.#thread(threadId);
    await Promise.all([
      this.#connection.send(['UNLINK', ...threadKeyList(keys)], { key: keys.ids }),
      this.#connection.send(['ZREM', this.#registry, threadId], { key: this.#registry }),
    ]);
  }

  get #registry(): string {
    return this.#keys.checkpointThreads(this.options.tenant);
  }

  async #read(
    threadId: string,
    query: CheckpointQuery,
    offset: number,
    count: number,
  ): Promise<{ examined: number; checkpoints: StoredCheckpoint[] }> {
    const keys = this.#thread(threadId);
    const ns = query.ns === undefined ? '*' : hex(parseInput(NamespaceSchema, query.ns, 'checkpoint namespace'));
    const only = query.id === undefined ? '' : hex(parseInput(CheckpointIdSchema, query.id, 'checkpoint id'));
    const before = query.before === undefined ? '' : hex(parseInput(CheckpointIdSchema, query.before, 'checkpoint id'));
    const refreshMs = this.#ttl.mode === 'sliding' ? this.#ttl.ms : 0;
    const { examined, rows } = await checkpointRead(this.#connection, keys, { ns, only, before, offset, count, refreshMs });
    return { examined, checkpoints: rows.map((r) => decodeCheckpoint(threadId, r.member, r.record, r.blobs, r.writes)) };
  }
}

function decodeCheckpoint(threadId: string, member: Buffer, record: Buffer, blobs: Buffer[], writes: (Buffer | null)[]): StoredCheckpoint {
  const [nsHex = '', idHex = ''] = member.toString('utf8').split(':');
  const { head: headText, body } = unframe(record);
  const head = JSON.parse(headText) as RecordHead;
  const values: StoredCheckpoint['values'] = [];
  for (let i = 0; i < blobs.length; i += 2) {
    const [, channel = '', version = ''] = blobs[i]!.toString('utf8').split(':');
    const { head: type, body: bytes } = unframe(blobs[i + 1]!);
    values.push({ channel: unhex(channel), version: unhex(version), value: { type, bytes } });
  }
  const stored: StoredWrite[] = [];
  for (const write of writes) {
    if (!write) continue;
    const { head: writeHead, body: bytes } = unframe(write);
    const [taskId, idx, channel, type, taskPath] = JSON.parse(writeHead) as [string, number, string, string, string];
    stored.push({ taskId, idx, channel, taskPath, value: { type, bytes } });
  }
  return {
    threadId,
    ns: unhex(nsHex),
    id: unhex(idHex),
    parentId: head.p,
    checkpoint: { type: head.ct, bytes: body.subarray(0, head.cl) },
    metadata: { type: head.mt, bytes: body.subarray(head.cl) },
    values,
    writes: stored,
  };
}
