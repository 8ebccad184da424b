import type { ChildEvent } from "../../shared/events/index.js";
import type { ChildOutcome } from "../../shared/ports/index.js";

/** The outcome a child's final event (`result` or `exception`) stands for; undefined for any other event. */
export function outcomeOf(event: ChildEvent): ChildOutcome | undefined {
  if (event.kind === "result") {
    return { kind: "result", outputValues: event.output_values ?? null, outputManifest: event.output_manifest ?? null };
  }
  if (event.kind === "exception") {
    return {
      kind: "exception",
      exceptionType: event.exception_type,
      exceptionMessage: event.exception_message,
      exceptionTraceback: event.exception_traceback,
    };
  }
  return undefined;
}
