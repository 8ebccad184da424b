import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidEvent } from "../../../shared/errors/index.js";
import {
  attributesFromWire,
  attributesToWire,
  createQuestionAttributes,
  deriveResponseAttributes,
} from "../../../shared/events/index.js";
import { QUESTION_ATTRIBUTES, REPLAY_ATTRIBUTES, WIRE_QUESTION_ATTRIBUTES } from "./event-fixtures.js";

function wireError(wire: Record<string, unknown>): InvalidEvent {
  try {
    attributesFromWire(wire);
  } catch (error) {
    if (error instanceof InvalidEvent) return error;
    throw error;
  }
  throw new Error("expected InvalidEvent");
}

function withoutKey(wire: Readonly<Record<string, string>>, key: string): Record<string, string> {
  const copy = { ...wire };
  delete copy[key];
  return copy;
}

describe("attributesFromWire / attributesToWire", () => {
  it("reads Octue's serialised question attributes into typed values", () => {
    expect(attributesFromWire(WIRE_QUESTION_ATTRIBUTES)).toEqual(QUESTION_ATTRIBUTES);
  });

  it("round-trips the §10 wire vector exactly (wire → typed → wire)", () => {
    expect(attributesToWire(attributesFromWire(WIRE_QUESTION_ATTRIBUTES))).toStrictEqual(WIRE_QUESTION_ATTRIBUTES);
  });

  it("keeps Octue's declaration order of keys", () => {
    expect(Object.keys(attributesFromWire(WIRE_QUESTION_ATTRIBUTES)).slice(0, 9)).toEqual([
      "uuid",
      "datetime",
      "question_uuid",
      "parent_question_uuid",
      "originator_question_uuid",
      "parent",
      "originator",
      "sender",
      "sender_type",
    ]);
  });

  it("serialises booleans as 1/0 and integers in decimal, leaving out undefined and null", () => {
    const wire = attributesToWire({ ...QUESTION_ATTRIBUTES, forward_logs: false, retry_count: 12, cpus: undefined });
    expect(wire.forward_logs).toBe("0");
    expect(wire.retry_count).toBe("12");
    expect("cpus" in wire).toBe(false);
    expect(Object.values(wire).every((value) => typeof value === "string")).toBe(true);
  });

  it("refuses to serialise a non-finite number", () => {
    expect(() => attributesToWire({ ...QUESTION_ATTRIBUTES, retry_count: Number.NaN })).toThrow(/finite/);
  });

  it("reads child attributes and ignores question-only and unknown keys", () => {
    const wire = { ...attributesToWire(REPLAY_ATTRIBUTES), forward_logs: "1", colour: "blue" };
    expect(attributesFromWire(wire)).toStrictEqual(REPLAY_ATTRIBUTES);
  });

  it("reads a response's order, Octue's historic numbering that Twined's runner sends again", () => {
    const wire = { ...attributesToWire(REPLAY_ATTRIBUTES), order: "3" };
    expect(attributesFromWire(wire)).toStrictEqual({ ...REPLAY_ATTRIBUTES, order: 3 });
    expect(attributesToWire({ ...REPLAY_ATTRIBUTES, order: 3 }).order).toBe("3");
    const error = wireError({ ...wire, order: "-1" });
    expect(error.pointer).toBe("/attributes/order");
  });

  it("accepts the legacy parent_question_uuid value null as absent", () => {
    const typed = attributesFromWire({ ...WIRE_QUESTION_ATTRIBUTES, parent_question_uuid: "null" });
    expect(typed.parent_question_uuid).toBeUndefined();
  });

  it("accepts a datetime with a UTC offset and one with a Z", () => {
    for (const datetime of ["2024-04-11T09:26:39.144818+00:00", "2024-04-11T09:26:39Z", "2024-04-11T09:26:39"]) {
      expect(attributesFromWire({ ...WIRE_QUESTION_ATTRIBUTES, datetime }).datetime).toBe(datetime);
    }
  });

  it("rejects child attributes without retry_count (Octue crashes on them)", () => {
    const error = wireError(withoutKey(attributesToWire(REPLAY_ATTRIBUTES), "retry_count"));
    expect(error.pointer).toBe("/attributes/retry_count");
    expect(error.message).toBe(
      'attribute retry_count is missing; set it to an integer string like "0" for a first attempt',
    );
    expect(error.questionUuid).toBe(REPLAY_ATTRIBUTES.question_uuid);
  });

  it.each(["forward_logs", "save_diagnostics"])("rejects a question without %s", (key) => {
    const error = wireError(withoutKey(WIRE_QUESTION_ATTRIBUTES, key));
    expect(error.pointer).toBe(`/attributes/${key}`);
    expect(error.message).toMatch(new RegExp(`^attribute ${key} is missing`));
  });

  it.each([
    ["retry_count", "x", 'retry_count must be a non-negative integer string like "0" for a first attempt, got "x"'],
    ["retry_count", "-1", 'retry_count must be a non-negative integer string like "0" for a first attempt, got "-1"'],
    ["retry_count", "01", 'retry_count must be a non-negative integer string like "0" for a first attempt, got "01"'],
    ["cpus", "0", 'cpus must be an integer of at least 1 string like "1", got "0"'],
    ["forward_logs", "true", 'forward_logs must be "1" (true) or "0" (false), got "true"'],
    [
      "save_diagnostics",
      "ON",
      'save_diagnostics must be one of SAVE_DIAGNOSTICS_OFF, SAVE_DIAGNOSTICS_ON_CRASH, SAVE_DIAGNOSTICS_ON, got "ON"',
    ],
    ["sender_type", "parent", 'sender_type must be "PARENT" or "CHILD", got "parent"'],
    [
      "question_uuid",
      "not-a-uuid",
      'question_uuid must be a UUID like "ca534cdd-24cb-4ed2-af57-e36757192acb", got "not-a-uuid"',
    ],
    [
      "datetime",
      "yesterday",
      'datetime must be an ISO-8601 datetime like "2024-04-11T09:26:39.144818+00:00", got "yesterday"',
    ],
    ["sender", "", "sender must not be empty"],
  ])("rejects %s = %j with a precise message", (key, value, message) => {
    const error = wireError({ ...WIRE_QUESTION_ATTRIBUTES, [key]: value });
    expect(error.message).toBe(message);
    expect(error.pointer).toBe(`/attributes/${key}`);
  });

  it("rejects a non-string attribute value", () => {
    const error = wireError({ ...WIRE_QUESTION_ATTRIBUTES, retry_count: 0 });
    expect(error.message).toMatch(/retry_count must be a string on the wire/);
  });

  it("rejects attributes that are not an object", () => {
    expect(() => attributesFromWire(["PARENT"])).toThrow(/must be an object of strings, got an array/);
  });

  it("accepts the question UUID forms Python's uuid.UUID accepts", () => {
    for (const questionUuid of [
      "CA534CDD24CB4ED2AF57E36757192ACB",
      "{ca534cdd-24cb-4ed2-af57-e36757192acb}",
      "urn:uuid:ca534cdd-24cb-4ed2-af57-e36757192acb",
    ]) {
      expect(attributesFromWire({ ...WIRE_QUESTION_ATTRIBUTES, question_uuid: questionUuid }).question_uuid).toBe(
        questionUuid,
      );
    }
  });
});

describe("wire round trip of built attributes", () => {
  it("typed → wire → typed is the identity for any question options", () => {
    const text = fc.string({ minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(
        fc.record({
          sender: text,
          recipient: text,
          retryCount: fc.nat({ max: 1000 }),
          forwardLogs: fc.boolean(),
          saveDiagnostics: fc.constantFrom("SAVE_DIAGNOSTICS_OFF", "SAVE_DIAGNOSTICS_ON_CRASH", "SAVE_DIAGNOSTICS_ON"),
          cpus: fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }),
          memory: fc.option(text, { nil: undefined }),
          parentQuestionUuid: fc.option(fc.uuid(), { nil: undefined }),
        }),
        (options) => {
          const question = createQuestionAttributes(options);
          expect(attributesFromWire(attributesToWire(question))).toStrictEqual(question);
          const response = deriveResponseAttributes(question);
          expect(attributesFromWire(attributesToWire(response))).toStrictEqual(response);
        },
      ),
      { numRuns: 200 },
    );
  });
});
