// Tells the memory's logger when a connection the library owns goes down and comes back: the first
// error of an outage at warn, the reconnect attempts after it at debug, the return at info, per
// socket (each node of a cluster). A caller's own client is left alone: its errors are its owner's.
import { AgentMemoryError, ConnectionError } from '../errors.js';
import type { Logger } from '../observe/logger.js';
import { asOwnMajorError } from './foreign-errors.js';

interface Emitter {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** What a watched connection tells the watch: where its logs go, what it is, whether it was closed. */
export interface WatchedConnection {
  readonly logger: Logger;
  readonly endpoint: string;
  readonly purpose: { readonly role: string };
  readonly closed: boolean;
}

/** Watches `client` (a node-redis client, or a cluster: per node) for `connection`'s outages. */
export function watchOutages(client: Emitter, cluster: boolean, connection: WatchedConnection): void {
  const downSince = new Map<string, number>();
  const lost = (error: unknown, at: string) => {
    if (connection.closed) return;
    const err = asLibraryError(error);
    const fields = { component: 'connection', endpoint: at, role: connection.purpose.role, err };
    if (downSince.has(at)) connection.logger.debug(fields, `connection to ${at}: reconnecting`);
    else {
      downSince.set(at, Date.now());
      connection.logger.warn(fields, `connection to ${at} lost; reconnecting`);
    }
  };
  const back = (at: string) => {
    const since = downSince.get(at);
    if (since === undefined || connection.closed) return;
    downSince.delete(at);
    const downMs = Date.now() - since;
    connection.logger.info(
      { component: 'connection', endpoint: at, role: connection.purpose.role, downMs },
      `connection to ${at} is back after ${downMs} ms`,
    );
  };
  if (!cluster) {
    client.on('error', (error) => lost(error, connection.endpoint));
    client.on('ready', () => back(connection.endpoint));
    return;
  }
  const nodeOf = (info: unknown) => {
    const { host, port } = (info ?? {}) as { host?: string; port?: number };
    return host === undefined ? connection.endpoint : `${connection.endpoint.split('://')[0]}://${host}:${port}`;
  };
  client.on('node-error', (error, info) => lost(error, nodeOf(info)));
  client.on('node-ready', (info) => back(nodeOf(info)));
}

/** The client's error as the library's: its own when it carries one (credentials, TLS), else a ConnectionError saying what the socket said. */
function asLibraryError(error: unknown): AgentMemoryError {
  const raw = asOwnMajorError(error) as Error & { originalError?: unknown };
  if (raw instanceof AgentMemoryError) return raw;
  if (raw.originalError instanceof AgentMemoryError) return raw.originalError;
  return new ConnectionError(raw.message, { cause: raw });
}
