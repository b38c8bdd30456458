// The error table of docs/errors-and-keys.md is the promise about errors: every error class the
// library exports has a row, and each row's code and transient mark are what an instance of that class carries.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as errors from '../../src/errors.js';
import { AgentMemoryError } from '../../src/errors.js';

const page = readFileSync(new URL('../../docs/errors-and-keys.md', import.meta.url), 'utf8');
const rows = new Map(
  [...page.matchAll(/^\| `(\w+Error)` \| `([A-Z_]+)` \| (✓?) *\|/gm)].map((m) => [m[1]!, { code: m[2]!, transient: m[3] === '✓' }]),
);
const classes = Object.entries(errors).filter(
  ([, value]) => typeof value === 'function' && value.prototype instanceof AgentMemoryError,
) as [string, new (...args: unknown[]) => AgentMemoryError][];

describe('docs/errors-and-keys.md error table', () => {
  it('has a row for every exported error class', () => {
    expect(classes.length).toBeGreaterThan(10);
    expect(classes.map(([name]) => name).filter((name) => !rows.has(name))).toEqual([]);
  });

  it.each(classes)('%s: the row gives the code and transient mark an instance carries', (name, Class) => {
    const error = new Class('what', []);
    expect(rows.get(name)).toEqual({ code: error.code, transient: error.transient });
  });
});
