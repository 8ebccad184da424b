import { QuestionJobFailed } from "../../errors/index.js";
import type {
  EventBus,
  JobFailure,
  JobLauncher,
  JobObservation,
  Logger,
  ObservableJobLauncher,
  QuestionRecord,
  QuestionStore,
} from "../../ports/index.js";
import { processLogger } from "../../ports/index.js";
import type { QuestionStatus } from "../../questions/index.js";
import { publishExceptionFor, publishQuestionReference, type TopicNames } from "../index.js";
import { RetrySchedule } from "./retry-schedule.js";

export interface QuestionReconcilerSettings {
  /** How long a job that has ended may wait for its service's final event before the question is failed. */
  readonly finalEventGraceSeconds: number;
  /** How long a dispatched question may have no job (its launch still on its way) before it counts as lost. */
  readonly launchGraceSeconds: number;
  /** A running question with no heartbeat for this long has a service that hung or died unseen. */
  readonly heartbeatLimitSeconds: number;
  /**
   * How long a question may stay `received` or `validated` before its message is taken to be lost (the intake or the
   * validator stopped between writing the question and sending it on) and is sent again.
   */
  readonly stallGraceSeconds: number;
  /** The longest wait between two attempts to send on or launch one lost question; the first waits a grace period. */
  readonly maxRetryIntervalSeconds: number;
  /** At most this many questions of each active status are looked at in one pass. */
  readonly batchSize: number;
}

export const DEFAULT_RECONCILER_SETTINGS: QuestionReconcilerSettings = {
  finalEventGraceSeconds: 30,
  launchGraceSeconds: 120,
  heartbeatLimitSeconds: 600,
  stallGraceSeconds: 120,
  maxRetryIntervalSeconds: 3600,
  batchSize: 500,
};

export interface QuestionReconcilerDependencies {
  readonly questions: QuestionStore;
  readonly bus: EventBus;
  readonly topics: TopicNames;
  readonly launcher: JobLauncher;
  /**
   * Launches a dispatched or queued question again, idempotently (the launcher handler's `relaunchLost`): for one whose
   * job was never made (its launch was lost) or is gone before it ran (a cluster recreated). Without it such questions
   * fail with `JobDeleted`.
   */
  readonly relaunch?: (questionUuid: string) => Promise<void>;
  readonly settings?: Partial<QuestionReconcilerSettings>;
  readonly now?: () => number;
  /** Where a question's trouble during a pass is logged; by default the process's logger. */
  readonly log?: Logger;
}

/** What one pass did, for logs and the scheduled function's response. */
export interface ReconcileReport {
  readonly examined: number;
  readonly moved: { readonly questionUuid: string; readonly to: QuestionStatus }[];
  readonly failed: { readonly questionUuid: string; readonly type: string; readonly message: string }[];
  /** Questions sent on again (from `received` or `validated`) or launched again (from `dispatched` or `queued`). */
  readonly resumed: { readonly questionUuid: string; readonly from: QuestionStatus }[];
}

/** Where a question waits while its message is in flight, and the topic that takes it on from there. */
const STALLABLE = [
  ["received", "accepted"],
  ["validated", "validated"],
] as const;

const ACTIVE: readonly QuestionStatus[] = ["dispatched", "queued", "running"];

const JOB_DELETED: JobFailure = {
  type: "JobDeleted",
  message: "its job no longer exists (it was deleted, or removed after it ended) and the service never answered",
};

/** A question's retries start afresh at each status it reaches. */
function retryKey(question: QuestionRecord): string {
  return `${question.status} ${question.questionUuid}`;
}

export function isObservable(launcher: JobLauncher): launcher is ObservableJobLauncher {
  return typeof (launcher as Partial<ObservableJobLauncher>).observeJobs === "function";
}

/**
 * Brings questions in line with their jobs, which run out of sight (a cluster, Cloud Run): moves them to `queued` and
 * `running` as their jobs are admitted and start, and fails those whose job ended without an answer (OOM kill,
 * eviction, missing image, deleted Job) or whose heartbeats stopped, telling the asker why with an `exception`
 * event. Octue's parents learn of such deaths only when their own heartbeat timeout fires; here the question ends
 * with its cause.
 *
 * It also picks up what a crash dropped, so no question is left with nothing responsible for it: a question stuck
 * `received` or `validated` (its message never sent) is sent on again, and a `dispatched` or `queued` one with no job
 * (its launch lost, or its Job gone with its cluster before it ran) is launched again. Each is retried with a doubling
 * wait; the handlers and launchers drop what they have already done. Every change is a compare-and-set, so
 * overlapping passes and late events are harmless.
 */
export class QuestionReconciler {
  private readonly settings: QuestionReconcilerSettings;
  private readonly now: () => number;
  /** When each lost question may next be sent on or launched again (per instance: a cold start only retries sooner). */
  private readonly retries: RetrySchedule;

  constructor(private readonly deps: QuestionReconcilerDependencies) {
    this.settings = { ...DEFAULT_RECONCILER_SETTINGS, ...deps.settings };
    this.now = deps.now ?? Date.now;
    this.retries = new RetrySchedule(this.settings.maxRetryIntervalSeconds * 1000);
  }

  async reconcile(): Promise<ReconcileReport> {
    const list = (status: QuestionStatus) => this.deps.questions.list({ status, limit: this.settings.batchSize });
    const [stalled, active] = await Promise.all([
      Promise.all(STALLABLE.map(([status]) => list(status))).then((lists) => lists.flat()),
      Promise.all(ACTIVE.map(list)).then((lists) => lists.flat()),
    ]);
    const report: ReconcileReport = { examined: stalled.length + active.length, moved: [], failed: [], resumed: [] };
    this.retries.keepOnly(new Set([...stalled, ...active].map(retryKey)));
    await this.each(stalled, (question) => this.sendOnIfStalled(question, report));
    if (active.length === 0) return report;
    const launcher = this.deps.launcher;
    const observations = isObservable(launcher) ? await launcher.observeJobs() : undefined;
    await this.each(active, (question) => this.reconcileQuestion(question, observations, report));
    return report;
  }

  private async each(questions: QuestionRecord[], reconcile: (question: QuestionRecord) => Promise<void>) {
    for (const question of questions) {
      try {
        await reconcile(question);
      } catch (error) {
        // One question's trouble (a store hiccup) must not stop the pass; the next pass tries it again.
        (this.deps.log ?? processLogger()).error(`question-reconciler: ${question.questionUuid}: ${String(error)}`, {
          labels: { question_uuid: question.questionUuid },
        });
      }
    }
  }

  private async sendOnIfStalled(question: QuestionRecord, report: ReconcileReport): Promise<void> {
    const status = question.status;
    const topic = STALLABLE.find(([stallable]) => stallable === status)?.[1];
    if (topic === undefined) return;
    const since = question.statusTimes[status] ?? question.updatedAt;
    if (!this.due(question, since, this.settings.stallGraceSeconds)) return;
    await publishQuestionReference(this.deps.bus, this.deps.topics[topic], { question_uuid: question.questionUuid });
    report.resumed.push({ questionUuid: question.questionUuid, from: status });
  }

  /** Whether a question lost since `since` is due another attempt now; if so, the next one waits twice as long. */
  private due(question: QuestionRecord, since: string, graceSeconds: number): boolean {
    if (this.ageSeconds(since) < graceSeconds) return false;
    return this.retries.take(retryKey(question), this.now(), graceSeconds * 1000);
  }

  /**
   * Launches again a question whose job was never made or is gone before it ran (without a way to, fails it). A
   * dispatched question's job may still be on its way, so it waits the launch grace first.
   */
  private async relaunchOrFail(question: QuestionRecord, report: ReconcileReport): Promise<void> {
    const graceSeconds = this.settings.launchGraceSeconds;
    const since = question.statusTimes.dispatched ?? question.updatedAt;
    if (question.status === "dispatched" && this.ageSeconds(since) < graceSeconds) return;
    const relaunch = this.deps.relaunch;
    if (relaunch === undefined) return this.fail(question, report, JOB_DELETED);
    if (!this.retries.take(retryKey(question), this.now(), graceSeconds * 1000)) return;
    await relaunch(question.questionUuid);
    report.resumed.push({ questionUuid: question.questionUuid, from: question.status });
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
        // A dispatched question's Job may not have been created yet, or its launch was lost; a queued one's Job went
        // before it ran (deleted, or with its cluster). Neither ran, so launching again is safe. A running one's job
        // was deleted while it ran, by a person or by its TTL after its final event was lost: that one failed.
        if (question.status === "running") await this.fail(question, report, JOB_DELETED);
        else await this.relaunchOrFail(question, report);
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
