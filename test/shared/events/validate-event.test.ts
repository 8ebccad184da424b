import { describe, expect, it } from "vitest";
import { InvalidEvent } from "../../../shared/errors/index.js";
import {
  CHILD_EVENT_KINDS,
  EVENT_KINDS,
  PARENT_EVENT_KINDS,
  senderTypeForKind,
  validateEvent,
} from "../../../shared/events/index.js";
import { EXAMPLE_MANIFEST, QUESTION_ATTRIBUTES, REPLAY_ATTRIBUTES, REPLAY_STREAM } from "./event-fixtures.js";

function validationError(envelope: unknown): InvalidEvent {
  try {
    validateEvent(envelope);
  } catch (error) {
    if (error instanceof InvalidEvent) return error;
    throw error;
  }
  throw new Error("expected InvalidEvent");
}

const VALID_BODIES: Record<(typeof EVENT_KINDS)[number], Record<string, unknown>> = {
  question: {
    kind: "question",
    input_values: { height: 3 },
    input_manifest: EXAMPLE_MANIFEST,
    children: [{ key: "wind", id: "octue/wind:1.0.0", backend: { name: "GCPPubSubBackend", project_id: "p" } }],
  },
  cancellation: { kind: "cancellation" },
  delivery_acknowledgement: { kind: "delivery_acknowledgement" },
  heartbeat: { kind: "heartbeat" },
  monitor_message: { kind: "monitor_message", data: { progress: "35%" } },
  log_record: { kind: "log_record", log_record: { msg: "hello", levelno: 20, custom_extra: [1] } },
  exception: {
    kind: "exception",
    exception_type: "ValueError",
    exception_message: "x cannot be less than 10.",
    exception_traceback: [],
  },
  result: { kind: "result", output_values: [1, 2, 3], output_manifest: EXAMPLE_MANIFEST },
};

/** One invalid body per kind, with the pointer its error must name. */
const INVALID_BODIES: Record<(typeof EVENT_KINDS)[number], [Record<string, unknown>, string, RegExp]> = {
  question: [{ kind: "question", children: [{ key: "a", id: "b" }] }, "/event/children/0/backend", /required/],
  cancellation: [{ kind: "cancellation" }, "/attributes/sender_type", /only be sent by a PARENT/],
  delivery_acknowledgement: [
    { kind: "delivery_acknowledgement" },
    "/attributes/sender_type",
    /only be sent by a CHILD/,
  ],
  heartbeat: [{ kind: "heartbeat" }, "/attributes/sender_type", /only be sent by a CHILD/],
  monitor_message: [{ kind: "monitor_message" }, "/event/data", /required but missing/],
  log_record: [{ kind: "log_record", log_record: "hello" }, "/event/log_record", /must be object, got string "hello"/],
  exception: [
    { kind: "exception", exception_type: "E", exception_message: "m", exception_traceback: "tb" },
    "/event/exception_traceback",
    /must be array/,
  ],
  result: [{ kind: "result", output_manifest: { datasets: {} } }, "/event/output_manifest/id", /required but missing/],
};

function attributesFor(kind: (typeof EVENT_KINDS)[number]) {
  return senderTypeForKind(kind) === "PARENT" ? QUESTION_ATTRIBUTES : REPLAY_ATTRIBUTES;
}

describe("validateEvent", () => {
  it("splits the eight kinds between parents and children", () => {
    expect([...PARENT_EVENT_KINDS, ...CHILD_EVENT_KINDS].sort()).toEqual([...EVENT_KINDS].sort());
    expect(PARENT_EVENT_KINDS).toEqual(["question", "cancellation"]);
  });

  it.each(EVENT_KINDS)("accepts a valid %s event", (kind) => {
    const envelope = { event: VALID_BODIES[kind], attributes: attributesFor(kind) };
    expect(validateEvent(envelope)).toBe(envelope);
  });

  it.each(EVENT_KINDS)("rejects an invalid %s event with a precise pointer", (kind) => {
    const [body, pointer, message] = INVALID_BODIES[kind];
    // Bodies that are only `{kind}` have nothing to get wrong, so their example comes from the wrong sender.
    const bodyOnlyKind = Object.keys(body).length === 1;
    const sender = senderTypeForKind(kind) === "PARENT" ? "CHILD" : "PARENT";
    const attributes = bodyOnlyKind
      ? sender === "PARENT"
        ? QUESTION_ATTRIBUTES
        : REPLAY_ATTRIBUTES
      : attributesFor(kind);
    const error = validationError({ event: body, attributes });
    expect(error.pointer).toBe(pointer);
    expect(error.message).toMatch(message);
  });

  it("accepts every event of the replay fixture's response stream, in order", () => {
    expect(REPLAY_STREAM.map((envelope) => validateEvent(envelope).event.kind)).toEqual([
      "delivery_acknowledgement",
      "log_record",
      "log_record",
      "log_record",
      "log_record",
      "log_record",
      "result",
      "heartbeat",
    ]);
    expect(new Set(REPLAY_STREAM.map((envelope) => envelope.attributes.uuid)).size).toBe(REPLAY_STREAM.length);
  });

  it("rejects a heartbeat sent with sender_type PARENT, naming the attribute", () => {
    const error = validationError({ event: { kind: "heartbeat" }, attributes: QUESTION_ATTRIBUTES });
    expect(error.message).toBe('a "heartbeat" event can only be sent by a CHILD, but sender_type is "PARENT"');
    expect(error.pointer).toBe("/attributes/sender_type");
    expect(error.questionUuid).toBe(QUESTION_ATTRIBUTES.question_uuid);
  });

  it("rejects a question sent with sender_type CHILD", () => {
    const error = validationError({ event: { kind: "question" }, attributes: REPLAY_ATTRIBUTES });
    expect(error.message).toMatch(/can only be sent by a PARENT/);
  });

  it("rejects child attributes without retry_count in the nested form", () => {
    const { retry_count: _dropped, ...attributes } = REPLAY_ATTRIBUTES;
    const error = validationError({ event: { kind: "heartbeat" }, attributes });
    expect(error.pointer).toBe("/attributes/retry_count");
    expect(error.message).toBe("/attributes/retry_count is required but missing");
  });

  it.each(["forward_logs", "save_diagnostics"] as const)("rejects a question whose attributes lack %s", (key) => {
    const attributes: Record<string, unknown> = { ...QUESTION_ATTRIBUTES };
    delete attributes[key];
    const error = validationError({ event: { kind: "question" }, attributes });
    expect(error.pointer).toBe(`/attributes/${key}`);
  });

  it("reports the branch of the event's kind instead of a oneOf summary", () => {
    const error = validationError({
      event: { kind: "exception", exception_type: "ValueError", exception_traceback: [] },
      attributes: REPLAY_ATTRIBUTES,
    });
    expect(error.pointer).toBe("/event/exception_message");
    expect(error.message).not.toMatch(/oneOf/);
  });

  it("reports the deepest failure inside a manifest's datasets", () => {
    const manifest = { id: "m", datasets: { d: { id: "d", name: "n", tags: {}, labels: [], files: [{ id: "f" }] } } };
    const error = validationError({
      event: { kind: "result", output_manifest: manifest },
      attributes: REPLAY_ATTRIBUTES,
    });
    expect(error.pointer).toBe("/event/output_manifest/datasets/d/files/0/path");
  });

  it("merges the types a dataset may have when it has neither", () => {
    const manifest = { id: "m", datasets: { d: 3 } };
    const error = validationError({
      event: { kind: "result", output_manifest: manifest },
      attributes: REPLAY_ATTRIBUTES,
    });
    expect(error.message).toBe("/event/output_manifest/datasets/d must be string or object, got integer 3");
  });

  it("rejects an unknown kind, listing the known ones", () => {
    const error = validationError({ event: { kind: "progress" }, attributes: REPLAY_ATTRIBUTES });
    expect(error.pointer).toBe("/event/kind");
    expect(error.message).toMatch(/must be one of "question", .*"cancellation", got string "progress"/);
  });

  it("rejects typed attributes of the wrong type (validation runs on deserialised values)", () => {
    const error = validationError({
      event: { kind: "question" },
      attributes: { ...QUESTION_ATTRIBUTES, retry_count: "0" },
    });
    expect(error.pointer).toBe("/attributes/retry_count");
    expect(error.message).toBe('/attributes/retry_count must be integer, got string "0"');
  });

  it("rejects an unknown sender_type", () => {
    const error = validationError({
      event: { kind: "heartbeat" },
      attributes: { ...REPLAY_ATTRIBUTES, sender_type: "SIBLING" },
    });
    expect(error.pointer).toBe("/attributes/sender_type");
  });

  it("rejects extra top-level properties and non-object envelopes", () => {
    expect(validationError({ event: { kind: "heartbeat" }, attributes: REPLAY_ATTRIBUTES, meta: 1 }).pointer).toBe(
      "/meta",
    );
    expect(validationError("heartbeat").message).toMatch(/must be an object/);
    expect(validationError({ attributes: REPLAY_ATTRIBUTES }).pointer).toBe("/event");
    expect(validationError({ event: { kind: "heartbeat" } }).pointer).toBe("/attributes");
  });

  it("tolerates extra attributes, as Octue's schema does", () => {
    const envelope = { event: { kind: "heartbeat" }, attributes: { ...REPLAY_ATTRIBUTES, order: 3 } };
    expect(validateEvent(envelope).attributes).toHaveProperty("order", 3);
  });

  it("does not enforce formats: a datetime without offset and free-form UUID text pass", () => {
    const attributes = { ...REPLAY_ATTRIBUTES, datetime: "2024-04-11 10:46", uuid: "event-1" };
    expect(validateEvent({ event: { kind: "heartbeat" }, attributes }).attributes.uuid).toBe("event-1");
  });
});
