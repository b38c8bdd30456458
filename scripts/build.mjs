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
if (existsSync('src/scripts')) {
  for (const file of readdirSync('src/scripts').filter((f) => f.endsWith('.lua'))) {
    cpSync(`src/scripts/${file}`, `dist/src/scripts/${file}`);
  }
}
