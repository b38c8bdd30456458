// The near cache's bookkeeping, pure: LRU bound, expiry, and the rule that a value read from Redis
// is not kept when its entry was invalidated while the read was in flight.
import { describe, expect, it } from 'vitest';
import { NearCache } from '../../src/cache/near-cache.js';

const bytes = (s: string) => Buffer.from(s);

describe('near cache', () => {
  it('keeps the most recently used entries, each until its expiry', () => {
    const near = new NearCache(2, 1000);
    near.set('a', bytes('1'), 0, undefined, 0);
    near.set('b', bytes('2'), 0, undefined, 0);
    expect(near.get('a', 1)?.toString()).toBe('1'); // a is now the most recent
    near.set('c', bytes('3'), 0, undefined, 1);
    expect(near.get('b', 2)).toBeUndefined(); // the least recently used went
    expect(near.get('c', 999)?.toString()).toBe('3');
    near.set('d', bytes('4'), 10, undefined, 0); // bound shorter than the TTL
    expect(near.get('d', 11)).toBeUndefined();
  });

  it('does not keep a value whose entry was invalidated while it was being read', () => {
    const near = new NearCache(10, 60_000);
    const readAt = near.epoch();
    near.delete('k'); // the event overtook the reply
    near.set('k', bytes('old'), 0, readAt);
    expect(near.get('k')).toBeUndefined();
    near.set('k', bytes('new'), 0, near.epoch()); // a read that started after it
    expect(near.get('k')?.toString()).toBe('new');
    const other = near.epoch();
    near.delete('x'); // another entry's change does not matter
    near.set('k', bytes('still'), 0, other);
    expect(near.get('k')?.toString()).toBe('still');
  });

  it('treats a tag invalidation as a change of every entry, and stays safe when it forgets old marks', () => {
    const near = new NearCache(1, 60_000);
    const before = near.epoch();
    near.clear();
    near.set('k', bytes('v'), 0, before);
    expect(near.get('k')).toBeUndefined();
    const readAt = near.epoch();
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) near.delete(id); // keeps 4 marks: a's is folded away
    near.set('a', bytes('v'), 0, readAt);
    expect(near.get('a')).toBeUndefined();
  });
});
