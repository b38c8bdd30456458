// Builds dist/: inlines the Lua scripts into src/scripts/sources.generated.ts (scripts/inline-lua.mjs),
// then compiles src/ and adapters/ with tsc. dist/ holds JavaScript and declarations only: no .lua
// file is shipped or read at run time. The CLI (the package's bin) is made executable.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { writeLuaSources } from './inline-lua.mjs';

const require = createRequire(import.meta.url);
writeLuaSources();
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
chmodSync('dist/src/cli/main.js', 0o755);
