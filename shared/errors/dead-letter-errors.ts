import { NonRetryableError, TwinedError } from "./base.js";

/** No dead letter with this ID is kept (the Pub/Sub message ID of the dead-letter message, as `dead-letters list` shows). */
export class DeadLetterNotFound extends NonRetryableError {
  constructor(readonly deadLetterId: string) {
    super(`No dead letter ${deadLetterId} is kept. List them with 'twined dead-letters list --all'.`);
  }
}

/** A request about dead letters (a listing's query, a replay's body) that is malformed: `pointer` says where. */
export class InvalidDeadLetterRequest extends NonRetryableError {}

/** A dead letter that cannot be sent again: nothing says which topic it was first published on. */
export class DeadLetterNotReplayable extends NonRetryableError {
  constructor(
    readonly deadLetterId: string,
    reason: string,
  ) {
    super(`Dead letter ${deadLetterId} cannot be replayed: ${reason}`);
  }
}

/**
 * A dead letter the keeper could not record, for a reason that would otherwise make it a dead letter itself: it is
 * retried instead, since a dead letter of a dead letter would come back forever.
 */
export class DeadLetterNotRecorded extends TwinedError {
  constructor(
    readonly deadLetterId: string,
    cause: Error,
  ) {
    super(`Dead letter ${deadLetterId} could not be recorded (${cause.name}: ${cause.message}); it will be retried.`, {
      cause,
    });
  }
}
