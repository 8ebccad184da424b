import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The test files that take longest, longest first: the scenario suites, which mostly wait on emulators and job
 * processes. Started first, they overlap with everything else; left to the default order (smaller files first on a
 * fresh clone, which has no timing cache) they start last and the run waits on them alone.
 */
const SLOWEST = [
  "test/scenarios/functions-framework.test.ts",
  "test/scenarios/google-in-process.test.ts",
  "test/scenarios/embedded.test.ts",
  "test/scenarios/embedded-isolated-jobs.test.ts",
  "test/scenarios/kueue.test.ts",
  "test/shared/adapters/firestore-stores.test.ts",
];

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = SLOWEST.findIndex((slow) => file.moduleId.replaceAll("\\", "/").endsWith(slow));
      return index === -1 ? SLOWEST.length : index;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
