// How every command reaches Redis: `--url` (with `--cluster` for a Redis Cluster), else the same
// environment variables as the library (connectionConfigFromEnv: REDIS_URL, AMR_HOST + AMR_ACCESS_KEY
// or Entra ID). It never prints or logs the URL: errors and reports carry the redacted endpoint only.
import { createAgentMemory, type AgentMemory } from '../agent-memory.js';
import { connectionConfigFromEnv } from '../azure/env.js';
import type { ConnectionConfig } from '../connection/config.js';

/** The options every command shares (commander's global options). */
export interface GlobalOptions {
  url?: string;
  cluster?: boolean;
  prefix?: string;
  json?: boolean;
}

/** The connection config the options and the environment describe: `--url` wins over the environment. */
export function connectionConfigOf(options: GlobalOptions, env: Record<string, string | undefined> = process.env): ConnectionConfig {
  if (options.url !== undefined) return { url: options.url, ...(options.cluster ? { clusterPolicy: 'oss' as const } : {}) };
  const config = connectionConfigFromEnv(env);
  return options.cluster ? { ...config, clusterPolicy: 'oss' } : config;
}

/** The key prefix: `--prefix`, else `AM_PREFIX`, else `am`. */
export const prefixOf = (options: GlobalOptions, env: Record<string, string | undefined> = process.env): string =>
  options.prefix ?? (env.AM_PREFIX?.trim() || 'am');

/**
 * Opens the memory the options describe, runs `body` with it and closes it, whatever happens.
 * `sessions: { events: true }` for commands that write through sessions and must publish.
 */
export async function withMemory<T>(
  options: GlobalOptions,
  body: (memory: AgentMemory) => Promise<T>,
  extra: { sessions?: { events: boolean } } = {},
): Promise<T> {
  const memory = await createAgentMemory({ redis: connectionConfigOf(options), prefix: prefixOf(options), ...extra });
  try {
    return await body(memory);
  } finally {
    await memory.close();
  }
}
