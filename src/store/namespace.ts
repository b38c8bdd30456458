// Namespaces of the document store: hierarchical paths of labels, their validation, their encoding
// as one string (labels joined by NUL, which no label may hold) and matching. Pure: never touches Redis.
import { z } from 'zod';

/** One label of a namespace path: non-empty, at most 256 characters, without `.`, `:` or NUL. */
const NamespaceLabelSchema = z
  .string()
  .min(1, 'a namespace label must not be empty')
  .max(256, 'a namespace label must be at most 256 characters')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what a label must not hold
  .refine((label) => !/[.:\u0000]/.test(label), 'a namespace label must not contain ".", ":" or NUL');

/** A namespace: 1 to 32 labels, e.g. `['memories', 'alice']`. */
export const NamespaceSchema = z.array(NamespaceLabelSchema).min(1, 'a namespace needs at least one label').max(32);

/** A namespace prefix: like a namespace, but may be empty (every namespace). */
export const NamespacePrefixSchema = z.array(NamespaceLabelSchema).max(32);

/** A path to match namespaces against: labels, or `'*'` for any one label. */
export const NamespacePatternSchema = z.array(NamespaceLabelSchema).max(32);

export type Namespace = readonly string[];

const SEPARATOR = '\u0000';

/** A namespace as one string: labels joined by NUL, so a prefix of labels is a prefix of strings. */
export const encodeNamespace = (namespace: Namespace): string => namespace.join(SEPARATOR);
export const decodeNamespace = (encoded: string): string[] => encoded.split(SEPARATOR);

/** Whether `namespace` lies under `prefix` (itself included); an empty prefix holds every namespace. */
export function isUnder(namespace: Namespace, prefix: Namespace): boolean {
  return prefix.length <= namespace.length && prefix.every((label, i) => namespace[i] === label);
}

/** Whether `namespace` starts (`prefix`) or ends (`suffix`) with `path`, `'*'` matching any label. */
export function matchesPattern(namespace: Namespace, kind: 'prefix' | 'suffix', path: Namespace): boolean {
  if (path.length > namespace.length) return false;
  const offset = kind === 'prefix' ? 0 : namespace.length - path.length;
  return path.every((label, i) => label === '*' || namespace[offset + i] === label);
}

/** Orders namespaces the way listings return them: label by label, a parent before its children. */
export function compareNamespaces(a: Namespace, b: Namespace): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/** The labels of a prefix before its first wildcard: what a lexicographic range can narrow by. */
export function literalHead(path: Namespace): string[] {
  const star = path.indexOf('*');
  return [...(star === -1 ? path : path.slice(0, star))];
}
