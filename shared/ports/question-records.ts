import type { EventEnvelope, ParentAttributes, QuestionEvent } from "../events/index.js";
import { isPlainObject } from "../json/index.js";
import type { QuestionOutcome, QuestionRecord } from "./question-store.js";

/*
 * The shapes a question store checks when it reads a record back, whatever its database: every adapter turns what it
 * stored into a `QuestionRecord` through these, so a record one adapter refuses, every adapter refuses.
 */

export function isQuestionEvent(value: unknown): value is QuestionEvent {
  return isPlainObject(value) && value.kind === "question";
}

export function isParentAttributes(value: unknown): value is ParentAttributes {
  return isPlainObject(value) && value.sender_type === "PARENT" && typeof value.question_uuid === "string";
}

export function isEventEnvelope(value: unknown): value is EventEnvelope {
  return (
    isPlainObject(value) &&
    isPlainObject(value.event) &&
    typeof value.event.kind === "string" &&
    isPlainObject(value.attributes) &&
    typeof value.attributes.uuid === "string" &&
    (value.attributes.sender_type === "PARENT" || value.attributes.sender_type === "CHILD")
  );
}

/** A CPU count, and memory and disk as Kubernetes quantities (text) when the question names them. */
export function isResources(value: unknown): value is QuestionRecord["resources"] {
  return (
    isPlainObject(value) &&
    typeof value.cpus === "number" &&
    (value.memory === undefined || typeof value.memory === "string") &&
    (value.ephemeralStorage === undefined || typeof value.ephemeralStorage === "string")
  );
}

export function isAnswer(value: unknown): value is NonNullable<QuestionOutcome["answer"]> {
  return isPlainObject(value);
}

export function isErrorOutcome(value: unknown): value is NonNullable<QuestionOutcome["error"]> {
  return (
    isPlainObject(value) &&
    typeof value.type === "string" &&
    typeof value.message === "string" &&
    (value.traceback === undefined ||
      (Array.isArray(value.traceback) && value.traceback.every((line) => typeof line === "string")))
  );
}
