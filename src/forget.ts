// Forgetting a user: deletes every key of the user, found by SCAN on every master, so that it
// depends on no index that eviction can take (a session index, an agent list). It must never
// delete a key of another user: every candidate is checked against the key scheme (keys.ts).
import type { RedisConnection } from './connection/connect.js';
import type { Keyspace, UserScope } from './keys.js';

/**
 * Unlinks every key of `user`: under the user's own prefix (sessions, their index, lists), and
 * the long-term memories of the user and their agents in `namespaces`. Returns the keys deleted.
 * Costs one SCAN pass over each master's keyspace.
 */
export async function unlinkUserKeys(
  connection: RedisConnection,
  keyspace: Keyspace,
  user: UserScope,
  namespaces: readonly string[] = [],
): Promise<string[]> {
  const keys = keyspace.user(user);
  const deleted: string[] = [];
  for await (const batch of connection.scan(keys.anyTagPattern)) {
    const mine = batch.filter((key) => keys.owns(key, namespaces));
    const removed = await Promise.all(mine.map((key) => connection.send<number>(['UNLINK', key], { key })));
    mine.forEach((key, i) => removed[i] === 1 && deleted.push(key));
  }
  return deleted;
}
