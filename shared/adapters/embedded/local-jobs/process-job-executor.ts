import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { twinedCommand } from "../../../package-root.js";
import type { JobContext, JobExecutor, JobSpec, RunningJob } from "../../../ports/index.js";
import { activeTraceparent, TRACEPARENT_ENVIRONMENT } from "../../../tracing/index.js";

export interface ProcessJobExecutorOptions {
  /** The command that answers a question; defaults to this installation's `twined service answer`. */
  readonly command?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** How long a stopped job's process has to end before it is killed. */
  readonly terminationGraceMs?: number;
  /**
   * Warm starts kept by this process for its jobs (the runtime's `WarmStartBroker`): each job gets the variables that
   * lead it there, and they are stopped with the executor.
   */
  readonly warmStarts?: { jobEnvironment(): Record<string, string>; close(): Promise<void> };
}

/** Runs each job as its own `twined service answer` process, reading its events from its stdout (one per line). */
export class ProcessJobExecutor implements JobExecutor {
  constructor(private readonly options: ProcessJobExecutorOptions = {}) {}

  start(spec: JobSpec, context: JobContext): RunningJob {
    const questionFile = path.join(context.directory, "question.json");
    writeFileSync(questionFile, JSON.stringify(spec.question));
    const serviceDirectory = spec.revision.source.kind === "directory" ? spec.revision.source.path : ".";
    const [command = process.execPath, ...prefix] = this.options.command ?? twinedCommand();
    const args = [
      ...prefix,
      "service",
      "answer",
      "--question",
      `@${questionFile}`,
      "--service-config",
      path.join(serviceDirectory, "octue.yaml"),
      "--heartbeat-interval",
      String(context.heartbeatIntervalSeconds),
      ...(spec.timeoutSeconds === undefined ? [] : ["--timeout", String(spec.timeoutSeconds)]),
      ...(context.networkUrl === undefined ? [] : ["--network", context.networkUrl]),
    ];
    // The job's trace context (the launcher starts it in the job's span), which the runner continues.
    const traceparent = activeTraceparent();
    const child = spawn(command, args, {
      cwd: serviceDirectory,
      env: {
        ...(this.options.env ?? process.env),
        NO_COLOR: "1",
        ...this.options.warmStarts?.jobEnvironment(),
        OCTUE_SERVICE_REVISION_TAG: spec.revision.revisionTag,
        ...(context.networkToken === undefined ? {} : { TWINED_TOKEN: context.networkToken }),
        ...(traceparent === undefined ? {} : { [TRACEPARENT_ENVIRONMENT]: traceparent }),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stderr?.setEncoding("utf8").on("data", (text: string) => context.output(text));
    const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
    lines.on("line", (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        context.output(`${line}\n`);
        return;
      }
      context.emit(parsed);
    });
    child.on("error", (error) => context.output(`cannot start the job: ${error.message}\n`));
    const ended = new Promise<{ exitCode: number | null }>((resolve) => {
      child.on("close", (exitCode) => resolve({ exitCode }));
    });
    return {
      ended,
      stop: () => {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), this.options.terminationGraceMs ?? 10_000);
        void ended.then(() => clearTimeout(killer));
      },
    };
  }

  async close(): Promise<void> {
    await this.options.warmStarts?.close();
  }
}
