import { TwinedError } from "./base.js";

/**
 * A question that ended without an answer: the service raised, or the network rejected, cancelled or timed it out.
 * The error is named after the remote exception type (e.g. `ValueError`, `InvalidValuesContents`), as Octue's parents
 * re-raise it, and carries the remote message and traceback.
 */
export class RemoteException extends TwinedError {
  constructor(
    readonly questionUuid: string,
    /** The SRUID that answered (or the recipient, when the control plane ended the question). */
    readonly sender: string,
    readonly remoteType: string,
    readonly remoteMessage: string,
    readonly remoteTraceback: readonly string[],
    /** The question's final status (`failed`, `rejected`, `cancelled`, `timed_out`) when the network said it. */
    readonly status?: string,
  ) {
    super(
      remoteTraceback.length === 0
        ? remoteMessage
        : `${remoteMessage}\n\nThe following traceback was captured from the remote service '${sender}':\n\n${remoteTraceback.join("")}`,
    );
    this.name = remoteType;
  }
}

/** The asker stopped waiting: no answer within `timeout`, or no sign of life within `maximumHeartbeatInterval`. */
export class AnswerTimedOut extends TwinedError {
  constructor(
    readonly questionUuid: string,
    readonly recipient: string,
    readonly seconds: number,
    readonly reason: "timeout" | "heartbeat",
  ) {
    super(
      reason === "timeout"
        ? `No answer from ${recipient} to question ${questionUuid} within ${seconds} s; the question was cancelled.`
        : `No heartbeat from ${recipient} for question ${questionUuid} within the maximum allowed interval of ${seconds} s; the question was cancelled.`,
    );
  }
}

/** The asker's signal was aborted while waiting; the question was cancelled. */
export class AskAborted extends TwinedError {
  constructor(
    readonly questionUuid: string,
    readonly reason: string,
  ) {
    super(`The asker stopped waiting for question ${questionUuid} (${reason}); the question was cancelled.`);
  }
}

/** An error the network answered with (`{error: {type, message, details}}`), or a network that cannot be reached. */
export class NetworkRequestFailed extends TwinedError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly remoteType: string | undefined,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message, typeof details.pointer === "string" ? { pointer: details.pointer } : {});
    // Show the error as the network named it (e.g. RevisionNotFound); `instanceof NetworkRequestFailed` still holds.
    if (remoteType !== undefined) this.name = remoteType;
  }
}
