import { definedProperties } from "../../../shared/objects/index.js";
import type { JsonObject } from "./json.js";

/** One problem in a rejected object, as Kubernetes lists them in `details.causes` of a 422. */
export interface StatusCause {
  /** `FieldValueInvalid`, `FieldValueRequired`, `FieldValueNotSupported`, `FieldValueForbidden`… */
  readonly reason: string;
  readonly message: string;
  /** Kubernetes field path: `spec.template.spec.containers[0].image`. */
  readonly field: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: readonly StatusCause[];
}

/** A failed request, answered with a real `Status` body (kind Status, apiVersion v1, status Failure). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): JsonObject {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      ...definedProperties({ details: this.details }),
      code: this.code,
    };
  }
}

/** What a resource is called in messages: `jobs.batch`, `pods`, `workloads.kueue.x-k8s.io`. */
export interface ResourceName {
  readonly plural: string;
  readonly group: string;
  readonly kind: string;
}

function qualified(resource: ResourceName): string {
  return resource.group === "" ? resource.plural : `${resource.plural}.${resource.group}`;
}

export function successStatus(details: StatusDetails): JsonObject {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details };
}

export function notFound(resource: ResourceName, name: string): ApiError {
  return new ApiError(404, "NotFound", `${qualified(resource)} "${name}" not found`, {
    name,
    group: resource.group,
    kind: resource.plural,
  });
}

/** RBAC's refusal, worded as the apiserver's authorizer words it. */
export function forbidden(resource: ResourceName, verb: string, user: string, namespace?: string): ApiError {
  const where = namespace === undefined ? "at the cluster scope" : `in the namespace "${namespace}"`;
  return new ApiError(
    403,
    "Forbidden",
    `${qualified(resource)} is forbidden: User "${user}" cannot ${verb} resource "${resource.plural}" in API group "${resource.group}" ${where}`,
    { group: resource.group, kind: resource.plural },
  );
}

/** A server-side failure with the reason the apiserver gives that code. */
export function serverError(code: number): ApiError {
  const reasons: Record<number, [string, string]> = {
    429: ["TooManyRequests", "the server has received too many requests and has asked us to try again later"],
    503: ["ServiceUnavailable", "the server is currently unable to handle the request"],
    504: ["Timeout", "the server was unable to return a response in the time allotted"],
  };
  const [reason, message] = reasons[code] ?? [
    "InternalError",
    "an error on the server has prevented the request from succeeding",
  ];
  return new ApiError(code, reason, message);
}

export function pathNotFound(): ApiError {
  return new ApiError(404, "NotFound", "the server could not find the requested resource", {});
}

export function alreadyExists(resource: ResourceName, name: string): ApiError {
  return new ApiError(409, "AlreadyExists", `${qualified(resource)} "${name}" already exists`, {
    name,
    group: resource.group,
    kind: resource.plural,
  });
}

export function conflict(resource: ResourceName, name: string): ApiError {
  return new ApiError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${qualified(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: resource.group, kind: resource.plural },
  );
}

export function invalid(resource: ResourceName, name: string, causes: readonly StatusCause[]): ApiError {
  const kind = resource.group === "" ? resource.kind : `${resource.kind}.${resource.group}`;
  const listed = causes.map((cause) => `${cause.field}: ${cause.message}`);
  const summary = listed.length === 1 ? listed[0] : `[${listed.join(", ")}]`;
  return new ApiError(422, "Invalid", `${kind} "${name}" is invalid: ${summary}`, {
    name,
    group: resource.group,
    kind: resource.kind,
    causes,
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, "BadRequest", message);
}

export function unsupportedMediaType(contentType: string, supported: readonly string[]): ApiError {
  return new ApiError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: ${supported.join(", ")} (got "${contentType}")`,
  );
}

export function methodNotAllowed(method: string, what: string): ApiError {
  return new ApiError(
    405,
    "MethodNotAllowed",
    `the server does not allow this method on the requested resource (${method} ${what})`,
  );
}

export function unauthorized(): ApiError {
  return new ApiError(401, "Unauthorized", "Unauthorized");
}

export function gone(message: string): ApiError {
  return new ApiError(410, "Expired", message);
}
