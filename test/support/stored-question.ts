import { createQuestionAttributes, type ParentAttributes, type QuestionEvent } from "../../shared/events/index.js";
import type { NewQuestion, QuestionStore } from "../../shared/ports/index.js";

/**
 * Stores a question as the intake would, straight into a store, and returns its attributes: for tests of what
 * happens to a question after it was asked (forwarding, reconciling, serving it to its job).
 */
export async function storeQuestion(
  store: QuestionStore,
  options: {
    readonly sender?: string;
    readonly recipient?: string;
    readonly event?: QuestionEvent;
    readonly pushEndpoint?: string | undefined;
    /** The question's attributes when the test made them already (sender and recipient are then theirs). */
    readonly attributes?: ParentAttributes;
  } = {},
): Promise<ParentAttributes> {
  const attributes =
    options.attributes ??
    createQuestionAttributes({
      sender: options.sender ?? "local/local:local",
      recipient: options.recipient ?? "octue/svc:1.0.0",
    });
  const question: NewQuestion = {
    questionUuid: attributes.question_uuid,
    recipient: attributes.recipient,
    sender: attributes.sender,
    parentQuestionUuid: undefined,
    originatorQuestionUuid: attributes.originator_question_uuid,
    question: options.event ?? { kind: "question", input_values: {} },
    attributes,
    pushEndpoint: options.pushEndpoint,
    timeoutSeconds: undefined,
    priority: 0,
    resources: { cpus: 1 },
  };
  await store.create(question);
  return attributes;
}
