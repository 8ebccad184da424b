import type { ValidateFunction } from "ajv";
import { InvalidEvent } from "../errors/event-errors.js";
import { isPlainObject } from "../json/index.js";
import { jsonPointer } from "../json/json-pointer.js";
import { type FixedSchemaSet, fixedValidators } from "../validation/fixed-validators.js";
import type { EventEnvelope } from "./envelope.js";
import { EVENT_KINDS, type EventKind, isEventKind, senderTypeForKind } from "./event-kinds.js";
import { kindOf, mostSpecificProblem, type SchemaProblem } from "./schema-problem.js";
import serviceCommunicationSchema from "./schemas/service-communication.schema.json" with { type: "json" };

/** The `$id` of Twined's service-communication envelope schema. */
export const SERVICE_COMMUNICATION_SCHEMA_ID = serviceCommunicationSchema.$id;

const EVENT_DEFINITIONS: Record<EventKind, string> = {
  question: "questionEvent",
  cancellation: "cancellationEvent",
  delivery_acknowledgement: "deliveryAcknowledgementEvent",
  heartbeat: "heartbeatEvent",
  monitor_message: "monitorMessageEvent",
  log_record: "logRecordEvent",
  exception: "exceptionEvent",
  result: "resultEvent",
};

type EventValidatorName = "envelope" | EventKind | "PARENT" | "CHILD";

/**
 * The envelope and each of its parts. Formats stay off, as in Octue's validator: its own fixtures carry datetimes
 * without offsets. The schema is ours and checked by a test, so it is not checked against its meta-schema here.
 */
export const EVENT_SCHEMA_SET: FixedSchemaSet<EventValidatorName> = {
  id: "service-communication",
  draft: "2020-12",
  options: { validateFormats: false, verbose: true, allErrors: false, validateSchema: false },
  schemas: [{ schema: serviceCommunicationSchema }],
  exports: {
    envelope: SERVICE_COMMUNICATION_SCHEMA_ID,
    ...(Object.fromEntries(
      EVENT_KINDS.map((kind) => [kind, `${SERVICE_COMMUNICATION_SCHEMA_ID}#/$defs/${EVENT_DEFINITIONS[kind]}`]),
    ) as Record<EventKind, string>),
    PARENT: `${SERVICE_COMMUNICATION_SCHEMA_ID}#/$defs/parentAttributes`,
    CHILD: `${SERVICE_COMMUNICATION_SCHEMA_ID}#/$defs/childAttributes`,
  },
};

/** Compiled (or loaded) on first use: every CLI start and function cold start would otherwise pay for it. */
function validator(name: EventValidatorName): ValidateFunction {
  return fixedValidators(EVENT_SCHEMA_SET)[name];
}

/**
 * Checks a nested `{event, attributes}` envelope against the service-communication schema, then checks what the schema
 * cannot express: that a PARENT sends only questions and cancellations and a CHILD only response kinds (Octue does not
 * check this; an event breaking it would be misrouted).
 *
 * @returns the same object, typed.
 * @throws InvalidEvent for the first problem, with the JSON pointer of the offending value and the question UUID when
 *   it can be read.
 */
export function validateEvent(envelope: unknown): EventEnvelope {
  const questionUuid = readableQuestionUuid(envelope);
  const validateEnvelope = validator("envelope");
  if (!validateEnvelope(envelope)) {
    const problem = locateSchemaProblem(envelope) ?? mostSpecificProblem(validateEnvelope.errors ?? [], "");
    throw new InvalidEvent(problem?.message ?? "the event envelope is invalid", {
      pointer: problem?.pointer ?? "",
      questionUuid,
    });
  }
  const valid = envelope as EventEnvelope;
  const expectedSender = senderTypeForKind(valid.event.kind);
  if (valid.attributes.sender_type !== expectedSender) {
    throw new InvalidEvent(
      `a ${JSON.stringify(valid.event.kind)} event can only be sent by a ${expectedSender}, but sender_type is ${JSON.stringify(valid.attributes.sender_type)}`,
      { pointer: "/attributes/sender_type", questionUuid },
    );
  }
  return valid;
}

/** Validates only the attributes of one sender type; used by the builders to check what they produce. */
export function attributesProblem(attributes: unknown, senderType: "PARENT" | "CHILD"): SchemaProblem | undefined {
  const validate = validator(senderType);
  return validate(attributes) ? undefined : mostSpecificProblem(validate.errors ?? [], "/attributes");
}

/**
 * Finds the first problem by following the discriminators (`event.kind`, `attributes.sender_type`) so that the
 * report comes from the branch the author meant, instead of ajv's "must match exactly one schema in oneOf".
 */
function locateSchemaProblem(envelope: unknown): SchemaProblem | undefined {
  if (!isPlainObject(envelope)) {
    return {
      pointer: "",
      message: `an event envelope must be an object with "event" and "attributes", got ${kindOf(envelope)}`,
    };
  }
  for (const key of Object.keys(envelope)) {
    if (key !== "event" && key !== "attributes") {
      return {
        pointer: jsonPointer([key]),
        message: `unexpected property ${JSON.stringify(key)}: an envelope holds only "event" and "attributes"`,
      };
    }
  }
  return eventProblem(envelope.event) ?? attributesProblemIn(envelope.attributes);
}

function eventProblem(event: unknown): SchemaProblem | undefined {
  if (event === undefined) return { pointer: "/event", message: "/event is required but missing" };
  if (!isPlainObject(event)) return { pointer: "/event", message: `/event must be an object, got ${kindOf(event)}` };
  const kind = event.kind;
  if (!isEventKind(kind)) {
    const expected = `one of ${EVENT_KINDS.map((name) => JSON.stringify(name)).join(", ")}`;
    return kind === undefined
      ? { pointer: "/event/kind", message: `/event/kind is required but missing; it must be ${expected}` }
      : { pointer: "/event/kind", message: `/event/kind must be ${expected}, got ${kindOf(kind)}` };
  }
  const validate = validator(kind);
  return validate(event) ? undefined : mostSpecificProblem(validate.errors ?? [], "/event");
}

function attributesProblemIn(attributes: unknown): SchemaProblem | undefined {
  if (attributes === undefined) return { pointer: "/attributes", message: "/attributes is required but missing" };
  if (!isPlainObject(attributes)) {
    return { pointer: "/attributes", message: `/attributes must be an object, got ${kindOf(attributes)}` };
  }
  const senderType = attributes.sender_type;
  if (senderType !== "PARENT" && senderType !== "CHILD") {
    return {
      pointer: "/attributes/sender_type",
      message:
        senderType === undefined
          ? `/attributes/sender_type is required but missing; it must be "PARENT" or "CHILD"`
          : `/attributes/sender_type must be "PARENT" or "CHILD", got ${kindOf(senderType)}`,
    };
  }
  return attributesProblem(attributes, senderType);
}

function readableQuestionUuid(envelope: unknown): string | undefined {
  if (!isPlainObject(envelope) || !isPlainObject(envelope.attributes)) return undefined;
  const questionUuid = envelope.attributes.question_uuid;
  return typeof questionUuid === "string" ? questionUuid : undefined;
}
