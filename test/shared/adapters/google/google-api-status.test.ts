import { GoogleError } from "google-gax";
import { describe, expect, it } from "vitest";
import {
  googleApiStatus,
  hasGoogleApiStatus,
  restErrorBody,
  Status,
} from "../../../../shared/adapters/google/google-api-status.js";

/** An error as grpc-js throws it: the gRPC code, and the status name in the message. */
function grpcError(code: number, message: string): Error {
  return Object.assign(new Error(`${code} ${Status[code]}: ${message}`), { code });
}

/** An error whose message is a REST error body, as Cloud Run's REST fallback can throw. */
function restError(body: { code: number; status?: string; message?: string }, code?: number): Error {
  const error = new Error(JSON.stringify({ error: body }));
  return code === undefined ? error : Object.assign(error, { code });
}

describe("googleApiStatus", () => {
  it("reads a gRPC code", () => {
    expect(googleApiStatus(grpcError(5, "Resource not found"))).toBe(Status.NOT_FOUND);
    expect(googleApiStatus(grpcError(6, "Topic already exists"))).toBe(Status.ALREADY_EXISTS);
    expect(googleApiStatus({ code: 16 })).toBe(Status.UNAUTHENTICATED);
  });

  it("reads a status name on the error, over its code", () => {
    expect(googleApiStatus({ status: "ALREADY_EXISTS" })).toBe(Status.ALREADY_EXISTS);
    expect(googleApiStatus({ code: 10, status: "ALREADY_EXISTS" })).toBe(Status.ALREADY_EXISTS);
  });

  it("reads the status name of a REST error body in the message, over the code", () => {
    expect(googleApiStatus(restError({ code: 404, status: "NOT_FOUND", message: "gone" }))).toBe(Status.NOT_FOUND);
    expect(googleApiStatus(restError({ code: 400, status: "FAILED_PRECONDITION" }, 400))).toBe(
      Status.FAILED_PRECONDITION,
    );
  });

  it("reads an HTTP status where the error has no status name", () => {
    expect(googleApiStatus({ code: 403 })).toBe(Status.PERMISSION_DENIED);
    expect(googleApiStatus({ code: 404 })).toBe(Status.NOT_FOUND);
    expect(googleApiStatus(restError({ code: 409 }, 409))).toBe(Status.ALREADY_EXISTS);
    expect(googleApiStatus({ code: 500 })).toBe(Status.INTERNAL);
    expect(googleApiStatus({ code: 503 })).toBe(Status.UNAVAILABLE);
  });

  it("reads google-gax's own REST error", () => {
    const error = GoogleError.parseHttpError({
      error: { code: 409, status: "ALREADY_EXISTS", message: "Resource 'job' already exists." },
    });
    expect(googleApiStatus(error)).toBe(Status.ALREADY_EXISTS);
  });

  it("is undefined for what carries no known status", () => {
    for (const error of [
      undefined,
      null,
      "NOT_FOUND",
      5,
      new Error("something broke"),
      new Error("{not json"),
      new Error(JSON.stringify({ error: "NOT_FOUND" })),
      { code: "ENOTFOUND" },
      { code: 0 },
      { code: 17 },
      { code: -1 },
      { code: 2.5 },
      { code: 418 },
      { status: 404 },
      { status: "OK" },
      { status: "NOT_A_STATUS" },
      { status: "5" },
      { status: "toString" },
    ]) {
      expect(googleApiStatus(error), JSON.stringify(error)).toBeUndefined();
    }
  });

  it("passes over a status name it does not know to the code", () => {
    expect(googleApiStatus({ status: "NOT_A_STATUS", code: 5 })).toBe(Status.NOT_FOUND);
    expect(googleApiStatus(restError({ code: 404, status: "NOT_A_STATUS" }, 404))).toBe(Status.NOT_FOUND);
  });
});

describe("hasGoogleApiStatus", () => {
  it("says whether the error reports that status", () => {
    expect(hasGoogleApiStatus(grpcError(5, "Resource not found"), Status.NOT_FOUND)).toBe(true);
    expect(hasGoogleApiStatus(grpcError(5, "Resource not found"), Status.ALREADY_EXISTS)).toBe(false);
    expect(hasGoogleApiStatus(new Error("no status"), Status.NOT_FOUND)).toBe(false);
  });
});

describe("restErrorBody", () => {
  it("reads the status and message of a REST error body", () => {
    expect(restErrorBody(' {"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "denied"}}')).toEqual({
      status: "PERMISSION_DENIED",
      message: "denied",
    });
    expect(restErrorBody('{"error": {"code": 500}}')).toEqual({});
  });

  it("is undefined for text that is not one", () => {
    expect(restErrorBody("5 NOT_FOUND: Resource not found")).toBeUndefined();
    expect(restErrorBody("{truncated")).toBeUndefined();
    expect(restErrorBody('{"code": 404}')).toBeUndefined();
    expect(restErrorBody('{"error": null}')).toBeUndefined();
  });
});
