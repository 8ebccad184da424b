import type { ErrorRequestHandler } from "express";
import {
  DatasetNotFound,
  DeadLetterNotFound,
  DeadLetterNotReplayable,
  InvalidEvent,
  InvalidServiceID,
  NoAnswerYet,
  NonRetryableError,
  QuestionDiagnosticsNotFound,
  QuestionNotFound,
  RevisionNotFound,
  StorageAccessDenied,
  StorageObjectNotFound,
  TwinedError,
  TwineException,
} from "../../errors/index.js";

/** The JSON body of every error response: `{error: {type, message, details}}`. */
export interface ErrorBody {
  readonly error: { readonly type: string; readonly message: string; readonly details: Record<string, unknown> };
}

/** The HTTP status for an error: the asker's mistakes are 4xx, ours are 500. */
export function statusOf(error: unknown): number {
  if (error instanceof QuestionNotFound || error instanceof RevisionNotFound) return 404;
  if (error instanceof StorageObjectNotFound || error instanceof DatasetNotFound) return 404;
  if (error instanceof QuestionDiagnosticsNotFound || error instanceof DeadLetterNotFound) return 404;
  if (error instanceof StorageAccessDenied) return 403;
  if (error instanceof NoAnswerYet || error instanceof DeadLetterNotReplayable) return 409;
  if (error instanceof InvalidServiceID || error instanceof InvalidEvent || error instanceof TwineException) return 400;
  if (error instanceof NonRetryableError) return 400;
  if (isBodyParserError(error)) return error.status;
  return 500;
}

export function errorBody(error: unknown): ErrorBody {
  if (isBodyParserError(error)) {
    return {
      error: {
        type: "InvalidJson",
        message: `the request body is not valid JSON: ${error.message}`,
        details: {},
      },
    };
  }
  if (!(error instanceof TwinedError)) {
    return { error: { type: "InternalError", message: "the server failed; see its log", details: {} } };
  }
  const details: Record<string, unknown> = {};
  if (error.pointer !== undefined) details.pointer = error.pointer;
  if (error instanceof TwineException && error.strand !== undefined) details.strand = error.strand;
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

/** Express's last middleware: every error becomes a JSON error response; unexpected ones are logged. */
export function jsonErrors(
  log: (message: string) => void = (message) => process.stderr.write(`${message}\n`),
): ErrorRequestHandler {
  return (error: unknown, _request, response, _next) => {
    const status = statusOf(error);
    if (status >= 500) log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    response.status(status).json(errorBody(error));
  };
}

function isBodyParserError(error: unknown): error is { status: number; message: string; type: string } {
  return (
    typeof error === "object" &&
    error !== null &&
    "type" in error &&
    (error as { type: unknown }).type === "entity.parse.failed" &&
    "status" in error
  );
}
