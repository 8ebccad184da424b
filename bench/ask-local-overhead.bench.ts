/**
 * The cost Twined adds around an app: `twined question ask-local` (and the runner alone, in-process) on a trivial
 * app, against a bare `python3` process calling the same `run` function, alternated in one run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { answerQuestion } from "../runtime/runner/answer-question.js";
import { parseServiceConfiguration } from "../shared/config/index.js";
import { createQuestionAttributes } from "../shared/events/index.js";
import { packageRoot } from "../shared/package-root.js";

const ROUNDS = 15;
const INPUT = { numbers: [1, 2, 3, 4, 5] };

function trivialService(): string {
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function timeProcess(command: string, args: string[], cwd: string): number {
  const start = performance.now();
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
  return elapsed;
}

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
    bare.push(timeProcess("python3", ["bare.py", input], service));
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

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
