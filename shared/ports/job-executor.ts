import type { JobSpec } from "./job-launcher.js";

/** What a job has to work with once the local launcher has admitted it. */
export interface JobContext {
  /** A folder of the job's own (`<jobs directory>/<question uuid>`), already created. */
  readonly directory: string;
  /** The network's HTTP address, for apps that ask children. */
  readonly networkUrl: string | undefined;
  /** The bearer token that address requires (a network reachable beyond loopback), if any. */
  readonly networkToken?: string | undefined;
  readonly heartbeatIntervalSeconds: number;
  /** Passes on one of the job's events; anything that is not a valid event of this question is treated as output. */
  emit(envelope: unknown): void;
  /** What the app printed, and the runner's own warnings. */
  output(text: string): void;
}

export interface RunningJob {
  /** Asks the job to stop (a cancellation); `ended` still resolves when it has. */
  stop(reason: string): void;
  /** `exitCode` is the process's, or 0/1 for a job run in-process. */
  readonly ended: Promise<{ readonly exitCode: number | null }>;
}

/**
 * Runs an admitted question: as a `twined service answer` process (full isolation) or inside the network's own
 * process (a much quicker start; the app still runs in its own Python process).
 */
export interface JobExecutor {
  start(spec: JobSpec, context: JobContext): RunningJob;
  /** Releases what the executor keeps between jobs (e.g. warm-start processes); called once its jobs have ended. */
  close?(): Promise<void>;
}
