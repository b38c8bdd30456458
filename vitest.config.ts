import { execFileSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';

// The Lua sources are inlined into a generated module: regenerate it first, so that a run started
// with `npx vitest` never tests stale scripts.
execFileSync(process.execPath, ['scripts/inline-lua.mjs'], { stdio: 'inherit' });

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    reporters: ['default', './test/harness/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: two workers keep the machine responsive for the Redis servers themselves.
    maxWorkers: 2,
  },
});
