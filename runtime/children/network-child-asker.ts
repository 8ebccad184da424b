import { Child, type IdentityToken, NetworkClient } from "../../shared/client/index.js";
import { AnswerTimedOut, RemoteException } from "../../shared/errors/index.js";
import type { ChildEventEnvelope } from "../../shared/events/index.js";
import { isPlainObject } from "../../shared/json/index.js";
import { definedProperties } from "../../shared/objects/index.js";
import type { ChildAnswer, ChildAsker, ChildQuestion } from "../../shared/ports/index.js";

/**
 * Asks child services through a Twined network, as a sub-question of the question being answered: its
 * `parent_question_uuid` is that question, and its `originator_question_uuid` and `originator` those of the tree's
 * root, so the whole tree can be queried later. The child's logs and monitor messages go to `onEvent` as they arrive.
 */
export class NetworkChildAsker implements ChildAsker {
  private readonly client: NetworkClient;

  /** `identityToken` proves who asks, to a network behind IAM (see `NetworkClient`). */
  constructor(networkUrl: string, identityToken?: IdentityToken) {
    this.client = new NetworkClient(networkUrl, identityToken === undefined ? {} : { identityToken });
  }

  async ask(question: ChildQuestion, onEvent?: (envelope: ChildEventEnvelope) => void): Promise<ChildAnswer> {
    const child = new Child({ id: question.child.id, network: this.client, asker: question.askerSruid });
    const parent = question.parentQuestion;
    let questionUuid = question.questionUuid ?? "";
    try {
      const { answer, recipient } = await child.ask({
        inputValues: question.inputValues ?? undefined,
        ...(isPlainObject(question.inputManifest) ? { inputManifest: question.inputManifest } : {}),
        ...definedProperties({ questionUuid: question.questionUuid }),
        parentQuestionUuid: parent.question_uuid,
        originatorQuestionUuid: parent.originator_question_uuid,
        originator: parent.originator,
        ...definedProperties({ timeout: question.timeoutSeconds }),
        onAsked: (uuid) => {
          questionUuid = uuid;
        },
        onEvent: (envelope) => {
          if (envelope.event.kind !== "result" && envelope.event.kind !== "exception") onEvent?.(envelope);
        },
      });
      return {
        questionUuid,
        childSruid: recipient ?? question.child.id,
        outcome: { kind: "result", outputValues: answer?.output_values, outputManifest: answer?.output_manifest },
      };
    } catch (error) {
      if (error instanceof RemoteException) {
        return {
          questionUuid: error.questionUuid,
          childSruid: error.sender,
          outcome: {
            kind: "exception",
            exceptionType: error.remoteType,
            exceptionMessage: error.remoteMessage,
            exceptionTraceback: error.remoteTraceback,
          },
        };
      }
      if (error instanceof AnswerTimedOut) {
        // Python apps see the builtin TimeoutError, as they would under Octue.
        return {
          questionUuid: error.questionUuid,
          childSruid: error.recipient,
          outcome: {
            kind: "exception",
            exceptionType: "TimeoutError",
            exceptionMessage: error.message,
            exceptionTraceback: [],
          },
        };
      }
      throw error;
    }
  }
}
