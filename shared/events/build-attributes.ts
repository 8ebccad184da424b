import { randomUUID } from "node:crypto";
import { InvalidEvent } from "../errors/event-errors.js";
import { definedProperties } from "../objects/index.js";
import { TWINED_VERSION } from "../version.js";
import type { ChildAttributes, ParentAttributes, SaveDiagnostics } from "./attributes.js";
import { formatPythonUtcIsoformat } from "./datetime-text.js";
import { isPythonParsableUuid } from "./uuid-text.js";
import { attributesProblem } from "./validate-event.js";

/** Sources of time and identity, injectable so tests get fixed values. */
export interface AttributeGenerators {
  /** Defaults to the current time. */
  readonly now?: () => Date;
  /** Defaults to `crypto.randomUUID`. */
  readonly uuid?: () => string;
  /** Defaults to Twined's own version. */
  readonly senderSdkVersion?: string;
}

export interface QuestionAttributeOptions {
  /** SRUID of the asker. */
  readonly sender: string;
  /** SRUID of the service asked. */
  readonly recipient: string;
  readonly questionUuid?: string;
  /** The question whose processing led to this one; leave out for an originator question. */
  readonly parentQuestionUuid?: string;
  /** Root of the question tree; defaults to this question. */
  readonly originatorQuestionUuid?: string;
  /** Defaults to the sender, which is what Octue always sends. */
  readonly parent?: string;
  /** Root asker; defaults to the sender. */
  readonly originator?: string;
  readonly retryCount?: number;
  readonly forwardLogs?: boolean;
  readonly saveDiagnostics?: SaveDiagnostics;
  readonly cpus?: number;
  readonly memory?: string;
  readonly ephemeralStorage?: string;
}

/**
 * Attributes for a new question, with Octue's defaults: a fresh question UUID that is also the originator question
 * UUID, the sender as parent and originator, no retries, logs forwarded and diagnostics saved on crash.
 *
 * @throws InvalidEvent if an option breaks the schema (e.g. a negative retry count or zero CPUs) or a question UUID
 *   does not parse as a UUID.
 */
export function createQuestionAttributes(
  options: QuestionAttributeOptions,
  generators: AttributeGenerators = {},
): ParentAttributes {
  const newUuid = generators.uuid ?? randomUUID;
  const questionUuid = options.questionUuid ?? newUuid();
  const attributes: ParentAttributes = {
    uuid: newUuid(),
    datetime: formatPythonUtcIsoformat((generators.now ?? currentTime)()),
    question_uuid: questionUuid,
    ...definedProperties({ parent_question_uuid: options.parentQuestionUuid }),
    originator_question_uuid: options.originatorQuestionUuid ?? questionUuid,
    parent: options.parent ?? options.sender,
    originator: options.originator ?? options.sender,
    sender: options.sender,
    sender_type: "PARENT",
    sender_sdk_version: generators.senderSdkVersion ?? TWINED_VERSION,
    recipient: options.recipient,
    retry_count: options.retryCount ?? 0,
    forward_logs: options.forwardLogs ?? true,
    save_diagnostics: options.saveDiagnostics ?? "SAVE_DIAGNOSTICS_ON_CRASH",
    ...definedProperties({ cpus: options.cpus, memory: options.memory, ephemeral_storage: options.ephemeralStorage }),
  };
  assertValid(attributes, "PARENT");
  for (const name of ["question_uuid", "parent_question_uuid", "originator_question_uuid"] as const) {
    const value = attributes[name];
    if (value !== undefined && !isPythonParsableUuid(value)) {
      throw new InvalidEvent(
        `${name} must be a UUID like "ca534cdd-24cb-4ed2-af57-e36757192acb", got ${JSON.stringify(value)}`,
        {
          pointer: `/attributes/${name}`,
          questionUuid,
        },
      );
    }
  }
  return attributes;
}

/**
 * The attributes a child puts on every response to `question`: sender and recipient swapped, the question tree and
 * retry count copied, question-only fields dropped, and a fresh event UUID and datetime.
 *
 * Deviation from Octue: Octue copies the question's `sender_sdk_version` into responses, so they report the parent's
 * SDK version; we report our own, which is what the field is for and what version checks need.
 */
export function deriveResponseAttributes(
  question: ParentAttributes,
  generators: AttributeGenerators = {},
): ChildAttributes {
  const attributes: ChildAttributes = {
    uuid: (generators.uuid ?? randomUUID)(),
    datetime: formatPythonUtcIsoformat((generators.now ?? currentTime)()),
    question_uuid: question.question_uuid,
    ...definedProperties({ parent_question_uuid: question.parent_question_uuid }),
    originator_question_uuid: question.originator_question_uuid,
    parent: question.parent,
    originator: question.originator,
    // Octue answers as the SRUID the question was addressed to, not the child's own computed identity.
    sender: question.recipient,
    sender_type: "CHILD",
    sender_sdk_version: generators.senderSdkVersion ?? TWINED_VERSION,
    recipient: question.sender,
    retry_count: question.retry_count,
  };
  assertValid(attributes, "CHILD");
  return attributes;
}

/** A copy of `attributes` with the per-event fields renewed, as Octue does before every emit. */
export function renewEventIdentity<A extends ParentAttributes | ChildAttributes>(
  attributes: A,
  generators: Pick<AttributeGenerators, "now" | "uuid"> = {},
): A {
  return {
    ...attributes,
    uuid: (generators.uuid ?? randomUUID)(),
    datetime: formatPythonUtcIsoformat((generators.now ?? currentTime)()),
  };
}

function currentTime(): Date {
  return new Date();
}

function assertValid(attributes: ParentAttributes | ChildAttributes, senderType: "PARENT" | "CHILD"): void {
  const problem = attributesProblem(attributes, senderType);
  if (problem !== undefined) {
    throw new InvalidEvent(problem.message, { pointer: problem.pointer, questionUuid: attributes.question_uuid });
  }
}
