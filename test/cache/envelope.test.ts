// The stored form of an entry and the XFetch rule: pure functions, exact expectations.
import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry, ENTRY_HEAD_BYTES, entryKeyOf, joinEntry, recordsTags } from '../../src/cache/envelope.js';
import { shouldRecomputeEarly } from '../../src/cache/xfetch.js';
import { InvalidArgumentError } from '../../src/errors.js';

describe('entry envelope', () => {
  const stored = (entry: Parameters<typeof encodeEntry>[0], tags: { id: string; generation: string }[] = [], max = 1024) =>
    joinEntry(encodeEntry(entry, max), tags);
  const tag = (n: number) => ({ id: `tag-${n}`.padEnd(22, 'x'), generation: `gen-${n}`.padEnd(22, 'y') });

  it('round-trips JSON values with their compute time and freshness', () => {
    for (const value of [{ a: [1, 'two', null], b: { c: true } }, 'text', 0, null, [], 'ünïcødé ✓']) {
      expect(decodeEntry(stored({ value, computeMs: 1234, freshUntil: 1_700_000_000_123 }))).toEqual({
        value,
        encoding: 'json',
        computeMs: 1234,
        freshUntil: 1_700_000_000_123,
      });
    }
  });

  it('stores bytes as they are (a Float32Array of an embedding, say)', () => {
    const vector = new Float32Array([0.5, -1.25, 3]);
    const decoded = decodeEntry(stored({ value: vector, encoding: 'bytes', computeMs: 0, freshUntil: 0 }))!;
    expect(decoded.encoding).toBe('bytes');
    const buffer = decoded.value as Buffer;
    expect(Array.from(new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4))).toEqual([0.5, -1.25, 3]);
    expect(stored({ value: vector, encoding: 'bytes', computeMs: 0, freshUntil: 0 })).toHaveLength(13 + 1 + 4 + 12);
  });

  it('records each tag with its generation after the header, where a script finds them at fixed offsets', () => {
    const bytes = stored({ value: 'v', computeMs: 5, freshUntil: 6, key: 'k' }, [tag(1), tag(2)]);
    expect(bytes.readUInt8(0) >> 1).toBe(3);
    expect(bytes.readUInt8(13)).toBe(2);
    expect(bytes.toString('latin1', 14, 14 + 44)).toBe(tag(1).id + tag(1).generation);
    expect(bytes.toString('latin1', 58, 58 + 44)).toBe(tag(2).id + tag(2).generation);
    expect(decodeEntry(bytes)).toEqual({ value: 'v', encoding: 'json', computeMs: 5, freshUntil: 6, key: 'k', tags: [tag(1), tag(2)] });
    expect(ENTRY_HEAD_BYTES).toBe(14 + 64 * 44);
  });

  it('refuses what it cannot store, naming why: JSON has one rule, encodeJson', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cases: [unknown, 'json' | 'bytes', RegExp][] = [
      [10n, 'json', /cannot be stored as JSON/],
      [circular, 'json', /cannot be stored as JSON/],
      [undefined, 'json', /undefined, a function or a symbol/],
      [() => 1, 'json', /undefined, a function or a symbol/],
      [Number.NaN, 'json', /NaN, which JSON cannot hold/],
      [{ scores: [1, Infinity] }, 'json', /Infinity, which JSON cannot hold/],
      ['not bytes', 'bytes', /takes a Buffer or a typed array/],
      ['x'.repeat(100), 'json', /is 102 bytes, over the limit of 64/],
    ];
    for (const [value, encoding, message] of cases) {
      expect(() => encodeEntry({ value, encoding, computeMs: 0, freshUntil: 0 }, 64)).toThrow(InvalidArgumentError);
      expect(() => encodeEntry({ value, encoding, computeMs: 0, freshUntil: 0 }, 64)).toThrow(message);
    }
  });

  it('keeps the original key when given one, and still reads version 1 and 2 entries', () => {
    const key = 'user:42:ünï {"k":1}';
    const withKey = stored({ value: { a: 1 }, computeMs: 7, freshUntil: 9, key }, [tag(1)]);
    expect(decodeEntry(withKey)).toEqual({ value: { a: 1 }, encoding: 'json', computeMs: 7, freshUntil: 9, key, tags: [tag(1)] });
    const bytes = decodeEntry(stored({ value: Buffer.from([0, 255, 1]), encoding: 'bytes', computeMs: 0, freshUntil: 0, key: 'b' }))!;
    expect([bytes.key, [...(bytes.value as Buffer)]]).toEqual(['b', [0, 255, 1]]);
    expect(decodeEntry(stored({ value: 1, computeMs: 0, freshUntil: 0 }))).not.toHaveProperty('key');
    expect(decodeEntry(withKey.subarray(0, 14 + 44 + 6))).toBeNull(); // a key length pointing past the end
    expect(decodeEntry(withKey.subarray(0, 30))).toBeNull(); // tags running past the end
    // Written by earlier versions: a header, then (version 2) a key length and the key, then JSON.
    const header = (version: number) => {
      const h = Buffer.alloc(13);
      h.writeUInt8(version << 1, 0);
      h.writeUInt32BE(7, 1);
      h.writeDoubleBE(9, 5);
      return h;
    };
    const length = Buffer.alloc(4);
    length.writeUInt32BE(3, 0);
    expect(decodeEntry(Buffer.concat([header(1), Buffer.from('{"a":1}')]))).toEqual({
      value: { a: 1 },
      encoding: 'json',
      computeMs: 7,
      freshUntil: 9,
    });
    const v2 = Buffer.concat([header(2), length, Buffer.from('key[1]')]);
    expect(decodeEntry(v2)).toEqual({ value: [1], encoding: 'json', computeMs: 7, freshUntil: 9, key: 'key' });
    expect(entryKeyOf(v2)).toEqual({ key: 'key' });
  });

  it('reads the key from the head of an entry alone, or says how many bytes it needs', () => {
    const entry = stored({ value: { x: 1 }, computeMs: 0, freshUntil: 0, key: 'user:42 ✓' });
    expect(entryKeyOf(entry.subarray(0, 64))).toEqual({ key: 'user:42 ✓' });
    const tags = Array.from({ length: 64 }, (_, i) => tag(i));
    const long = stored({ value: 'v', computeMs: 0, freshUntil: 0, key: 'k'.repeat(2000) }, tags);
    const keyAt = 14 + 64 * 44;
    expect(entryKeyOf(long.subarray(0, 1024))).toEqual({ need: keyAt + 4 }); // its tags run past the first read
    expect(entryKeyOf(long.subarray(0, keyAt + 4))).toEqual({ need: keyAt + 4 + 2000 });
    expect(entryKeyOf(long.subarray(0, keyAt + 4 + 2000))).toEqual({ key: 'k'.repeat(2000) });
    expect(entryKeyOf(stored({ value: 'v', computeMs: 0, freshUntil: 0 }))).toBeNull(); // keeps no key
    expect(entryKeyOf(Buffer.from('plain value'))).toBeNull();
  });

  it('tells from the first bytes whether an entry records tags (only such an entry needs its tags checked)', () => {
    expect(recordsTags(stored({ value: 'v', computeMs: 0, freshUntil: 0 }, [tag(1)]))).toBe(true);
    expect(recordsTags(stored({ value: 'v', computeMs: 0, freshUntil: 0, key: 'k' }, [tag(1), tag(2)]))).toBe(true);
    expect(recordsTags(stored({ value: 'v', computeMs: 0, freshUntil: 0 }))).toBe(false);
    const v1 = Buffer.concat([Buffer.from([1 << 1]), Buffer.alloc(12), Buffer.from('[1]')]); // version 1: no tags recorded
    expect(recordsTags(v1)).toBe(false);
    expect(recordsTags(Buffer.from('plain string someone else wrote'))).toBe(false);
    expect(recordsTags(Buffer.alloc(13, 3 << 1))).toBe(false); // a header alone
  });

  it('reads anything else as no entry', () => {
    expect(decodeEntry(Buffer.from('plain string someone else wrote'))).toBeNull();
    expect(decodeEntry(Buffer.alloc(3))).toBeNull();
  });
});

describe('XFetch', () => {
  const expiry = 100_000;
  const delta = 100; // ms the value took to compute

  it('never recomputes without an expiry, always at or after it', () => {
    expect(shouldRecomputeEarly(99_999, 0, delta, 1, 0.0001)).toBe(false);
    expect(shouldRecomputeEarly(expiry, expiry, delta, 1, 0.9999)).toBe(true);
  });

  it('recomputes with probability exp(-remaining / (β·Δ)) as expiry nears (10 000 draws each)', () => {
    const rate = (remaining: number, beta = 1) => {
      let early = 0;
      for (let i = 0; i < 10_000; i++) if (shouldRecomputeEarly(expiry - remaining, expiry, delta, beta)) early++;
      return early / 10_000;
    };
    expect(rate(0)).toBe(1);
    expect(rate(delta)).toBeCloseTo(Math.exp(-1), 1); // ≈ 0.37
    expect(rate(3 * delta)).toBeCloseTo(Math.exp(-3), 1); // ≈ 0.05
    expect(rate(10 * delta)).toBeLessThan(0.002);
    expect(rate(delta, 2)).toBeGreaterThan(rate(delta, 1)); // a larger β recomputes earlier
  });

  it('spreads refreshes: among 1000 callers arriving 1 per ms before expiry, the first refresh comes early', () => {
    // Each simulated caller arrives 1 ms after the previous; the first that draws "recompute"
    // refreshes the value. Over many trials the refresh lands before expiry, rarely far before.
    const firsts: number[] = [];
    for (let trial = 0; trial < 500; trial++) {
      for (let t = expiry - 1000; t <= expiry; t++) {
        if (shouldRecomputeEarly(t, expiry, delta, 1)) {
          firsts.push(expiry - t);
          break;
        }
      }
    }
    const mean = firsts.reduce((a, b) => a + b, 0) / firsts.length;
    expect(firsts).toHaveLength(500);
    expect(Math.min(...firsts)).toBeGreaterThanOrEqual(0);
    expect(mean).toBeGreaterThan(delta); // refreshed ahead of expiry, on average by more than the compute time
    expect(mean).toBeLessThan(10 * delta); // but not absurdly early
  });
});
