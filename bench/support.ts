/** What several benchmarks share: a trivial service, a bare-Python baseline for it, and statistics. */
import { spawnSync } from "node:child_process";
import diagnosticsChannel from "node:diagnostics_channel";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

/**
 * A service whose app sums `input_values.numbers`, plus `bare.py`: the same `run` called from a plain Python
 * process with a plain object, the baseline for "the app's own run time".
 */
export function trivialService(): string {
  const directory = mkdtempSync(path.join(tmpdir(), "twined-bench-"));
  writeFileSync(path.join(directory, "octue.yaml"), "services:\n  - namespace: bench\n    name: trivial\n");
  writeFileSync(
    path.join(directory, "twine.json"),
    JSON.stringify({
      input_values_schema: { type: "object", required: ["numbers"], properties: { numbers: { type: "array" } } },
      output_values_schema: { type: "object", required: ["sum"] },
    }),
  );
  writeFileSync(
    path.join(directory, "app.py"),
    "def run(analysis):\n    analysis.output_values = {'sum': sum(analysis.input_values['numbers'])}\n",
  );
  writeFileSync(
    path.join(directory, "bare.py"),
    [
      "import json, sys",
      "sys.path.insert(0, '.')",
      "import app",
      "class Analysis:",
      "    input_values = json.loads(sys.argv[1])",
      "    output_values = {}",
      "analysis = Analysis()",
      "app.run(analysis)",
      "print(json.dumps(analysis.output_values))",
    ].join("\n"),
  );
  return directory;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export function timeProcess(command: string, args: string[], cwd: string): number {
  const start = performance.now();
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
  return elapsed;
}

/** The value below which `fraction` of the values lie (nearest rank). */
export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * Runs `run`, timing it and counting the HTTP requests that servers in this process (an in-process emulator) receive
 * meanwhile.
 */
export async function countServedRequests<T>(
  run: () => Promise<T>,
): Promise<{ result: T; ms: number; requests: number }> {
  let requests = 0;
  const onRequest = () => {
    requests++;
  };
  diagnosticsChannel.subscribe("http.server.request.start", onRequest);
  try {
    const start = performance.now();
    const result = await run();
    return { result, ms: performance.now() - start, requests };
  } finally {
    diagnosticsChannel.unsubscribe("http.server.request.start", onRequest);
  }
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Latency percentiles of asked questions, and what they add over the bare app's median run time. */
export function latencySummary(times: readonly number[], bare: readonly number[]) {
  const bareP50 = median(bare);
  return {
    p50Ms: round(percentile(times, 0.5)),
    p99Ms: round(percentile(times, 0.99)),
    addedP50Ms: round(percentile(times, 0.5) - bareP50),
    addedP99Ms: round(percentile(times, 0.99) - bareP50),
    overBareApp: round(percentile(times, 0.5) / bareP50),
  };
}

export { InstantJobs } from "../test/support/instant-jobs.js";

/**
 * The interpreter `python3` runs here, itself: a version manager's shim (pyenv) spends hundreds of milliseconds
 * choosing it on every start, which Twined's runner avoids by resolving it once; the bare-app baselines do the same.
 */
export const PYTHON: string = (() => {
  const found = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
  const executable = found.stdout?.trim() ?? "";
  return found.status === 0 && executable.startsWith("/") ? executable : "python3";
})();
