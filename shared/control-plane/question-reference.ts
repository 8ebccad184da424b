import { InvalidEvent } from "../errors/index.js";
import { isPythonParsableUuid } from "../events/index.js";

/**
 * The body of the internal topics' messages: which question to work on. Everything else is read from the question
 * store, so a redelivered or reordered message always acts on the question's current state.
 */
export interface QuestionReference {
  readonly question_uuid: string;
  /** Why a cancellation was asked for (cancellations topic only). */
  readonly reason?: string;
}

export function encodeQuestionReference(reference: QuestionReference): Buffer {
  return Buffer.from(JSON.stringify(reference), "utf8");
}

/** @throws InvalidEvent naming what is wrong; such a message can never be processed and is dead-lettered. */
export function decodeQuestionReference(data: Buffer): QuestionReference {
  let value: unknown;
  try {
    value = JSON.parse(data.toString("utf8"));
  } catch {
    throw new InvalidEvent("an internal question message is not JSON", { pointer: "" });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidEvent('an internal question message must be an object like {"question_uuid": "…"}', {
      pointer: "",
    });
  }
  const { question_uuid: questionUuid, reason } = value as Record<string, unknown>;
  if (typeof questionUuid !== "string" || !isPythonParsableUuid(questionUuid)) {
    throw new InvalidEvent("an internal question message needs a question_uuid that is a UUID", {
      pointer: "/question_uuid",
    });
  }
  if (reason !== undefined && typeof reason !== "string") {
    throw new InvalidEvent("the reason of a cancellation message must be a string", { pointer: "/reason" });
  }
  return reason === undefined ? { question_uuid: questionUuid } : { question_uuid: questionUuid, reason };
}
