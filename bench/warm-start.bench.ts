/**
 * Warm starts against the bare app, with an app whose imports are heavy (a large set of the standard library, and
 * numpy when it is installed): a trivial question asked with the `Child` client over the HTTP API of an embedded
 * network with warm starts (`twined dev --warm-starts`), against a bare `python3` process importing the same app and
 * calling the same `run`, alternated round by round. The same network without warm starts is measured alongside.
 */
import { spawnSync } from "node:child_process";
import {
  benchNetwork,
  latencySummary,
  median,
  PYTHON,
  percentile,
  round,
  TRIVIAL_INPUT,
  timeAsk,
  timeProcess,
  trivialService,
} from "./support.js";

const ROUNDS = 30;
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

export async function benchWarmStart(): Promise<Record<string, unknown>> {
  const service = trivialService({ name: "heavy", appImports: imports });
  const importTimes = Array.from({ length: 5 }, importMs);
  const warm = await benchNetwork(service, "heavy", { warmStarts: true });
  const cold = await benchNetwork(service, "heavy", { warmStarts: false });
  // Warm-ups: the first question compiles the twine, and (warm) starts the revision's zygote.
  await timeAsk(warm.child);
  await timeAsk(cold.child);
  const bare: number[] = [];
  const warmTimes: number[] = [];
  const coldTimes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(timeProcess(PYTHON, ["bare.py", JSON.stringify(TRIVIAL_INPUT)], service));
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
