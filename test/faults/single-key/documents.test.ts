// Single-key deletion of each key kind of a document store (see shared.ts): every call settles,
// typed; reads return what was written or nothing; deleteNamespaces leaves nothing found.
import { isDeepStrictEqual } from 'node:util';
import { describe, it } from 'vitest';
import { HashingEmbeddings } from '../../../src/embeddings/hashing.js';
import { runScript, script } from '../../../src/scripts/index.js';
import { encodeNamespace } from '../../../src/store/namespace.js';
import { keysMatching } from '../invariants.js';
import { pick, Probe, redis8, useServers } from './shared.js';

const s = useServers('fkd');

const DOCUMENT_KINDS = [
  'document hash',
  'documents',
  'plain',
  'expiries',
  'namespace meta',
  'registry',
  'generations',
  'vector item',
  'vector ids',
  'vector set',
] as const;

describe.skipIf(!redis8)('faults: single-key deletion, document store (Redis 8, vector sets)', () => {
  it.each(DOCUMENT_KINDS)(
    'a store that loses its %s key: every call settles, typed; reads return what was written or nothing',
    async (kind) => {
      const probe = new Probe();
      const name = `d-${kind.replace(/ /g, '-')}`;
      const store = await s.memory8.documentStore({
        name,
        index: { dim: 64, embedder: new HashingEmbeddings(64), engine: 'vectorset', fields: ['text'] },
      });
      const ns = ['users', 'u1'];
      const written: Record<string, { text: string }> = {
        a: { text: 'she likes green tea' },
        b: { text: 'flight to lyon' },
        c: { text: 'plain note' },
      };
      await store.write([
        { namespace: ns, key: 'a', value: written.a!, ttlSeconds: 600 },
        { namespace: ns, key: 'b', value: written.b! },
        { namespace: ns, key: 'c', value: written.c!, index: false },
      ]);
      if (kind === 'generations') {
        // The generations hold a token only while a write is between its registration and its
        // commit (store-register-2.lua): a writer that stopped there, whose token is then lost.
        const storeKeys = s.memory8.keys.documentStore(name);
        await runScript(
          s.memory8.connection,
          script('store-register-2'),
          [storeKeys.registry, storeKeys.generations],
          ['begin', encodeNamespace(ns), 'stopped-writer'],
        );
      }
      const keys = await keysMatching(s.admin8, `${s.prefix}:*`);
      const base = `${s.prefix}:ds:${name}:`;
      const vectors = `${s.prefix}:ltm:ds-${name}:`;
      const victim = pick(
        keys,
        (k) => {
          switch (kind) {
            case 'document hash':
              return k.startsWith(base) && k.includes(':d:');
            case 'documents':
              return k.startsWith(base) && k.endsWith(':docs');
            case 'plain':
              return k.startsWith(base) && k.endsWith(':plain');
            case 'expiries':
              return k.startsWith(base) && k.endsWith(':exp');
            case 'namespace meta':
              return k.startsWith(base) && k.endsWith(':meta');
            case 'registry':
              return k.startsWith(base) && k.endsWith(':namespaces');
            case 'generations':
              return k.startsWith(base) && k.endsWith(':generations');
            case 'vector item':
              return k.startsWith(vectors) && k.includes(':i:');
            case 'vector ids':
              return k.startsWith(vectors) && k.endsWith(':ids');
            default:
              return k.startsWith(vectors) && k.endsWith(':vs');
          }
        },
        kind,
      );
      await s.admin8.send(['UNLINK', victim]);

      const check = (what: string, docs: ({ key: string; value: Record<string, unknown> } | null | undefined)[] | undefined) => {
        for (const d of docs ?? [])
          if (d && !isDeepStrictEqual(d.value, written[d.key]) && !String(d.value.text).startsWith('new'))
            probe.problems.push(`${what} returned ${d.key}: ${JSON.stringify(d.value)}`);
      };
      const got = await Promise.all(['a', 'b', 'c'].map((k) => probe.call(`get ${k}`, () => store.get(ns, k))));
      check('get', got);
      check('getMany', await probe.call('getMany', () => store.getMany(['a', 'b', 'c'].map((key) => ({ namespace: ns, key })))));
      const all = await probe.call('search', () => store.search(ns));
      check('search', all);
      const ranked = await probe.call('search by meaning', () => store.search(['users'], { query: 'tea' }));
      check('search by meaning', ranked);
      check('search filtered', await probe.call('search filtered', () => store.search(ns, { filter: { text: 'plain note' } })));
      const namespaces = await probe.call('listNamespaces', () => store.listNamespaces());
      // deleteNamespaces forgets a user (README): afterwards not one of their documents is found.
      const deleted = await probe.call('deleteNamespaces', () => store.deleteNamespaces(['users']));
      const afterDelete = await probe.call('get after deleteNamespaces', () =>
        store.getMany(['a', 'b', 'c'].map((key) => ({ namespace: ns, key }))),
      );
      const survivors = ['a', 'b', 'c'].filter((_, i) => afterDelete?.[i]);
      if (survivors.length > 0) probe.problems.push(`deleteNamespaces(['users']) returned, and get() still finds ${survivors.join(', ')}`);
      const leftKeys = (await keysMatching(s.admin8, `${s.prefix}:*`))
        .filter((k) => k.startsWith(base) || k.startsWith(vectors))
        .filter((k) => !k.endsWith(':namespaces') && !k.endsWith(':generations'));
      // The store works on: writes, reads, listing, deleting again.
      await probe.call('write', () =>
        store.write([
          { namespace: ns, key: 'd', value: { text: 'new doc' } },
          { namespace: ns, key: 'e', value: { text: 'new plain' }, index: false },
          { namespace: ns, key: 'd', value: null },
        ]),
      );
      const again = await probe.call('search after write', () => store.search(ns));
      check('search after write', again);
      if (
        again &&
        !isDeepStrictEqual(
          again.map((d) => d.key),
          ['e'],
        )
      )
        probe.problems.push(`after writing d, e and deleting d, search gave [${again.map((d) => d.key)}]`);
      const namespacesAfter = await probe.call('listNamespaces after write', () => store.listNamespaces());
      await probe.call('deleteNamespaces again', () => store.deleteNamespaces(ns));
      const remaining = await probe.call('search after deleteNamespaces', () => store.search(['users']));
      if (remaining && remaining.length > 0) probe.problems.push(`deleteNamespaces left ${remaining.map((d) => d.key).join(', ')}`);
      probe.notes.unshift(
        `get a b c: ${got.map((d) => (d ? 'found' : 'null')).join(' ')}; search ${all?.length ?? '-'}/3, by meaning ${ranked?.length ?? '-'}; namespaces listed ${namespaces?.length ?? '-'} (after a write ${namespacesAfter?.length ?? '-'}); ` +
          `deleteNamespaces deleted ${deleted ?? '-'}, left ${leftKeys.length} keys${leftKeys.length ? ` (${leftKeys.map((k) => k.slice(k.lastIndexOf('}') + 1)).join(' ')})` : ''}`,
      );

      console.log(probe.line('document store', kind));
      probe.expectClean();
    },
  );
});
