import { NonRetryableError, TwinedError } from "./base.js";

/** A revision registered as a folder: only the local launcher runs those. Carries the SRUID. */
export class ImageRequired extends NonRetryableError {
  constructor(
    readonly sruid: string,
    path: string,
    revisionTag: string,
  ) {
    super(
      `${sruid} is registered as a folder (${path}); Cloud Run jobs run container images. Register an image with 'twined revision register --image IMAGE --tag ${revisionTag}', or run the network locally.`,
    );
  }
}

/** The Admin API refused a call for lack of permission; names the permission the caller most likely lacks. */
export class CloudRunPermissionDenied extends NonRetryableError {
  constructor(
    /** The question being launched or cancelled, if any. */
    readonly questionUuid: string | undefined,
    /** The job or execution (full resource name) the call was about. */
    readonly resource: string,
    readonly operation: CloudRunOperation,
    readonly permission: string,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      `Cloud Run refused to ${DESCRIPTIONS[operation]} ${resource}${questionUuid === undefined ? "" : ` for question ${questionUuid}`}: permission denied (${detail}). The control plane's service account is probably missing ${permission}; grant it on the project or job, e.g. with roles/run.developer.`,
      options,
    );
  }
}

/** A job or run the Admin API rejects as invalid (e.g. a CPU or memory value Cloud Run does not offer). */
export class CloudRunRequestRejected extends NonRetryableError {
  constructor(
    readonly questionUuid: string | undefined,
    readonly resource: string,
    readonly operation: CloudRunOperation,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      `Cloud Run rejected the request to ${DESCRIPTIONS[operation]} ${resource}${questionUuid === undefined ? "" : ` for question ${questionUuid}`}: ${detail}`,
      options,
    );
  }
}

/** Any other failed Admin API call (unavailable, quota, internal): worth retrying. */
export class CloudRunCallFailed extends TwinedError {
  constructor(
    readonly questionUuid: string | undefined,
    readonly resource: string,
    readonly operation: CloudRunOperation,
    readonly status: string | undefined,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      `Could not ${DESCRIPTIONS[operation]} ${resource}${questionUuid === undefined ? "" : ` for question ${questionUuid}`}: ${status ?? "error"}: ${detail}`,
      options,
    );
  }
}

export type CloudRunOperation =
  | "getJob"
  | "createJob"
  | "listJobs"
  | "runJob"
  | "getExecution"
  | "listExecutions"
  | "cancelExecution";

/** Each operation as the messages phrase it, before the resource's name. */
const DESCRIPTIONS: Record<CloudRunOperation, string> = {
  getJob: "read job",
  createJob: "create job",
  listJobs: "list the jobs in",
  runJob: "run job",
  getExecution: "read execution",
  listExecutions: "list the executions of job",
  cancelExecution: "cancel execution",
};
