// The stored form of a cache entry: a 13-byte header (encoding, compute time, logical expiry) and
// the value, JSON or raw bytes. The header feeds XFetch and stale-while-revalidate; a hit costs one
// GET, with no script. Pure.
import { InvalidArgumentError } from '../errors.js';

const HEADER = 13;
const VERSION = 1;

export interface Entry {
  value: unknown;
  encoding: 'json' | 'bytes';
  /** How long the value took to compute, in ms (0 when unknown). */
  computeMs: number;
  /** When the value stops being fresh, ms since the epoch; 0: never (stale-while-revalidate and XFetch use it). */
  freshUntil: number;
}

/** Encodes an entry; throws InvalidArgumentError when the value cannot be stored or is too large. */
export function encodeEntry(entry: Omit<Entry, 'encoding'> & { encoding?: 'json' | 'bytes' | undefined }, maxBytes: number): Buffer {
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
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt8((VERSION << 1) | (encoding === 'bytes' ? 1 : 0), 0);
  out.writeUInt32BE(Math.min(0xffffffff, Math.max(0, Math.round(entry.computeMs))), 1);
  out.writeDoubleBE(entry.freshUntil, 5);
  payload.copy(out, HEADER);
  return out;
}

/** Decodes a stored entry; null for anything that is not one (a foreign or corrupt value). */
export function decodeEntry(buffer: Buffer): Entry | null {
  if (buffer.length < HEADER || buffer.readUInt8(0) >> 1 !== VERSION) return null;
  const encoding = (buffer.readUInt8(0) & 1) === 1 ? 'bytes' : 'json';
  const payload = buffer.subarray(HEADER);
  let value: unknown;
  if (encoding === 'bytes') value = Buffer.from(payload);
  else {
    try {
      value = JSON.parse(payload.toString('utf8'));
    } catch {
      return null;
    }
  }
  return { value, encoding, computeMs: buffer.readUInt32BE(1), freshUntil: buffer.readDoubleBE(5) };
}
