import { PrestartedHarness } from "../runtime/runner/prestarted-harness.js";

/**
 * Starts the Python harness of a question this process is about to answer here (`twined question ask-local`), as
 * the runner would: `$TWINED_PYTHON` or `python3`, in the current folder, with this process's environment. What it
 * prints goes where the question's runner says once it claims it.
 */
export function prestartHarness(env: NodeJS.ProcessEnv = process.env): PrestartedHarness {
  return new PrestartedHarness({ python: env.TWINED_PYTHON ?? "python3", cwd: process.cwd(), env });
}
