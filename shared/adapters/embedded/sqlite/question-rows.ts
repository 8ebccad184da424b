import { isPlainObject } from "../../../json/index.js";
import { definedProperties } from "../../../objects/index.js";
import {
  isAnswer,
  isErrorOutcome,
  isEventEnvelope,
  isParentAttributes,
  isQuestionEvent,
  isResources,
  type QuestionRecord,
  type StoredEvent,
} from "../../../ports/index.js";
import { isQuestionStatus, type QuestionStatus } from "../../../questions/index.js";
import { columnText, RowReader } from "./row-reader.js";

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
    ...definedProperties({ traceId: read.optionalText("trace_id"), answer, error }),
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

function isStatusTimes(value: unknown): value is Partial<Record<QuestionStatus, string>> {
  return (
    isPlainObject(value) &&
    Object.entries(value).every(([status, time]) => isQuestionStatus(status) && typeof time === "string")
  );
}
