import type { EventEnvelope, ParentAttributes, QuestionEvent } from "../../../events/index.js";
import type { QuestionOutcome, QuestionRecord, StoredEvent } from "../../../ports/index.js";
import { isQuestionStatus, type QuestionStatus } from "../../../questions/index.js";
import { columnText, isPlainObject, RowReader } from "./row-reader.js";

/** Turns a `questions` row into the record the port promises, checking every column on the way. */
export function questionFromRow(row: unknown): QuestionRecord {
  const read: RowReader = RowReader.of(row, "question", (columns) => columnText(columns, "question_uuid"));
  const status = read.text("status");
  if (!isQuestionStatus(status)) read.fail(`status ${JSON.stringify(status)} is not a question status`);
  const answer = read.optionalChecked("answer_json", isAnswer, "an answer object");
  const error = read.optionalChecked("error_json", isErrorOutcome, "an error with a type and a message");
  return {
    questionUuid: read.text("question_uuid"),
    recipient: read.text("recipient"),
    sender: read.text("sender"),
    parentQuestionUuid: read.optionalText("parent_question_uuid"),
    originatorQuestionUuid: read.text("originator_question_uuid"),
    status,
    question: read.checked("question_json", isQuestionEvent, "a question event"),
    attributes: read.checked("attributes_json", isParentAttributes, "a parent's event attributes"),
    pushEndpoint: read.optionalText("push_endpoint"),
    timeoutSeconds: read.optionalNumber("timeout_seconds"),
    priority: read.number("priority"),
    resources: read.checked("resources_json", isResources, "a resources object with a CPU count"),
    createdAt: read.text("created_at"),
    updatedAt: read.text("updated_at"),
    statusTimes: read.checked("status_times_json", isStatusTimes, "a map of statuses to times"),
    // Absent rather than undefined, so records compare equal to what was stored.
    ...(answer === undefined ? {} : { answer }),
    ...(error === undefined ? {} : { error }),
  };
}

export function storedEventFromRow(row: unknown): StoredEvent {
  const read = RowReader.of(
    row,
    "event",
    (columns) => `${columnText(columns, "event_uuid")} of question ${columnText(columns, "question_uuid")}`,
  );
  return {
    questionUuid: read.text("question_uuid"),
    sequence: read.number("sequence"),
    envelope: read.checked("envelope_json", isEventEnvelope, "an event envelope"),
    recordedAt: read.text("recorded_at"),
  };
}

function isQuestionEvent(value: unknown): value is QuestionEvent {
  return isPlainObject(value) && value.kind === "question";
}

function isParentAttributes(value: unknown): value is ParentAttributes {
  return isPlainObject(value) && value.sender_type === "PARENT" && typeof value.question_uuid === "string";
}

function isEventEnvelope(value: unknown): value is EventEnvelope {
  return (
    isPlainObject(value) &&
    isPlainObject(value.event) &&
    typeof value.event.kind === "string" &&
    isPlainObject(value.attributes) &&
    typeof value.attributes.uuid === "string" &&
    (value.attributes.sender_type === "PARENT" || value.attributes.sender_type === "CHILD")
  );
}

function isResources(value: unknown): value is QuestionRecord["resources"] {
  return isPlainObject(value) && typeof value.cpus === "number";
}

function isStatusTimes(value: unknown): value is Partial<Record<QuestionStatus, string>> {
  return (
    isPlainObject(value) &&
    Object.entries(value).every(([status, time]) => isQuestionStatus(status) && typeof time === "string")
  );
}

function isAnswer(value: unknown): value is NonNullable<QuestionOutcome["answer"]> {
  return isPlainObject(value);
}

function isErrorOutcome(value: unknown): value is NonNullable<QuestionOutcome["error"]> {
  return (
    isPlainObject(value) &&
    typeof value.type === "string" &&
    typeof value.message === "string" &&
    (value.traceback === undefined ||
      (Array.isArray(value.traceback) && value.traceback.every((line) => typeof line === "string")))
  );
}
