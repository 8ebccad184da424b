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
  /**
   * Releases the launcher. One whose jobs run in this process (local) cancels them and waits for them to end; one
   * whose jobs run elsewhere (Kueue, Cloud Run) leaves them running: they belong to the network, not to this process.
   */
  close(): Promise<void>;
}

/** Why a job ended without its service answering, as its launcher saw it (a pod's OOM kill, an eviction, …). */
export interface JobFailure {
  /**
   * `OutOfMemory`, `Evicted`, `ImageUnavailable`, `DeadlineExceeded`, `JobDeleted`, `JobFailed` or
   * `Inadmissible`: the exception type the asker receives.
   */
  readonly type: string;
  readonly message: string;
}

/** A job as seen from outside it, by a launcher whose jobs run elsewhere (a cluster, Cloud Run). */
export type JobObservation =
  | { readonly state: "queued"; readonly position?: number; readonly detail?: string }
  | { readonly state: "running" }
  /** The job ended normally: its service's final event should be on its way or recorded. */
  | { readonly state: "succeeded" }
  | { readonly state: "failed"; readonly failure: JobFailure };

/**
 * A launcher whose jobs live outside this process, so the question reconciler has to ask how they are doing. A
 * question whose UUID is missing from the map has no job.
 */
export interface ObservableJobLauncher extends JobLauncher {
  /** Every job of this network that still exists, by lowercase question UUID; `endedAt` for jobs that ended. */
  observeJobs(): Promise<ReadonlyMap<string, JobObservation & { readonly endedAt?: string }>>;
  /** Removes a question's job without telling its asker (the reconciler has already); `false` if there was none. */
  release?(questionUuid: string): Promise<boolean>;
}
