import { isScalar, type Node } from "yaml";
import type { FieldType } from "./cloud-build-schema.js";
import { didYouMean } from "./cloud-build-suggest.js";
import { describeNode } from "./cloud-build-yaml.js";

/** What is wrong with a single (non-message) value as protobuf JSON reads it, or undefined if nothing. */
export function valueProblem(node: Node | null, type: Exclude<FieldType, { kind: "message" }>): string | undefined {
  switch (type.kind) {
    case "duration":
      return durationProblem(node);
    case "timestamp":
      return typeof scalarValue(node) === "string" ? undefined : "expected an RFC 3339 timestamp";
    case "enum":
      return enumProblem(node, type.values);
    case "scalar":
      return scalarProblem(node, type.scalar);
  }
}

function scalarValue(node: Node | null): unknown {
  return isScalar(node) ? node.value : undefined;
}

const DURATION = /^(-?\d+(?:\.\d{1,9})?)s$/;

/** Cloud Build reads durations as protobuf JSON: seconds with an `s`, e.g. `600s` or `1.5s`. */
function durationProblem(node: Node | null): string | undefined {
  const value = scalarValue(node);
  const match = typeof value === "string" ? DURATION.exec(value) : null;
  if (match) return Number(match[1]) > 0 ? undefined : `a duration must be positive, got '${String(value)}'`;
  const seconds = typeof value === "number" ? value : secondsOf(String(value));
  const fix = seconds === undefined || seconds <= 0 ? "" : `; write '${seconds}s'`;
  return `a duration must look like "600s" or "1.5s" (seconds, then s), got ${describeNode(node)}${fix}`;
}

/** Seconds in a Go-style duration such as `20m` or `1h30m`, to suggest the equivalent. */
function secondsOf(text: string): number | undefined {
  const parts = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
  if (!parts || text === "") return undefined;
  const [, hours, minutes, seconds] = parts;
  const total = Number(hours ?? 0) * 3600 + Number(minutes ?? 0) * 60 + Number(seconds ?? 0);
  return Math.round(total * 1e9) / 1e9;
}

function enumProblem(node: Node | null, values: ReadonlyMap<string, number>): string | undefined {
  const value = scalarValue(node);
  if (typeof value === "string" && values.has(value)) return undefined;
  // Protobuf JSON also accepts an enum's number.
  if (typeof value === "number" && [...values.values()].includes(value)) return undefined;
  const names = [...values.keys()];
  const meaningful = names.filter((name) => !/(^|_)UNSPECIFIED$/.test(name));
  const listed = meaningful.length > 0 ? meaningful : names;
  const suggestion = typeof value === "string" ? didYouMean(value, listed) : "";
  const got = typeof value === "string" ? `'${value}'` : describeNode(node);
  return `${got} is not one of: ${listed.join(", ")}${suggestion}`;
}

const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  fixed64: [0, Number.MAX_SAFE_INTEGER],
};

function scalarProblem(node: Node | null, scalar: string): string | undefined {
  const value = scalarValue(node);
  const got = describeNode(node);
  switch (scalar) {
    case "string":
      if (typeof value === "string") return undefined;
      return isScalar(node)
        ? `expected a string, got ${got}; quote it: '${node.source ?? String(value)}'`
        : `expected a string, got ${got}`;
    case "bytes":
      return typeof value === "string" && /^[A-Za-z0-9+/_\-\s]*={0,2}$/.test(value)
        ? undefined
        : `expected base64-encoded bytes, got ${got}`;
    case "bool":
      if (typeof value === "boolean") return undefined;
      return value === "true" || value === "false"
        ? `expected true or false, got ${got}; remove the quotes`
        : `expected true or false, got ${got}`;
    case "double":
    case "float":
      return typeof value === "number" ? undefined : `expected a number, got ${got}`;
    default:
      return integerProblem(value, scalar, got);
  }
}

function integerProblem(value: unknown, scalar: string, got: string): string | undefined {
  // Protobuf JSON takes 64-bit integers as numbers or decimal strings.
  const number = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== "number" || !Number.isInteger(number)) return `expected a whole number, got ${got}`;
  const [low, high] = INTEGER_RANGES[scalar] ?? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  return number < low || number > high ? `expected a whole number from ${low} to ${high}, got ${got}` : undefined;
}
