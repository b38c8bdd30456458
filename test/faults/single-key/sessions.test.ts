// Single-key deletion of each key kind of a session (see shared.ts): the session reads whole or
// gone and never mixes leftovers with new data, list() lists exactly the live sessions, and
// forgetUser leaves no key of the user.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Session } from '../../../src/session/session.js';
import { keysMatching, userKeys } from '../invariants.js';
import { pick, Probe, TENANT, useServers, WORLDS } from './shared.js';

/** The summarizer fails while this is set: trimmed messages then wait in the pending list. */
let summariesFail = false;
const sessions = {
  maxMessages: 3,
  ttl: { mode: 'sliding' as const, seconds: 600 },
  summarizer: ({ summary, messages }: { summary: string | null; messages: unknown[] }) => {
    if (summariesFail) throw new Error('summarizer down');
    return `${summary ?? ''}+${messages.length}`;
  },
};
const s = useServers('fks', { sessions });

const SESSION_KINDS = ['msgs', 'meta', 'state', 'tools', 'idem', 'pending', 'sessions index'] as const;

async function sessionView(s: Session) {
  const info = await s.info();
  return {
    info: info && { ...info, ttl: { ...info.ttl, expiresAt: null } },
    messages: (await s.messages()).map((m) => m.content),
    state: await s.state.get(),
    tools: await s.toolResults(),
    summary: await s.summary(),
  };
}
type SessionView = Awaited<ReturnType<typeof sessionView>>;
const isGone = (v: SessionView) =>
  v.info === null &&
  v.messages.length === 0 &&
  v.state.version === 0 &&
  Object.keys(v.state.value).length === 0 &&
  Object.keys(v.tools).length === 0 &&
  v.summary === null;

const CASES = WORLDS.flatMap((world) => SESSION_KINDS.map((kind) => ({ world, kind })));

describe.skipIf(CASES.length === 0)('faults: single-key deletion, sessions (Redis 8 and the cluster)', () => {
  it.each(CASES)(
    '$world: a session that loses its $kind key reads whole or gone, never mixed; list() exact; forgetUser leaves 0 keys',
    async ({ world, kind }) => {
      const { memory, admin } = s.worlds.get(world)!;
      const probe = new Probe();
      const user = { tenant: TENANT, userId: `s-${kind.replace(' ', '-')}` };
      const a = memory.sessions.session({ ...user, sessionId: 'a' });
      const b = memory.sessions.session({ ...user, sessionId: 'b' });
      // A summary, then a summarizer failure: trimmed messages wait in the pending list.
      summariesFail = false;
      for (let i = 0; i < 4; i++) await a.append({ role: 'user', content: `m${i}` }, { idempotencyKey: `k${i}` });
      summariesFail = true;
      for (let i = 4; i < 6; i++) await a.append({ role: 'user', content: `m${i}` }, { idempotencyKey: `k${i}` });
      summariesFail = false;
      await a.state.set({ i: 5 });
      await a.setToolResult('t5', { i: 5 });
      await a.setMetadata({ topic: 'orders' });
      await b.append({ role: 'user', content: 'other' });
      const before = await sessionView(a);
      const keys = await keysMatching(admin, `${s.prefix}:{${TENANT}:${user.userId}}:*`);
      const suffix = kind === 'sessions index' ? ':sessions' : `:s:a:${kind}`;
      expect(keys.filter((k) => k.endsWith(':s:a:pending')).length, 'a pending list to lose').toBe(1);
      const victim = pick(keys, (k) => k.endsWith(suffix), kind);
      await admin.send(['UNLINK', victim], { key: victim });

      // list() first, before any read of the session could tidy its leftovers: it lists exactly the live sessions.
      const listedFirst = await probe.call('list', () => memory.sessions.list(user));
      // Reads: whole (as before) or gone (nothing), the untouched session whole.
      for (const [what, read] of [
        ['info', () => a.info()],
        ['messages', () => a.messages()],
        ['messages last', () => a.messages({ last: 2 })],
        ['window', () => a.window({ maxTokens: 1000 })],
        ['count', () => a.count()],
        ['summary', () => a.summary()],
        ['state.get', () => a.state.get()],
        ['toolResult', () => a.toolResult('t5')],
        ['toolResults', () => a.toolResults()],
      ] as [string, () => Promise<unknown>][])
        await probe.call(what, read);
      const after = (await probe.call('read back', () => sessionView(a)))!;
      const whole = isDeepStrictEqual(after, before);
      if (!whole && !isGone(after)) probe.problems.push(`neither whole nor gone: ${JSON.stringify(after).slice(0, 300)}`);
      if (kind === 'sessions index' && !whole) probe.problems.push('losing the index made the session read as gone');
      if ((await b.messages()).length !== 1) probe.problems.push('the other session changed');
      const live = whole ? ['a', 'b'] : ['b'];
      for (const [when, listed] of [
        ['first', listedFirst],
        ['after the reads', await probe.call('list again', () => memory.sessions.list(user))],
      ] as const) {
        const ids = (listed?.sessions ?? []).map((s) => s.sessionId).sort();
        if (!isDeepStrictEqual(ids, live)) probe.problems.push(`list() (${when}) gave [${ids}] for live sessions [${live}]`);
        if (listed && listed.total !== live.length)
          probe.problems.push(`list().total (${when}) ${listed.total} for ${live.length} live sessions`);
      }

      // Writes: a gone session starts anew with nothing of the old one; a whole one keeps it all.
      await probe.call('append', () => a.append({ role: 'user', content: 'new' }, { idempotencyKey: 'k-new' }));
      await probe.call('setToolResult', () => a.setToolResult('t9', { i: 9 }));
      await probe.call('state.patch', () => a.state.patch({ j: 1 }));
      await probe.call('state.update', () => a.state.update((s) => ({ ...s, k: 2 })));
      await probe.call('setMetadata', () => a.setMetadata({ after: true }));
      await probe.call('setTtl', () => a.setTtl({ mode: 'sliding', seconds: 600 }));
      await probe.call('summarize', () => a.summarize());
      const next = (await probe.call('read back after writes', () => sessionView(a)))!;
      const fresh = isDeepStrictEqual(next.messages, ['new']);
      if (next.messages.at(-1) !== 'new') probe.problems.push(`the appended message is not the newest: ${JSON.stringify(next.messages)}`);
      if (fresh) {
        if (whole) probe.problems.push('a whole session lost its messages on a write');
        if (!isDeepStrictEqual(Object.keys(next.tools), ['t9']))
          probe.problems.push(`a new run of writes kept old tool results: ${Object.keys(next.tools)}`);
        if ('i' in next.state.value) probe.problems.push('a new run of writes kept the old state');
        if (next.summary !== null) probe.problems.push('a new run of writes kept the old summary');
        if (next.info && ('topic' in next.info.metadata || next.info.totalMessages !== 1))
          probe.problems.push(`a new run of writes kept old metadata or counts: ${JSON.stringify(next.info)}`);
      } else {
        if (!whole) probe.problems.push(`a gone session mixed leftovers with new data: ${JSON.stringify(next).slice(0, 300)}`);
        if (!('t5' in next.tools && 't9' in next.tools && next.state.value.i === 5))
          probe.problems.push(`a whole session lost data on a write: ${JSON.stringify(next).slice(0, 300)}`);
      }
      if (next.info && next.info.messageCount !== next.messages.length)
        probe.problems.push('info().messageCount differs from the messages read');
      await probe.call('clear', () => a.clear());
      if ((await a.count()) !== 0) probe.problems.push('clear() left messages');
      await probe.call('delete', () => a.delete());
      if ((await a.info()) !== null) probe.problems.push('delete() left the session');
      await probe.call('forgetUser', () => memory.forgetUser(user));
      const left = await userKeys(admin, s.prefix, TENANT, user.userId);
      if (left.length > 0) probe.problems.push(`forgetUser left ${left.join(', ')}`);
      probe.notes.unshift(`read as ${whole ? 'whole' : 'gone'}, then ${fresh ? 'started anew' : 'kept whole'} by writes`);

      console.log(probe.line(`session (${world})`, kind));
      probe.expectClean();
    },
  );
});
