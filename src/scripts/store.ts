// The typed gateway to the document store scripts (store-*.lua): a namespace's four keys (see
// includes/store.lua) or the store's registry pair, laid out as each header documents; one builder
// per script, one runner that sends it and decodes the reply. Builders are pure.
import type { RedisConnection } from '../connection/connect.js';
import type { DocumentNamespaceKeys, DocumentStoreKeys } from '../keys.js';
import { runCall, type ScriptCall } from './call.js';
import { script } from './index.js';

const WRITE = script('store-write-4');
const READ = script('store-read-4');
const REBUILD = script('store-rebuild-4');
const REGISTER = script('store-register-2');
const UNREGISTER = script('store-unregister-2');

/** A namespace's keys in the order every namespace script declares them (KEYS[1..4]). */
const namespaceKeyList = (k: DocumentNamespaceKeys): string[] => [k.documents, k.plain, k.expiries, k.meta];
const registryKeyList = (k: Pick<DocumentStoreKeys, 'registry' | 'generations'>): string[] => [k.registry, k.generations];

/** A namespace's state as the scripts report it: 0 not empty, 1 empty, 2 its index is lost (rebuild it). */
export type NamespaceState = 0 | 1 | 2;
export const INDEX_LOST = 2;

// ——— store-write-4 ———

export interface DocumentOperation {
  op: 'put' | 'del';
  id: string;
  key: string;
  /** The value JSON ('' for a delete). */
  value: string;
  ttlMs: number | null;
  vectorCount: number;
  /** The version of its vectors ('' none). */
  vectorVersion: string;
}

export interface StoreWriteReply {
  /** The namespace was empty before (false too when its index is lost). */
  wasEmpty: boolean;
  state: NamespaceState;
  /** Per operation: the vector count and version the document had before (0 and '' when it did not exist). */
  before: { vectorCount: number; vectorVersion: string }[];
}

/** `path`: the namespace's path as JSON ('' with no operation: only purge and report the state). */
export function storeWriteCall(keys: DocumentNamespaceKeys, input: { path: string; operations: readonly DocumentOperation[] }): ScriptCall {
  return {
    script: WRITE,
    keys: namespaceKeyList(keys),
    args: [
      keys.documentPrefix,
      input.path,
      ...input.operations.flatMap((o) => [
        o.op,
        o.id,
        o.key,
        o.value,
        o.ttlMs === null ? '' : String(o.ttlMs),
        String(o.vectorCount),
        o.vectorVersion,
      ]),
    ],
  };
}

export function decodeStoreWrite(reply: readonly unknown[]): StoreWriteReply {
  const [wasEmpty, state, ...rest] = reply;
  const before: StoreWriteReply['before'] = [];
  for (let i = 0; i < rest.length; i += 2) before.push({ vectorCount: Number(rest[i]), vectorVersion: String(rest[i + 1] ?? '') });
  return { wasEmpty: Number(wasEmpty) === 1, state: Number(state) as NamespaceState, before };
}

export async function storeWrite(
  connection: RedisConnection,
  keys: DocumentNamespaceKeys,
  input: { path: string; operations: readonly DocumentOperation[] },
): Promise<StoreWriteReply> {
  return decodeStoreWrite(await runCall<unknown[]>(connection, storeWriteCall(keys, input)));
}

/** Purges expired documents and reports the namespace's state (store-write-4 with no operation). */
export async function storeSettle(connection: RedisConnection, keys: DocumentNamespaceKeys): Promise<NamespaceState> {
  return (await storeWrite(connection, keys, { path: '', operations: [] })).state;
}

// ——— store-read-4 ———

/** By ids (moving their expiry when `refresh`), or a page of the documents (or of those without vectors). */
export type StoreReadInput = { ids: readonly string[]; refresh: boolean } | { which: 'documents' | 'plain'; start: number; size: number };

/** One document as the script returns it; `key` null when it is missing (expired or deleted). */
export interface StoredRow {
  id: string;
  key: string | null;
  /** The value JSON. */
  value: string | null;
  created: number;
  updated: number;
  ttlMs: number | null;
  vectorCount: number;
  /** '' none, or an older release's. */
  vectorVersion: string;
  /** Deadline ms, null when it does not expire. */
  deadline: number | null;
}

export interface StoreReadReply {
  /** The next start rank (-1 at the end; 0 for ids). */
  next: number;
  /** The namespace's index is lost: a page lists only part of the documents (rebuild it). */
  indexLost: boolean;
  rows: StoredRow[];
}

export function storeReadCall(keys: DocumentNamespaceKeys, input: StoreReadInput): ScriptCall {
  const args = 'ids' in input ? ['ids', input.refresh ? '1' : '0', ...input.ids] : [input.which, String(input.start), String(input.size)];
  return { script: READ, keys: namespaceKeyList(keys), args: [keys.documentPrefix, ...args] };
}

const nullable = <T>(v: unknown, as: (v: unknown) => T): T | null => (v === null || v === undefined ? null : as(v));

export function decodeStoreRead(flat: readonly unknown[]): StoreReadReply {
  const rows: StoredRow[] = [];
  for (let i = 2; i < flat.length; i += 9) {
    const [id, key, value, created, updated, ttl, n, version, deadline] = flat.slice(i, i + 9);
    rows.push({
      id: String(id),
      key: nullable(key, String),
      value: nullable(value, String),
      created: Number(created),
      updated: Number(updated),
      ttlMs: nullable(ttl, Number),
      vectorCount: Number(n ?? 0),
      vectorVersion: nullable(version, String) ?? '',
      deadline: nullable(deadline, Number),
    });
  }
  return { next: Number(flat[0]), indexLost: Number(flat[1]) === 1, rows };
}

export async function storeRead(connection: RedisConnection, keys: DocumentNamespaceKeys, input: StoreReadInput): Promise<StoreReadReply> {
  return decodeStoreRead(await runCall<unknown[]>(connection, storeReadCall(keys, input)));
}

// ——— store-rebuild-4 ———

export function storeRebuildCall(keys: DocumentNamespaceKeys, input: { ids: readonly string[] }): ScriptCall {
  return { script: REBUILD, keys: namespaceKeyList(keys), args: [keys.documentPrefix, ...input.ids] };
}

/** Rebuilds a namespace's index from the document ids a SCAN found; returns its state after (1 empty, 0 not). */
export async function storeRebuild(
  connection: RedisConnection,
  keys: DocumentNamespaceKeys,
  input: { ids: readonly string[] },
): Promise<NamespaceState> {
  return Number(await runCall<number>(connection, storeRebuildCall(keys, input))) as NamespaceState;
}

// ——— store-register-2 ———

export type RegisterStep =
  | { step: 'begin'; path: string; token: string }
  | { step: 'commit'; path: string; token: string }
  /** `added` and `previous`: what 'begin' returned. */
  | { step: 'abort'; path: string; token: string; added: boolean; previous: string };

/** What 'begin' found: whether it added the path, and the generation before ('' none). */
export interface Registration {
  added: boolean;
  previous: string;
}

export function storeRegisterCall(keys: Pick<DocumentStoreKeys, 'registry' | 'generations'>, input: RegisterStep): ScriptCall {
  const tail = input.step === 'abort' ? [input.added ? '1' : '0', input.previous] : [];
  return { script: REGISTER, keys: registryKeyList(keys), args: [input.step, input.path, input.token, ...tail] };
}

export async function storeRegisterBegin(
  connection: RedisConnection,
  keys: Pick<DocumentStoreKeys, 'registry' | 'generations'>,
  input: { path: string; token: string },
): Promise<Registration> {
  const [added, previous] = await runCall<[number, string]>(connection, storeRegisterCall(keys, { step: 'begin', ...input }));
  return { added: Number(added) === 1, previous: String(previous ?? '') };
}

/** 'commit' returns whether the path had to be registered again; 'abort' whether the registry was put back. */
export async function storeRegisterSettle(
  connection: RedisConnection,
  keys: Pick<DocumentStoreKeys, 'registry' | 'generations'>,
  input: Exclude<RegisterStep, { step: 'begin' }>,
): Promise<boolean> {
  return Number(await runCall<number>(connection, storeRegisterCall(keys, input))) === 1;
}

// ——— store-unregister-2 ———

export function storeUnregisterCall(
  keys: Pick<DocumentStoreKeys, 'registry' | 'generations'>,
  input: { namespaces: readonly { path: string; generation: string }[] },
): ScriptCall {
  return { script: UNREGISTER, keys: registryKeyList(keys), args: input.namespaces.flatMap((n) => [n.path, n.generation]) };
}

/** Removes namespaces found empty, each only if its generation is still the one read; returns how many. */
export function storeUnregister(
  connection: RedisConnection,
  keys: Pick<DocumentStoreKeys, 'registry' | 'generations'>,
  input: { namespaces: readonly { path: string; generation: string }[] },
): Promise<number> {
  return runCall<number>(connection, storeUnregisterCall(keys, input));
}
