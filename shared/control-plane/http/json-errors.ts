import type { ErrorRequestHandler } from "express";
import {
  DatasetNotFound,
  DeadLetterNotFound,
  DeadLetterNotReplayable,
  InvalidEvent,
  InvalidServiceID,
  MessageLimitExceeded,
  NetworkTokenRequired,
  NoAnswerYet,
  NonRetryableError,
  QuestionDiagnosticsNotFound,
  QuestionNotFound,
  RegistrationForbidden,
  RequestLimitExceeded,
  RevisionNotFound,
  SchemaError,
  StorageAccessDenied,
  StorageObjectNotFound,
  TwinedError,
  TwineException,
} from "../../errors/index.js";
import { definedProperties } from "../../objects/index.js";
import { type Logger, processLogger } from "../../ports/index.js";

/** The JSON body of every error response: `{error: {type, message, details}}`. */
export interface ErrorBody {
  readonly error: { readonly type: string; readonly message: string; readonly details: Record<string, unknown> };
}

/** The HTTP status for an error: the asker's mistakes are 4xx, ours are 500. */
export function statusOf(error: unknown): number {
  // First: body-parser marks what its hooks throw as 403, and a limit says its own status.
  if (error instanceof RequestLimitExceeded) return error.httpStatus;
  if (error instanceof MessageLimitExceeded) return 413;
  if (error instanceof NetworkTokenRequired) return 401;
  if (error instanceof QuestionNotFound || error instanceof RevisionNotFound) return 404;
  if (error instanceof StorageObjectNotFound || error instanceof DatasetNotFound) return 404;
  if (error instanceof QuestionDiagnosticsNotFound || error instanceof DeadLetterNotFound) return 404;
  if (error instanceof StorageAccessDenied || error instanceof RegistrationForbidden) return 403;
  if (error instanceof NoAnswerYet || error instanceof DeadLetterNotReplayable) return 409;
  if (error instanceof InvalidServiceID || error instanceof InvalidEvent || error instanceof TwineException) return 400;
  // A schema in a twine being registered that no data could be checked against.
  if (error instanceof SchemaError) return 400;
  if (error instanceof NonRetryableError) return 400;
  const unreadable = unreadableBody(error);
  if (unreadable !== undefined) return unreadable.status;
  return 500;
}

export function errorBody(error: unknown): ErrorBody {
  if (error instanceof RequestLimitExceeded) {
    return {
      error: { type: error.name, message: error.message, details: { limit: error.limit, maximum: error.maximum } },
    };
  }
  if (error instanceof MessageLimitExceeded) {
    const limit = `message_${error.limit.replaceAll(" ", "_")}`;
    const details = { limit, maximum: error.maximum, actual: error.actual };
    return { error: { type: error.name, message: error.message, details } };
  }
  const unreadable = unreadableBody(error);
  if (unreadable !== undefined) return { error: describeUnreadableBody(unreadable) };
  if (!(error instanceof TwinedError)) {
    return { error: { type: "InternalError", message: "the server failed; see its log", details: {} } };
  }
  const details: Record<string, unknown> = {};
  if (error.pointer !== undefined) details.pointer = error.pointer;
  if ((error instanceof TwineException || error instanceof SchemaError) && error.strand !== undefined) {
    details.strand = error.strand;
  }
  if (error instanceof RevisionNotFound) details.service_revision_id = error.serviceRevisionId;
  if (error instanceof QuestionNotFound || error instanceof QuestionDiagnosticsNotFound) {
    details.question_uuid = error.questionUuid;
  }
  if (error instanceof InvalidServiceID) details.service_id = error.serviceId;
  if (error instanceof DeadLetterNotFound || error instanceof DeadLetterNotReplayable) {
    details.dead_letter_id = error.deadLetterId;
  }
  return { error: { type: error.name, message: error.message, details } };
}

/**
 * Express's last middleware: every error becomes a JSON error response; unexpected ones are logged as errors (to the
 * process's logger unless one is given).
 */
export function jsonErrors(log?: Logger): ErrorRequestHandler {
  return (error: unknown, _request, response, _next) => {
    const status = statusOf(error);
    if (status >= 500) {
      (log ?? processLogger()).error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    response.status(status).json(errorBody(error));
  };
}

/**
 * Why the body parser could not read a request's body (it throws `http-errors` with a `type` and a 4xx `status`): the
 * asker's mistake, answered with that status. Its other errors (a stream already read) are ours, and stay 500.
 */
interface UnreadableBody {
  readonly type: string;
  readonly status: number;
  readonly message: string;
  readonly limit?: unknown;
  readonly length?: unknown;
  readonly charset?: unknown;
  readonly encoding?: unknown;
}

function unreadableBody(error: unknown): UnreadableBody | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { type, status, expose } = error as { type?: unknown; status?: unknown; expose?: unknown };
  if (typeof status !== "number" || status < 400 || status >= 500) return undefined;
  // Express's router marks a path it cannot decode (a malformed percent-escape) with a 400 on a URIError.
  if (error instanceof URIError) return { type: "url.malformed", status, message: error.message };
  // body-parser's own refusals carry a `type`; what it passes on from zlib (a body that is not the gzip it claims to
  // be) carries only the status and `expose`.
  if (expose !== true) return undefined;
  return typeof type === "string"
    ? (error as UnreadableBody)
    : { ...(error as UnreadableBody), type: "body.unreadable" };
}

function describeUnreadableBody(error: UnreadableBody): ErrorBody["error"] {
  switch (error.type) {
    case "entity.too.large":
      return {
        type: "RequestTooLarge",
        message: `the request body is ${typeof error.length === "number" ? `${error.length} bytes` : "larger than the limit"}, over the limit of ${String(error.limit)} bytes on a request body; send less (large values belong in a dataset)`,
        details: {
          limit: "request_body_bytes",
          maximum: error.limit,
          ...definedProperties({ length: error.length }),
        },
      };
    case "entity.parse.failed":
      return { type: "InvalidJson", message: `the request body is not valid JSON: ${error.message}`, details: {} };
    case "charset.unsupported":
      return {
        type: "UnsupportedCharset",
        message: `the request body's charset '${String(error.charset)}' is not supported; send UTF-8`,
        details: { charset: error.charset },
      };
    case "encoding.unsupported":
      return {
        type: "UnsupportedEncoding",
        message: `the request body's content-encoding '${String(error.encoding)}' is not supported; send it uncompressed, or as gzip, deflate or br`,
        details: { encoding: error.encoding },
      };
    case "url.malformed":
      return {
        type: "MalformedUrl",
        message: `the request's path has a malformed percent-escape (${error.message}); escape '%' as %25`,
        details: {},
      };
    default:
      return { type: "UnreadableBody", message: `the request body could not be read: ${error.message}`, details: {} };
  }
}
