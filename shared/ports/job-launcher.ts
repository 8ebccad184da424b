import type { ParentEventEnvelope, QuestionEvent } from "../events/index.js";
import type { RevisionRecord } from "./revision-store.js";

/** Everything needed to run one question's job. */
export interface JobSpec {
  readonly question: ParentEventEnvelope<QuestionEvent>;
  /** The revision that answers it: where its code is. */
  readonly revision: RevisionRecord;
  /** Higher is admitted first when the quota is full (Kueue's WorkloadPriorityClass value). */
  readonly priority: number;
  readonly cpus: number;
  readonly memory?: string;
  readonly ephemeralStorage?: string;
  readonly timeoutSeconds?: number;
}

/** Where a job is in its life, as its launcher sees it. */
export type JobPhase = "queued" | "running" | "finished";

/** What the launcher tells the control plane about its jobs, besides the events the jobs themselves send. */
export interface JobObserver {
  /** The job is waiting for quota. */
  onQueued?(questionUuid: string): void;
  /** The job has been admitted and its process or pod started. */
  onStarted?(questionUuid: string): void;
  /** The job ended (answered, failed, or cancelled); `exitCode` when a process exit is known. */
  onFinished?(questionUuid: string, outcome: { readonly exitCode: number | null; readonly cancelled: boolean }): void;
}

/**
 * Runs questions' jobs: locally as processes under a CPU quota, on Kubernetes through Kueue, or as Cloud Run jobs.
 * `launch` is idempotent by question UUID, so a redelivered launch request never starts a second job.
 */
export interface JobLauncher {
  /** Resolves once the job is queued or started; `launched: false` if a job for this question already exists. */
  launch(job: JobSpec): Promise<{ readonly launched: boolean }>;
  /** Stops a queued or running job; resolves `false` if there is no such job or it already finished. */
  cancel(questionUuid: string, reason?: string): Promise<boolean>;
  phase(questionUuid: string): JobPhase | undefined;
  /** Cancels every job and waits for them to end. */
  close(): Promise<void>;
}
