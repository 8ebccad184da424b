/**
 * Runs every benchmark and prints one JSON report. Each benchmark measures us against a baseline in the same run
 * (ratios, not absolute times), so results are comparable across machines.
 */
import { benchAddedLatency } from "./added-latency.bench.js";
import { benchAskLocalOverhead } from "./ask-local-overhead.bench.js";
import { benchDatasetOpen } from "./dataset-open.bench.js";
import { benchDatasetTransfer } from "./dataset-transfer.bench.js";
import { benchEmulatorStack } from "./emulator-stack.bench.js";
import { benchKueueLauncher } from "./kueue-launcher.bench.js";
import { benchPipeline } from "./pipeline.bench.js";
import { benchQuestionList } from "./question-list.bench.js";
import { benchRevisionTag } from "./revision-tag.bench.js";
import { benchTwineValidation } from "./twine-validation.bench.js";
import { benchWarmStart } from "./warm-start.bench.js";

const only = process.argv[2];
const benches: Record<string, () => Promise<Record<string, unknown>>> = {
  "revision-tag": benchRevisionTag,
  "twine-validation": benchTwineValidation,
  "ask-local-overhead": benchAskLocalOverhead,
  pipeline: benchPipeline,
  "added-latency": benchAddedLatency,
  "warm-start": benchWarmStart,
  "emulator-stack": benchEmulatorStack,
  "kueue-launcher": benchKueueLauncher,
  "dataset-transfer": benchDatasetTransfer,
  "dataset-open": benchDatasetOpen,
  "question-list": benchQuestionList,
};

const report: Record<string, unknown> = { node: process.version, date: new Date().toISOString() };
for (const [name, run] of Object.entries(benches)) {
  if (only !== undefined && only !== name) continue;
  process.stderr.write(`running ${name}…\n`);
  report[name] = await run();
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
