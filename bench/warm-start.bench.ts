/**
 * Warm starts against the bare app, with an app whose imports are heavy (a large set of the standard library, and
 * numpy when it is installed): a trivial question asked with the `Child` client over the HTTP API of an embedded
 * network with warm starts (`twined dev --warm-starts`), against a bare `python3` process importing the same app and
 * calling the same `run`, alternated round by round. The same network without warm starts is measured alongside.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startEmbeddedNetwork } from "../platform/embedded-network.js";
import { createHttpApi } from "../platform/http-api.js";
import { Child, NetworkClient } from "../shared/client/index.js";
import { latencySummary, median, PYTHON, percentile, round, timeProcess } from "./support.js";

const ROUNDS = 30;
const INPUT = { numbers: [1, 2, 3, 4, 5] };
const HEAVY_STANDARD_LIBRARY = [
  "asyncio",
  "email",
  "email.mime.multipart",
  "http.client",
  "json",
  "decimal",
  "xml.etree.ElementTree",
  "unittest",
  "argparse",
  "sqlite3",
  "multiprocessing",
  "concurrent.futures",
  "urllib.request",
  "logging.handlers",
  "csv",
  "statistics",
  "fractions",
  "difflib",
  "tarfile",
  "zipfile",
  "ssl",
];

const numpyInstalled = spawnSync(PYTHON, ["-c", "import numpy"]).status === 0;
const imports = [...HEAVY_STANDARD_LIBRARY, ...(numpyInstalled ? ["numpy"] : [])];

/** The trivial summing service, with an app.py that imports the heavy set first, and its bare-Python baseline. */
function heavyService(): string {
  const directory = mkdtempSync(path.join(tmpdir(), "twined-bench-warm-"));
  writeFileSync(path.join(directory, "octue.yaml"), "services:\n  - namespace: bench\n    name: heavy\n");
  writeFileSync(
    path.join(directory, "twine.json"),
    JSON.stringify({
      input_values_schema: { type: "object", required: ["numbers"], properties: { numbers: { type: "array" } } },
      output_values_schema: { type: "object", required: ["sum"] },
    }),
  );
  writeFileSync(
    path.join(directory, "app.py"),
    `${imports.map((name) => `import ${name}`).join("\n")}\n\ndef run(analysis):\n    analysis.output_values = {'sum': sum(analysis.input_values['numbers'])}\n`,
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

/** How long importing the set takes in a fresh interpreter (its own clock, so Python's start is not counted). */
function importMs(): number {
  const result = spawnSync(
    PYTHON,
    [
      "-c",
      `import time\nstart = time.perf_counter()\nimport ${imports.join(", ")}\nprint((time.perf_counter() - start) * 1000)`,
    ],
    { encoding: "utf8" },
  );
  return Number.parseFloat(result.stdout.trim());
}

interface Network {
  readonly child: Child;
  close(): Promise<void>;
}

async function network(service: string, warmStarts: boolean): Promise<Network> {
  const embedded = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-bench-warm-network-")),
    warmStarts,
    cpuQuota: 2,
  });
  const server = createHttpApi(embedded).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  embedded.setNetworkUrl(url);
  await new NetworkClient(url).registerRevision("bench", "heavy", "1.0.0", {
    twine: JSON.parse(readFileSync(path.join(service, "twine.json"), "utf8")) as Record<string, unknown>,
    source: { kind: "directory", path: service },
    default: true,
  });
  return {
    child: new Child({ id: "bench/heavy", network: url }),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await embedded.close();
    },
  };
}

async function timeAsk(child: Child): Promise<number> {
  const start = performance.now();
  const { answer } = await child.ask({ inputValues: INPUT });
  if ((answer?.output_values as { sum?: number } | undefined)?.sum !== 15) throw new Error("wrong answer");
  return performance.now() - start;
}

export async function benchWarmStart(): Promise<Record<string, unknown>> {
  const service = heavyService();
  const importTimes = Array.from({ length: 5 }, importMs);
  const warm = await network(service, true);
  const cold = await network(service, false);
  // Warm-ups: the first question compiles the twine, and (warm) starts the revision's zygote.
  await timeAsk(warm.child);
  await timeAsk(cold.child);
  const bare: number[] = [];
  const warmTimes: number[] = [];
  const coldTimes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(timeProcess(PYTHON, ["bare.py", JSON.stringify(INPUT)], service));
    warmTimes.push(await timeAsk(warm.child));
    coldTimes.push(await timeAsk(cold.child));
  }
  await warm.close();
  await cold.close();
  return {
    rounds: ROUNDS,
    imports: numpyInstalled ? "heavy standard-library set + numpy" : "heavy standard-library set (numpy not installed)",
    importMs: round(median(importTimes)),
    bareAppMs: { p50: round(median(bare)), p99: round(percentile(bare, 0.99)) },
    warmStarts: latencySummary(warmTimes, bare),
    coldStarts: latencySummary(coldTimes, bare),
    note: "one question at a time, asked with Child over HTTP and waited for, in-process jobs; 'added' is over the bare app's median (negative: faster than the bare app)",
  };
}
