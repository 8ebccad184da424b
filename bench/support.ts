/** What several benchmarks share: a trivial service, a bare-Python baseline for it, and statistics. */
import { spawnSync } from "node:child_process";
import diagnosticsChannel from "node:diagnostics_channel";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { type EmbeddedNetworkOptions, startEmbeddedNetwork } from "../platform/embedded-network.js";
import { createHttpApi } from "../platform/http-api.js";
import { Child, NetworkClient } from "../shared/client/index.js";

/**
 * A service whose app sums `input_values.numbers`, plus `bare.py`: the same `run` called from a plain Python
 * process with a plain object, the baseline for "the app's own run time".
 */
export function trivialService(options: { name?: string; appImports?: readonly string[] } = {}): string {
  const directory = mkdtempSync(path.join(tmpdir(), "twined-bench-"));
  writeFileSync(
    path.join(directory, "octue.yaml"),
    `services:\n  - namespace: bench\n    name: ${options.name ?? "trivial"}\n`,
  );
  writeFileSync(
    path.join(directory, "twine.json"),
    JSON.stringify({
      input_values_schema: { type: "object", required: ["numbers"], properties: { numbers: { type: "array" } } },
      output_values_schema: { type: "object", required: ["sum"] },
    }),
  );
  const imports = (options.appImports ?? []).map((name) => `import ${name}\n`).join("");
  writeFileSync(
    path.join(directory, "app.py"),
    `${imports}${imports === "" ? "" : "\n"}def run(analysis):\n    analysis.output_values = {'sum': sum(analysis.input_values['numbers'])}\n`,
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

/** The input every benchmark asks the trivial service, and the sum it must answer. */
export const TRIVIAL_INPUT = { numbers: [1, 2, 3, 4, 5] };

/** An embedded network serving `service` (registered as `bench/<name>:1.0.0`, the default) over HTTP on loopback. */
export interface BenchNetwork {
  readonly child: Child;
  close(): Promise<void>;
}

export async function benchNetwork(
  service: string,
  name: string,
  options: Pick<EmbeddedNetworkOptions, "jobs" | "warmStarts" | "spareHarnesses">,
): Promise<BenchNetwork> {
  const embedded = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-bench-network-")),
    cpuQuota: 2,
    ...options,
  });
  const server = createHttpApi(embedded).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  embedded.setNetworkUrl(url);
  await new NetworkClient(url).registerRevision("bench", name, "1.0.0", {
    twine: JSON.parse(readFileSync(path.join(service, "twine.json"), "utf8")) as Record<string, unknown>,
    source: { kind: "directory", path: service },
    default: true,
  });
  return {
    child: new Child({ id: `bench/${name}`, network: url }),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await embedded.close();
    },
  };
}

/** The wall time of one trivial question asked with `child`, checking its answer. */
export async function timeAsk(child: Child): Promise<number> {
  const start = performance.now();
  const { answer } = await child.ask({ inputValues: TRIVIAL_INPUT });
  if ((answer?.output_values as { sum?: number } | undefined)?.sum !== 15) throw new Error("wrong answer");
  return performance.now() - start;
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
