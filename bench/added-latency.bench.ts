/**
 * The latency a network adds to a trivial question: asked with the `Child` client over the HTTP API of an embedded
 * network and waited for, against the app's own run time (a bare `python3` process calling the same `run`),
 * alternated round by round in one run. Both job modes of the local launcher are measured.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startEmbeddedNetwork } from "../platform/embedded-network.js";
import { createHttpApi } from "../platform/http-api.js";
import { Child, NetworkClient } from "../shared/client/index.js";
import { latencySummary, median, PYTHON, percentile, round, timeProcess, trivialService } from "./support.js";

const ROUNDS = 30;
const INPUT = { numbers: [1, 2, 3, 4, 5] };

interface Network {
  readonly child: Child;
  close(): Promise<void>;
}

async function network(service: string, jobs: "in-process" | "process"): Promise<Network> {
  const embedded = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-bench-latency-")),
    jobs,
    cpuQuota: 2,
  });
  const server = createHttpApi(embedded).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  embedded.setNetworkUrl(url);
  await new NetworkClient(url).registerRevision("bench", "trivial", "1.0.0", {
    twine: JSON.parse(readFileSync(path.join(service, "twine.json"), "utf8")) as Record<string, unknown>,
    source: { kind: "directory", path: service },
    default: true,
  });
  return {
    child: new Child({ id: "bench/trivial", network: url }),
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

export async function benchAddedLatency(): Promise<Record<string, unknown>> {
  const service = trivialService();
  const inProcess = await network(service, "in-process");
  const isolated = await network(service, "process");
  // One warm-up each: the first question compiles the twine and warms the store.
  await timeAsk(inProcess.child);
  await timeAsk(isolated.child);
  const bare: number[] = [];
  const inProcessTimes: number[] = [];
  const isolatedTimes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(timeProcess(PYTHON, ["bare.py", JSON.stringify(INPUT)], service));
    inProcessTimes.push(await timeAsk(inProcess.child));
    isolatedTimes.push(await timeAsk(isolated.child));
  }
  await inProcess.close();
  await isolated.close();
  return {
    rounds: ROUNDS,
    bareAppMs: { p50: round(median(bare)), p99: round(percentile(bare, 0.99)) },
    inProcessJobs: latencySummary(inProcessTimes, bare),
    processJobs: latencySummary(isolatedTimes, bare),
    note: "one question at a time, asked with Child over HTTP (POST, live event stream) and waited for; 'added' is over the bare app's median",
  };
}
