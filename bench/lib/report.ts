// The report's shape (bench/README.md documents it): figures with their baselines and ratios,
// where a ratio above 1 always means this library is ahead. Writes latest.json and latest.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { Sample } from './measure.js';

export interface Baseline {
  value: number;
  ratio: number;
  /**
   * p25 and p75 of the per-round ratios, when both sides ran in the same interleaved rounds
   * (`compare`): how far one round's ratio strays from the figure's.
   */
  spread?: [number, number];
}

export interface Figure {
  id: string;
  value: number;
  unit: string;
  better: 'higher' | 'lower';
  baselines: Record<string, Baseline>;
  note?: string;
}

export interface SuiteResult {
  suite: string;
  figures: Figure[];
  /** Why the suite, or a part of it, did not run. */
  skipped: string[];
}

export interface Report {
  machine: { date: string; cpus: number; cpuModel: string; node: string; redis: Record<string, string> };
  figures: Figure[];
  skipped: Record<string, string[]>;
}

/** Three significant digits: the noise on this kind of machine is larger than that anyway. */
const round = (n: number) => Number(n.toPrecision(3));
const roundRatio = (n: number) => Math.round(n * 100) / 100;

/** One figure; each baseline's ratio is ours over theirs (higher is better) or theirs over ours. */
export function figure(
  id: string,
  unit: string,
  better: 'higher' | 'lower',
  value: number,
  baselines: Record<string, number>,
  note?: string,
): Figure {
  return {
    id,
    value: round(value),
    unit,
    better,
    baselines: Object.fromEntries(
      Object.entries(baselines).map(([name, v]) => [
        name,
        { value: round(v), ratio: roundRatio(better === 'higher' ? value / v : v / value) },
      ]),
    ),
    ...(note ? { note } : {}),
  };
}

/** p25 and p75 of `ours / theirs` (or its inverse) over rounds run side by side; undefined without rounds. */
export function ratioSpread(
  ours: Sample,
  theirs: Sample,
  metric: (s: Sample) => number,
  better: 'higher' | 'lower',
): [number, number] | undefined {
  const a = ours.rounds;
  const b = theirs.rounds;
  if (!a || !b || a.length !== b.length || a.length < 2) return undefined;
  const ratios = a.map((s, i) => (better === 'higher' ? metric(s) / metric(b[i]!) : metric(b[i]!) / metric(s))).sort((x, y) => x - y);
  const at = (p: number) => ratios[Math.min(ratios.length - 1, Math.floor(p * ratios.length))]!;
  return [roundRatio(at(0.25)), roundRatio(at(0.75))];
}

const SAMPLE_METRICS = [
  ['ops_per_s', 'ops/s', 'higher', (s: Sample) => s.opsPerSec],
  ['p50_ms', 'ms', 'lower', (s: Sample) => s.p50Ms],
  ['p99_ms', 'ms', 'lower', (s: Sample) => s.p99Ms],
] as const;

/** Throughput, p50 and p99 of one operation, ours against each named baseline's sample, with the per-round spread. */
export function sampleFigures(prefix: string, ours: Sample, baselines: Record<string, Sample>): Figure[] {
  return SAMPLE_METRICS.map(([name, unit, better, metric]) => {
    const f = figure(
      `${prefix}.${name}`,
      unit,
      better,
      metric(ours),
      Object.fromEntries(Object.entries(baselines).map(([k, s]) => [k, metric(s)])),
    );
    for (const [k, base] of Object.entries(f.baselines)) {
      const spread = ratioSpread(ours, baselines[k]!, metric, better);
      if (spread) base.spread = spread;
    }
    return f;
  });
}

export function machine(redis: Record<string, string>): Report['machine'] {
  const cpus = os.cpus();
  return { date: new Date().toISOString(), cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', node: process.version, redis };
}

/** One line a figure: value and every baseline with its ratio. */
export function summaryLine(f: Figure): string {
  const base = Object.entries(f.baselines)
    .map(([name, b]) => `${name} ${b.value} (${b.ratio}x${b.spread ? `, ${b.spread[0]}–${b.spread[1]}` : ''})`)
    .join(', ');
  return `${f.id.padEnd(40)} ${String(f.value).padStart(10)} ${f.unit.padEnd(6)} ${base ? `vs ${base}` : ''}`;
}

export function markdown(report: Report): string {
  const m = report.machine;
  const lines = [
    `Run ${m.date} on ${m.cpus} × ${m.cpuModel}, Node ${m.node}, ${Object.entries(m.redis)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
    '| figure | ours | baselines (ratio: above 1 means ours is ahead) |',
    '| --- | --- | --- |',
    ...report.figures.map((f) => {
      const base = Object.entries(f.baselines)
        .map(([name, b]) => `${name} ${b.value} (**${b.ratio}x**${b.spread ? `, rounds ${b.spread[0]}–${b.spread[1]}` : ''})`)
        .join('<br>');
      return `| \`${f.id}\` | ${f.value} ${f.unit} | ${base} |`;
    }),
  ];
  const skipped = Object.entries(report.skipped).flatMap(([suite, reasons]) => reasons.map((r) => `- ${suite}: ${r}`));
  if (skipped.length > 0) lines.push('', 'Not run here:', ...skipped);
  return `${lines.join('\n')}\n`;
}

export function writeReport(report: Report, dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${dir}/latest.md`, markdown(report));
}

const BEGIN = '<!-- latest-report:begin -->';
const END = '<!-- latest-report:end -->';

/** `readme` with the text between the latest-report markers replaced by `report`. */
export function replaceReport(readme: string, report: string): string {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`bench/README.md lacks the ${BEGIN} … ${END} markers`);
  return `${readme.slice(0, begin + BEGIN.length)}\n${report}${readme.slice(end)}`;
}
