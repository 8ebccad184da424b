/**
 * The cost Twined adds around an app: `twined question ask-local` (and the runner alone, in-process) on a trivial
 * app, against a bare `python3` process calling the same `run` function; and the start of `twined --version` and
 * `twined service validate` against `node -e 0`; all alternated in one run. The CLI timed is the installed one (the
 * build's bundle); the same commands from tsc's unbundled output run alongside, to show what bundling saves.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { answerQuestion } from "../runtime/runner/answer-question.js";
import { parseServiceConfiguration } from "../shared/config/index.js";
import { createQuestionAttributes } from "../shared/events/index.js";
import { packageRoot } from "../shared/package-root.js";
import { median, PYTHON, round, timeProcess, trivialService } from "./support.js";

const ROUNDS = 15;
const INPUT = { numbers: [1, 2, 3, 4, 5] };

export async function benchAskLocalOverhead(): Promise<Record<string, unknown>> {
  const cli = path.join(packageRoot(), "dist", "cli", "bundle", "main.js");
  const unbundled = path.join(packageRoot(), "dist", "cli", "main.js");
  if (!existsSync(cli) || !existsSync(unbundled)) {
    return { error: "run `npm run build` first: this benchmark times the built CLI" };
  }
  const service = trivialService();
  const { configuration } = parseServiceConfiguration(
    "services:\n  - namespace: bench\n    name: trivial\n",
    path.join(service, "octue.yaml"),
  );
  const input = JSON.stringify(INPUT);

  const bare: number[] = [];
  const askLocal: number[] = [];
  const runner: number[] = [];
  const nodeAlone: number[] = [];
  const version: number[] = [];
  const validate: number[] = [];
  const unbundledAskLocal: number[] = [];
  const unbundledValidate: number[] = [];
  // Both sides run the same interpreter: a version manager's `python3` shim (pyenv) costs hundreds of milliseconds a
  // start, which the bare side does not pay either.
  const previousPython = process.env.TWINED_PYTHON;
  process.env.TWINED_PYTHON ??= PYTHON;
  // The first run fills the compiled-validator cache, as a user's first validate or ask-local does.
  timeProcess(process.execPath, [cli, "service", "validate"], service);
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(timeProcess(PYTHON, ["bare.py", input], service));
    askLocal.push(timeProcess(process.execPath, [cli, "question", "ask-local", "-i", input], service));
    nodeAlone.push(timeProcess(process.execPath, ["-e", "0"], service));
    version.push(timeProcess(process.execPath, [cli, "--version"], service));
    validate.push(timeProcess(process.execPath, [cli, "service", "validate"], service));
    unbundledAskLocal.push(timeProcess(process.execPath, [unbundled, "question", "ask-local", "-i", input], service));
    unbundledValidate.push(timeProcess(process.execPath, [unbundled, "service", "validate"], service));
    const start = performance.now();
    const final = await answerQuestion({
      configuration,
      question: {
        event: { kind: "question", input_values: INPUT },
        attributes: createQuestionAttributes({ sender: "local/local:local", recipient: "bench/trivial:local" }),
      },
      serviceSruid: "bench/trivial:local",
      sink: { emit: async () => {} },
      workingDirectory: service,
    });
    runner.push(performance.now() - start);
    if (final.event.kind !== "result") throw new Error(`the benchmark app failed: ${JSON.stringify(final.event)}`);
  }
  if (previousPython === undefined) delete process.env.TWINED_PYTHON;
  const bareMs = median(bare);
  const nodeMs = median(nodeAlone);
  return {
    rounds: ROUNDS,
    medianMs: {
      barePython: round(bareMs),
      askLocal: round(median(askLocal)),
      runnerInProcess: round(median(runner)),
      nodeAlone: round(nodeMs),
      version: round(median(version)),
      serviceValidate: round(median(validate)),
      unbundledAskLocal: round(median(unbundledAskLocal)),
      unbundledServiceValidate: round(median(unbundledValidate)),
    },
    ratio: {
      askLocalOverBarePython: round(median(askLocal) / bareMs),
      runnerInProcessOverBarePython: round(median(runner) / bareMs),
      versionOverNodeAlone: round(median(version) / nodeMs),
      serviceValidateOverNodeAlone: round(median(validate) / nodeMs),
      unbundledAskLocalOverBarePython: round(median(unbundledAskLocal) / bareMs),
      unbundledServiceValidateOverNodeAlone: round(median(unbundledValidate) / nodeMs),
    },
    goal: "askLocalOverBarePython ≤ 1.5; versionOverNodeAlone and serviceValidateOverNodeAlone ≤ 1.5",
  };
}
