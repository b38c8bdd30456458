// Type-checks the documentation's code samples: every ```ts block of README.md and docs/*.md becomes
// one module under .docs-samples/ (git-ignored) and `tsc --noEmit` checks them all with the repo's
// tsconfig. It never edits a page; the convention it reads is documented at the top of docs/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TS_LANGUAGES = new Set(['ts', 'typescript', 'mts']);

export interface Sample {
  /** The page, relative to the repository root (`docs/sessions.md`). */
  page: string;
  /** 1-based position among the page's ts blocks. */
  block: number;
  /** Line of the opening fence in the page. */
  line: number;
  /** The module as compiled: page setup, block setup, then the block. */
  source: string;
  /** For each line of `source`, the page line it came from. */
  lineMap: number[];
}

export interface SampleError {
  line: number;
  code: string;
  message: string;
}

export interface SampleFailure {
  sample: Sample;
  errors: SampleError[];
  /** Every error is an import of a `redis-agent-memory` subpath that package.json does not export yet. */
  awaitsExports: boolean;
}

export interface CheckResult {
  samples: Sample[];
  failures: SampleFailure[];
  /** tsc's errors outside any sample (a broken tsconfig, say); never expected. */
  otherErrors: string[];
}

/** README.md and docs/*.md (docs/api/ is generated and not read), in a stable order. */
export function defaultPages(root = REPO_ROOT): string[] {
  const docs = existsSync(path.join(root, 'docs'))
    ? readdirSync(path.join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .sort()
        .map((f) => `docs/${f}`)
    : [];
  return ['README.md', ...docs];
}

interface Comment {
  kind: 'page-setup' | 'setup';
  lines: { text: string; line: number }[];
  endLine: number;
}

/**
 * The ts samples of one page. `<!-- page-setup ... -->` anywhere outside a fence is prepended to every
 * block of the page; `<!-- setup ... -->` right before a block (blank lines between allowed) to that
 * block only. Fences may be indented (inside a list item); the indentation is removed.
 */
export function extractSamples(page: string, text: string): Sample[] {
  const lines = text.split('\n');
  const pageSetup: Comment['lines'] = [];
  const blocks: { line: number; code: Comment['lines']; setup: Comment['lines'] }[] = [];
  let pendingSetup: Comment | null = null;
  for (let i = 0; i < lines.length; i++) {
    const current = lines[i]!;
    const comment = /^\s*<!--\s*(page-setup|setup)\b(.*)$/.exec(current);
    if (comment) {
      const kind = comment[1] as Comment['kind'];
      const body: Comment['lines'] = [];
      // One line (`<!-- setup: declare const key: string; -->`) holds code; on a longer comment the
      // opening line's rest is a label for readers of the source, and the code starts on the next line.
      let rest = comment[2]!.includes('-->') ? comment[2]!.replace(/^\s*:?/, '') : '';
      let j = i;
      for (;;) {
        const end = rest.indexOf('-->');
        if (end >= 0) {
          if (rest.slice(0, end).trim()) body.push({ text: rest.slice(0, end), line: j + 1 });
          break;
        }
        if (rest.trim()) body.push({ text: rest, line: j + 1 });
        j++;
        if (j >= lines.length) throw new Error(`${page}:${i + 1}: <!-- ${kind} is never closed with -->`);
        rest = lines[j]!;
      }
      if (kind === 'page-setup') pageSetup.push(...body);
      else pendingSetup = { kind, lines: body, endLine: j };
      i = j;
      continue;
    }
    // CommonMark: a backtick fence's info string has no backtick (```` ```ts ```` inline is no fence).
    const fence = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(current);
    if (fence && !(fence[2]!.startsWith('`') && fence[3]!.includes('`'))) {
      const [, indent, marker, rest] = fence as unknown as [string, string, string, string];
      const info = rest.trim().split(/\s+/)[0] ?? '';
      const code: Comment['lines'] = [];
      let j = i + 1;
      const closing = new RegExp(`^\\s*${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
      while (j < lines.length && !closing.test(lines[j]!)) {
        const raw = lines[j]!;
        code.push({ text: raw.startsWith(indent) ? raw.slice(indent.length) : raw.trimStart(), line: j + 1 });
        j++;
      }
      if (j >= lines.length) throw new Error(`${page}:${i + 1}: a code fence is never closed`);
      if (TS_LANGUAGES.has(info.toLowerCase())) {
        const setup = pendingSetup && lines.slice(pendingSetup.endLine + 1, i).every((l) => !l.trim()) ? pendingSetup.lines : [];
        blocks.push({ line: i + 1, code, setup });
      }
      pendingSetup = null;
      i = j;
      continue;
    }
    if (current.trim()) pendingSetup = null;
  }
  return blocks.map(({ line, code, setup }, index) => {
    const all = [...pageSetup, ...setup, ...code];
    return {
      page,
      block: index + 1,
      line,
      source: `${all.map((l) => l.text).join('\n')}\nexport {};\n`,
      lineMap: [...all.map((l) => l.line), line, line],
    };
  });
}

function moduleName(sample: Sample): string {
  return `${sample.page.replace(/\.md$/, '').replace(/[^\w-]+/g, '-')}.block-${String(sample.block).padStart(2, '0')}.ts`;
}

/** `redis-agent-memory` subpaths package.json exports (`.`, `./langchain`, ...). */
export function exportedSubpaths(root = REPO_ROOT): Set<string> {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> };
  return new Set(Object.keys(pkg.exports ?? {}));
}

/**
 * Writes each sample as a module into a fresh folder under `<root>/.docs-samples/` (inside the package,
 * so `redis-agent-memory` resolves to the built dist/ through the exports map, as for a user), runs
 * tsc with the repo's tsconfig over them, and maps every error back to its page and line.
 */
export function checkSamples(samples: Sample[], options: { root?: string; keep?: boolean } = {}): CheckResult {
  const root = options.root ?? REPO_ROOT;
  if (samples.some((s) => s.source.includes("'redis-agent-memory")) && !existsSync(path.join(root, 'dist/src/index.d.ts'))) {
    throw new Error('dist/ is missing: run `npm run build` first (samples import redis-agent-memory from its built declarations)');
  }
  const dir = path.join(root, '.docs-samples', `run-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const byFile = new Map<string, Sample>();
  for (const sample of samples) {
    const name = moduleName(sample);
    writeFileSync(path.join(dir, name), sample.source);
    byFile.set(name, sample);
  }
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: path.relative(dir, path.join(root, 'tsconfig.json')),
      // rootDir and outDir are the run folder's own: with the repo's (., dist) tsc would map the exports
      // map's dist/ paths back to src/ and check the sources instead of the published declarations.
      compilerOptions: {
        noEmit: true,
        rootDir: '.',
        outDir: './out',
        declaration: false,
        declarationMap: false,
        sourceMap: false,
        incremental: false,
      },
      include: ['./*.ts'],
    }),
  );
  try {
    const tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
    const run = spawnSync(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json'), '--pretty', 'false'], {
      encoding: 'utf8',
      cwd: root,
    });
    if (run.error) throw run.error;
    const exported = exportedSubpaths(root);
    const errors = new Map<Sample, SampleError[]>();
    const otherErrors: string[] = [];
    let last: SampleError | null = null;
    for (const line of `${run.stdout}${run.stderr}`.split('\n')) {
      const match = /^(.*?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line);
      if (!match) {
        if (last && /^\s/.test(line) && line.trim()) last.message += ` ${line.trim()}`;
        else if (line.trim()) otherErrors.push(line);
        continue;
      }
      const sample = byFile.get(path.basename(match[1]!));
      if (!sample || path.resolve(root, path.dirname(match[1]!)) !== dir) {
        otherErrors.push(line);
        last = null;
        continue;
      }
      last = { line: sample.lineMap[Number(match[2]) - 1] ?? sample.line, code: match[4]!, message: match[5]! };
      errors.set(sample, [...(errors.get(sample) ?? []), last]);
    }
    if (run.status !== 0 && errors.size === 0 && otherErrors.length === 0)
      otherErrors.push(`tsc exited with ${run.status} and printed nothing`);
    const awaits = (e: SampleError) => {
      const subpath = /^Cannot find module 'redis-agent-memory(\/[^']+)'/.exec(e.message)?.[1];
      return e.code === 'TS2307' && subpath !== undefined && !exported.has(`.${subpath}`);
    };
    const failures = samples
      .filter((s) => errors.has(s))
      .map((sample) => ({ sample, errors: errors.get(sample)!, awaitsExports: errors.get(sample)!.every(awaits) }));
    return { samples, failures, otherErrors };
  } finally {
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** The pages' samples, read from disk. */
export function readSamples(pages = defaultPages(), root = REPO_ROOT): Sample[] {
  return pages.flatMap((page) => extractSamples(page, readFileSync(path.join(root, page), 'utf8')));
}

/** One line per failing sample, then its errors: what a writer needs to find and fix it. */
export function formatFailures(result: CheckResult): string {
  const out: string[] = [];
  const section = (title: string, failures: SampleFailure[]) => {
    if (failures.length === 0) return;
    out.push(title);
    for (const { sample, errors } of failures) {
      out.push(`  ${sample.page} block ${sample.block} (line ${sample.line})`);
      for (const e of errors) out.push(`    ${sample.page}:${e.line} ${e.code} ${e.message}`);
    }
  };
  section(
    'Samples that do not compile:',
    result.failures.filter((f) => !f.awaitsExports),
  );
  section(
    'Samples waiting for a subpath package.json does not export yet:',
    result.failures.filter((f) => f.awaitsExports),
  );
  if (result.otherErrors.length) out.push('Other tsc output:', ...result.otherErrors.map((l) => `  ${l}`));
  return out.join('\n');
}
