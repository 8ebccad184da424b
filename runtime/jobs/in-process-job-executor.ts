import { readFileSync } from "node:fs";
import path from "node:path";
import { loadServiceConfiguration } from "../../shared/config/index.js";
import { definedProperties } from "../../shared/objects/index.js";
import type { JobContext, JobExecutor, JobSpec, RunningJob } from "../../shared/ports/index.js";
import { JsonSource, loadTwine, type Twine } from "../../shared/twine/index.js";
import { NetworkChildAsker } from "../children/network-child-asker.js";
import { answerQuestion } from "../runner/answer-question.js";
import type { RunnerDatasets } from "../runner/datasets.js";
import type { PrestartOptions } from "../runner/prestarted-harness.js";
import { resolvedPython } from "../runner/python-interpreter.js";
import { SpareHarnesses, type SpareHarnessesOptions } from "../runner/spare-harnesses.js";
import { WarmStarts } from "../runner/warm-starts.js";

export interface InProcessJobExecutorOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Where the network's datasets are read and written; asked once per job, when it starts. */
  readonly datasets?: () => Promise<RunnerDatasets | undefined>;
  /** How long a stopped job's app has to end before it is killed. */
  readonly terminationGraceMs?: number;
  /**
   * Warm starts for every service (`twined dev --warm-starts`): each question's app process is forked from a Python
   * that already imported the revision's app. Without it, only services whose octue.yaml says `warm_start: true`.
   */
  readonly warmStarts?: boolean;
  /** Where zygotes' own output and the reasons for cold starts go; default stderr. */
  readonly log?: (text: string) => void;
  /**
   * Whether a revision keeps a Python harness started for its next question (spare-harnesses.ts), and how many and
   * for how long; `false` starts each question's Python when the question arrives. Default on.
   */
  readonly spareHarnesses?: boolean | SpareHarnessesOptions;
}

/**
 * Runs each job's runner inside the network's own process; only the app gets a (Python) process of its own. Starting
 * a question costs a Python start instead of a Node start as well, and compiled twines are reused between questions.
 */
export class InProcessJobExecutor implements JobExecutor {
  private readonly twines = new Map<string, Twine>();
  private warmStarts: WarmStarts | undefined;
  private readonly spares: SpareHarnesses | undefined;

  constructor(private readonly options: InProcessJobExecutorOptions = {}) {
    const spares = options.spareHarnesses ?? true;
    if (spares !== false) this.spares = new SpareHarnesses(spares === true ? {} : spares);
  }

  start(spec: JobSpec, context: JobContext): RunningJob {
    if (spec.revision.source.kind !== "directory") throw new Error(`${spec.revision.sruid} has no service folder`);
    const directory = spec.revision.source.path;
    const { configuration } = loadServiceConfiguration(path.join(directory, "octue.yaml"));
    const twine = this.twine(configuration.twinePath);
    const warmStarts = this.options.warmStarts === true || configuration.warmStart ? this.warmStartPool() : undefined;
    // Credentials from the twine change a question's environment, and so need a process of their own.
    const spares = warmStarts === undefined && (twine.credentials ?? []).length === 0 ? this.spares : undefined;
    const fresh = { ...(this.options.env ?? process.env), OCTUE_SERVICE_REVISION_TAG: spec.revision.revisionTag };
    const harness = spares === undefined ? undefined : spareOptions(directory, fresh);
    const spare = harness === undefined ? undefined : spares?.take(spec.revision.sruid, harness);
    const cancellation = new AbortController();
    const answering = async () =>
      answerQuestion({
        configuration,
        twine,
        question: spec.question,
        serviceSruid: spec.revision.sruid,
        sink: { emit: async (envelope) => context.emit(envelope) },
        ...(context.networkUrl === undefined
          ? {}
          : { childAsker: new NetworkChildAsker(context.networkUrl, context.networkToken) }),
        heartbeatIntervalMs: context.heartbeatIntervalSeconds * 1000,
        ...definedProperties({
          timeoutSeconds: spec.timeoutSeconds,
          terminationGraceMs: this.options.terminationGraceMs,
          datasets: await this.options.datasets?.(),
          warmStarts,
          prestarted: spare?.prestarted,
        }),
        signal: cancellation.signal,
        workingDirectory: directory,
        env: spare?.env ?? fresh,
        onOutput: (_stream, text) => context.output(text),
      });
    const answered = answering().finally(() => {
      // Made now, once this question no longer needs the CPU, for the revision's next one; the interpreter is known
      // by then (the runner found it for this question).
      const next = spares === undefined ? undefined : spareOptions(directory, fresh);
      if (next !== undefined) spares?.replenish(spec.revision.sruid, next);
    });
    const ended = answered.then(
      (final) => ({ exitCode: final.event.kind === "result" ? 0 : 1 }),
      (error: unknown) => {
        context.output(`the runner failed: ${error instanceof Error ? error.message : String(error)}\n`);
        return { exitCode: null };
      },
    );
    return { ended, stop: (reason) => cancellation.abort(reason) };
  }

  /** Stops the revisions' zygotes (warm starts) and spare harnesses; the launcher has stopped the jobs by then. */
  async close(): Promise<void> {
    await Promise.all([this.warmStarts?.close(), this.spares?.close()]);
  }

  private warmStartPool(): WarmStarts {
    this.warmStarts ??= new WarmStarts(definedProperties({ log: this.options.log }));
    return this.warmStarts;
  }

  /** The twine, compiled once per content: revisions are immutable, and compiling is most of a question's start. */
  private twine(file: string): Twine {
    const text = readFileSync(file, "utf8");
    let twine = this.twines.get(text);
    if (twine === undefined) {
      twine = loadTwine(JsonSource.contents(text, file));
      this.twines.set(text, twine);
    }
    return twine;
  }
}

/**
 * How the runner would start a question's harness in `directory` with `env` (answer-question.ts), when it already
 * knows which interpreter `$TWINED_PYTHON` or `python3` runs there; until then, no spare.
 */
function spareOptions(directory: string, env: NodeJS.ProcessEnv): PrestartOptions | undefined {
  const cwd = path.resolve(directory);
  const python = resolvedPython(env.TWINED_PYTHON ?? "python3", cwd, env);
  return python === undefined ? undefined : { python, cwd, env };
}
