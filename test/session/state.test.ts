// Reasoning state on Redis 8, Redis 7 and a Redis Cluster: get/set/patch, compare-and-set, no lost
// update under 50 concurrent writers, and bad state refused without a write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, InvalidArgumentError } from '../../src/errors.js';
import { targetsWithCluster } from '../harness/index.js';
import { sessionFixture, type SessionFixture } from './fixture.js';

describe.each(targetsWithCluster({ asAclUser: true }).map((t) => [t.name, t] as const))('reasoning state (%s)', (_, target) => {
  let f: SessionFixture;
  beforeAll(async () => {
    f = await sessionFixture(target);
  });
  afterAll(() => f.close());

  it('starts empty at version 0, then sets, patches and removes fields', async () => {
    const { state } = f.store().session({ userId: 'u', sessionId: 'basic' });
    expect(await state.get()).toEqual({ value: {}, version: 0 });
    expect(await state.set({ plan: ['search', 'answer'], step: 0, scratchpad: 'start', empty: [] })).toBe(1);
    expect(await state.patch({ step: 1, scratchpad: undefined, result: { found: 3, nested: {} } })).toBe(2);
    expect(await state.get()).toEqual({
      value: { plan: ['search', 'answer'], step: 1, empty: [], result: { found: 3, nested: {} } },
      version: 2,
    });
    expect(await state.set({ only: true })).toBe(3);
    expect((await state.get()).value).toEqual({ only: true });
  });

  it('compare-and-set: a stale expectedVersion is a ConflictError and writes nothing', async () => {
    const { state } = f.store().session({ userId: 'u', sessionId: 'cas' });
    await state.set({ step: 1 });
    await state.patch({ step: 2 }, { expectedVersion: 1 });
    const error = await state.patch({ step: 99 }, { expectedVersion: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).code).toBe('CONFLICT');
    expect((error as Error).message).toBe('the state is at version 2, not 1; reload it and retry');
    expect(await state.get()).toEqual({ value: { step: 2 }, version: 2 });
  });

  it('50 concurrent writers lose no update', async () => {
    const store = f.store();
    const writers = Array.from({ length: 50 }, (_, _i) => store.session({ userId: 'u', sessionId: 'race' }).state);
    await Promise.all(
      writers.map((state, i) =>
        state.update((current) => ({
          count: ((current.count as number | undefined) ?? 0) + 1,
          seen: [...((current.seen as number[] | undefined) ?? []), i],
        })),
      ),
    );
    const { value, version } = await writers[0]!.get();
    expect(value.count).toBe(50);
    expect([...(value.seen as number[])].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(version).toBe(50);
  });

  it('refuses state that is not JSON or is too large, and writes nothing', async () => {
    const { state } = f.store({ maxStateBytes: 100 }).session({ userId: 'u', sessionId: 'bad' });
    await state.set({ a: 'x'.repeat(40) });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['BigInt', () => state.set({ n: 10n } as never), /Invalid state: n: a bigint is not JSON/],
      ['function', () => state.patch({ f: (() => 1) as never }), /Invalid state patch/],
      ['Date', () => state.set({ d: new Date() as never }), /Invalid state/],
      ['circular', () => state.set({ c: circular as never }), /Invalid state: c.self: is circular/],
      ['not an object', () => state.set([1, 2] as never), /Invalid state/],
      ['replace over the limit', () => state.set({ a: 'x'.repeat(200) }), /over the limit of 100/],
      ['patch over the limit', () => state.patch({ b: 'y'.repeat(70) }), /^Invalid state: it would be 116 bytes, over the limit of 100$/],
      ['negative version', () => state.set({}, { expectedVersion: -1 }), /expectedVersion/],
    ];
    for (const [what, act, message] of cases) {
      const error = await act().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, what).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message, what).toMatch(message);
    }
    expect(await state.get()).toEqual({ value: { a: 'x'.repeat(40) }, version: 1 });
    // Replacing a field frees its bytes: the limit counts the state as it would be.
    expect(await state.patch({ a: 'z'.repeat(60) })).toBe(2);
  });
});
