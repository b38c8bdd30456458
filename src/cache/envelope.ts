// The stored form of a cache entry. Version 3, written today:
//   13-byte header: byte 0 version << 1 | bytes flag, 1–4 compute time (ms, u32), 5–12 logical expiry (f64)
//   1 byte: n, the number of tags
//   n × 44 bytes: each tag's id (22 bytes) and the generation the tag had when the entry was written (22 bytes)
//   4 bytes: the key's length in bytes (0: no key kept), then the key
//   the value: JSON or raw bytes
// The tags come first so that a Lua script finds them at fixed offsets (includes/cache.lua reads
// this layout; cache-fill-n.lua writes the tags, which only Redis knows, between the two halves
// this file encodes). Versions 1 (no key) and 2 (a key, no tags) are still read. Pure.
import { InvalidArgumentError } from '../errors.js';
import { encodeJson } from '../validate.js';

const HEADER = 13;
const VERSION = 1;
const VERSION_WITH_KEY = 2;
const VERSION_WITH_TAGS = 3;
/** Bytes of a tag id (Cache.id) and of a generation (22 base64url characters each). */
export const TAG_ID_BYTES = 22;
export const GENERATION_BYTES = 22;
const TAG_BYTES = TAG_ID_BYTES + GENERATION_BYTES;
/** The most tags an entry records (the count is one byte; write options allow 64). */
export const MAX_TAGS = 64;
/** Enough of any entry's start to hold its header and every tag it can record. */
export const ENTRY_HEAD_BYTES = HEADER + 1 + MAX_TAGS * TAG_BYTES;

export interface Entry {
  value: unknown;
  encoding: 'json' | 'bytes';
  /** How long the value took to compute, in ms (0 when unknown). */
  computeMs: number;
  /** When the value stops being fresh, ms since the epoch; 0: never (stale-while-revalidate and XFetch use it). */
  freshUntil: number;
  /** The key the caller gave, kept only by caches with `keepKeys` (so that keys can be listed). */
  key?: string;
  /** The tags the entry was written with, each with the generation it recorded. */
  tags?: { id: string; generation: string }[];
}

/** An entry encoded but for its tags: the script storing it puts them between `header` and `body`. */
export interface EncodedEntry {
  header: Buffer;
  body: Buffer;
}

/**
 * Encodes an entry but for its tags. Throws InvalidArgumentError when the value cannot be stored
 * (JSON's rule: encodeJson) or is over `maxBytes`.
 */
export function encodeEntry(
  entry: Omit<Entry, 'encoding' | 'key' | 'tags'> & { encoding?: 'json' | 'bytes' | undefined; key?: string | undefined },
  maxBytes: number,
  path = '',
): EncodedEntry {
  const encoding = entry.encoding ?? 'json';
  let payload: Buffer;
  if (encoding === 'bytes') {
    const v = entry.value;
    if (Buffer.isBuffer(v)) payload = v;
    else if (ArrayBuffer.isView(v)) payload = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    else throw new InvalidArgumentError('cache value', [{ path, message: "encoding 'bytes' takes a Buffer or a typed array" }]);
  } else {
    payload = Buffer.from(encodeJson(entry.value, 'cache value', path), 'utf8');
  }
  if (payload.length > maxBytes) {
    throw new InvalidArgumentError('cache value', [{ path, message: `is ${payload.length} bytes, over the limit of ${maxBytes}` }]);
  }
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt8((VERSION_WITH_TAGS << 1) | (encoding === 'bytes' ? 1 : 0), 0);
  header.writeUInt32BE(Math.min(0xffffffff, Math.max(0, Math.round(entry.computeMs))), 1);
  header.writeDoubleBE(entry.freshUntil, 5);
  const key = entry.key === undefined ? Buffer.alloc(0) : Buffer.from(entry.key, 'utf8');
  const body = Buffer.allocUnsafe(4 + key.length + payload.length);
  body.writeUInt32BE(key.length, 0);
  key.copy(body, 4);
  payload.copy(body, 4 + key.length);
  return { header, body };
}

/** The stored bytes: what cache-fill-n.lua builds from an encoded entry and its tags' generations. */
export function joinEntry(encoded: EncodedEntry, tags: readonly { id: string; generation: string }[] = []): Buffer {
  const count = Buffer.from([tags.length]);
  const stamps = tags.map((t) => Buffer.from(t.id + t.generation, 'latin1'));
  return Buffer.concat([encoded.header, count, ...stamps, encoded.body]);
}

/** Decodes a stored entry; null for anything that is not one (a foreign or corrupt value). */
export function decodeEntry(buffer: Buffer): Entry | null {
  if (buffer.length < HEADER) return null;
  const version = buffer.readUInt8(0) >> 1;
  const encoding = (buffer.readUInt8(0) & 1) === 1 ? 'bytes' : 'json';
  let start = HEADER;
  let key: string | undefined;
  let tags: Entry['tags'];
  if (version === VERSION_WITH_TAGS) {
    const layout = tagsLayout(buffer);
    if (!layout || buffer.length < layout.keyAt + 4) return null;
    const keyLength = buffer.readUInt32BE(layout.keyAt);
    start = layout.keyAt + 4 + keyLength;
    if (buffer.length < start) return null;
    if (keyLength > 0) key = buffer.subarray(layout.keyAt + 4, start).toString('utf8');
    tags = [];
    for (let at = HEADER + 1; at < layout.keyAt; at += TAG_BYTES) {
      tags.push({
        id: buffer.toString('latin1', at, at + TAG_ID_BYTES),
        generation: buffer.toString('latin1', at + TAG_ID_BYTES, at + TAG_BYTES),
      });
    }
  } else if (version === VERSION_WITH_KEY) {
    if (buffer.length < HEADER + 4 || buffer.length < HEADER + 4 + buffer.readUInt32BE(HEADER)) return null;
    start = HEADER + 4 + buffer.readUInt32BE(HEADER);
    key = buffer.subarray(HEADER + 4, start).toString('utf8');
  } else if (version !== VERSION) {
    return null;
  }
  let value: unknown;
  if (encoding === 'bytes') value = Buffer.from(buffer.subarray(start));
  else {
    try {
      value = JSON.parse(buffer.toString('utf8', start));
    } catch {
      return null;
    }
  }
  const entry: Entry = { value, encoding, computeMs: buffer.readUInt32BE(1), freshUntil: buffer.readDoubleBE(5) };
  if (key !== undefined) entry.key = key;
  if (tags && tags.length > 0) entry.tags = tags;
  return entry;
}

/**
 * Whether a stored entry records tags (a version-3 entry with at least one): only such an entry
 * needs its tags checked before it is served. False for anything else, entries or not.
 */
export function recordsTags(buffer: Buffer): boolean {
  return buffer.length > HEADER && buffer[0]! >> 1 === VERSION_WITH_TAGS && buffer[HEADER]! > 0;
}

/** Where a version-3 entry's key block starts (after its tags); null when `head` is too short to tell. */
function tagsLayout(head: Buffer): { keyAt: number } | null {
  if (head.length < HEADER + 1) return null;
  return { keyAt: HEADER + 1 + head.readUInt8(HEADER) * TAG_BYTES };
}

/**
 * The key kept in an entry, read from its first bytes alone (a `GETRANGE`, not the whole value):
 * `{ key }`, `{ need }` when the key (or what says where it is) runs past `head` (read that many
 * bytes and ask again), or null when the entry keeps no key or is not one.
 */
export function entryKeyOf(head: Buffer): { key: string } | { need: number } | null {
  if (head.length < HEADER) return null;
  const version = head.readUInt8(0) >> 1;
  let keyAt: number;
  if (version === VERSION_WITH_KEY) keyAt = HEADER;
  else if (version === VERSION_WITH_TAGS) {
    const layout = tagsLayout(head);
    if (!layout) return { need: ENTRY_HEAD_BYTES + 4 };
    keyAt = layout.keyAt;
  } else return null;
  if (head.length < keyAt + 4) return { need: keyAt + 4 };
  const length = head.readUInt32BE(keyAt);
  if (length === 0) return null;
  const end = keyAt + 4 + length;
  return head.length < end ? { need: end } : { key: head.subarray(keyAt + 4, end).toString('utf8') };
}
