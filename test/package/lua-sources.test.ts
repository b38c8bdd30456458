// The Lua scripts are inlined at build time (scripts/inline-lua.mjs → src/scripts/sources.generated.ts).
// A generated module that no longer matches the .lua files would run old scripts: it fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILE, generateLuaSources } from '../../scripts/inline-lua.mjs';
import { LUA_SOURCES } from '../../src/scripts/sources.generated.js';
import { script } from '../../src/scripts/index.js';

describe('inlined Lua sources', () => {
  it('the generated module is what the generator makes of the current .lua files (run `node scripts/inline-lua.mjs`)', () => {
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(generateLuaSources());
  });

  it('holds every script of src/scripts, with its header, includes expanded', () => {
    const names = readdirSync('src/scripts')
      .filter((f) => f.endsWith('.lua'))
      .map((f) => f.slice(0, -4))
      .sort();
    expect(Object.keys(LUA_SOURCES).sort()).toEqual(names);
    for (const name of names) {
      const source = LUA_SOURCES[name]!;
      expect(source.startsWith(readFileSync(`src/scripts/${name}.lua`, 'utf8').split('\n')[0]!), name).toBe(true);
      expect(source, name).not.toMatch(/^--- @include/m);
    }
    const include = readFileSync('src/scripts/includes/session.lua', 'utf8');
    expect(LUA_SOURCES['session-append-8']).toContain(include.split('--- @include "oom"')[0]);
    expect(LUA_SOURCES['session-append-8']).toContain(readFileSync('src/scripts/includes/oom.lua', 'utf8')); // nested include
  });

  it('the gateway serves the inlined source and refuses an unknown script', () => {
    expect(script('session-append-8').source).toBe(LUA_SOURCES['session-append-8']);
    expect(() => script('no-such-script-1')).toThrow(/no script no-such-script-1\.lua/);
  });
});
