// What the server can do, found in one round trip (HELLO, INFO, CONFIG GET, COMMAND INFO, all
// pipelined). Managed services disable some of these (CONFIG on Azure): a refused command makes
// its fields unknown (null), never a failure. The parsing is pure and unit-tested on raw RESP3 replies.
import type { RedisConnection } from './connect.js';

export interface ModuleInfo {
  name: string;
  version: number | null;
}

export interface ServerCapabilities {
  /** e.g. `8.0.2`. */
  version: string;
  major: number;
  minor: number;
  /** `cluster` when the node reports `cluster_enabled:1`. */
  mode: 'standalone' | 'cluster' | 'sentinel';
  /** Modules the server reports (built-in ones such as `vectorset` included). */
  modules: ModuleInfo[];
  /** RediSearch / Redis Query Engine, with vector fields (`FT.CREATE` … `VECTOR`). */
  search: { version: number | null } | null;
  /** RedisJSON. */
  json: { version: number | null } | null;
  /** Redis 8 vector sets (`VADD` / `VSIM`). */
  vectorSets: boolean;
  /** Bytes; 0 means no limit. */
  maxmemory: number | null;
  maxmemoryPolicy: string | null;
  /** Whether data survives a restart; null where the server would not say. */
  persistence: { rdb: boolean | null; aof: boolean | null };
  /** False where `CONFIG GET` is refused (as on managed services); some fields then come from INFO. */
  configReadable: boolean;
}

/** Raw replies of the probe, each either a value or the error Redis gave. */
export interface ProbeReplies {
  hello: unknown;
  info: unknown;
  config: unknown;
  commands: unknown;
}

const PROBED_COMMANDS = ['vadd', 'ft.search', 'json.get'] as const;
const CONFIG_PARAMS = ['maxmemory', 'maxmemory-policy', 'save', 'appendonly'] as const;

/** Probes the server in one round trip (the commands are pipelined). */
export async function probeCapabilities(connection: RedisConnection): Promise<ServerCapabilities> {
  const settle = (p: Promise<unknown>): Promise<unknown> => p.catch((error: unknown) => error);
  const [hello, info, config, commands] = await Promise.all([
    settle(connection.send(['HELLO'])),
    settle(connection.send(['INFO'])),
    // One CONFIG GET per parameter: several in one call needs Redis 7, and Azure Cache runs 6.
    settle(Promise.all(CONFIG_PARAMS.map((p) => connection.send(['CONFIG', 'GET', p])))),
    settle(connection.send(['COMMAND', 'INFO', ...PROBED_COMMANDS])),
  ]);
  return parseCapabilities({ hello, info, config, commands });
}

/** Turns the probe's raw replies into {@link ServerCapabilities}. Pure. */
export function parseCapabilities(replies: ProbeReplies): ServerCapabilities {
  const infoText = typeof replies.info === 'string' ? replies.info : '';
  const info = parseInfo(infoText);
  const hello = toRecord(replies.hello);
  const version = String(hello?.version ?? info.get('redis_version') ?? '0.0.0');
  const [major = 0, minor = 0] = version.split('.').map((n) => Number.parseInt(n, 10) || 0);

  const modules = parseModules(hello?.modules, infoText);
  const moduleNamed = (...names: string[]) => modules.find((m) => names.includes(m.name.toLowerCase()));
  const commands = Array.isArray(replies.commands) ? replies.commands : [];
  const hasCommand = (name: (typeof PROBED_COMMANDS)[number]) => commands[PROBED_COMMANDS.indexOf(name)] != null;

  const searchModule = moduleNamed('search', 'searchlight', 'ft');
  const jsonModule = moduleNamed('rejson', 'redisjson', 'json');

  const config = Array.isArray(replies.config) ? parseConfig(replies.config) : null;
  const mode = clusterMode(hello?.mode, info);
  const fromInfoNumber = (key: string): number | null => {
    const value = info.get(key);
    return value === undefined || Number.isNaN(Number(value)) ? null : Number(value);
  };

  return {
    version,
    major,
    minor,
    mode,
    modules,
    search: searchModule || hasCommand('ft.search') ? { version: searchModule?.version ?? null } : null,
    json: jsonModule || hasCommand('json.get') ? { version: jsonModule?.version ?? null } : null,
    vectorSets: hasCommand('vadd') || moduleNamed('vectorset') !== undefined,
    maxmemory: config?.get('maxmemory') !== undefined ? Number(config.get('maxmemory')) : fromInfoNumber('maxmemory'),
    maxmemoryPolicy: config?.get('maxmemory-policy') ?? info.get('maxmemory_policy') ?? null,
    persistence: {
      rdb: config?.has('save') ? config.get('save') !== '' : null,
      aof: config?.has('appendonly')
        ? config.get('appendonly') === 'yes'
        : info.has('aof_enabled')
          ? info.get('aof_enabled') === '1'
          : null,
    },
    configReadable: config !== null,
  };
}

/** Parses an `INFO` reply into key → value (sections flattened; later keys win). */
export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) out.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return out;
}

function parseModules(helloModules: unknown, infoText: string): ModuleInfo[] {
  if (Array.isArray(helloModules)) {
    return helloModules.map((entry) => {
      const record = toRecord(entry);
      return { name: String(record?.name ?? ''), version: toNumberOrNull(record?.ver) };
    });
  }
  // INFO modules repeats one key per module, so it is read from the text, not the flattened map:
  // "module:name=vectorset,ver=1,api=1,filters=0,usedby=[],using=[],options=[]"
  const out: ModuleInfo[] = [];
  for (const line of infoText.split(/\r?\n/)) {
    if (!line.startsWith('module:')) continue;
    const fields = new Map(
      line
        .slice('module:'.length)
        .split(',')
        .map((kv) => kv.split('=') as [string, string]),
    );
    if (fields.has('name')) out.push({ name: fields.get('name')!, version: toNumberOrNull(fields.get('ver')) });
  }
  return out;
}

function clusterMode(helloMode: unknown, info: Map<string, string>): ServerCapabilities['mode'] {
  if (info.get('cluster_enabled') === '1' || helloMode === 'cluster') return 'cluster';
  if (helloMode === 'sentinel' || info.get('redis_mode') === 'sentinel') return 'sentinel';
  return 'standalone';
}

/** CONFIG GET replies (one per parameter) → name → value; null when CONFIG was refused. */
function parseConfig(replies: unknown[]): Map<string, string> | null {
  const out = new Map<string, string>();
  for (const reply of replies) {
    const record = toRecord(reply);
    if (!record) return null;
    for (const [k, v] of Object.entries(record)) out.set(k, String(v));
  }
  return out;
}

/**
 * A RESP3 map as the library's connections decode it (they speak RESP3 and pass their own type
 * mapping, so a map is always a plain object); errors and other replies are null.
 */
function toRecord(value: unknown): Record<string, unknown> | null {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Error))
    return value as Record<string, unknown>;
  return null;
}

function toNumberOrNull(value: unknown): number | null {
  const n = Number(value);
  return value === undefined || value === null || Number.isNaN(n) ? null : n;
}
