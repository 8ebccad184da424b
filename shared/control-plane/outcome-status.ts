import type { ExceptionEvent } from "../events/index.js";
import type { QuestionStatus } from "../questions/index.js";

/** The terminal status an `exception` event puts its question in: cancellations and deadlines have their own. */
export function statusOfException(event: ExceptionEvent): QuestionStatus {
  switch (event.exception_type) {
    case "QuestionCancelled":
      return "cancelled";
    case "QuestionTimedOut":
      return "timed_out";
    default:
      return "failed";
  }
}
