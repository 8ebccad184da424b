import { QuestionJobFailed } from "../../errors/index.js";
import type { EventBus, QuestionRecord, QuestionStore } from "../../ports/index.js";
import type { QuestionStatus } from "../../questions/index.js";
import type { KueueLauncher } from "../kueue-launcher/handler.js";
import { publishExceptionFor, publishQuestionReference } from "../publish-event.js";
import type { TopicNames } from "../topic-names.js";

export interface RestartRecoveryDependencies {
  readonly questions: QuestionStore;
  readonly bus: EventBus;
  readonly topics: TopicNames;
  /** The launcher handler, which launches lost jobs again (idempotently). */
  readonly launcher: KueueLauncher;
  /** When this network started (ISO 8601): only questions asked before it are another network's leftovers. */
  readonly startedAt: string;
}

/** What a recovery did, by question. */
export interface RestartRecoveryReport {
  /** Questions sent on their way again: validated again, or launched again. */
  readonly resumed: { readonly questionUuid: string; readonly from: QuestionStatus }[];
  /** Questions that were running when the network stopped, now failed. */
  readonly failed: { readonly questionUuid: string }[];
}

/** At most this many questions of each status are recovered at a start; more would be a network of another scale. */
const RECOVERY_LIMIT = 10_000;

/** The cause a question gets when it was running in a network that stopped. */
export const NETWORK_STOPPED = {
  type: "NetworkStopped",
  message:
    "the network stopped while the question ran (its job ran in the network's process, or was watched by it), so the service's answer was lost; ask it again",
} as const;

/**
 * Brings every question a network left unfinished when it stopped (a crash, a kill, a power cut) to an end or on its
 * way again, for a network whose jobs ran in its own process or under its watch (the local launcher): nothing else
 * will. A received or validated question's message may have been lost with the in-memory bus, so it is published
 * again (the handlers ignore what they have already done); a dispatched or queued one is launched again (its place in
 * the queue was in memory); a running one lost its job with the process, so it fails with `NetworkStopped` and its
 * asker gets an `exception` event.
 */
export async function recoverAfterRestart(deps: RestartRecoveryDependencies): Promise<RestartRecoveryReport> {
  const report: RestartRecoveryReport = { resumed: [], failed: [] };
  const unfinished = async (status: QuestionStatus) =>
    (await deps.questions.list({ status, limit: RECOVERY_LIMIT })).filter(
      (question) => Date.parse(question.createdAt) < Date.parse(deps.startedAt),
    );
  for (const question of await unfinished("running")) await failRunning(deps, question, report);
  for (const [status, topic] of [
    ["received", deps.topics.accepted],
    ["validated", deps.topics.validated],
  ] as const) {
    for (const question of await unfinished(status)) {
      await publishQuestionReference(deps.bus, topic, { question_uuid: question.questionUuid });
      report.resumed.push({ questionUuid: question.questionUuid, from: status });
    }
  }
  // In the order they were asked, so the queue comes back as it was.
  const waiting = [...(await unfinished("dispatched")), ...(await unfinished("queued"))].sort((a, b) =>
    a.createdAt.localeCompare(b.createdAt),
  );
  for (const question of waiting) {
    await deps.launcher.relaunchLost(question.questionUuid);
    report.resumed.push({ questionUuid: question.questionUuid, from: question.status });
  }
  return report;
}

async function failRunning(
  deps: RestartRecoveryDependencies,
  question: QuestionRecord,
  report: RestartRecoveryReport,
): Promise<void> {
  const error = new QuestionJobFailed(question.questionUuid, NETWORK_STOPPED);
  const { applied } = await deps.questions.transition(question.questionUuid, "failed", {
    error: { type: error.name, message: error.message },
  });
  if (!applied) return;
  report.failed.push({ questionUuid: question.questionUuid });
  await publishExceptionFor(deps.bus, deps.topics.services, question.attributes, error);
}
