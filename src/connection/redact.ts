// How a resolved connection config prints: util.inspect (console.log, a debugger, a test failure)
// and JSON.stringify show it with every secret replaced, at any depth. The values themselves stay
// in place for the library's own use; this file never copies a secret into what it returns.
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/** Any object a config may hold that can carry secrets: a credential, a credentials provider. */
const describeObject = (what: string, value: object): string => {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? `[${what} ${name}]` : `[${what}]`;
};

/** `redis://user:[redacted]@host:port/db`: the password out, the rest kept. A bad URL is kept out whole. */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return REDACTED;
  }
  if (url.password === '') return value;
  return `${url.protocol}//${url.username}:${REDACTED}@${url.host}${url.pathname}${url.search}${url.hash}`;
}

/**
 * Makes `target` print as `view(target)`: util.inspect at any depth (console.log too) and
 * JSON.stringify see only the view. Both hooks are non-enumerable, so spreading the object or
 * parsing it again with zod copies the data and not the hooks.
 */
export function printsAs<T extends object>(target: T, view: (target: T) => object): T {
  Object.defineProperty(target, inspect.custom, {
    value: (depth: number, options: object, show: typeof inspect) => show(view(target), { ...options, depth }),
    enumerable: false,
    configurable: true,
  });
  Object.defineProperty(target, 'toJSON', { value: () => view(target), enumerable: false, configurable: true });
  return target;
}

type Fields = Record<string, unknown>;

/** An auth config's printed form: the password or key redacted, a credential named by its class only. */
export function authView(auth: Fields): Fields {
  const view: Fields = { ...auth };
  if ('password' in view) view.password = REDACTED;
  if ('key' in view) view.key = REDACTED;
  if (typeof view.credential === 'object' && view.credential !== null) view.credential = describeObject('credential', view.credential);
  return view;
}

/** TLS settings' printed form: the private key redacted (certificates are public). */
export function tlsView(tls: Fields): Fields {
  return 'key' in tls && tls.key !== undefined ? { ...tls, key: REDACTED } : { ...tls };
}

/** A connection config's printed form: passwords (in URLs too), keys, credentials and providers out. */
export function connectionView(config: Fields): Fields {
  const view: Fields = { ...config };
  if (typeof view.url === 'string') view.url = redactUrl(view.url);
  if (Array.isArray(view.nodes)) view.nodes = view.nodes.map((n: unknown) => (typeof n === 'string' ? redactUrl(n) : n));
  if (view.password !== undefined) view.password = REDACTED;
  if (typeof view.auth === 'object' && view.auth !== null) view.auth = authView(view.auth as Fields);
  if (typeof view.tls === 'object' && view.tls !== null) view.tls = tlsView(view.tls as Fields);
  if (typeof view.credentialsProvider === 'object' && view.credentialsProvider !== null) {
    view.credentialsProvider = describeObject('credentials provider', view.credentialsProvider);
  }
  return view;
}
