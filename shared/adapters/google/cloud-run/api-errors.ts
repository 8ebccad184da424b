import {
  CloudRunCallFailed,
  type CloudRunOperation,
  CloudRunPermissionDenied,
  CloudRunRequestRejected,
  type TwinedError,
} from "../../../errors/index.js";
import { definedProperties } from "../../../objects/index.js";
import { googleApiStatus, restErrorBody, Status } from "../google-api-status.js";

/** The IAM permission each call needs (runJob with overrides needs more than `run.jobs.run`). */
const PERMISSIONS: Record<CloudRunOperation, string> = {
  getJob: "run.jobs.get",
  createJob: "run.jobs.create (and iam.serviceAccounts.actAs on the jobs' service account)",
  listJobs: "run.jobs.list",
  runJob: "run.jobs.runWithOverrides (running a job with per-execution args and env needs it besides run.jobs.run)",
  getExecution: "run.executions.get",
  listExecutions: "run.executions.list",
  cancelExecution: "run.executions.cancel",
};

/**
 * The canonical status and message of a failed call. Over gRPC the client throws a GoogleError whose `code` is the
 * gRPC code; over REST (`fallback`) it throws the HTTP client's error, whose `code` is the HTTP status and whose
 * message is the response body, `{"error": {"code", "message", "status"}}`.
 */
function failureOf(error: unknown): { status?: Status; message: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const status = googleApiStatus(error);
  const message =
    restErrorBody(error.message)?.message ?? (error.message.replace(/^\d+ [A-Z_]+: /, "") || "no message");
  return { ...definedProperties({ status }), message };
}

/** The canonical status of a failed Admin API call, if it reports one. */
export function statusOf(error: unknown): Status | undefined {
  return failureOf(error).status;
}

/**
 * The error to throw for a failed Admin API call: a denied permission names the one `operation` needs, an invalid job
 * or run is not worth retrying, anything else is.
 */
export function translateFailure(
  error: unknown,
  operation: CloudRunOperation,
  resource: string,
  questionUuid: string | undefined,
): TwinedError {
  const { status, message } = failureOf(error);
  if (status === Status.PERMISSION_DENIED) {
    return new CloudRunPermissionDenied(questionUuid, resource, operation, PERMISSIONS[operation], message, {
      cause: error,
    });
  }
  // Not FAILED_PRECONDITION: running a job another instance is still creating fails so, and a retry succeeds.
  if (status === Status.INVALID_ARGUMENT && (operation === "createJob" || operation === "runJob")) {
    return new CloudRunRequestRejected(questionUuid, resource, operation, message, { cause: error });
  }
  const name = status === undefined ? undefined : Status[status];
  return new CloudRunCallFailed(questionUuid, resource, operation, name, message, { cause: error });
}
