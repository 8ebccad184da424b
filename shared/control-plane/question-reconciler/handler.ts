import { QuestionJobFailed } from "../../errors/index.js";
import type {
  EventBus,
  JobFailure,
  JobLauncher,
  JobObservation,
  ObservableJobLauncher,
  QuestionRecord,
  QuestionStore,
} from "../../ports/index.js";
import type { QuestionStatus } from "../../questions/index.js";
import { publishExceptionFor, type TopicNames } from "../index.js";

export interface QuestionReconcilerSettings {
  /** How long a job that has ended may wait for its service's final event before the question is failed. */
  readonly finalEventGraceSeconds: number;
  /** How long a dispatched question may have no job (its launch still on its way) before it counts as lost. */
  readonly launchGraceSeconds: number;
  /** A running question with no heartbeat for this long has a service that hung or died unseen. */
  readonly heartbeatLimitSeconds: number;
  /** At most this many questions of each active status are looked at in one pass. */
  readonly batchSize: number;
}

export const DEFAULT_RECONCILER_SETTINGS: QuestionReconcilerSettings = {
  finalEventGraceSeconds: 30,
  launchGraceSeconds: 120,
  heartbeatLimitSeconds: 600,
  batchSize: 500,
};

export interface QuestionReconcilerDependencies {
  readonly questions: QuestionStore;
  readonly bus: EventBus;
  readonly topics: TopicNames;
  readonly launcher: JobLauncher;
  readonly settings?: Partial<QuestionReconcilerSettings>;
  readonly now?: () => number;
}

/** What one pass did, for logs and the scheduled function's response. */
export interface ReconcileReport {
  readonly examined: number;
  readonly moved: { readonly questionUuid: string; readonly to: QuestionStatus }[];
  readonly failed: { readonly questionUuid: string; readonly type: string; readonly message: string }[];
}

const ACTIVE: readonly QuestionStatus[] = ["dispatched", "queued", "running"];

export function isObservable(launcher: JobLauncher): launcher is ObservableJobLauncher {
  return typeof (launcher as Partial<ObservableJobLauncher>).observeJobs === "function";
}

/**
 * Brings questions in line with their jobs, which run out of sight (a cluster, Cloud Run): moves them to `queued` and
 * `running` as their jobs are admitted and start, and fails those whose job ended without an answer (OOM kill,
 * eviction, missing image, deleted Job) or whose heartbeats stopped, telling the asker why with an `exception`
 * event. Octue's parents learn of such deaths only when their own heartbeat timeout fires; here the question ends
 * with its cause. Every change is a compare-and-set, so overlapping passes and late events are harmless.
 */
export class QuestionReconciler {
  private readonly settings: QuestionReconcilerSettings;
  private readonly now: () => number;

  constructor(private readonly deps: QuestionReconcilerDependencies) {
    this.settings = { ...DEFAULT_RECONCILER_SETTINGS, ...deps.settings };
    this.now = deps.now ?? Date.now;
  }

  async reconcile(): Promise<ReconcileReport> {
    const active = (
      await Promise.all(ACTIVE.map((status) => this.deps.questions.list({ status, limit: this.settings.batchSize })))
    ).flat();
    const report: ReconcileReport = { examined: active.length, moved: [], failed: [] };
    if (active.length === 0) return report;
    const launcher = this.deps.launcher;
    const observations = isObservable(launcher) ? await launcher.observeJobs() : undefined;
    for (const question of active) {
      try {
        await this.reconcileQuestion(question, observations, report);
      } catch (error) {
        // One question's trouble (a store hiccup) must not stop the pass; the next pass tries it again.
        console.error(`question-reconciler: ${question.questionUuid}: ${String(error)}`);
      }
    }
    return report;
  }

  private async reconcileQuestion(
    question: QuestionRecord,
    observations: ReadonlyMap<string, JobObservation & { readonly endedAt?: string }> | undefined,
    report: ReconcileReport,
  ): Promise<void> {
    const questionUuid = question.questionUuid;
    if (observations !== undefined) {
      const observation = observations.get(questionUuid.toLowerCase()) ?? observations.get(questionUuid);
      if (observation === undefined) {
        // A dispatched question's Job may not have been created yet. Once a job was seen (queued) or its service
        // spoke (running), a missing one was deleted: by a person, or by its TTL after its final event was lost.
        const launching = question.status === "dispatched";
        const since = question.statusTimes.dispatched ?? question.updatedAt;
        if (launching && this.ageSeconds(since) < this.settings.launchGraceSeconds) return;
        await this.fail(question, report, {
          type: "JobDeleted",
          message:
            "its job no longer exists (it was deleted, or removed after it ended) and the service never answered",
        });
        return;
      }
      switch (observation.state) {
        case "queued":
          if (question.status === "dispatched") await this.move(question, "queued", report);
          return;
        case "running":
          if (question.status !== "running") await this.move(question, "running", report);
          break;
        case "succeeded":
        case "failed": {
          const endedAt = observation.endedAt;
          if (endedAt !== undefined && this.ageSeconds(endedAt) < this.settings.finalEventGraceSeconds) return;
          await this.fail(
            question,
            report,
            observation.state === "failed"
              ? observation.failure
              : { type: "ServiceCrashed", message: "its job ended without the service sending an answer" },
          );
          return;
        }
      }
    }
    if (question.status === "running" || observations?.get(questionUuid)?.state === "running") {
      await this.checkHeartbeats(question, report);
    }
  }

  private async checkHeartbeats(question: QuestionRecord, report: ReconcileReport): Promise<void> {
    const limit = this.settings.heartbeatLimitSeconds;
    const since = question.statusTimes.running ?? question.updatedAt;
    if (this.ageSeconds(since) < limit) return;
    const signs = await this.deps.questions.events({
      questionUuid: question.questionUuid,
      kinds: ["heartbeat", "delivery_acknowledgement"],
    });
    const last = signs.at(-1)?.recordedAt ?? since;
    if (this.ageSeconds(last) < limit) return;
    await this.fail(question, report, {
      type: "HeartbeatsStopped",
      message: `its service sent no heartbeat for ${Math.round(this.ageSeconds(last))} s (the limit is ${limit} s), so it is taken to have hung or died`,
    });
  }

  private async move(question: QuestionRecord, to: QuestionStatus, report: ReconcileReport): Promise<void> {
    const { applied } = await this.deps.questions.transition(question.questionUuid, to);
    if (applied) report.moved.push({ questionUuid: question.questionUuid, to });
  }

  private async fail(question: QuestionRecord, report: ReconcileReport, failure: JobFailure): Promise<void> {
    const error = new QuestionJobFailed(question.questionUuid, failure);
    const status = failure.type === "DeadlineExceeded" ? "timed_out" : "failed";
    const { applied } = await this.deps.questions.transition(question.questionUuid, status, {
      error: { type: error.name, message: error.message },
    });
    if (!applied) return;
    report.failed.push({ questionUuid: question.questionUuid, type: failure.type, message: failure.message });
    await publishExceptionFor(this.deps.bus, this.deps.topics.services, question.attributes, error);
    // A job stuck pulling its image or hung would otherwise hold its quota until someone noticed.
    const launcher = this.deps.launcher;
    if (isObservable(launcher) && launcher.release !== undefined) await launcher.release(question.questionUuid);
  }

  private ageSeconds(iso: string): number {
    return (this.now() - Date.parse(iso)) / 1000;
  }
}
