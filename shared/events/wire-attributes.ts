import { InvalidEvent } from "../errors/event-errors.js";
import { jsonPointer } from "../json/json-pointer.js";
import { definedProperties } from "../objects/index.js";
import {
  type ChildAttributes,
  type EventAttributes,
  type ParentAttributes,
  SAVE_DIAGNOSTICS_MODES,
  type SaveDiagnostics,
} from "./attributes.js";
import { isIsoDatetime } from "./datetime-text.js";
import { isPythonParsableUuid } from "./uuid-text.js";

/** Pub/Sub message attributes: every value is a string. */
export type WireAttributes = Record<string, string>;

const CANONICAL_NON_NEGATIVE_INTEGER = /^(?:0|[1-9][0-9]*)$/;

/**
 * Serialises typed attributes the way Octue puts them on a Pub/Sub message: booleans as `"1"`/`"0"`, integers in
 * decimal, and undefined or null values left out. Unknown extra properties that are strings pass through unchanged.
 */
export function attributesToWire(attributes: EventAttributes): WireAttributes {
  const wire: WireAttributes = {};
  for (const [key, value] of Object.entries(attributes) as [string, unknown][]) {
    if (value === undefined || value === null) continue;
    if (typeof value === "boolean") wire[key] = value ? "1" : "0";
    else if (typeof value === "number") {
      if (!Number.isFinite(value)) {
        throw new InvalidEvent(`attribute ${key} must be a finite number, got ${value}`, { pointer: pointerTo(key) });
      }
      wire[key] = String(value);
    } else if (typeof value === "string") wire[key] = value;
    else {
      throw new InvalidEvent(
        `attribute ${key} cannot be sent as a Pub/Sub attribute: only strings, numbers and booleans can, got ${describeValue(value)}`,
        { pointer: pointerTo(key), questionUuid: questionUuidOf(attributes) },
      );
    }
  }
  return wire;
}

/**
 * Reads Pub/Sub attributes back into their typed form, checking each one. Attributes the protocol does not define are
 * dropped (the schema tolerates them, but nothing reads them). Errors name the attribute, what was expected and what
 * arrived; their pointer is `/attributes/<name>`.
 *
 * `parent_question_uuid` of `"null"` is read as absent: older Octue versions wrote None that way and its event store
 * still maps it.
 */
export function attributesFromWire(wire: unknown): EventAttributes {
  if (typeof wire !== "object" || wire === null || Array.isArray(wire)) {
    throw new InvalidEvent(`event attributes must be an object of strings, got ${describeValue(wire)}`, {
      pointer: "/attributes",
    });
  }
  const reader = new WireReader(wire as Record<string, unknown>);
  const senderType = reader.senderType();
  // Built in Octue's declaration order so serialising again gives the same key order.
  const common = {
    uuid: reader.uuid("uuid"),
    datetime: reader.datetime("datetime"),
    question_uuid: reader.uuid("question_uuid"),
    ...definedProperties({ parent_question_uuid: reader.optionalUuid("parent_question_uuid") }),
    originator_question_uuid: reader.uuid("originator_question_uuid"),
    parent: reader.text("parent"),
    originator: reader.text("originator"),
    sender: reader.text("sender"),
  };
  const tail = {
    sender_sdk_version: reader.text("sender_sdk_version"),
    recipient: reader.text("recipient"),
    retry_count: reader.integer("retry_count", 0, `like "0" for a first attempt`),
  };
  if (senderType === "CHILD") {
    const child: ChildAttributes = {
      ...common,
      sender_type: "CHILD",
      ...tail,
      ...definedProperties({ order: reader.optionalInteger("order", 0, `like "0" for a question's first response`) }),
    };
    return child;
  }
  const parent: ParentAttributes = {
    ...common,
    sender_type: "PARENT",
    ...tail,
    forward_logs: reader.flag("forward_logs"),
    save_diagnostics: reader.saveDiagnostics(),
    ...definedProperties({
      cpus: reader.optionalInteger("cpus", 1, `like "1"`),
      memory: reader.optionalText("memory"),
      ephemeral_storage: reader.optionalText("ephemeral_storage"),
    }),
  };
  return parent;
}

class WireReader {
  private readonly questionUuid: string | undefined;

  constructor(private readonly wire: Record<string, unknown>) {
    const candidate = wire.question_uuid;
    this.questionUuid = typeof candidate === "string" ? candidate : undefined;
  }

  senderType(): "PARENT" | "CHILD" {
    const value = this.required("sender_type", `"PARENT" for questions or "CHILD" for responses`);
    if (value !== "PARENT" && value !== "CHILD") {
      this.fail("sender_type", `sender_type must be "PARENT" or "CHILD", got ${JSON.stringify(value)}`);
    }
    return value;
  }

  text(name: string): string {
    const value = this.required(name, "a non-empty string");
    if (value === "") this.fail(name, `${name} must not be empty`);
    return value;
  }

  optionalText(name: string): string | undefined {
    return this.has(name) ? this.text(name) : undefined;
  }

  uuid(name: string): string {
    const value = this.required(name, "a UUID");
    if (!isPythonParsableUuid(value)) {
      this.fail(
        name,
        `${name} must be a UUID like "ca534cdd-24cb-4ed2-af57-e36757192acb", got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  optionalUuid(name: string): string | undefined {
    if (!this.has(name) || this.wire[name] === "null") return undefined;
    return this.uuid(name);
  }

  datetime(name: string): string {
    const value = this.required(name, "an ISO-8601 datetime");
    if (!isIsoDatetime(value)) {
      this.fail(
        name,
        `${name} must be an ISO-8601 datetime like "2024-04-11T09:26:39.144818+00:00", got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  integer(name: string, minimum: number, example: string): number {
    const value = this.required(name, `an integer string ${example}`);
    const parsed = CANONICAL_NON_NEGATIVE_INTEGER.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < minimum) {
      const what = minimum === 0 ? "a non-negative integer" : `an integer of at least ${minimum}`;
      this.fail(name, `${name} must be ${what} string ${example}, got ${JSON.stringify(value)}`);
    }
    return parsed;
  }

  optionalInteger(name: string, minimum: number, example: string): number | undefined {
    return this.has(name) ? this.integer(name, minimum, example) : undefined;
  }

  flag(name: string): boolean {
    const value = this.required(name, `"1" (true) or "0" (false)`);
    if (value !== "1" && value !== "0") {
      this.fail(name, `${name} must be "1" (true) or "0" (false), got ${JSON.stringify(value)}`);
    }
    return value === "1";
  }

  saveDiagnostics(): SaveDiagnostics {
    const name = "save_diagnostics";
    const choices = SAVE_DIAGNOSTICS_MODES.join(", ");
    const value = this.required(name, `one of ${choices}`);
    if (!(SAVE_DIAGNOSTICS_MODES as readonly string[]).includes(value)) {
      this.fail(name, `${name} must be one of ${choices}, got ${JSON.stringify(value)}`);
    }
    return value as SaveDiagnostics;
  }

  private has(name: string): boolean {
    return Object.hasOwn(this.wire, name) && this.wire[name] !== undefined;
  }

  private required(name: string, expected: string): string {
    if (!this.has(name)) this.fail(name, `attribute ${name} is missing; set it to ${expected}`);
    const value = this.wire[name];
    if (typeof value !== "string") {
      this.fail(name, `attribute ${name} must be a string on the wire (${expected}), got ${describeValue(value)}`);
    }
    return value;
  }

  private fail(name: string, message: string): never {
    throw new InvalidEvent(message, { pointer: pointerTo(name), questionUuid: this.questionUuid });
  }
}

function pointerTo(attribute: string): string {
  return jsonPointer(["attributes", attribute]);
}

function questionUuidOf(attributes: EventAttributes): string | undefined {
  return typeof attributes.question_uuid === "string" ? attributes.question_uuid : undefined;
}

export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}
