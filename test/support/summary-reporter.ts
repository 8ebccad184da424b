import { appendFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

export type TestState = "passed" | "failed" | "skipped";

/** Counts tests by state: the one plain line CI tooling reads, whatever the test runner. */
export function summaryLine(states: Iterable<TestState>): string {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const state of states) counts[state]++;
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}

/**
 * Prints one plain `N passed, N failed, N skipped` line at the end. When `TWINED_TEST_STATES_FILE` is set it also
 * appends each test's state there, so `npm test` (test/support/run-tests.ts) can total its passes into one last line.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const states = new Map<string, TestState>();
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        states.set(
          `${module.moduleId} > ${test.fullName}`,
          state === "passed" || state === "failed" ? state : "skipped",
        );
      }
      // A file can fail outside its tests (a hook, an import), which leaves its tests skipped: that counts as a failure.
      const testFailed = [...module.children.allTests()].some((test) => test.result().state === "failed");
      if (module.state() === "failed" && !testFailed) states.set(`${module.moduleId} > (the file itself)`, "failed");
    }
    const file = process.env.TWINED_TEST_STATES_FILE;
    if (file) appendFileSync(file, `${JSON.stringify(Object.fromEntries(states))}\n`);
    process.stdout.write(`\n${summaryLine(states.values())}\n`);
  }
}
