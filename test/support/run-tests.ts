/**
 * `npm test`: every test but the load scenarios, then the load scenarios alone, one file at a time (they measure
 * throughput, so nothing else should run beside them), then one line totalling both passes. A test counts as passed
 * when some pass ran it and none failed it, so the load scenarios that the first pass skips are not counted twice.
 * TWINED_SKIP_LOAD_SCENARIOS=1 leaves the second pass out.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summaryLine, type TestState } from "./summary-reporter.js";

/** The load scenarios' names (the 200-question one on every platform, and the chaos scenario) all say this. */
const LOAD_SCENARIOS = "questions at once";

const statesDir = mkdtempSync(join(tmpdir(), "twined-test-states-"));
const statesFile = join(statesDir, "states.jsonl");
const extraArgs = process.argv.slice(2);

function vitest(args: string[], env: NodeJS.ProcessEnv): number {
  const result = spawnSync(process.execPath, ["node_modules/vitest/vitest.mjs", "run", ...args], {
    stdio: "inherit",
    env: { ...process.env, ...env, TWINED_TEST_STATES_FILE: statesFile },
  });
  return result.status ?? 1;
}

function combinedStates(): TestState[] {
  const combined = new Map<string, TestState>();
  let text = "";
  try {
    text = readFileSync(statesFile, "utf8");
  } catch {
    return [];
  }
  for (const line of text.split("\n").filter(Boolean)) {
    const pass = JSON.parse(line) as Record<string, TestState>;
    for (const [test, state] of Object.entries(pass)) {
      const before = combined.get(test);
      if (before === "failed" || (state === "skipped" && before !== undefined)) continue;
      combined.set(test, state);
    }
  }
  return [...combined.values()];
}

let status = vitest(extraArgs, { TWINED_SKIP_LOAD_SCENARIOS: "1" });
const runLoad = process.env.TWINED_SKIP_LOAD_SCENARIOS !== "1";
if (status === 0 && runLoad) {
  status = vitest(["test/scenarios", "-t", LOAD_SCENARIOS, "--maxWorkers=1", "--passWithNoTests"], {});
}
if (runLoad) process.stdout.write(`\nnpm test, both passes:\n${summaryLine(combinedStates())}\n`);
rmSync(statesDir, { recursive: true, force: true });
process.exit(status);
