import { NonRetryableError, TwinedError } from "./base.js";

/** The cluster cannot be reached with the configuration given; says which setting to fix. */
export class ClusterAccessError extends TwinedError {
  constructor(
    readonly access: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${access}: ${message}`, options);
  }
}

/** A Kubernetes API call the launcher needed failed in a way that retrying the same request cannot fix. */
export class KubernetesRequestRefused extends NonRetryableError {
  constructor(
    readonly questionUuid: string,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The cluster's WorkloadPriorityClasses have not been read yet (the first list is still failing), so the question's
 * class is unknown. Retryable (the message is delivered again): launching without a class now would be a guess.
 */
export class PriorityClassesUnavailable extends TwinedError {
  constructor(
    readonly questionUuid: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
