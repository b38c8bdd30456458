// The typed gateway to the checkpoint scripts (checkpoint-*.lua): every one takes a thread's five
// keys in one order; one builder per script lays out KEYS and ARGV as its header documents, one
// runner sends it and decodes the reply. Values stay opaque bytes: nothing here parses them.
import type { RedisConnection } from '../connection/connect.js';
import type { CheckpointThreadKeys } from '../keys.js';
import { runCall, type ScriptCall } from './call.js';
import { script } from './index.js';

const PUT = script('checkpoint-put-5');
const PUT_WRITES = script('checkpoint-put-writes-5');
const READ = script('checkpoint-read-5');
const PRUNE = script('checkpoint-prune-5');

/** A thread's keys in the order every checkpoint script declares them (KEYS[1..5]). */
export const threadKeyList = (k: CheckpointThreadKeys): string[] => [k.ids, k.checkpoints, k.blobs, k.writes, k.writeIndex];

/** A thread's TTL as the scripts take it. */
export interface ThreadTtl {
  /** TTL in ms (0: none). */
  ms: number;
  mode: 'sliding' | 'fixed' | 'none';
}

// ——— checkpoint-put-5 ———

export interface PutInput {
  /** `<ns hex>:<checkpoint id hex>`. */
  member: string;
  /** The checkpoint record (`<json head>\n<bytes>`). */
  record: Buffer;
  ttl: ThreadTtl;
  /** Channel values: blob field and framed value. */
  blobs: readonly (readonly [string, Buffer])[];
}

export function checkpointPutCall(keys: CheckpointThreadKeys, input: PutInput): ScriptCall {
  return {
    script: PUT,
    keys: threadKeyList(keys),
    args: [input.member, input.record, String(input.ttl.ms), input.ttl.mode, ...input.blobs.flat()],
  };
}

/** Returns true when the thread starts with this checkpoint (the caller registers the thread). */
export async function checkpointPut(connection: RedisConnection, keys: CheckpointThreadKeys, input: PutInput): Promise<boolean> {
  return (await runCall<number>(connection, checkpointPutCall(keys, input))) === 1;
}

// ——— checkpoint-put-writes-5 ———

export interface PutWritesInput {
  ttl: ThreadTtl;
  /** Per write: its field, framed value, and whether it replaces an existing one (special writes). */
  writes: readonly { field: string; value: Buffer; replace: boolean }[];
}

export function checkpointPutWritesCall(keys: CheckpointThreadKeys, input: PutWritesInput): ScriptCall {
  return {
    script: PUT_WRITES,
    keys: threadKeyList(keys),
    args: [String(input.ttl.ms), input.ttl.mode, ...input.writes.flatMap((w) => [w.field, w.value, w.replace ? '1' : '0'])],
  };
}

/** Returns how many writes were stored. */
export function checkpointPutWrites(connection: RedisConnection, keys: CheckpointThreadKeys, input: PutWritesInput): Promise<number> {
  return runCall<number>(connection, checkpointPutWritesCall(keys, input));
}

// ——— checkpoint-read-5 ———

export interface ReadInput {
  /** Namespace hex, or '*' for every namespace. */
  ns: string;
  /** Only this checkpoint id hex ('' any). */
  only: string;
  /** Only checkpoints before this id hex ('' no bound). */
  before: string;
  /** Members of the id set to skip, and to examine. */
  offset: number;
  count: number;
  /** TTL in ms to refresh when something was found (0: none). */
  refreshMs: number;
}

export interface ReadRow {
  member: Buffer;
  record: Buffer;
  /** Blob field, value, field, value, … */
  blobs: Buffer[];
  /** Pending writes (null where one is gone). */
  writes: (Buffer | null)[];
}

export function checkpointReadCall(keys: CheckpointThreadKeys, input: ReadInput): ScriptCall {
  return {
    script: READ,
    keys: threadKeyList(keys),
    args: [input.ns, input.only, input.before, String(input.offset), String(input.count), String(input.refreshMs)],
    buffers: true,
  };
}

export function decodeCheckpointRead(reply: readonly unknown[]): { examined: number; rows: ReadRow[] } {
  const rows: ReadRow[] = [];
  for (let i = 1; i < reply.length; i += 4) {
    rows.push({
      member: reply[i] as Buffer,
      record: reply[i + 1] as Buffer,
      blobs: reply[i + 2] as Buffer[],
      writes: reply[i + 3] as (Buffer | null)[],
    });
  }
  return { examined: Number(reply[0]), rows };
}

export async function checkpointRead(
  connection: RedisConnection,
  keys: CheckpointThreadKeys,
  input: ReadInput,
): Promise<{ examined: number; rows: ReadRow[] }> {
  return decodeCheckpointRead(await runCall<unknown[]>(connection, checkpointReadCall(keys, input)));
}

// ——— checkpoint-prune-5 ———

export interface PruneInput {
  /** Namespace hex, or '*' for every namespace. */
  ns: string;
  keepLast: number;
}

export function checkpointPruneCall(keys: CheckpointThreadKeys, input: PruneInput): ScriptCall {
  return { script: PRUNE, keys: threadKeyList(keys), args: [input.ns, String(input.keepLast)] };
}

/** Returns how many checkpoints were deleted. */
export function checkpointPrune(connection: RedisConnection, keys: CheckpointThreadKeys, input: PruneInput): Promise<number> {
  return runCall<number>(connection, checkpointPruneCall(keys, input));
}
