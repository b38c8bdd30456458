// `redis-agent-memory forget-user`: deletes everything the library keeps about one user (sessions,
// long-term memories, cache entries tagged with their tag, events), or with --dry-run lists it and
// deletes nothing. Namespaces and caches are discovered from the keyspace (src/forget.ts).
import type { Command } from 'commander';
import { findUserFootprint, forgetUserFootprint, type UserFootprint } from '../forget.js';
import { type GlobalOptions, withMemory } from './connect.js';
import { print } from './output.js';

interface ForgetOptions {
  user: string;
  tenant?: string;
  cache: string[];
  namespace: string[];
  dryRun?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function describeFootprint(f: UserFootprint): string {
  const lines = [`sessions: ${f.sessions.length}${f.sessions.length ? ` (${f.sessions.join(', ')})` : ''}`];
  lines.push(`long-term memories: ${f.memories.reduce((a, m) => a + m.memories, 0)}`);
  for (const m of f.memories) lines.push(`  ${m.namespace}: ${m.memories}`);
  lines.push(`cache entries tagged with the user: ${f.caches.reduce((a, c) => a + c.entries, 0)}`);
  for (const c of f.caches) lines.push(`  ${c.cache}: ${c.entries}`);
  lines.push(`events: ${f.events}`);
  lines.push(`keys under the user's tags: ${f.keys.length}`);
  return lines.join('\n');
}

export function forgetUserCommand(program: Command): void {
  program
    .command('forget-user')
    .description('delete everything kept about a user: sessions, long-term memories, tagged cache entries, events')
    .requiredOption('--user <id>', 'the user id')
    .option('--tenant <tenant>', 'the tenant (default: _)')
    .option('--namespace <ns>', 'also look in this long-term memory namespace (repeatable; found ones are added)', collect, [])
    .option('--cache <name>', 'also look in this cache (repeatable; caches holding tagged entries are found)', collect, [])
    .option('--dry-run', 'list what would be deleted, and delete nothing')
    .action(async (options: ForgetOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const user = { userId: options.user, ...(options.tenant !== undefined ? { tenant: options.tenant } : {}) };
      await withMemory(globals, async (memory) => {
        const footprint = await findUserFootprint(memory.connection, memory.keys, memory.events, user, {
          namespaces: options.namespace,
          caches: options.cache,
        });
        if (options.dryRun) {
          print(globals.json, { dryRun: true, ...footprint }, (f) => `would delete (dry run, nothing deleted):\n${describeFootprint(f)}`);
          return;
        }
        const deleted = await forgetUserFootprint(memory.connection, memory.keys, memory.events, user, footprint);
        print(
          globals.json,
          { dryRun: false, deleted },
          ({ deleted: d }) =>
            `deleted: ${d.sessions} sessions, ${d.memories} long-term memories, ${d.cacheEntries} cache entries, ${d.events} events (${d.keys} keys)`,
        );
      });
    });
}
