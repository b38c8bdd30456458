// A client of another node-redis major (5, adopted from the caller) throws its own copies of
// node-redis's error classes, which `instanceof` against our @redis/client does not recognise.
// This gives such an error our major's class (same name, same fields), so failures.ts reads it.
import * as nodeRedis from '@redis/client';

/** Every error class node-redis exports, by name: what a foreign error is mapped onto. */
const CLASS_NAMES = [
  'AbortError',
  'BlobError',
  'ClientClosedError',
  'ClientOfflineError',
  'ConnectionTimeoutError',
  'DisconnectsClientError',
  'ErrorReply',
  'MaxCommandRedirectionsError',
  'MultiErrorReply',
  'ReconnectStrategyError',
  'RootNodesUnavailableError',
  'ScanIteratorInterruptedError',
  'SimpleError',
  'SocketClosedUnexpectedlyError',
  'SocketTimeoutError',
  'TimeoutError',
  'WatchError',
] as const;

// biome-ignore lint/performance/noDynamicNamespaceImportAccess: every name listed is used, nothing is left to shake
const CLASSES: ReadonlyMap<string, abstract new (...args: never[]) => Error> = new Map(CLASS_NAMES.map((name) => [name, nodeRedis[name]]));

/**
 * `error` as an instance of our node-redis's class of the same name, when it is another major's
 * (the nearest known class up its prototype chain); anything else unchanged. Never mutates `error`.
 */
export function asOwnMajorError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  for (
    let proto = Object.getPrototypeOf(error) as object | null;
    proto && proto !== Error.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    const Class = CLASSES.get((proto as { constructor?: { name?: string } }).constructor?.name ?? '');
    if (!Class) continue;
    if (error instanceof Class) return error;
    const copy = Object.create(Class.prototype) as Error & { originalError?: unknown; socketError?: unknown };
    Object.defineProperties(copy, Object.getOwnPropertyDescriptors(error));
    // A reconnect strategy's error carries the error that stopped it: that one counts.
    if (copy.originalError !== undefined) copy.originalError = asOwnMajorError(copy.originalError);
    if (copy.socketError !== undefined) copy.socketError = asOwnMajorError(copy.socketError);
    return copy;
  }
  return error;
}
