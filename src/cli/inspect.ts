// `redis-agent-memory inspect user|session|memory|cache`: what is stored, its sizes, TTLs and
// counts, paged (--limit, --offset). Never a secret, and no message or memory text unless
// --show-content: roles, sizes, timestamps and counts say what is there without saying what it says.
import type { Command } from 'commander';
import { findUserFootprint } from '../forget.js';
import { cacheEntryKeys, describeKeys, listCaches, listNamespaces, namespaceScopes, type KeyInfo } from '../inspect.js';
import { InvalidArgumentError } from '../errors.js';
import type { Message } from '../session/message.js';
import { type GlobalOptions, withMemory } from './connect.js';
import { openStoredNamespace } from './namespaces.js';
import { formatBytes, formatTime, formatTtl, print } from './output.js';

interface PageOptions {
  limit: string;
  offset: string;
}

/** A page of a listing, and how to ask for the next one. */
export interface Page<T> {
  total: number;
  offset: number;
  items: T[];
  /** The `--offset` of the next page; null on the last. */
  nextOffset: number | null;
}

function pageOf(options: PageOptions): { offset: number; limit: number } {
  const offset = Number(options.offset);
  const limit = Number(options.limit);
  const issues = [
    ...(Number.isInteger(offset) && offset >= 0 ? [] : [{ path: '--offset', message: 'must be a whole number, 0 or more' }]),
    ...(Number.isInteger(limit) && limit >= 1 && limit <= 10_000
      ? []
      : [{ path: '--limit', message: 'must be a whole number from 1 to 10000' }]),
  ];
  if (issues.length > 0) throw new InvalidArgumentError('paging options', issues);
  return { offset, limit };
}

function paged<T>(all: readonly T[], offset: number, limit: number): Page<T> {
  const items = all.slice(offset, offset + limit);
  return { total: all.length, offset, items, nextOffset: offset + items.length < all.length ? offset + items.length : null };
}

const nextLine = (page: { total: number; offset: number; items: unknown[]; nextOffset: number | null }) =>
  `showing ${page.items.length ? `${page.offset + 1}-${page.offset + page.items.length}` : '0'} of ${page.total}` +
  (page.nextOffset === null ? '' : `; next page: --offset ${page.nextOffset}`);

const keyLines = (keys: readonly KeyInfo[]) =>
  keys.map((k) => `  ${k.key}  ${k.type}  ttl ${formatTtl(k.ttlMs)}  ${k.bytes === null ? '?' : formatBytes(k.bytes)}`);

const totalBytes = (keys: readonly KeyInfo[]) => keys.reduce((a, k) => a + (k.bytes ?? 0), 0);

const withPaging = (command: Command, what: string) =>
  command.option('--limit <n>', `${what} per page (1 to 10000)`, '20').option('--offset <n>', `${what} to skip`, '0');

/** The size of a message's content in bytes (UTF-8 of its text, or of its JSON parts). */
const contentBytes = (m: Message) => Buffer.byteLength(typeof m.content === 'string' ? m.content : JSON.stringify(m.content));

export function inspectCommand(program: Command): void {
  const inspect = program.command('inspect').description('what is stored: counts, sizes, TTLs (no contents unless --show-content)');

  withPaging(
    inspect
      .command('user')
      .description("a user's sessions (paged), long-term memories per namespace, tagged cache entries, events, key sizes")
      .requiredOption('--user <id>', 'the user id')
      .option('--tenant <tenant>', 'the tenant (default: _)'),
    'sessions',
  ).action(async (options: PageOptions & { user: string; tenant?: string }, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const { offset, limit } = pageOf(options);
    const user = { userId: options.user, ...(options.tenant !== undefined ? { tenant: options.tenant } : {}) };
    const view = await withMemory(globals, async (memory) => {
      const footprint = await findUserFootprint(memory.connection, memory.keys, memory.events, user);
      const keys = await describeKeys(memory.connection, footprint.keys);
      const listed = await memory.sessions.list(user, { offset, limit });
      const sessions = listed.sessions.map((s) => ({
        sessionId: s.sessionId,
        createdAt: s.createdAt,
        updatedAt: s.updatedAt,
        messageCount: s.messageCount,
        totalMessages: s.totalMessages,
        metadataKeys: Object.keys(s.metadata),
        hasSummary: s.summary !== null,
        ttl: s.ttl,
      }));
      return {
        user: { tenant: user.tenant ?? '_', userId: user.userId },
        keys: { count: keys.length, bytes: totalBytes(keys) },
        sessions: {
          total: listed.total,
          offset,
          items: sessions,
          nextOffset: offset + sessions.length < listed.total ? offset + sessions.length : null,
        },
        memories: footprint.memories,
        cacheEntries: footprint.caches.map(({ cache, entries }) => ({ cache, entries })),
        events: footprint.events,
      };
    });
    print(globals.json, view, (v) =>
      [
        `user ${v.user.tenant}/${v.user.userId}: ${v.keys.count} keys, ${formatBytes(v.keys.bytes)}`,
        `sessions: ${v.sessions.total}`,
        ...v.sessions.items.map(
          (s) =>
            `  ${s.sessionId}  ${s.messageCount} messages (${s.totalMessages} ever)  updated ${formatTime(s.updatedAt)}  ttl ${s.ttl.mode}${s.ttl.expiresAt ? ` until ${formatTime(s.ttl.expiresAt)}` : ''}`,
        ),
        `  ${nextLine(v.sessions)}`,
        `long-term memories: ${v.memories.map((m) => `${m.namespace} ${m.memories}`).join(', ') || 'none'}`,
        `cache entries tagged with the user: ${v.cacheEntries.map((c) => `${c.cache} ${c.entries}`).join(', ') || 'none'}`,
        `events: ${v.events}`,
      ].join('\n'),
    );
  });

  withPaging(
    inspect
      .command('session')
      .description("one session: timestamps, counts, TTL, its keys' sizes, and its messages (paged) by role, size and time")
      .requiredOption('--user <id>', 'the user id')
      .option('--tenant <tenant>', 'the tenant (default: _)')
      .requiredOption('--session <id>', 'the session id')
      .option('--show-content', 'also print message contents and the summary'),
    'messages',
  ).action(async (options: PageOptions & { user: string; tenant?: string; session: string; showContent?: boolean }, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const { offset, limit } = pageOf(options);
    const ref = { userId: options.user, sessionId: options.session, ...(options.tenant !== undefined ? { tenant: options.tenant } : {}) };
    const view = await withMemory(globals, async (memory) => {
      const session = memory.sessions.session(ref);
      const info = await session.info();
      if (!info) return null;
      const sessionKeys = Object.values(memory.keys.user(ref).session(ref.sessionId));
      const keys = (await describeKeys(memory.connection, sessionKeys)).filter((k) => k.type !== 'none');
      const messages = await session.messages({ offset, limit });
      const show = options.showContent === true;
      return {
        sessionId: info.sessionId,
        createdAt: info.createdAt,
        updatedAt: info.updatedAt,
        totalMessages: info.totalMessages,
        stateVersion: info.stateVersion,
        ttl: info.ttl,
        metadataKeys: Object.keys(info.metadata),
        summary: show ? info.summary : info.summary === null ? null : { bytes: Buffer.byteLength(info.summary) },
        keys,
        messages: {
          total: info.messageCount,
          offset,
          items: messages.map((m) => ({
            id: m.id,
            role: m.role,
            bytes: contentBytes(m),
            createdAt: m.createdAt,
            toolCalls: m.toolCalls?.length ?? 0,
            ...(show ? { content: m.content } : {}),
          })),
          nextOffset: offset + messages.length < info.messageCount ? offset + messages.length : null,
        },
      };
    });
    if (view === null) {
      process.stderr.write(`no session ${ref.sessionId} for user ${ref.tenant ?? '_'}/${ref.userId}\n`);
      process.exitCode = 1;
      return;
    }
    print(globals.json, view, (v) =>
      [
        `session ${v.sessionId}: ${v.messages.total} messages in the window (${v.totalMessages} ever), state version ${v.stateVersion}`,
        `created ${formatTime(v.createdAt)}, updated ${formatTime(v.updatedAt)}; ttl ${v.ttl.mode}${v.ttl.expiresAt ? ` until ${formatTime(v.ttl.expiresAt)}` : ''}`,
        `metadata keys: ${v.metadataKeys.join(', ') || 'none'}; summary: ${v.summary === null ? 'none' : typeof v.summary === 'string' ? v.summary : `${formatBytes(v.summary.bytes)} (--show-content to print)`}`,
        `keys (${formatBytes(totalBytes(v.keys))}):`,
        ...keyLines(v.keys),
        'messages:',
        ...v.messages.items.map(
          (m) =>
            `  ${formatTime(m.createdAt)}  ${m.role.padEnd(9)} ${formatBytes(m.bytes).padStart(9)}  ${m.id}${m.toolCalls ? `  ${m.toolCalls} tool calls` : ''}${'content' in m ? `\n    ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}` : ''}`,
        ),
        `  ${nextLine(v.messages)}`,
      ].join('\n'),
    );
  });

  withPaging(
    inspect
      .command('memory')
      .description('long-term memory: the namespaces, one namespace by scope, or one user’s memories (paged)')
      .option('--namespace <ns>', 'the namespace (default: list them all)')
      .option('--user <id>', "list this user's memories in the namespace")
      .option('--tenant <tenant>', 'the tenant (default: _)')
      .option('--agent <id>', "the user's agent whose memories to list")
      .option('--show-content', 'also print the memories’ texts'),
    'scopes or memories',
  ).action(
    async (
      options: PageOptions & { namespace?: string; user?: string; tenant?: string; agent?: string; showContent?: boolean },
      command: Command,
    ) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const { offset, limit } = pageOf(options);
      await withMemory(globals, async (memory) => {
        if (options.namespace === undefined) {
          const namespaces = await listNamespaces(memory.connection, memory.keys);
          const rows = await Promise.all(
            namespaces.map(async (n) => {
              const scopes = await namespaceScopes(memory.connection, memory.keys, n.namespace);
              return { ...n, scopes: scopes.length, memories: scopes.reduce((a, s) => a + s.memories, 0) };
            }),
          );
          const page = paged(rows, offset, limit);
          print(globals.json, page, (p) =>
            [
              ...p.items.map((n) => `${n.namespace}  ${n.engine}  dim ${n.dim}  ${n.metric}  ${n.scopes} scopes  ${n.memories} memories`),
              nextLine(p),
            ].join('\n'),
          );
          return;
        }
        const facts = await openStoredNamespace(memory, options.namespace);
        if (options.user === undefined) {
          const scopes = await namespaceScopes(memory.connection, memory.keys, options.namespace);
          const page = paged(scopes, offset, limit);
          const view = { namespace: options.namespace, engine: facts.index.engine, dim: facts.index.definition.dim, scopes: page };
          print(globals.json, view, (v) =>
            [
              `${v.namespace}: ${v.engine}, dim ${v.dim}`,
              ...v.scopes.items.map((s) => `  ${s.tag}  ${s.memories} memories`),
              `  ${nextLine(v.scopes)}`,
            ].join('\n'),
          );
          return;
        }
        const ref = {
          userId: options.user,
          ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
          ...(options.agent !== undefined ? { agentId: options.agent } : {}),
        };
        const ids = (await facts.index.ids(memory.keys.memoryScope(ref))).sort();
        const page = paged(ids, offset, limit);
        const items = (await Promise.all(page.items.map((id) => facts.get(ref, id)))).flatMap((m) =>
          m === null
            ? []
            : [
                {
                  id: m.id,
                  bytes: Buffer.byteLength(m.text),
                  tags: m.tags.length,
                  importance: m.importance,
                  createdAt: m.createdAt,
                  updatedAt: m.updatedAt,
                  expiresAt: m.expiresAt,
                  accessCount: m.accessCount,
                  ...(options.showContent ? { text: m.text } : {}),
                },
              ],
        );
        const view = { namespace: options.namespace, memories: { ...page, items } };
        print(globals.json, view, (v) =>
          [
            `${v.namespace}, ${ref.tenant ?? '_'}/${ref.userId}${ref.agentId ? `/${ref.agentId}` : ''}: ${v.memories.total} memories`,
            ...v.memories.items.map(
              (m) =>
                `  ${m.id}  ${formatBytes(m.bytes)}  created ${formatTime(m.createdAt)}  expires ${formatTime(m.expiresAt)}  recalled ${m.accessCount}x${'text' in m ? `\n    ${m.text}` : ''}`,
            ),
            `  ${nextLine(v.memories)}`,
          ].join('\n'),
        );
      });
    },
  );

  withPaging(
    inspect
      .command('cache')
      .description('the caches and their entry counts, or one cache’s entries (paged) with TTLs and sizes')
      .option('--name <cache>', 'the cache (default: list them all)'),
    'caches or entries',
  ).action(async (options: PageOptions & { name?: string }, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const { offset, limit } = pageOf(options);
    await withMemory(globals, async (memory) => {
      if (options.name === undefined) {
        const page = paged(await listCaches(memory.connection, memory.keys), offset, limit);
        print(globals.json, page, (p) => [...p.items.map((c) => `${c.cache}  ${c.entries} entries`), nextLine(p)].join('\n'));
        return;
      }
      const keys = await cacheEntryKeys(memory.connection, memory.keys, options.name);
      const page = paged(keys, offset, limit);
      const view = { cache: options.name, entries: { ...page, items: await describeKeys(memory.connection, page.items) } };
      print(globals.json, view, (v) =>
        [`cache ${v.cache}: ${v.entries.total} entries`, ...keyLines(v.entries.items), `  ${nextLine(v.entries)}`].join('\n'),
      );
    });
  });
}
