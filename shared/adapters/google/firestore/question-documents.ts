import { type DocumentData, Timestamp } from "@google-cloud/firestore";
import type { ChildEventEnvelope, EventEnvelope } from "../../../events/index.js";
import { isPlainObject } from "../../../json/index.js";
import { definedProperties } from "../../../objects/index.js";
import {
  isAnswer,
  isErrorOutcome,
  isEventEnvelope,
  isParentAttributes,
  isQuestionEvent,
  isResources,
  type NewQuestion,
  type QuestionOutcome,
  type QuestionRecord,
  type StoredEvent,
} from "../../../ports/index.js";
import { isQuestionStatus, type QuestionStatus } from "../../../questions/index.js";
import { FieldReader, isoTime } from "./field-reader.js";

/*
 * Analysis data (input values, answers, event bodies) is stored as JSON text, not as Firestore maps: Firestore cannot
 * hold an array inside an array (a matrix of results) and reserves some map keys, so only text keeps any JSON value
 * exact. Protocol structures with a fixed shape (attributes, resources, errors, times) are native maps, readable and
 * filterable in the console.
 */

/** A question document as first written: received, with no events yet. */
export function newQuestionDocument(question: NewQuestion, now: Timestamp): DocumentData {
  return {
    questionUuid: question.questionUuid,
    recipient: question.recipient,
    sender: question.sender,
    parentQuestionUuid: question.parentQuestionUuid ?? null,
    originatorQuestionUuid: question.originatorQuestionUuid,
    status: "received",
    priority: question.priority,
    resources: definedProperties({ ...question.resources }),
    pushEndpoint: question.pushEndpoint ?? null,
    timeoutSeconds: question.timeoutSeconds ?? null,
    question: JSON.stringify(question.question),
    attributes: definedProperties({ ...question.attributes }),
    answer: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    statusTimes: { received: now },
    // Only when known: documents stored before have none, and neither has a question asked without tracing.
    ...definedProperties({ traceId: question.traceId }),
  };
}

/**
 * The fields a status change writes. The outcome only belongs to a status that ends the question; terminal
 * questions never change again, so writing it replaces nothing.
 */
export function transitionChanges(
  current: DocumentData,
  to: QuestionStatus,
  now: Timestamp,
  outcome: QuestionOutcome | undefined,
): DocumentData {
  const statusTimes: unknown = current.statusTimes;
  return {
    status: to,
    updatedAt: now,
    statusTimes: { ...(isPlainObject(statusTimes) ? statusTimes : {}), [to]: now },
    ...(outcome === undefined
      ? {}
      : {
          answer: outcome.answer === undefined ? null : JSON.stringify(outcome.answer),
          error: outcome.error === undefined ? null : errorDocument(outcome.error),
        }),
  };
}

function errorDocument(error: NonNullable<QuestionOutcome["error"]>): DocumentData {
  return definedProperties({
    type: error.type,
    message: error.message,
    traceback: error.traceback === undefined ? undefined : [...error.traceback],
  });
}

/** Turns a question document into the record the port promises, checking every field on the way. */
export function questionFromDocument(questionUuid: string, data: unknown): QuestionRecord {
  const read: FieldReader = FieldReader.of(data, "question", questionUuid);
  const status = read.text("status");
  if (!isQuestionStatus(status)) read.fail(`status ${JSON.stringify(status)} is not a question status`);
  const answer = read.optionalJson("answer", isAnswer, "an answer object");
  const error = read.optionalValue("error", isErrorOutcome, "an error with a type and a message");
  return {
    questionUuid: read.text("questionUuid"),
    recipient: read.text("recipient"),
    sender: read.text("sender"),
    parentQuestionUuid: read.optionalText("parentQuestionUuid"),
    originatorQuestionUuid: read.text("originatorQuestionUuid"),
    status,
    question: read.json("question", isQuestionEvent, "a question event"),
    attributes: read.value("attributes", isParentAttributes, "a parent's event attributes"),
    pushEndpoint: read.optionalText("pushEndpoint"),
    timeoutSeconds: read.optionalNumber("timeoutSeconds"),
    priority: read.number("priority"),
    resources: read.value("resources", isResources, "a resources map with a CPU count"),
    createdAt: read.time("createdAt"),
    updatedAt: read.time("updatedAt"),
    statusTimes: statusTimesOf(read),
    // Absent rather than undefined, so records compare equal to what was stored.
    ...definedProperties({ traceId: read.optionalText("traceId"), answer, error }),
  };
}

function statusTimesOf(read: FieldReader): Partial<Record<QuestionStatus, string>> {
  const times = read.value("statusTimes", isPlainObject, "a map of statuses to times");
  const result: Partial<Record<QuestionStatus, string>> = {};
  for (const [status, time] of Object.entries(times)) {
    if (!isQuestionStatus(status)) read.fail(`statusTimes holds ${JSON.stringify(status)}, not a question status`);
    if (!isTimestamp(time)) read.fail(`statusTimes.${status} is not a timestamp`);
    result[status] = isoTime(time);
  }
  return result;
}

export function eventDocument(
  envelope: ChildEventEnvelope | EventEnvelope,
  sequence: number,
  recordedAt: Timestamp,
  question: Pick<QuestionRecord, "parentQuestionUuid" | "originatorQuestionUuid">,
): DocumentData {
  return {
    questionUuid: envelope.attributes.question_uuid,
    sequence,
    eventUuid: envelope.attributes.uuid,
    kind: envelope.event.kind,
    // The question's own tree links, not the event's, so a malformed response cannot move it elsewhere.
    parentQuestionUuid: question.parentQuestionUuid ?? null,
    originatorQuestionUuid: question.originatorQuestionUuid,
    recordedAt,
    event: JSON.stringify(envelope.event),
    attributes: definedProperties({ ...envelope.attributes }),
  };
}

export function storedEventFromDocument(data: unknown, path: string): StoredEvent {
  const read: FieldReader = FieldReader.of(data, "event", path);
  return {
    questionUuid: read.text("questionUuid"),
    sequence: read.number("sequence"),
    envelope: envelopeOf(read),
    recordedAt: read.time("recordedAt"),
  };
}

/** The kind alone, for filtering a page of events before parsing the ones kept. */
export function eventKindOf(data: unknown, path: string): string {
  return FieldReader.of(data, "event", path).text("kind");
}

function envelopeOf(read: FieldReader): EventEnvelope {
  const envelope: unknown = {
    event: read.json("event", isPlainObject, "an event object"),
    attributes: read.value("attributes", isPlainObject, "an attributes map"),
  };
  if (!isEventEnvelope(envelope)) read.fail("event and attributes do not form an event envelope");
  return envelope;
}

/** The first recording of an event UUID: which question it belongs to, and its sequence number there. */
export interface EventIdRecord {
  readonly questionUuid: string;
  readonly sequence: number;
}

export function eventIdFromDocument(eventUuid: string, data: unknown): EventIdRecord {
  const read: FieldReader = FieldReader.of(data, "event", eventUuid);
  return { questionUuid: read.text("questionUuid"), sequence: read.number("sequence") };
}

function isTimestamp(value: unknown): value is Timestamp {
  return value instanceof Timestamp;
}
