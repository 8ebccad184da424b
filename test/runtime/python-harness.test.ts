import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const repositoryRoot = path.resolve(import.meta.dirname, "../..");
const runtimeDirectory = path.join(repositoryRoot, "runtime", "python");

// The number of unittest cases in runtime/python/tests when this wrapper was written; fewer means tests went missing.
const MINIMUM_TEST_COUNT = 81;

describe("Python harness (runtime/python)", () => {
  it("passes its unittest suite", () => {
    const result = spawnSync(
      "python3",
      ["-m", "unittest", "discover", "-s", "runtime/python/tests", "-t", "runtime/python"],
      {
        cwd: repositoryRoot,
        env: {
          ...process.env,
          PYTHONPATH: [runtimeDirectory, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
          PYTHONDONTWRITEBYTECODE: "1",
        },
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
    const ran = /^Ran (\d+) tests? in /m.exec(output);

    if (result.error !== undefined || result.status !== 0 || ran === null) {
      console.error(output || String(result.error));
    }
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(ran).not.toBeNull();
    expect(Number(ran?.[1])).toBeGreaterThanOrEqual(MINIMUM_TEST_COUNT);
  }, 150_000);
});
