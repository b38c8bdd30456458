// The stored form of an entry and the XFetch rule: pure functions, exact expectations.
import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry, entryKeyOf } from '../../src/cache/envelope.js';
import { shouldRecomputeEarly } from '../../src/cache/xfetch.js';
import { InvalidArgumentError } from '../../src/errors.js';

describe('entry envelope', () => {
  it('round-trips JSON values with their compute time and freshness', () => {
    for (const value of [{ a: [1, 'two', null], b: { c: true } }, 'text', 0, null, [], 'ünïcødé ✓']) {
      const encoded = encodeEntry({ value, computeMs: 1234, freshUntil: 1_700_000_000_123 }, 1024);
      expect(decodeEntry(encoded)).toEqual({ value, encoding: 'json', computeMs: 1234, freshUntil: 1_700_000_000_123 });
    }
  });

  it('stores bytes as they are (a Float32Array of an embedding, say)', () => {
    const vector = new Float32Array([0.5, -1.25, 3]);
    const decoded = decodeEntry(encodeEntry({ value: vector, encoding: 'bytes', computeMs: 0, freshUntil: 0 }, 1024))!;
    expect(decoded.encoding).toBe('bytes');
    const buffer = decoded.value as Buffer;
    expect(Array.from(new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4))).toEqual([0.5, -1.25, 3]);
    expect(encodeEntry({ value: vector, encoding: 'bytes', computeMs: 0, freshUntil: 0 }, 1024)).toHaveLength(13 + 12);
  });

  it('refuses what it cannot store, naming why', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cases: [unknown, 'json' | 'bytes', RegExp][] = [
      [10n, 'json', /cannot be stored as JSON/],
      [circular, 'json', /cannot be stored as JSON/],
      [undefined, 'json', /undefined, a function or a symbol/],
      [() => 1, 'json', /undefined, a function or a symbol/],
      ['not bytes', 'bytes', /takes a Buffer or a typed array/],
      ['x'.repeat(100), 'json', /is 102 bytes, over the limit of 64/],
    ];
    for (const [value, encoding, message] of cases) {
      expect(() => encodeEntry({ value, encoding, computeMs: 0, freshUntil: 0 }, 64)).toThrow(InvalidArgumentError);
      expect(() => encodeEntry({ value, encoding, computeMs: 0, freshUntil: 0 }, 64)).toThrow(message);
    }
  });

  it('keeps the original key when given one (version 2), and still reads version 1 entries', () => {
    const key = 'user:42:ünï {"k":1}';
    const withKey = encodeEntry({ value: { a: 1 }, computeMs: 7, freshUntil: 9, key }, 1024);
    expect(decodeEntry(withKey)).toEqual({ value: { a: 1 }, encoding: 'json', computeMs: 7, freshUntil: 9, key });
    const bytes = decodeEntry(encodeEntry({ value: Buffer.from([0, 255, 1]), encoding: 'bytes', computeMs: 0, freshUntil: 0, key: 'b' }, 1024))!;
    expect([bytes.key, [...(bytes.value as Buffer)]]).toEqual(['b', [0, 255, 1]]);
    expect(decodeEntry(encodeEntry({ value: 1, computeMs: 0, freshUntil: 0 }, 1024))).not.toHaveProperty('key');
    expect(decodeEntry(withKey.subarray(0, 15))).toBeNull(); // a key length pointing past the end
  });

  it('reads the key from the head of an entry alone, or says how many bytes it needs', () => {
    const entry = encodeEntry({ value: { x: 1 }, computeMs: 0, freshUntil: 0, key: 'user:42 ✓' }, 1024);
    expect(entryKeyOf(entry.subarray(0, 64))).toEqual({ key: 'user:42 ✓' });
    const long = encodeEntry({ value: 'v', computeMs: 0, freshUntil: 0, key: 'k'.repeat(2000) }, 1024);
    expect(entryKeyOf(long.subarray(0, 1024))).toEqual({ need: 13 + 4 + 2000 });
    expect(entryKeyOf(long.subarray(0, 2017))).toEqual({ key: 'k'.repeat(2000) });
    expect(entryKeyOf(encodeEntry({ value: 'v', computeMs: 0, freshUntil: 0 }, 1024))).toBeNull(); // keeps no key
    expect(entryKeyOf(Buffer.from('plain value'))).toBeNull();
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
