// Forgetting a user: deletes every key of the user, found by SCAN on every master, so that it
// depends on no index that eviction can take (a session index, a scope's id set). It must never
// delete a key of another user: every candidate is checked against the key scheme (keys.ts).
import type { RedisConnection } from './connection/connect.js';
import type { Keyspace, UserScope } from './keys.js';

/**
 * Unlinks every key that matches the SCAN `pattern` and that `mine` accepts. Returns the keys
 * deleted. Costs one SCAN pass over each master's keyspace.
 */
export async function unlinkMatching(connection: RedisConnection, pattern: string, mine: (key: string) => boolean): Promise<string[]> {
  const deleted: string[] = [];
  for await (const batch of connection.scan(pattern)) {
    const keys = batch.filter(mine);
    const removed = await Promise.all(keys.map((key) => connection.send<number>(['UNLINK', key], { key })));
    for (const [i, key] of keys.entries()) if (removed[i] === 1) deleted.push(key);
  }
  return deleted;
}

/**
 * Unlinks every key of `user`: under the user's own prefix (sessions, their index), and the
 * long-term memories of the user and their agents in `namespaces`. Returns the keys deleted.
 */
export function unlinkUserKeys(
  connection: RedisConnection,
  keyspace: Keyspace,
  user: UserScope,
  namespaces: readonly string[] = [],
): Promise<string[]> {
  const keys = keyspace.user(user);
  return unlinkMatching(connection, keys.anyTagPattern, (key) => keys.owns(key, namespaces));
}
