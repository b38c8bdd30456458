// How every engine stores an item: one hash with the float32 vector (`v`), the payload (`p`), the
// filterable values (`t_<field>` hex tags joined by '|', `n_<field>` numbers), the scope token
// (`_scope`, for RediSearch) and the hash's own TTL as the item's expiry. Also the similarity math
// of the flat engine and the one score scale every engine reports. Pure.
import { DimensionMismatchError, InvalidArgumentError } from '../errors.js';
import { encodeTag, numField, tagField, hasField, tagValueProblem, type FilterableValues } from './filter.js';
import type { Metric, ResolvedIndexDefinition, VectorItem } from './types.js';

export const TAG_SEPARATOR = '|';

export function toFloat32(vector: ArrayLike<number>, dim: number, what = 'vector'): Float32Array {
  if (vector.length !== dim) throw new DimensionMismatchError(`the ${what} has ${vector.length} dimensions; the index has ${dim}`);
  const out = vector instanceof Float32Array ? vector : Float32Array.from(vector);
  for (let i = 0; i < out.length; i++)
    if (!Number.isFinite(out[i])) throw new DimensionMismatchError(`the ${what} holds a value that is not a finite number at ${i}`);
  return out;
}

export const vectorBytes = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

export function bytesToVector(bytes: Buffer): Float32Array {
  const copy = Buffer.from(bytes); // aligned, owned
  return new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
}

/** The hash fields of an item (vector included when `withVector`). */
export function itemFields(def: ResolvedIndexDefinition, item: VectorItem, scopeToken: string, withVector: boolean): (string | Buffer)[] {
  const fields: (string | Buffer)[] = ['p', item.payload, '_scope', scopeToken];
  if (withVector) fields.push('v', vectorBytes(toFloat32(item.vector, def.dim)));
  for (const [name, kind] of Object.entries(def.fields)) {
    if (kind === 'tag') {
      fields.push(tagField(name), tagValues(item, name).map(encodeTag).join(TAG_SEPARATOR));
    } else if (item.numbers?.[name] !== undefined) {
      fields.push(numField(name), String(item.numbers[name]));
    }
  }
  return fields;
}

/**
 * An item's values of a tag field; empty strings are not indexed (no filter can ask for one). A
 * value longer than MAX_TAG_BYTES is refused on every engine (RediSearch could never match it),
 * before anything is sent.
 */
function tagValues(item: VectorItem, field: string): readonly string[] {
  const given = item.tags?.[field] ?? [];
  given.forEach((value, i) => {
    const problem = value === '' ? null : tagValueProblem(value);
    if (problem) throw new InvalidArgumentError(`item ${item.id}`, [{ path: `tags.${field}.${i}`, message: problem }]);
  });
  return given.filter((v) => v !== '');
}

/** The fields a filter reads, as the hash holds them. */
export function filterFieldNames(def: ResolvedIndexDefinition): string[] {
  return Object.entries(def.fields).map(([name, kind]) => (kind === 'tag' ? tagField(name) : numField(name)));
}

/** Decodes the filter fields read with `filterFieldNames` back to values. */
export function decodeFilterValues(def: ResolvedIndexDefinition, raw: readonly (string | null)[]): FilterableValues {
  const values: FilterableValues = { tags: {}, numbers: {} };
  Object.entries(def.fields).forEach(([name, kind], i) => {
    const v = raw[i];
    if (v === null || v === undefined) return;
    if (kind === 'tag') values.tags[name] = v === '' ? [] : v.split(TAG_SEPARATOR).map((h) => Buffer.from(h, 'hex').toString('utf8'));
    else values.numbers[name] = Number(v);
  });
  return values;
}

/** Vector-set attributes of an item: every declared field always present (see filter.ts). */
export function vectorSetAttributes(def: ResolvedIndexDefinition, item: VectorItem): string {
  const attrs: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(def.fields)) {
    if (kind === 'tag') attrs[tagField(name)] = tagValues(item, name).map(encodeTag);
    else {
      const n = item.numbers?.[name];
      attrs[hasField(name)] = n === undefined ? 0 : 1;
      attrs[numField(name)] = n ?? 0;
    }
  }
  return JSON.stringify(attrs);
}

/**
 * Every engine reports one score scale, higher is closer: cosine (1 + cos) / 2 in [0, 1] (what
 * vector sets report), inner product the dot product, L2 1 / (1 + euclidean distance).
 */
export function similarity(metric: Metric, a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let sq = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
    sq += (x - y) * (x - y);
  }
  if (metric === 'cosine') return na === 0 || nb === 0 ? 0.5 : (1 + dot / Math.sqrt(na * nb)) / 2;
  if (metric === 'ip') return dot;
  return 1 / (1 + Math.sqrt(sq));
}

/** A RediSearch distance on the same score scale. */
export function scoreFromDistance(metric: Metric, distance: number): number {
  if (metric === 'cosine') return 1 - distance / 2;
  if (metric === 'ip') return 1 - distance;
  return 1 / (1 + Math.sqrt(Math.max(0, distance))); // RediSearch L2 reports the squared distance
}
