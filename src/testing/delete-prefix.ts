// Test cleanup for users of the library: deletes every key under one agent memory's prefix and the
// RediSearch indexes named under it, so each test file can own a prefix and leave nothing behind.
// It must never touch a key outside the prefix; it is not a production operation (one SCAN pass).
import type { AgentMemory } from '../agent-memory.js';
import { RedisCommandError } from '../errors.js';
import { escapeGlob } from '../keys.js';

/**
 * Deletes everything `memory` keeps under its prefix (`memory.keys.prefix`): every key, found by
 * SCAN on every master, and the RediSearch indexes whose names start with `<prefix>:`. Returns the
 * number of keys deleted. Use a prefix of its own per test (e.g. `test-${randomUUID()}`). Await
 * your own calls first; `recall` counts accesses in the background unless `trackAccess: 'await'`.
 *
 * @example afterAll(async () => { await deletePrefix(memory); await memory.close(); });
 */
export async function deletePrefix(memory: Pick<AgentMemory, 'connection' | 'keys' | 'capabilities'>): Promise<number> {
  const { connection } = memory;
  const start = `${memory.keys.prefix}:`;
  if ((await memory.capabilities()).search) {
    for (const name of await listIndexes(memory.connection)) {
      if (name.startsWith(start)) await connection.send(['FT.DROPINDEX', name]).catch(ignoreUnknownIndex);
    }
  }
  // Passes until one finds nothing: a write still in flight when the first pass began (a script's
  // NOSCRIPT retry, say) lands before a later one. Writes started after this returns are not seen.
  let deleted = 0;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let found = 0;
    for await (const keys of connection.scan(`${escapeGlob(start)}*`)) {
      found += keys.length;
      const removed = await Promise.all(keys.map((key) => connection.send<number>(['UNLINK', key], { key })));
      deleted += removed.reduce((sum, n) => sum + n, 0);
    }
    if (found === 0) break;
  }
  return deleted;
}

const MAX_PASSES = 5;

async function listIndexes(connection: AgentMemory['connection']): Promise<string[]> {
  // A RESP3 set: an array or a Set, depending on the client's type mapping.
  const names = await connection.send<Iterable<unknown>>(['FT._LIST'], { readonly: true });
  return Array.from(names, String);
}

/** Another cleanup may have dropped the index between FT._LIST and FT.DROPINDEX. */
function ignoreUnknownIndex(error: unknown): void {
  if (error instanceof RedisCommandError && /unknown index name|no such index/i.test(error.message)) return;
  throw error;
}
