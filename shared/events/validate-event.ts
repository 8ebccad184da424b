import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { InvalidEvent } from "../errors/event-errors.js";
import { isPlainObject } from "../json/index.js";
import { jsonPointer } from "../json/json-pointer.js";
import type { EventEnvelope } from "./envelope.js";
import { EVENT_KINDS, type EventKind, isEventKind, senderTypeForKind } from "./event-kinds.js";
import { kindOf, mostSpecificProblem, type SchemaProblem } from "./schema-problem.js";
import serviceCommunicationSchema from "./schemas/service-communication.schema.json" with { type: "json" };

/** The `$id` of Twined's service-communication envelope schema. */
export const SERVICE_COMMUNICATION_SCHEMA_ID = serviceCommunicationSchema.$id;

let ajv: Ajv2020 | undefined;

/**
 * The validator of one part of the schema, compiled on first use: compiling costs a few hundred milliseconds, which
 * every CLI start and function cold start would otherwise pay whether or not it validates an event.
 */
function compiled(fragment: string): () => ValidateFunction {
  let validate: ValidateFunction | undefined;
  return () => {
    if (validate !== undefined) return validate;
    if (ajv === undefined) {
      // Formats stay off, as in Octue's validator: its own fixtures carry datetimes without offsets.
      // validateSchema off: the schema is ours and checked by a test, which spares compiling the meta-schema here.
      ajv = new Ajv2020({ validateFormats: false, verbose: true, allErrors: false, validateSchema: false });
      ajv.addSchema(serviceCommunicationSchema);
    }
    validate = ajv.getSchema(`${SERVICE_COMMUNICATION_SCHEMA_ID}${fragment}`);
    if (validate === undefined) throw new Error(`service-communication schema has no ${fragment}`);
    return validate;
  };
}

const envelopeValidator = compiled("");

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

const eventBodyValidators = Object.fromEntries(
  EVENT_KINDS.map((kind) => [kind, compiled(`#/$defs/${EVENT_DEFINITIONS[kind]}`)]),
) as Record<EventKind, () => ValidateFunction>;

const attributesValidators = {
  PARENT: compiled("#/$defs/parentAttributes"),
  CHILD: compiled("#/$defs/childAttributes"),
} as const;

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
  const validateEnvelope = envelopeValidator();
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
  const validate = attributesValidators[senderType]();
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
  const validate = eventBodyValidators[kind]();
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
