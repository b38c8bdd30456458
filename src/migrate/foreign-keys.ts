// Reads and writes keys that another library owns (a chat history list, a vector store's hashes),
// so that adapters can offer one-call migrations without sending Redis commands themselves. It
// moves raw values only; it never interprets another library's format, nor touches this library's keys.
import { z } from 'zod';
import type { RedisConnection } from '../connection/connect.js';
import { InvalidArgumentError } from '../errors.js';
import { escapeGlob } from '../keys.js';
import { SecondsSchema } from '../ttl.js';
import { parseInput } from '../validate.js';

const ForeignKeySchema = z.string().min(1, 'must not be empty').max(4096, 'must be at most 4096 characters');

/** A key another library owns; refused when it lies under this library's own prefix. */
function foreignKey(key: string, ownPrefix: string, what: string): string {
  const valid = parseInput(ForeignKeySchema, key, what);
  if (valid.startsWith(`${ownPrefix}:`)) {
    throw new InvalidArgumentError(what, [
      { path: '', message: `is under this library's prefix ${ownPrefix}: (only keys another library owns are read or written here)` },
    ]);
  }
  return valid;
}

/** Glob escaping lives with the key scheme; re-exported here where migrations used to find it. */
export { escapeGlob };

/**
 * Every element of a list key, from head to tail; an absent key is an empty list.
 *
 * @example await readForeignList(memory.connection, 'am', 'chat-42') // what LPUSH wrote, newest first
 */
export async function readForeignList(connection: RedisConnection, ownPrefix: string, key: string): Promise<string[]> {
  const list = foreignKey(key, ownPrefix, 'list key');
  return connection.send<string[]>(['LRANGE', list, '0', '-1'], { key: list, readonly: true });
}

export const ReplaceListOptionsSchema = z
  .object({
    /** Expire the list after this many seconds (as the other library would). Default: never. */
    ttlSeconds: SecondsSchema.optional(),
  })
  .strict();

/**
 * Replaces a list key with `values`, head first, in one MULTI (delete, push, expire): a reader
 * sees the old list or the new one, never a mix.
 */
export async function replaceForeignList(
  connection: RedisConnection,
  ownPrefix: string,
  key: string,
  values: readonly string[],
  options: z.input<typeof ReplaceListOptionsSchema> = {},
): Promise<void> {
  const list = foreignKey(key, ownPrefix, 'list key');
  const { ttlSeconds } = parseInput(ReplaceListOptionsSchema, options, 'list options');
  const commands: string[][] = [['DEL', list]];
  if (values.length > 0) commands.push(['RPUSH', list, ...values]);
  if (ttlSeconds !== undefined && values.length > 0) commands.push(['PEXPIRE', list, String(Math.max(1, Math.round(ttlSeconds * 1000)))]);
  await connection.transaction(commands, list);
}

/** One hash found by {@link scanForeignHashes}: its key and the asked fields (null when absent). */
export interface ForeignHash {
  key: string;
  values: (Buffer | null)[];
}

/**
 * The given fields of every hash whose key starts with `prefix`, in batches, found by SCAN on
 * every master (cluster-safe); values as Buffers (binary vectors stay intact). Keys that are not
 * hashes are skipped.
 */
export async function* scanForeignHashes(
  connection: RedisConnection,
  ownPrefix: string,
  prefix: string,
  fields: readonly string[],
): AsyncGenerator<ForeignHash[]> {
  const start = foreignKey(prefix, ownPrefix, 'key prefix');
  const names = parseInput(z.array(z.string().min(1)).min(1), fields, 'hash fields');
  for await (const keys of connection.scan(`${escapeGlob(start)}*`)) {
    const types = await Promise.all(keys.map((key) => connection.send<string>(['TYPE', key], { key, readonly: true })));
    const hashes = keys.filter((_, i) => types[i] === 'hash');
    const rows = await Promise.all(
      hashes.map((key) => connection.send<(Buffer | null)[]>(['HMGET', key, ...names], { key, readonly: true, buffers: true })),
    );
    if (hashes.length > 0) yield hashes.map((key, i) => ({ key, values: rows[i]! }));
  }
}
