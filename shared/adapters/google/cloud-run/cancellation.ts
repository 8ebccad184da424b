import { QuestionCancelled } from "../../../errors/index.js";
import {
  type ChildEventEnvelope,
  deriveResponseAttributes,
  type ExceptionEvent,
  type ParentAttributes,
  renewEventIdentity,
  serviceExceptionMessage,
  validateEvent,
} from "../../../events/index.js";

/**
 * The `QuestionCancelled` exception event the launcher sends for a question it cancelled, as from the service `sruid`,
 * since the question's job never will.
 */
export function questionCancelledEvent(question: ParentAttributes, sruid: string, reason: string): ChildEventEnvelope {
  const error = new QuestionCancelled(question.question_uuid, reason);
  const event: ExceptionEvent = {
    kind: "exception",
    exception_type: error.name,
    exception_message: serviceExceptionMessage(sruid, error.message),
    exception_traceback: [],
  };
  const attributes = renewEventIdentity(deriveResponseAttributes(question));
  return validateEvent({ event, attributes }) as ChildEventEnvelope;
}
