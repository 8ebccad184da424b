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

export async function benchAddedLatency(): Promise<Record<string, unknown>> {
  const service = trivialService();
  const inProcess = await benchNetwork(service, "trivial", { jobs: "in-process" });
  const withoutSpares = await benchNetwork(service, "trivial", { jobs: "in-process", spareHarnesses: false });
  const isolated = await benchNetwork(service, "trivial", { jobs: "process" });
  // One warm-up each: the first question compiles the twine and warms the store (and leaves a spare harness).
  await timeAsk(inProcess.child);
  await timeAsk(withoutSpares.child);
  await timeAsk(isolated.child);
  const bare: number[] = [];
  const inProcessTimes: number[] = [];
  const withoutSparesTimes: number[] = [];
  const isolatedTimes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(timeProcess(PYTHON, ["bare.py", JSON.stringify(TRIVIAL_INPUT)], service));
    inProcessTimes.push(await timeAsk(inProcess.child));
    withoutSparesTimes.push(await timeAsk(withoutSpares.child));
    isolatedTimes.push(await timeAsk(isolated.child));
  }
  await inProcess.close();
  await withoutSpares.close();
  await isolated.close();
  return {
    rounds: ROUNDS,
    bareAppMs: { p50: round(median(bare)), p99: round(percentile(bare, 0.99)) },
    inProcessJobs: latencySummary(inProcessTimes, bare),
    inProcessJobsWithoutSpareHarnesses: latencySummary(withoutSparesTimes, bare),
    processJobs: latencySummary(isolatedTimes, bare),
    note: "one question at a time, asked with Child over HTTP (POST, live event stream) and waited for; 'added' is over the bare app's median",
  };
}
