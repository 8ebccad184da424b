import { NonRetryableError, TwinedError } from "./base.js";

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

/** A question has no diagnostics where the network keeps them: none were saved, or the network keeps none. */
export class QuestionDiagnosticsNotFound extends NonRetryableError {
  constructor(
    readonly questionUuid: string,
    reason: string,
  ) {
    super(`Question ${questionUuid} has no diagnostics: ${reason}`);
  }
}

/** A question request that is malformed: `pointer` says where, the message says how to fix it. */
export class InvalidQuestionRequest extends NonRetryableError {}

/** A request that is not a Pub/Sub delivery in any form we know: redelivering it cannot help. */
export class InvalidPushRequest extends NonRetryableError {}

/** A registration request that cannot be accepted. */
export class InvalidRegistration extends NonRetryableError {}

/** A registration this requester may not make (a service folder named from another machine): 403. */
export class RegistrationForbidden extends NonRetryableError {}

/** A question's job ended, or stopped showing signs of life, without the service answering. */
export class QuestionJobFailed extends TwinedError {
  constructor(
    readonly questionUuid: string,
    /** Why, as the launcher observed it: `type` is the exception type the asker receives. */
    readonly failure: { readonly type: string; readonly message: string },
  ) {
    super(`Question ${questionUuid} failed: ${failure.message}.`);
    // The asker sees the cause as the exception type: OutOfMemory, Evicted, ImageUnavailable…
    this.name = failure.type;
  }
}

/** An answer asked for before the question has one: it is still running, or it ended without succeeding. */
export class NoAnswerYet extends TwinedError {
  constructor(
    readonly questionUuid: string,
    readonly status: string,
  ) {
    super(`Question ${questionUuid} has no answer: it is ${status}. Its events say why, or when it will.`);
  }
}
