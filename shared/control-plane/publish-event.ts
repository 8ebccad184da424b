import {
  type ChildEventEnvelope,
  deriveResponseAttributes,
  type ExceptionEvent,
  exceptionEvent,
  type ParentAttributes,
  renewEventIdentity,
} from "../events/index.js";
import { type EventBus, publishEvent } from "../ports/index.js";
import { encodeQuestionReference, type QuestionReference } from "./question-reference.js";

/**
 * Answers a question with an `exception` event on behalf of its recipient, for errors the control plane finds before
 * any job runs (invalid inputs, unknown revision, cancelled while waiting), so the asker never waits in silence.
 */
export async function publishExceptionFor(
  bus: EventBus,
  topic: string,
  question: ParentAttributes,
  error: Error,
): Promise<ChildEventEnvelope<ExceptionEvent>> {
  const where =
    "pointer" in error && typeof error.pointer === "string" && error.pointer !== "" ? ` (at ${error.pointer})` : "";
  const envelope: ChildEventEnvelope<ExceptionEvent> = {
    event: exceptionEvent(question.recipient, { name: error.name, message: `${error.message}${where}` }),
    attributes: renewEventIdentity(deriveResponseAttributes(question)),
  };
  await publishEvent(bus, topic, envelope);
  return envelope;
}

/**
 * Sends a question on to the next step of the control plane (an internal topic), keyed by its UUID as every publisher
 * of the network's topics keys a question's messages.
 */
export async function publishQuestionReference(
  bus: EventBus,
  topic: string,
  reference: QuestionReference,
): Promise<void> {
  await bus.publish(topic, encodeQuestionReference(reference), {
    attributes: { question_uuid: reference.question_uuid },
    orderingKey: reference.question_uuid,
  });
}
