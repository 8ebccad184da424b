import { InvalidEvent } from "../../shared/errors/index.js";
import { type ParentEventEnvelope, type QuestionEvent, validateEvent } from "../../shared/events/index.js";

/**
 * The question a job was started for, as its network stored it: checked against the protocol, and checked to be the
 * question the job was told to answer.
 * @throws InvalidEvent naming the question UUID and the JSON pointer of the problem.
 */
export function jobQuestion(stored: unknown, questionUuid: string): ParentEventEnvelope<QuestionEvent> {
  // A round trip through JSON drops the absent optional fields a store may hand back as `undefined`.
  const envelope = validateEvent(JSON.parse(JSON.stringify(stored ?? null)) as unknown);
  if (envelope.event.kind !== "question") {
    throw new InvalidEvent(`the network stored a '${envelope.event.kind}' event for question ${questionUuid}`, {
      pointer: "/event/kind",
      questionUuid,
    });
  }
  if (envelope.attributes.question_uuid !== questionUuid) {
    throw new InvalidEvent(
      `the network answered with question ${envelope.attributes.question_uuid} when asked for question ${questionUuid}`,
      { pointer: "/attributes/question_uuid", questionUuid },
    );
  }
  return envelope as ParentEventEnvelope<QuestionEvent>;
}
