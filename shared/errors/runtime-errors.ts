import { TwinedError } from "./base.js";

/** Why a running question stopped before its app finished. */
export abstract class QuestionInterrupted extends TwinedError {
  constructor(
    readonly questionUuid: string,
    message: string,
  ) {
    super(message);
  }
}

/** The question was cancelled by its asker or an operator. */
export class QuestionCancelled extends QuestionInterrupted {
  constructor(questionUuid: string, reason = "the question was cancelled") {
    super(questionUuid, `Question ${questionUuid} was cancelled: ${reason}.`);
  }
}

/** The question ran past its deadline. */
export class QuestionTimedOut extends QuestionInterrupted {
  constructor(
    questionUuid: string,
    readonly timeoutSeconds: number,
  ) {
    super(questionUuid, `Question ${questionUuid} did not finish within its ${timeoutSeconds} s deadline.`);
  }
}

/**
 * The question's job was stopped from outside before its service answered: a cluster sends SIGTERM when a Job is
 * deleted or its pod is evicted, preempted or loses its node. Unlike a cancellation, nobody asked for it.
 */
export class JobStopped extends QuestionInterrupted {
  constructor(questionUuid: string, detail: string) {
    super(questionUuid, `Question ${questionUuid} stopped before its service answered: ${detail}.`);
  }
}

/** The service's process ended without answering (killed, crashed, or broke the harness protocol). */
export class ServiceCrashed extends TwinedError {
  constructor(
    readonly questionUuid: string,
    detail: string,
  ) {
    super(`The service stopped without answering question ${questionUuid}: ${detail}`);
  }
}

/** A children-emulator file (scripted child answers for local runs) that cannot be used. */
export class InvalidChildrenEmulators extends TwinedError {}

/** A job whose environment names no network to read its question from. */
export class JobNetworkNotConfigured extends TwinedError {
  constructor(readonly questionUuid: string) {
    super(
      `question ${questionUuid} cannot be read: this job has no network; set TWINED_NETWORK_URL (the HTTP address of a Twined network, e.g. 'twined dev') or GOOGLE_CLOUD_PROJECT (a network on Google Cloud: Firestore and Pub/Sub)`,
    );
  }
}

/** A line from the harness that is not a message we understand. */
export class HarnessProtocolError extends TwinedError {
  constructor(
    message: string,
    readonly line: string,
  ) {
    super(`${message}: ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`);
  }
}

/** A job on Google Cloud cannot get an identity token for its network (no metadata server, no service account). */
export class IdentityTokenUnavailable extends TwinedError {
  constructor(
    readonly audience: string,
    reason: string,
  ) {
    super(
      `cannot get a Google identity token for ${audience} (${reason}); a job on Google Cloud gets one from its service account (workload identity on GKE, the job's identity on Cloud Run)`,
    );
  }
}

/** A question could not be forked from its revision's pre-imported Python (a warm start); it then starts cold. */
export class WarmStartUnavailable extends TwinedError {}
