// Single-key deletion of each key kind of a long-term memory scope, per engine (see shared.ts):
// recall and get return only what was remembered; recall, get, count and ids by filter agree on
// what is left (nothing is reported that recall cannot reach); forgetUser leaves no key of the user.
import { describe, it } from 'vitest';
import { HashingEmbeddings } from '../../../src/embeddings/hashing.js';
import { vectorScope } from '../../../src/keys.js';
import type { Filter } from '../../../src/vector/filter.js';
import { keysMatching, userKeys } from '../invariants.js';
import { pick, Probe, redis7, redis8, TENANT, useServers } from './shared.js';

const s = useServers('fkm');

const LTM_ENGINES = [
  ...(redis8
    ? [
        {
          engine: 'vectorset' as const,
          server: 'redis8',
          kinds: ['item hash', 'vector set', 'ids set', 'agent ids set', 'access counts', 'access times', 'definition'],
        },
      ]
    : []),
  ...(redis7
    ? [
        {
          engine: 'flat' as const,
          server: 'redis7',
          kinds: ['item hash', 'ids set', 'agent ids set', 'access counts', 'access times', 'definition'],
        },
      ]
    : []),
];
const LTM_CASES = LTM_ENGINES.flatMap((e) => e.kinds.map((kind) => ({ ...e, kind })));

describe.skipIf(LTM_CASES.length === 0)('faults: single-key deletion, long-term memory', () => {
  it.each(LTM_CASES)(
    '$engine ($server) losing its $kind: recall and get return only what was remembered, forgetUser leaves 0 keys',
    async ({ engine, server, kind }) => {
      const memory = server === 'redis8' ? s.memory8 : s.memory7!;
      const admin = server === 'redis8' ? s.admin8 : s.admin7!;
      const probe = new Probe();
      const namespace = `m-${engine}-${kind.replace(/ /g, '-')}`;
      const options = { embedder: new HashingEmbeddings(64), engine, namespace, fields: { tags: 'tag' as const } };
      const ltm = await memory.longTerm(options);
      const userId = `m-${engine}-${kind.replace(/ /g, '-')}`;
      const scope = { tenant: TENANT, userId };
      const agent = { ...scope, agentId: 'helper' };
      const texts = ['she is allergic to peanuts', 'she lives in lyon', 'her flight leaves at nine', 'she drinks green tea'];
      const mine = await ltm.rememberMany(
        scope,
        texts.map((text, i) => ({ text, id: `f${i}`, tags: [i % 2 ? 'home' : 'health'] })),
      );
      await ltm.remember(agent, { text: 'the agent prefers short answers', id: 'a0' });
      await ltm.recall(scope, 'she', { k: 10, trackAccess: 'await' }); // every item has access stats
      const known = new Map([...texts.map((t, i) => [`f${i}`, t] as const), ['a0', 'the agent prefers short answers']]);
      const all = await keysMatching(admin, `${s.prefix}:*`);
      const tag = `{${TENANT}:${userId}}`;
      const victim = pick(
        all,
        (k) => {
          switch (kind) {
            case 'item hash':
              return k.endsWith(`:ltm:${namespace}:${tag}:i:f0`);
            case 'vector set':
              return k.endsWith(`:ltm:${namespace}:${tag}:vs`);
            case 'ids set':
              return k.endsWith(`:ltm:${namespace}:${tag}:ids`);
            case 'agent ids set':
              return k.endsWith(`:ltm:${namespace}:{${TENANT}:${userId}:helper}:ids`);
            case 'access counts':
              return k.endsWith(`:ltm:${namespace}:${tag}:acc-n`);
            case 'access times':
              return k.endsWith(`:ltm:${namespace}:${tag}:acc-at`);
            default:
              return k === `${s.prefix}:ltm-def:${namespace}`;
          }
        },
        kind,
      );
      await admin.send(['UNLINK', victim]);
      // Losing access stats only resets them (and another key's loss leaves them alone).
      const stats = (await Promise.all(mine.map((m) => probe.call(`get ${m.id} (stats)`, () => ltm.get(scope, m.id))))).map(
        (g) => g && [g.accessCount, g.lastAccessedAt],
      );
      if (kind.startsWith('access') && stats.some((s) => s?.[0] !== 0 || s[1] !== null))
        probe.problems.push(`losing the ${kind} did more than reset the stats: ${JSON.stringify(stats)}`);
      if (!kind.startsWith('access') && stats.some((s) => s && s[0] !== 1))
        probe.problems.push(`losing the ${kind} changed access stats: ${JSON.stringify(stats)}`);

      const checkHits = (what: string, hits: { id: string; text: string }[] | undefined) => {
        for (const h of hits ?? [])
          if (known.get(h.id) !== h.text && !h.text.startsWith('new fact'))
            probe.problems.push(`${what} returned ${h.id}: ${JSON.stringify(h.text)}`);
        if (kind === 'item hash' && hits?.some((h) => h.id === 'f0')) probe.problems.push(`${what} returned the memory whose hash is gone`);
      };
      const recalled = await probe.call('recall', () => ltm.recall(scope, 'peanuts allergy', { k: 10 }));
      checkHits('recall', recalled);
      checkHits(
        'recall by vector',
        await probe.call('recall by vector', async () =>
          ltm.recall(scope, await new HashingEmbeddings(64).embedQuery('lyon'), { k: 10, trackAccess: 'await' }),
        ),
      );
      checkHits(
        'recall filtered',
        await probe.call('recall filtered', () => ltm.recall(scope, 'tea', { k: 10, filter: { field: 'tags', in: ['home'] } })),
      );
      checkHits('recall (agent)', await probe.call('recall (agent)', () => ltm.recall(agent, 'short answers', { k: 5 })));
      const got = await Promise.all(mine.map((m) => probe.call(`get ${m.id}`, () => ltm.get(scope, m.id))));
      got.forEach((g, i) => {
        if (g && g.text !== texts[i]) probe.problems.push(`get f${i} returned ${JSON.stringify(g.text)}`);
      });
      if (kind === 'item hash' && got[0] !== null) probe.problems.push('get returned the memory whose hash is gone');
      const count = await probe.call('count', () => ltm.count(scope));
      // One membership for every reader: what recall can reach is what count counts, what get
      // returns, and what ids by filter lists.
      const agree = (what: string, a: readonly string[] | undefined, b: readonly string[] | undefined) => {
        if (a && b && [...a].sort().join(' ') !== [...b].sort().join(' '))
          probe.problems.push(`${what}: ${[...a].sort().join(' ')} ≠ ${[...b].sort().join(' ')}`);
      };
      const reach = (await probe.call('recall all', () => ltm.recall(scope, 'she', { k: 100, trackAccess: 'off' })))?.map((r) => r.id);
      if (reach && count !== undefined && reach.length !== count) probe.problems.push(`count ${count} but recall reaches ${reach.length}`);
      agree(
        'get vs recall',
        got.flatMap((g, i) => (g ? [mine[i]!.id] : [])),
        reach,
      );
      if (got.some((g) => g && typeof g.accessCount !== 'number')) probe.problems.push('get returned a memory without access stats');
      const home: Filter = { field: 'tags', in: ['home'] };
      const listed = await probe.call('ids by filter', () => ltm.index.ids(vectorScope(tag), home));
      const recalledHome = (
        await probe.call('recall all filtered', () => ltm.recall(scope, 'she', { k: 100, filter: home, trackAccess: 'off' }))
      )?.map((r) => r.id);
      agree('ids by filter vs recall filtered', listed, recalledHome);
      await probe.call('remember', () => ltm.remember(scope, { text: 'new fact about trains' }));
      await probe.call('rememberMany', () =>
        ltm.rememberMany(scope, [{ text: 'new fact about pianos' }, { text: 'new fact about gardens', id: 'f1' }], { dedupe: false }),
      );
      await probe.call('update', () => ltm.update(scope, 'f2', { text: 'new fact: her flight leaves at ten' }));
      await probe.call('forget ids', () => ltm.forget(scope, { ids: ['f3'] }));
      await probe.call('forget filter', () => ltm.forget(scope, { filter: { field: 'tags', eq: 'health' } }));
      checkHits('recall after writes', await probe.call('recall after writes', () => ltm.recall(scope, 'new fact', { k: 10 })));
      const countAfter = await probe.call('count after writes', () => ltm.count(scope));
      const reachAfter = await probe.call('recall all after writes', () =>
        ltm.recall(scope, 'new fact she', { k: 100, trackAccess: 'off' }),
      );
      if (reachAfter && countAfter !== undefined && reachAfter.length !== countAfter)
        probe.problems.push(`after writes count ${countAfter} but recall reaches ${reachAfter.length}`);
      await probe.call('open again', () => memory.longTerm(options));
      await probe.call('forgetScope (agent)', () => ltm.forgetScope(agent));
      await probe.call('remember (agent)', () => ltm.remember(agent, { text: 'the agent speaks french', id: 'a1' }));
      await probe.call('forgetUser', () => memory.forgetUser(scope));
      const left = await userKeys(admin, s.prefix, TENANT, userId);
      if (left.length > 0) probe.problems.push(`forgetUser left ${left.join(', ')}`);
      probe.notes.unshift(
        `recall found ${recalled?.length ?? '-'} of 4 (${(recalled ?? [])
          .map((r) => r.id)
          .sort()
          .join(' ')}), count ${count}; after writes count ${countAfter}`,
      );

      console.log(probe.line(`long-term memory ${engine}`, kind));
      probe.expectClean();
    },
  );
});
