// The typed gateway to the vector scope scripts (vector-*.lua): a scope's keys laid out as each
// header documents, with the engine's membership rule ('1' when the vector set holds it, see
// includes/vector-scope.lua); one builder per script, one runner that sends it and decodes the reply.
import type { RedisConnection } from '../connection/connect.js';
import type { VectorKeys } from '../keys.js';
import { runCall, type ScriptCall } from './call.js';
import { script } from './index.js';

const SCAN = script('vector-scan-4');
const READ = script('vector-read-4');
const TOUCH = script('vector-touch-2');
const DELETE = script('vector-delete-4');
const DROP = script('vector-drop-4');
const PURGE = script('vector-purge-4');

/** The four keys every scope script declares, in their order. */
const scopeKeyList = (keys: VectorKeys): string[] => [keys.ids, keys.vectorSet, keys.accessCounts, keys.accessTimes];
/** What every item key of a scope starts with (the scripts append the id). */
export const itemPrefix = (keys: VectorKeys): string => keys.item('x').slice(0, -1);
const flag = (on: boolean): string => (on ? '1' : '0');
const text = (v: unknown): string | null => (v === null || v === undefined || v === false ? null : String(v));

/** Which rule says what is live: `bySet` when the engine keeps a vector set (vectorset), else the id set. */
export interface Membership {
  bySet: boolean;
}

// ——— vector-touch-2 ———

export function vectorTouchCall(keys: VectorKeys, input: { at: number; ids: readonly string[] }): ScriptCall {
  return { script: TOUCH, keys: [keys.accessCounts, keys.accessTimes], args: [itemPrefix(keys), String(input.at), ...input.ids] };
}

/** Counts an access to each item that still exists; returns how many were touched. */
export async function vectorTouch(
  connection: RedisConnection,
  keys: VectorKeys,
  input: { at: number; ids: readonly string[] },
): Promise<number> {
  return Number(await runCall<number>(connection, vectorTouchCall(keys, input)));
}

// ——— vector-read-4 ———

export interface VectorReadInput extends Membership {
  ids: readonly string[];
  withStats: boolean;
}

/** One item's payload (null: not live) and, when asked, its access count and last access ms (null: none). */
export interface VectorReadRow {
  payload: string | null;
  count: number | null;
  lastAt: number | null;
}

export function vectorReadCall(keys: VectorKeys, input: VectorReadInput): ScriptCall {
  return { script: READ, keys: scopeKeyList(keys), args: [itemPrefix(keys), flag(input.bySet), flag(input.withStats), ...input.ids] };
}

export function decodeVectorRead(reply: readonly unknown[], withStats: boolean): VectorReadRow[] {
  const values = reply.map(text);
  if (!withStats) return values.map((payload) => ({ payload, count: null, lastAt: null }));
  const rows: VectorReadRow[] = [];
  for (let i = 0; i < values.length; i += 3) {
    const [payload, n, at] = [values[i] ?? null, values[i + 1] ?? null, values[i + 2] ?? null];
    rows.push({ payload, count: n === null ? null : Number(n), lastAt: at === null ? null : Number(at) });
  }
  return rows;
}

export async function vectorRead(connection: RedisConnection, keys: VectorKeys, input: VectorReadInput): Promise<VectorReadRow[]> {
  return decodeVectorRead(await runCall<unknown[]>(connection, vectorReadCall(keys, input)), input.withStats);
}

// ——— vector-scan-4 ———

export interface VectorScanInput extends Membership {
  /** The hash fields to read of each live item. */
  fields: readonly string[];
  /** Field values as Buffers. */
  buffers: boolean;
}

export function vectorScanCall(keys: VectorKeys, input: VectorScanInput): ScriptCall {
  return { script: SCAN, keys: scopeKeyList(keys), args: [itemPrefix(keys), flag(input.bySet), ...input.fields], buffers: input.buffers };
}

export function decodeVectorScan(
  flat: readonly (string | Buffer | null)[],
  fieldCount: number,
): { id: string; values: (Buffer | string | null)[] }[] {
  const rows: { id: string; values: (Buffer | string | null)[] }[] = [];
  const width = fieldCount + 1;
  for (let i = 0; i < flat.length; i += width) rows.push({ id: String(flat[i]), values: flat.slice(i + 1, i + width) });
  return rows;
}

/** Every live item with the given fields (tidying up what is no longer live on the way). */
export async function vectorScan(
  connection: RedisConnection,
  keys: VectorKeys,
  input: VectorScanInput,
): Promise<{ id: string; values: (Buffer | string | null)[] }[]> {
  return decodeVectorScan(await runCall<(string | Buffer | null)[]>(connection, vectorScanCall(keys, input)), input.fields.length);
}

// ——— vector-delete-4 ———

export function vectorDeleteCall(keys: VectorKeys, input: Membership & { ids: readonly string[] }): ScriptCall {
  return { script: DELETE, keys: scopeKeyList(keys), args: [itemPrefix(keys), flag(input.bySet), ...input.ids] };
}

/** Returns how many of the items were live. */
export async function vectorDelete(
  connection: RedisConnection,
  keys: VectorKeys,
  input: Membership & { ids: readonly string[] },
): Promise<number> {
  return Number(await runCall<number>(connection, vectorDeleteCall(keys, input)));
}

// ——— vector-drop-4 ———

export function vectorDropCall(keys: VectorKeys, input: Membership): ScriptCall {
  return { script: DROP, keys: scopeKeyList(keys), args: [itemPrefix(keys), flag(input.bySet)] };
}

/** Deletes every item of a scope; returns how many were live. */
export async function vectorDrop(connection: RedisConnection, keys: VectorKeys, input: Membership): Promise<number> {
  return runCall<number>(connection, vectorDropCall(keys, input));
}

// ——— vector-purge-4 ———

export function vectorPurgeCall(keys: VectorKeys, input: { ids: readonly string[] }): ScriptCall {
  return { script: PURGE, keys: scopeKeyList(keys), args: [itemPrefix(keys), ...input.ids] };
}

/**
 * Purges ids a vector-set query saw without a hash (and the whole scope when its vector set is
 * gone while its id set remains); returns how many ids it purged.
 */
export async function vectorPurge(connection: RedisConnection, keys: VectorKeys, input: { ids: readonly string[] }): Promise<number> {
  return Number(await runCall<number>(connection, vectorPurgeCall(keys, input)));
}
