// The published shape: the build (run by `npm test` before vitest) emits dist/ with declarations,
// and the package's own name resolves to it through the exports map. Each entry's runtime names
// are pinned: a new export is a decision, made here. Adapters reach the core through entries only.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const PINNED: Record<string, string[]> = {
  'redis-agent-memory': [
    'AgentMemoryConfigSchema',
    'AgentMemoryError',
    'ColdStoreError',
    'ConflictError',
    'ConnectionError',
    'CredentialsError',
    'DimensionMismatchError',
    'EmbeddingShapeError',
    'IndexBuildingError',
    'IndexMismatchError',
    'InvalidArgumentError',
    'MissingDependencyError',
    'OutOfMemoryError',
    'QueryTimeoutError',
    'RedisCommandError',
    'ServerUnavailableError',
    'TimeoutError',
    'UnsupportedServerError',
    'createAgentMemory',
    'formatDoctorReport',
  ],
  'redis-agent-memory/sessions': ['MessageInputSchema', 'openAiTokenCounter'],
  'redis-agent-memory/memory': ['FilterSchema', 'MAX_TAG_BYTES', 'MemoryInputSchema', 'isPartial'],
  'redis-agent-memory/embeddings': ['HashingEmbeddings', 'WordVectorEmbeddings'],
  'redis-agent-memory/cache': ['ComputeFailedError'],
  'redis-agent-memory/events': [
    'BUILTIN_STRATEGIES',
    'EVENT_TYPES',
    'ExtractedMemorySchema',
    'customStrategy',
    'episodeStrategy',
    'factsStrategy',
    'isUserEvent',
    'messageText',
    'preferencesStrategy',
    'rulesExtractor',
  ],
  'redis-agent-memory/tiered': [
    'HotPolicySchema',
    'PgVectorStore',
    'PgVectorStoreOptionsSchema',
    'TieredOptionsSchema',
    'TieredSearchOptionsSchema',
  ],
  'redis-agent-memory/checkpoint': [],
  'redis-agent-memory/store': ['matchesNamespacePattern'],
  'redis-agent-memory/migrate': ['RedisMigrationCheckpoint', 'readForeignList', 'replaceForeignList', 'scanForeignHashes'],
  'redis-agent-memory/azure': [
    'AMR_PORT',
    'CONNECTION_ENV_VARS',
    'ENTRA_REDIS_SCOPE',
    'connectionConfigFromEnv',
    'entraId',
    'isAzureManagedRedisHost',
  ],
  'redis-agent-memory/testing': ['HashingEmbeddings', 'deletePrefix'],
  'redis-agent-memory/langchain': [
    'AgentMemoryChatHistory',
    'AgentMemoryKeyValueStore',
    'AgentMemoryLlmCache',
    'AgentMemorySemanticLlmCache',
    'AgentMemoryTieredRetriever',
    'AgentMemoryVectorStore',
    'DEFAULT_EXTRACTION_PROMPT',
    'ModelReplySchema',
    'chatModelExtractor',
    'exportToRedisChatMessageHistory',
    'extractionPrompt',
    'importRedisChatMessageHistory',
    'importRedisVectorStore',
    'langChainTokenCounter',
    'parseRedisVectorStoreHash',
    'payloadDocument',
    'toLangChainMessage',
    'toMessageInput',
    'unescapeRedisVectorStoreMetadata',
  ],
  'redis-agent-memory/langgraph': ['AgentMemoryCheckpointer', 'AgentMemoryStore'],
};

interface Conditions {
  types: string;
  import: string;
  require: string;
  default: string;
}
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  name: string;
  exports: Record<string, Conditions | string>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};
const entries = Object.entries(pkg.exports).filter((e): e is [string, Conditions] => typeof e[1] !== 'string');
/** The source module of each entry: ./dist/src/entries/memory.js → src/entries/memory.ts. */
const entrySources = new Set(entries.map(([, c]) => c.import.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')));

describe('package entries', () => {
  it('has exactly the pinned entries, each with types and import, require and default conditions on one ESM file', () => {
    expect(entries.map(([path]) => (path === '.' ? pkg.name : `${pkg.name}/${path.slice(2)}`)).sort()).toEqual(Object.keys(PINNED).sort());
    for (const [, c] of entries) {
      expect(Object.keys(c)).toEqual(['types', 'import', 'require', 'default']); // types first, default last
      expect(c.require).toBe(c.import);
      expect(c.default).toBe(c.import);
      expect(c.types).toBe(c.import.replace(/\.js$/, '.d.ts'));
      expect(existsSync(c.import), c.import).toBe(true);
      expect(existsSync(c.types), c.types).toBe(true);
      expect(existsSync(c.import.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'))).toBe(true);
    }
  });

  for (const [name, names] of Object.entries(PINNED)) {
    it(`${name} exports exactly its pinned runtime names`, async () => {
      const mod = (await import(name)) as Record<string, unknown>;
      expect(Object.keys(mod).sort()).toEqual(names);
    });
  }

  it('the main entry exports every error class of src/errors.ts (the one hierarchy users catch)', async () => {
    const errors = (await import('../src/errors.js')) as Record<string, unknown>;
    const main = (await import('redis-agent-memory')) as Record<string, unknown>;
    const classes = Object.keys(errors).filter((name) => typeof errors[name] === 'function' && /Error$/.test(name));
    expect(classes.length).toBeGreaterThan(10);
    expect(classes.filter((name) => !(name in main))).toEqual([]);
  });

  it('has one bin, redis-agent-memory: the built CLI, an executable node script', () => {
    expect(pkg.bin).toEqual({ 'redis-agent-memory': './dist/src/cli/main.js' });
    const bin = pkg.bin['redis-agent-memory']!;
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    expect(pkg.dependencies.commander).toBeDefined();
  });

  it('ships no Lua files: the scripts are inlined into the build', () => {
    const lua = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? lua(join(dir, e.name)) : e.name.endsWith('.lua') ? [join(dir, e.name)] : [],
      );
    expect(lua('dist')).toEqual([]);
    const loader = readFileSync('dist/src/scripts/index.js', 'utf8');
    expect(loader).not.toMatch(/readFileSync|import\.meta/);
  });
});

/** Every module specifier of a TypeScript source: static imports and re-exports, side-effect imports, dynamic imports. */
function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const pattern of [
    /\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]) {
    for (const match of code.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

describe('adapters reach the core through the public entries only', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );
  const adapterFiles = files('adapters');

  it('finds the specifiers of every import form', () => {
    const sample = `import { a } from '../../src/a.js';\nimport type { B } from "../../src/b.js";\nexport { c } from './c.js';\nimport '../../src/d.js';\nconst e = await import('../../src/e.js');\n// import { f } from '../../src/f.js';\nimport {\n  g,\n  type H,\n} from '../../src/g.js';`;
    expect(importSpecifiers(sample).sort()).toEqual([
      '../../src/a.js',
      '../../src/b.js',
      '../../src/d.js',
      '../../src/e.js',
      '../../src/g.js',
      './c.js',
    ]);
  });

  it('the entries are the modules the exports map names', () => {
    expect(entrySources).toContain('src/index.ts');
    expect(entrySources).toContain('src/entries/memory.ts');
    expect(adapterFiles.length).toBeGreaterThan(5);
  });

  it('no adapter imports a module under src/ that is not an entry', () => {
    const offending: string[] = [];
    for (const file of adapterFiles) {
      for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
        if (!specifier.startsWith('.')) continue;
        const target = relative(resolve('.'), resolve(dirname(file), specifier)).replace(/\.js$/, '.ts');
        if (target.startsWith('src/') && !entrySources.has(target)) offending.push(`${file}: ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
