import { QuestionNotFound, RevisionNotFound, TwinedError } from "../../errors/index.js";
import { parseServiceId } from "../../identity/index.js";
import type { BusMessage, EventBus, QuestionStore, RevisionRecord, RevisionStore } from "../../ports/index.js";
import { JsonSource, loadTwine, type Twine } from "../../twine/index.js";
import { decodeQuestionReference, publishExceptionFor, publishQuestionReference, type TopicNames } from "../index.js";

export interface TwineValidatorDependencies {
  readonly questions: QuestionStore;
  readonly revisions: RevisionStore;
  readonly bus: EventBus;
  readonly topics: TopicNames;
}

/**
 * Checks each accepted question's inputs and children against its revision's twine before anything is launched. An
 * invalid question is `rejected` and its asker gets an `exception` event at once; a valid one goes to the launcher.
 */
export class TwineValidator {
  // Compiled validators live in each Twine, so one Twine per revision registration keeps them warm.
  private readonly twines = new Map<string, Twine>();

  constructor(private readonly deps: TwineValidatorDependencies) {}

  async handle(message: BusMessage): Promise<void> {
    const { question_uuid: questionUuid } = decodeQuestionReference(message.data);
    const question = await this.deps.questions.get(questionUuid);
    if (question === undefined) throw new QuestionNotFound(questionUuid);
    // A redelivery after validation: make sure the launcher heard about it, and do nothing else.
    if (question.status === "validated") return this.forward(questionUuid);
    if (question.status !== "received") return;

    const id = parseServiceId(question.recipient, { requireRevisionTag: true });
    const revision = await this.deps.revisions.get(id.namespace, id.name, id.revisionTag);
    try {
      if (revision === undefined) {
        throw new RevisionNotFound(question.recipient, "the revision was removed after the question was accepted");
      }
      const children = question.question.children;
      this.twineOf(revision).validate({
        input_values: question.question.input_values ?? null,
        input_manifest: question.question.input_manifest ?? null,
        children: children !== undefined && children.length > 0 ? children : null,
      });
    } catch (error) {
      if (!(error instanceof TwinedError)) throw error;
      const { applied } = await this.deps.questions.transition(questionUuid, "rejected", {
        error: { type: error.name, message: error.message },
      });
      if (applied) await publishExceptionFor(this.deps.bus, this.deps.topics.services, question.attributes, error);
      return;
    }
    const { applied } = await this.deps.questions.transition(questionUuid, "validated");
    if (applied) await this.forward(questionUuid);
  }

  private async forward(questionUuid: string): Promise<void> {
    await publishQuestionReference(this.deps.bus, this.deps.topics.validated, { question_uuid: questionUuid });
  }

  private twineOf(revision: RevisionRecord): Twine {
    const key = `${revision.sruid}@${revision.registeredAt}`;
    let twine = this.twines.get(key);
    if (twine === undefined) {
      twine = loadTwine(JsonSource.value(revision.twine), { onWarning: () => {} });
      this.twines.set(key, twine);
    }
    return twine;
  }
}
