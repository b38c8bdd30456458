// Ends every run with one plain line, "tests: N passed, N failed, N skipped", that any CI can read
// (vitest's own summary has another shape), preceded by one line per suite of every conformance
// file (`*-validation.test.ts`, e.g. LangGraph's checkpointer suite per server). Counts come from
// vitest's results, nothing else.
import type { Reporter, TestCase, TestModule } from 'vitest/node';

interface Count {
  passed: number;
  failed: number;
  skipped: number;
}

const add = (count: Count, test: TestCase): void => {
  const state = test.result().state;
  if (state === 'passed') count.passed++;
  else if (state === 'failed') count.failed++;
  else count.skipped++;
};

const format = (c: Count): string => `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const count: Count = { passed: 0, failed: 0, skipped: 0 };
    const conformance = new Map<string, Count>();
    for (const module of testModules) {
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) count.failed++;
      const isConformance = /-validation\.test\.ts$/.test(module.moduleId);
      for (const test of module.children.allTests()) {
        add(count, test);
        if (!isConformance) continue;
        const suite = test.fullName.split(' > ')[0] ?? test.fullName;
        if (!conformance.has(suite)) conformance.set(suite, { passed: 0, failed: 0, skipped: 0 });
        add(conformance.get(suite)!, test);
      }
    }
    count.failed += unhandledErrors.length;
    console.log('');
    for (const [suite, c] of conformance) console.log(`conformance: ${suite}: ${format(c)}`);
    console.log(`tests: ${format(count)}`);
  }
}
