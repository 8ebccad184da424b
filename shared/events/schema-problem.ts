import type { ErrorObject } from "ajv";
import { jsonPointer } from "../json/json-pointer.js";

/** One problem found by the schema, with a pointer into the validated document. */
export interface SchemaProblem {
  readonly pointer: string;
  readonly message: string;
}

const COMBINATORS = new Set(["oneOf", "anyOf", "allOf", "if", "then", "else", "not"]);

/**
 * Picks the most telling of ajv's errors: combinator summaries ("must match exactly one schema in oneOf") are skipped
 * in favour of the deepest concrete failure, since the alternative that got furthest into the data is usually the one
 * the author meant. Failures of several alternatives on the same value's type are merged ("must be string or object").
 */
export function mostSpecificProblem(errors: readonly ErrorObject[], prefix: string): SchemaProblem | undefined {
  const concrete = errors.filter((error) => !COMBINATORS.has(error.keyword));
  if (concrete.length === 0) {
    const first = errors[0];
    return first === undefined ? undefined : describeError(first, prefix);
  }
  let best = concrete[0] as ErrorObject;
  for (const error of concrete) {
    if (depthOf(effectivePointer(error)) > depthOf(effectivePointer(best))) best = error;
  }
  if (best.keyword === "type") {
    const sameValueTypes = concrete.filter(
      (error) => error.keyword === "type" && error.instancePath === best.instancePath,
    );
    const types = [...new Set(sameValueTypes.map((error) => String(error.params.type)))];
    if (types.length > 1) {
      return {
        pointer: prefix + best.instancePath,
        message: `${label(prefix + best.instancePath)} must be ${types.join(" or ")}, got ${kindOf(best.data)}`,
      };
    }
  }
  return describeError(best, prefix);
}

function describeError(error: ErrorObject, prefix: string): SchemaProblem {
  const pointer = prefix + effectivePointer(error);
  const where = label(pointer);
  const params: Record<string, unknown> = error.params;
  switch (error.keyword) {
    case "required":
      return { pointer, message: `${where} is required but missing` };
    case "additionalProperties":
      return { pointer, message: `${where} is not allowed here` };
    case "type":
      return { pointer, message: `${where} must be ${String(params.type)}, got ${kindOf(error.data)}` };
    case "const":
      return {
        pointer,
        message: `${where} must be ${JSON.stringify(params.allowedValue)}, got ${JSON.stringify(error.data)}`,
      };
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(", ");
      return { pointer, message: `${where} must be one of ${allowed}, got ${JSON.stringify(error.data)}` };
    }
    case "minimum":
      return {
        pointer,
        message: `${where} must be at least ${String(params.limit)}, got ${JSON.stringify(error.data)}`,
      };
    case "minLength":
      return { pointer, message: `${where} must not be empty` };
    default:
      return { pointer, message: `${where} ${error.message ?? "is invalid"}` };
  }
}

/** Where the error really is: a missing or extra property is reported by ajv at its parent object. */
function effectivePointer(error: ErrorObject): string {
  const params: Record<string, unknown> = error.params;
  if (error.keyword === "required" && typeof params.missingProperty === "string") {
    return error.instancePath + jsonPointer([params.missingProperty]);
  }
  if (error.keyword === "additionalProperties" && typeof params.additionalProperty === "string") {
    return error.instancePath + jsonPointer([params.additionalProperty]);
  }
  return error.instancePath;
}

function depthOf(pointer: string): number {
  return pointer === "" ? 0 : pointer.split("/").length - 1;
}

function label(pointer: string): string {
  return pointer === "" ? "the envelope" : pointer;
}

export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? `integer ${value}` : `number ${value}`;
  if (typeof value === "string")
    return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  if (typeof value === "boolean") return `boolean ${value}`;
  return typeof value;
}
