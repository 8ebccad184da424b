import { Status } from "google-gax";
import { definedProperties } from "../../objects/index.js";

export { Status };

/**
 * HTTP statuses of the REST transport, as Google maps them to canonical codes. Not google-gax's own map, which is not
 * exported and reads 409 as ABORTED: Cloud Run's REST fallback answers an existing job with 409 ALREADY_EXISTS.
 */
const HTTP_STATUSES: ReadonlyMap<number, Status> = new Map([
  [400, Status.INVALID_ARGUMENT],
  [401, Status.UNAUTHENTICATED],
  [403, Status.PERMISSION_DENIED],
  [404, Status.NOT_FOUND],
  [409, Status.ALREADY_EXISTS],
  [429, Status.RESOURCE_EXHAUSTED],
  [499, Status.CANCELLED],
  [500, Status.INTERNAL],
  [501, Status.UNIMPLEMENTED],
  [503, Status.UNAVAILABLE],
  [504, Status.DEADLINE_EXCEEDED],
]);

/** Every status but OK, which no failed call reports, by name. */
const FAILURES_BY_NAME: ReadonlyMap<string, Status> = new Map(
  Object.values(Status)
    .filter((value): value is Status => typeof value === "number" && value !== Status.OK)
    .map((status) => [Status[status], status]),
);
const FAILURES: ReadonlySet<number> = new Set(FAILURES_BY_NAME.values());

/**
 * The canonical status (google.rpc.Code) of a failed Google API call, whichever transport made it; undefined if the
 * error carries none. A status name is exact, so it wins over a number, which the REST transports may have mapped
 * from an HTTP status:
 * - a `status` name on the error (Firestore's REST transport), else
 * - the `status` of a REST error body `{"error": {"code", "message", "status"}}` in its message (Cloud Run's REST
 *   fallback), else
 * - its numeric `code`: a gRPC code below 100, an HTTP status from 100 up.
 */
export function googleApiStatus(error: unknown): Status | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { status, message, code } = error as { status?: unknown; message?: unknown; code?: unknown };
  const named = typeof status === "string" ? FAILURES_BY_NAME.get(status) : undefined;
  if (named !== undefined) return named;
  const bodyStatus = typeof message === "string" ? restErrorBody(message)?.status : undefined;
  const fromBody = bodyStatus === undefined ? undefined : FAILURES_BY_NAME.get(bodyStatus);
  if (fromBody !== undefined) return fromBody;
  if (typeof code !== "number") return undefined;
  if (code >= 100) return HTTP_STATUSES.get(code);
  return FAILURES.has(code) ? code : undefined;
}

/** Whether a failed Google API call reports this status. */
export function hasGoogleApiStatus(error: unknown, status: Status): boolean {
  return googleApiStatus(error) === status;
}

/** The `status` and `message` of a REST error body, `{"error": {"code", "message", "status"}}`, if `text` is one. */
export function restErrorBody(text: string): { status?: string; message?: string } | undefined {
  if (!text.trimStart().startsWith("{")) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    const inner = typeof parsed === "object" && parsed !== null && "error" in parsed ? parsed.error : undefined;
    if (typeof inner !== "object" || inner === null) return undefined;
    const status = "status" in inner && typeof inner.status === "string" ? inner.status : undefined;
    const message = "message" in inner && typeof inner.message === "string" ? inner.message : undefined;
    return { ...definedProperties({ status, message }) };
  } catch {
    return undefined;
  }
}
