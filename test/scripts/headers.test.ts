// Every Lua script's header is its contract: the KEYS it documents must be as many as its file
// name says (`<operation>-<number of keys>.lua`, `-n` for any number) and as the gateway passes,
// and some gateway call must fill every ARGV it documents. Headers are read with a regex.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CASES } from './cases.js';

const DIR = new URL('../../src/scripts/', import.meta.url);
const scripts = readdirSync(DIR)
  .filter((f) => f.endsWith('.lua'))
  .map((f) => f.slice(0, -'.lua'.length))
  .sort();

/** The opening `--[[ … ]]` comment of a script, or the leading `--` lines of an include. */
function header(file: string): string {
  const text = readFileSync(new URL(file, DIR), 'utf8');
  const block = /^--\[\[([\s\S]*?)\]\]/.exec(text);
  if (block) return block[1]!;
  return text
    .split('\n')
    .filter((_, i, all) => all.slice(0, i + 1).every((l) => l.startsWith('--')))
    .join('\n');
}

/** What a header declares of KEYS or ARGV: the highest fixed index, and whether more may follow (`[k..]`). */
function documented(text: string, what: 'KEYS' | 'ARGV'): { fixed: number; variadic: boolean } {
  let fixed = 0;
  let variadic = false;
  // Declarations only: at the start of a line or after a column gap ("KEYS[1]  ids      KEYS[4]  writes"),
  // not a mention inside a sentence ("generation of KEYS[2] or false").
  for (const m of text.matchAll(new RegExp(`(?:^[ \\t]*|[ \\t]{2,})${what}\\[(\\d+)(?:\\.\\.(\\d*))?\\]`, 'gm'))) {
    if (m[2] === '') {
      variadic = true;
      fixed = Math.max(fixed, Number(m[1]) - 1);
    } else {
      fixed = Math.max(fixed, Number(m[2] ?? m[1]));
    }
  }
  return { fixed, variadic };
}

/** The keys an include lists as `-- KEYS: 1 name, 2 name, …` (up to its `ARGV:` line). */
function includeKeys(include: string): number {
  const text = header(`includes/${include}.lua`);
  const keys = /KEYS:([\s\S]*?)(?:\n--\s*ARGV:|$)/.exec(text)?.[1] ?? '';
  return Math.max(0, ...[...keys.matchAll(/(?:^|,)\s*(?:--\s*)?(\d+) [a-z]/g)].map((m) => Number(m[1])));
}

/** The ARGV an include documents as `-- ARGV: 1 …, 2 …` (the common ones of its scripts). */
function includeArgs(include: string): number {
  const text = header(`includes/${include}.lua`);
  const args = /ARGV:([\s\S]*?)(?:\n--\s*\n|\n--\s*[A-Z][a-z]|$)/.exec(text)?.[1] ?? '';
  return Math.max(0, ...[...args.matchAll(/(?:^|,)\s*(?:--\s*)?(\d+) ['a-zA-Z]/g)].map((m) => Number(m[1])));
}

describe('Lua script headers', () => {
  it('finds the scripts', () => {
    expect(scripts.length).toBeGreaterThan(20);
  });

  it.each(scripts)('%s: KEYS in the header = KEYS in the name = KEYS the gateway passes; every ARGV filled', (name) => {
    const text = header(`${name}.lua`);
    const suffix = /-(\d+|n)$/.exec(name)![1]!;
    let keys = documented(text, 'KEYS');
    let argsFixed = documented(text, 'ARGV').fixed;
    const include = /KEYS[^\n]*see includes\/([a-z-]+)\.lua/.exec(text)?.[1];
    if (keys.fixed === 0 && include) {
      keys = { fixed: includeKeys(include), variadic: false };
      argsFixed = Math.max(argsFixed, includeArgs(include));
    }
    const calls = CASES.filter((c) => c.script === name);
    expect(calls.length, `no gateway case in test/scripts/cases.ts calls ${name}`).toBeGreaterThan(0);
    if (suffix === 'n') {
      expect(keys.variadic, `${name} takes any number of keys: its header should document KEYS[k..]`).toBe(true);
      for (const c of calls) expect(c.call.keys.length).toBeGreaterThanOrEqual(keys.fixed);
    } else {
      expect(keys.variadic).toBe(false);
      expect(keys.fixed).toBe(Number(suffix));
      for (const c of calls) expect(c.call.keys.length).toBe(Number(suffix));
      expect(calls[0]!.call.script.numberOfKeys).toBe(Number(suffix));
    }
    expect(Math.max(...calls.map((c) => c.call.args.length))).toBeGreaterThanOrEqual(argsFixed);
  });

  it('reads the session include: 7 keys, 4 common ARGV', () => {
    expect(includeKeys('session')).toBe(7);
    expect(includeArgs('session')).toBe(4);
    expect(includeKeys('store')).toBe(4);
  });
});
