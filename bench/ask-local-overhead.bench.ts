/**
 * The cost Twined adds around an app: `twined question ask-local` (and the runner alone, in-process) on a trivial
 * app, against a bare `python3` process calling the same `run` function, alternated in one run.
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
  const cli = path.join(packageRoot(), "dist", "cli", "main.js");
  if (!existsSync(cli)) return { error: "run `npm run build` first: this benchmark times the built CLI" };
  const service = trivialService();
  const { configuration } = parseServiceConfiguration(
    "services:\n  - namespace: bench\n    name: trivial\n",
    path.join(service, "octue.yaml"),
  );
  const input = JSON.stringify(INPUT);

  const bare: number[] = [];
  const askLocal: number[] = [];
  const runner: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(timeProcess(PYTHON, ["bare.py", input], service));
    askLocal.push(timeProcess(process.execPath, [cli, "question", "ask-local", "-i", input], service));
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
  const bareMs = median(bare);
  return {
    rounds: ROUNDS,
    medianMs: { barePython: round(bareMs), askLocal: round(median(askLocal)), runnerInProcess: round(median(runner)) },
    ratio: {
      askLocalOverBarePython: round(median(askLocal) / bareMs),
      runnerInProcessOverBarePython: round(median(runner) / bareMs),
    },
    goal: "askLocalOverBarePython ≤ 1.5",
  };
}
