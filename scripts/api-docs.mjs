// Writes the API reference, generated from the types by typedoc, into docs/api/ (git-ignored): one
// module per entry of package.json's `exports`, read at run time and mapped from dist/ back to the
// sources (./dist/src/entries/sessions.d.ts -> src/entries/sessions.ts). It never writes outside docs/api/.
// `node scripts/api-docs.mjs [extra typedoc options]`; type errors are `npm run typecheck`'s to report.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const target = (value) => (typeof value === 'string' ? value : (value?.types ?? value?.import ?? value?.default));
const entries = [];
for (const [subpath, value] of Object.entries(pkg.exports ?? {})) {
  const built = target(value);
  if (!built || !/\.(d\.ts|js)$/.test(built)) continue; // ./package.json
  const source = built.replace(/^\.\/dist\//, '').replace(/\.d\.ts$|\.js$/, '.ts');
  if (!existsSync(source)) {
    console.error(`api-docs: ${subpath} maps to ${built}, whose source ${source} does not exist`);
    process.exit(1);
  }
  entries.push({ subpath, source });
}
console.log(`api-docs: ${entries.length} entries: ${entries.map((e) => `${pkg.name}${e.subpath.slice(1)} (${e.source})`).join(', ')}`);

// typedoc's exports map hides bin/; its package.json names the CLI.
const require = createRequire(import.meta.url);
const typedocPkg = require.resolve('typedoc/package.json');
const typedoc = new URL(require(typedocPkg).bin.typedoc, `file://${typedocPkg}`).pathname;
const run = spawnSync(
  process.execPath,
  [
    typedoc,
    ...entries.map((e) => e.source),
    '--tsconfig',
    'tsconfig.build.json',
    '--out',
    'docs/api',
    '--name',
    `${pkg.name} ${pkg.version}`,
    '--readme',
    'none',
    '--excludePrivate',
    '--excludeInternal',
    '--skipErrorChecking',
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
process.exit(run.status ?? 1);
