import type { ParentAttributes } from "./attributes.js";
import { deriveResponseAttributes, renewEventIdentity } from "./build-attributes.js";
import type { ChildEventEnvelope } from "./envelope.js";
import type { ExceptionEvent } from "./event-bodies.js";
import { validateEvent } from "./validate-event.js";

/** Octue prefixes every exception message a service sends with the service that raised it. */
export function serviceExceptionMessage(serviceSruid: string, message: string): string {
  return `Error in <Service('${serviceSruid}')>: ${message}`;
}

/** The `exception` event a service (`sender`, its SRUID) sends for `error`, with no traceback. */
export function exceptionEvent(
  sender: string,
  error: { readonly name: string; readonly message: string },
): ExceptionEvent {
  return {
    kind: "exception",
    exception_type: error.name,
    exception_message: serviceExceptionMessage(sender, error.message),
    exception_traceback: [],
  };
}

/**
 * The answer to `question` that a part of the network sends on behalf of its service (`sender`) when the service
 * itself never will: a question cancelled or refused before its job ran, or a job that ended without answering.
 */
export function exceptionEnvelopeFor(
  question: ParentAttributes,
  sender: string,
  error: { readonly name: string; readonly message: string },
): ChildEventEnvelope<ExceptionEvent> {
  const envelope = {
    event: exceptionEvent(sender, error),
    attributes: renewEventIdentity(deriveResponseAttributes(question)),
  };
  return validateEvent(envelope) as ChildEventEnvelope<ExceptionEvent>;
}
