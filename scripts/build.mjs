// Builds dist/: compiles src/ and adapters/ with tsc, then copies the Lua scripts beside their
// compiled loader (they are read at run time, never inlined into TypeScript).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
for (const dir of ['src/scripts', 'src/scripts/includes']) {
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.lua'))) cpSync(`${dir}/${file}`, `dist/${dir}/${file}`);
}
