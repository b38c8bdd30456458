// The key scheme: exact names, one hash tag per user, and bad parts refused before any key exists.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../src/errors.js';
import { Keyspace } from '../src/keys.js';
import { connectToCluster, harness } from './harness/index.js';

describe('Keyspace', () => {
  const keys = new Keyspace('am');

  it('names every key of a session under the user hash tag', () => {
    const user = keys.user({ tenant: 'acme', userId: 'alice@example.com' });
    expect(user.tag).toBe('{acme:alice@example.com}');
    expect(user.sessions).toBe('am:{acme:alice@example.com}:sessions');
    expect(user.pattern).toBe('am:{acme:alice@example.com}:*');
    expect(user.session('s-1')).toEqual({
      messages: 'am:{acme:alice@example.com}:s:s-1:msgs',
      meta: 'am:{acme:alice@example.com}:s:s-1:meta',
      state: 'am:{acme:alice@example.com}:s:s-1:state',
      tools: 'am:{acme:alice@example.com}:s:s-1:tools',
      idempotency: 'am:{acme:alice@example.com}:s:s-1:idem',
      pending: 'am:{acme:alice@example.com}:s:s-1:pending',
    });
    expect(user.sessionPrefix).toBe('am:{acme:alice@example.com}:s:');
  });

  it('uses the tenant `_` when none is given', () => {
    expect(keys.user({ userId: 'u1' }).sessions).toBe('am:{_:u1}:sessions');
  });

  it('keeps users apart even where a naive join would collide', () => {
    // "a:b" + "c" and "a" + "b:c" would both give {a:b:c}; ':' is refused in parts for that reason.
    expect(() => keys.user({ tenant: 'a:b', userId: 'c' })).toThrow(InvalidArgumentError);
    expect(() => keys.user({ tenant: 'a', userId: 'b:c' })).toThrow(InvalidArgumentError);
  });

  it.each([
    ['empty', ''],
    ['separator', 'a:b'],
    ['hash tag open', 'a{b'],
    ['hash tag close', 'a}b'],
    ['glob star', 'a*'],
    ['glob class', 'a[b]'],
    ['space', 'a b'],
    ['newline', 'a\nb'],
    ['non-ASCII', 'zoë'],
    ['too long', 'x'.repeat(129)],
  ])('refuses a user id with %s, naming the field', (_, bad) => {
    let error: unknown;
    try {
      keys.user({ userId: bad });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).toBe('INVALID_ARGUMENT');
    expect((error as InvalidArgumentError).issues[0]?.path).toBe('userId');
    expect((error as Error).message).toMatch(/^Invalid user scope: userId: /);
  });

  it('refuses a bad session id and a bad prefix', () => {
    const user = keys.user({ userId: 'u' });
    expect(() => user.session('x}y')).toThrow(/Invalid session id: may contain only/);
    expect(() => new Keyspace('a:b')).toThrow(/Invalid key prefix/);
    expect(() => new Keyspace('')).toThrow(/must not be empty/);
  });

  it('accepts the longest allowed part', () => {
    expect(keys.user({ userId: 'x'.repeat(128) }).tag).toHaveLength(128 + 4);
  });

  it.runIf(harness().cluster)('puts every key of one user in one cluster slot (CLUSTER KEYSLOT)', async () => {
    const conn = await connectToCluster();
    try {
      const user = keys.user({ tenant: 'acme', userId: 'bob' });
      const names = [user.sessions, ...Object.values(user.session('s1')), ...Object.values(user.session('s2'))];
      const slots = await Promise.all(names.map((k) => conn.send<number>(['CLUSTER', 'KEYSLOT', k])));
      expect(new Set(slots).size).toBe(1);
      const other = await conn.send<number>(['CLUSTER', 'KEYSLOT', keys.user({ tenant: 'acme', userId: 'carol' }).sessions]);
      expect(typeof other).toBe('number');
    } finally {
      await conn.close();
    }
  });
});
