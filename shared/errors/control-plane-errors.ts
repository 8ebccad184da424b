import { NonRetryableError } from "./base.js";

/** No such service revision (or no default revision for a bare `ns/name`) in any registry we know. */
export class RevisionNotFound extends NonRetryableError {
  constructor(
    /** The SRUID, or the SUID when no tag was given. */
    readonly serviceRevisionId: string,
    detail?: string,
  ) {
    super(
      detail === undefined
        ? `Service revision ${serviceRevisionId} was not found. Check the name and tag, or register the revision first.`
        : `Service revision ${serviceRevisionId} was not found: ${detail}`,
    );
  }
}

/** A question that will never be run (invalid inputs, unknown recipient). Carries the question's UUID. */
export class QuestionRejected extends NonRetryableError {
  constructor(
    readonly questionUuid: string,
    reason: string,
    options: { cause?: unknown; pointer?: string } = {},
  ) {
    super(`Question ${questionUuid} was rejected: ${reason}`, options);
  }
}

/** No question with this UUID is known. */
export class QuestionNotFound extends NonRetryableError {
  constructor(readonly questionUuid: string) {
    super(`No question ${questionUuid} is known. Check the UUID, or ask the question first.`);
  }
}
