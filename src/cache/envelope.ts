// The stored form of a cache entry: a 13-byte header (encoding, compute time, logical expiry),
// the entry's original key when the cache keeps keys (version 2: a 4-byte length, then the key),
// and the value, JSON or raw bytes. The header feeds XFetch and stale-while-revalidate; a hit
// costs one GET, with no script. Pure.
import { InvalidArgumentError } from '../errors.js';

const HEADER = 13;
/** Version 1: no key; version 2: the key follows the header. Both are read. */
const VERSION = 1;
const VERSION_WITH_KEY = 2;

export interface Entry {
  value: unknown;
  encoding: 'json' | 'bytes';
  /** How long the value took to compute, in ms (0 when unknown). */
  computeMs: number;
  /** When the value stops being fresh, ms since the epoch; 0: never (stale-while-revalidate and XFetch use it). */
  freshUntil: number;
  /** The key the caller gave, kept only by caches with `keepKeys` (so that keys can be listed). */
  key?: string;
}

/** Encodes an entry; throws InvalidArgumentError when the value cannot be stored or is too large. */
export function encodeEntry(entry: Omit<Entry, 'encoding' | 'key'> & { encoding?: 'json' | 'bytes' | undefined; key?: string | undefined }, maxBytes: number): Buffer {
  const encoding = entry.encoding ?? 'json';
  let payload: Buffer;
  if (encoding === 'bytes') {
    const v = entry.value;
    if (Buffer.isBuffer(v)) payload = v;
    else if (ArrayBuffer.isView(v)) payload = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    else throw new InvalidArgumentError('cache value', [{ path: '', message: "encoding 'bytes' takes a Buffer or a typed array" }]);
  } else {
    let json: string | undefined;
    try {
      json = JSON.stringify(entry.value);
    } catch (error) {
      throw new InvalidArgumentError('cache value', [{ path: '', message: `cannot be stored as JSON (${(error as Error).message})` }]);
    }
    if (json === undefined) throw new InvalidArgumentError('cache value', [{ path: '', message: 'cannot be stored as JSON (undefined, a function or a symbol)' }]);
    payload = Buffer.from(json, 'utf8');
  }
  if (payload.length > maxBytes) {
    throw new InvalidArgumentError('cache value', [{ path: '', message: `is ${payload.length} bytes, over the limit of ${maxBytes}` }]);
  }
  const key = entry.key === undefined ? null : Buffer.from(entry.key, 'utf8');
  const start = key ? HEADER + 4 + key.length : HEADER;
  const out = Buffer.allocUnsafe(start + payload.length);
  out.writeUInt8(((key ? VERSION_WITH_KEY : VERSION) << 1) | (encoding === 'bytes' ? 1 : 0), 0);
  out.writeUInt32BE(Math.min(0xffffffff, Math.max(0, Math.round(entry.computeMs))), 1);
  out.writeDoubleBE(entry.freshUntil, 5);
  if (key) {
    out.writeUInt32BE(key.length, HEADER);
    key.copy(out, HEADER + 4);
  }
  payload.copy(out, start);
  return out;
}

/** Decodes a stored entry; null for anything that is not one (a foreign or corrupt value). */
export function decodeEntry(buffer: Buffer): Entry | null {
  if (buffer.length < HEADER) return null;
  const version = buffer.readUInt8(0) >> 1;
  if (version !== VERSION && version !== VERSION_WITH_KEY) return null;
  const encoding = (buffer.readUInt8(0) & 1) === 1 ? 'bytes' : 'json';
  let start = HEADER;
  let key: string | undefined;
  if (version === VERSION_WITH_KEY) {
    if (buffer.length < HEADER + 4 || buffer.length < HEADER + 4 + buffer.readUInt32BE(HEADER)) return null;
    start = HEADER + 4 + buffer.readUInt32BE(HEADER);
    key = buffer.subarray(HEADER + 4, start).toString('utf8');
  }
  const payload = buffer.subarray(start);
  let value: unknown;
  if (encoding === 'bytes') value = Buffer.from(payload);
  else {
    try {
      value = JSON.parse(payload.toString('utf8'));
    } catch {
      return null;
    }
  }
  const entry: Entry = { value, encoding, computeMs: buffer.readUInt32BE(1), freshUntil: buffer.readDoubleBE(5) };
  if (key !== undefined) entry.key = key;
  return entry;
}

/**
 * The key kept in an entry, read from its first bytes alone (a `GETRANGE`, not the whole value):
 * `{ key }`, `{ need }` when the key runs past `head` (read that many bytes), or null when the
 * entry keeps no key or is not one.
 */
export function entryKeyOf(head: Buffer): { key: string } | { need: number } | null {
  if (head.length < HEADER + 4 || head.readUInt8(0) >> 1 !== VERSION_WITH_KEY) return null;
  const end = HEADER + 4 + head.readUInt32BE(HEADER);
  return head.length < end ? { need: end } : { key: head.subarray(HEADER + 4, end).toString('utf8') };
}
