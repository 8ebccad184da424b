import { NetworkClient } from "../../shared/client/index.js";
import type { ChildEventEnvelope } from "../../shared/events/index.js";
import type { ChildAnswer, ChildAsker, ChildQuestion } from "../../shared/ports/index.js";
import { outcomeOf } from "./child-outcome.js";

/**
 * Asks child services through a Twined network's HTTP API, as a sub-question of the question being answered: its
 * `parent_question_uuid` is that question and its `originator_question_uuid` the root of the tree, so the whole tree
 * can be queried later. The child's logs and monitor messages are passed to `onEvent` as they arrive.
 */
export class NetworkChildAsker implements ChildAsker {
  private readonly client: NetworkClient;

  constructor(networkUrl: string) {
    this.client = new NetworkClient(networkUrl);
  }

  async ask(question: ChildQuestion, onEvent?: (envelope: ChildEventEnvelope) => void): Promise<ChildAnswer> {
    const asked = await this.client.ask({
      recipient: question.child.id,
      sender: question.askerSruid,
      parent_question_uuid: question.parentQuestion.question_uuid,
      originator_question_uuid: question.parentQuestion.originator_question_uuid,
      ...(question.questionUuid === undefined ? {} : { question_uuid: question.questionUuid }),
      ...(question.inputValues === null || question.inputValues === undefined
        ? {}
        : { input_values: question.inputValues }),
      ...(question.inputManifest === null || question.inputManifest === undefined
        ? {}
        : { input_manifest: question.inputManifest }),
    });
    const questionUuid = asked.question_uuid;
    const controller = new AbortController();
    const timer =
      question.timeoutSeconds === undefined
        ? undefined
        : setTimeout(() => controller.abort("timeout"), question.timeoutSeconds * 1000);
    try {
      for await (const envelope of this.client.follow(questionUuid, 0, controller.signal)) {
        const outcome = outcomeOf(envelope.event);
        if (outcome !== undefined) return { questionUuid, childSruid: asked.recipient, outcome };
        onEvent?.(envelope);
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
      await this.client
        .cancel(questionUuid, `the asking service gave up after ${question.timeoutSeconds} s`)
        .catch(() => {});
      return {
        questionUuid,
        childSruid: asked.recipient,
        outcome: {
          kind: "exception",
          exceptionType: "TimeoutError",
          exceptionMessage: `No answer from ${asked.recipient} to question ${questionUuid} within ${question.timeoutSeconds} s.`,
          exceptionTraceback: [],
        },
      };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
    const summary = await this.client.question(questionUuid);
    return {
      questionUuid,
      childSruid: asked.recipient,
      outcome: {
        kind: "exception",
        exceptionType: summary.error?.type ?? "RuntimeError",
        exceptionMessage: summary.error?.message ?? `the question ended as ${summary.status} without an answer`,
        exceptionTraceback: summary.error?.traceback ?? [],
      },
    };
  }
}
