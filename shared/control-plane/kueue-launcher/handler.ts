import { NonRetryableError, QuestionNotFound } from "../../errors/index.js";
import { parseServiceId } from "../../identity/index.js";
import { definedProperties } from "../../objects/index.js";
import type {
  BusMessage,
  EventBus,
  JobLauncher,
  JobObserver,
  QuestionRecord,
  QuestionStore,
  RevisionStore,
} from "../../ports/index.js";
import { decodeQuestionReference, publishExceptionFor, type TopicNames } from "../index.js";

export interface KueueLauncherDependencies {
  readonly questions: QuestionStore;
  readonly revisions: RevisionStore;
  readonly launcher: JobLauncher;
  readonly bus: EventBus;
  readonly topics: TopicNames;
}

/**
 * Turns validated questions into jobs through the `JobLauncher` port (local processes here, Kueue or Cloud Run in the
 * cloud), exactly once per question however often the message arrives, and passes cancellations on to the launcher.
 */
export class KueueLauncher {
  constructor(private readonly deps: KueueLauncherDependencies) {}

  /**
   * Moves questions to `queued` as their jobs wait for resources; pass it to the launcher. A job's start is not
   * written: its runner's first event (sent before the app starts) makes the question `running`, in the same write
   * as the event.
   */
  static observer(questions: QuestionStore): JobObserver {
    return {
      onQueued: (questionUuid) => void questions.transition(questionUuid, "queued").catch(() => {}),
    };
  }

  async handleValidated(message: BusMessage): Promise<void> {
    const { question_uuid: questionUuid } = decodeQuestionReference(message.data);
    const question = await this.deps.questions.get(questionUuid);
    if (question === undefined) throw new QuestionNotFound(questionUuid);
    // `dispatched` again means an earlier attempt may have died before launching: launching is idempotent.
    if (question.status !== "validated" && question.status !== "dispatched") return;
    if (question.status === "validated") {
      const { applied } = await this.deps.questions.transition(questionUuid, "dispatched");
      if (!applied) return;
    }
    await this.launch(question);
  }

  /**
   * Launches again a question whose job was lost before it ran: with the process that ran it (a network on this
   * machine that stopped while the question waited for resources or was being launched), with a launch that died
   * half-way, or with a cluster that was recreated. The launcher drops a launch whose job exists, so this never runs a
   * question twice. Does nothing for a question that is neither dispatched nor queued.
   */
  async relaunchLost(questionUuid: string): Promise<void> {
    const question = await this.deps.questions.get(questionUuid);
    if (question === undefined) throw new QuestionNotFound(questionUuid);
    if (question.status !== "dispatched" && question.status !== "queued") return;
    await this.launch(question);
  }

  private async launch(question: QuestionRecord): Promise<void> {
    const questionUuid = question.questionUuid;
    const id = parseServiceId(question.recipient, { requireRevisionTag: true });
    const revision = await this.deps.revisions.get(id.namespace, id.name, id.revisionTag);
    try {
      if (revision === undefined)
        throw new NonRetryableError(`the revision ${question.recipient} is no longer registered`);
      await this.deps.launcher.launch({
        question: { event: question.question, attributes: question.attributes },
        revision,
        priority: question.priority,
        cpus: question.resources.cpus,
        ...definedProperties({
          memory: question.resources.memory,
          ephemeralStorage: question.resources.ephemeralStorage,
          timeoutSeconds: question.timeoutSeconds,
        }),
      });
    } catch (error) {
      if (!(error instanceof NonRetryableError)) throw error;
      const { applied } = await this.deps.questions.transition(questionUuid, "failed", {
        error: { type: error.name, message: error.message },
      });
      if (applied) await publishExceptionFor(this.deps.bus, this.deps.topics.services, question.attributes, error);
    }
  }

  async handleCancellation(message: BusMessage): Promise<void> {
    const { question_uuid: questionUuid, reason } = decodeQuestionReference(message.data);
    await this.deps.launcher.cancel(questionUuid, reason);
  }
}
