// The progress renderers, pure: the plain line off a TTY and the bar on one (the CLI tests check the
// plain form from the real binary; a terminal cannot be had there).
import { describe, expect, it } from 'vitest';
import { formatDuration, renderBar, renderLine } from '../../src/cli/progress.js';

describe('cli progress', () => {
  it('plain line: done/total, rate and ETA', () => {
    expect(renderLine({ verb: 'migrated', done: 1200, total: 5000, rate: 240 })).toBe('migrated 1200/5000 (240/s, ETA 16s)');
    expect(renderLine({ verb: 'migrated', done: 0, total: 10, rate: 0 })).toBe('migrated 0/10 (0/s, ETA ?)');
  });

  it('bar: filled in proportion, with percent, rate and ETA', () => {
    expect(renderBar({ verb: 'migrated', done: 2000, total: 5000, rate: 250 }, 10)).toBe('[####------]  40% 2000/5000 250/s ETA 12s');
    expect(renderBar({ verb: 'migrated', done: 5000, total: 5000, rate: 250 }, 10)).toBe('[##########] 100% 5000/5000 250/s ETA 0s');
    expect(renderBar({ verb: 'x', done: 0, total: 0, rate: 0 }, 4)).toBe('[####] 100% 0/0 0/s ETA ?');
  });

  it('durations', () => {
    expect(formatDuration(16.4)).toBe('16s');
    expect(formatDuration(245)).toBe('4m05s');
    expect(formatDuration(7380)).toBe('2h03m');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
  });
});
