import { describe, expect, it } from "vitest";
import { InvalidEvent, MessageLimitExceeded } from "../../../shared/errors/index.js";
import {
  decodeEvent,
  type EventEnvelope,
  encodeEvent,
  type ParentAttributes,
  PUBSUB_LIMITS,
} from "../../../shared/events/index.js";
import { QUESTION_ATTRIBUTES, REPLAY_STREAM, WIRE_QUESTION_ATTRIBUTES } from "./event-fixtures.js";

function question(input_values: unknown, attributes: ParentAttributes = QUESTION_ATTRIBUTES): EventEnvelope {
  return { event: { kind: "question", input_values }, attributes };
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

/** Bytes of `{"kind":"question","input_values":"…"}` around a string value of length n. */
const QUESTION_OVERHEAD = Buffer.byteLength(JSON.stringify({ kind: "question", input_values: "" }));

describe("encodeEvent", () => {
  it("sends the body as UTF-8 JSON, the attributes as strings and orders by question UUID", () => {
    const encoded = encodeEvent(question({ height: 3 }));
    expect(JSON.parse(encoded.data.toString("utf8"))).toEqual({ kind: "question", input_values: { height: 3 } });
    expect(encoded.attributes).toStrictEqual(WIRE_QUESTION_ATTRIBUTES);
    expect(encoded.orderingKey).toBe(QUESTION_ATTRIBUTES.question_uuid);
  });

  it("validates before encoding", () => {
    const heartbeatFromParent = {
      event: { kind: "heartbeat" },
      attributes: QUESTION_ATTRIBUTES,
    } as unknown as EventEnvelope;
    const error = thrown(() => encodeEvent(heartbeatFromParent));
    expect(error).toBeInstanceOf(InvalidEvent);
  });

  it("refuses values JSON cannot carry instead of turning them into null", () => {
    expect(() => encodeEvent(question({ x: Number.NaN }))).toThrow(/NaN, which JSON cannot represent/);
    expect(() => encodeEvent(question({ x: 1n }))).toThrow(/BigInt/);
  });

  it("accepts data of exactly 10,000,000 bytes and refuses one byte more", () => {
    const exact = "a".repeat(PUBSUB_LIMITS.maxDataBytes - QUESTION_OVERHEAD);
    expect(encodeEvent(question(exact)).data.byteLength).toBe(10_000_000);
    const error = thrown(() => encodeEvent(question(`${exact}a`)));
    expect(error).toBeInstanceOf(MessageLimitExceeded);
    expect(error).toMatchObject({ limit: "data bytes", actual: 10_000_001, maximum: 10_000_000 });
  });

  it("counts data in UTF-8 bytes, not characters", () => {
    const twoByteCharacters = "é".repeat((PUBSUB_LIMITS.maxDataBytes - QUESTION_OVERHEAD) / 2 + 1);
    expect(thrown(() => encodeEvent(question(twoByteCharacters)))).toMatchObject({ limit: "data bytes" });
  });

  function withExtraAttributes(count: number): ParentAttributes {
    const extra = Object.fromEntries(Array.from({ length: count }, (_, index) => [`extra_${index}`, "x"]));
    return { ...QUESTION_ATTRIBUTES, ...extra };
  }

  it("accepts exactly 100 attributes and refuses 101", () => {
    const present = Object.keys(WIRE_QUESTION_ATTRIBUTES).length;
    expect(Object.keys(encodeEvent(question(1, withExtraAttributes(100 - present))).attributes)).toHaveLength(100);
    const error = thrown(() => encodeEvent(question(1, withExtraAttributes(101 - present))));
    expect(error).toMatchObject({ limit: "attribute count", actual: 101, maximum: 100 });
    expect((error as Error).message).toBe("the message has 101 attributes; Pub/Sub accepts at most 100");
  });

  it("accepts a 256-byte attribute key and refuses a 257-byte one", () => {
    const key = "k".repeat(256);
    expect(encodeEvent(question(1, { ...QUESTION_ATTRIBUTES, [key]: "v" } as ParentAttributes)).attributes[key]).toBe(
      "v",
    );
    const error = thrown(() =>
      encodeEvent(question(1, { ...QUESTION_ATTRIBUTES, [`${key}k`]: "v" } as ParentAttributes)),
    );
    expect(error).toMatchObject({ limit: "attribute key bytes", actual: 257, maximum: 256 });
  });

  it("accepts a 1024-byte attribute value and refuses a 1025-byte one, naming the attribute", () => {
    expect(
      encodeEvent(question(1, { ...QUESTION_ATTRIBUTES, memory: "m".repeat(1024) })).attributes.memory,
    ).toHaveLength(1024);
    const error = thrown(() => encodeEvent(question(1, { ...QUESTION_ATTRIBUTES, memory: `${"m".repeat(1023)}é` })));
    expect(error).toMatchObject({
      limit: "attribute value bytes",
      actual: 1025,
      maximum: 1024,
      pointer: "/attributes/memory",
    });
    expect((error as Error).message).toMatch(/^attribute memory is 1025 bytes/);
  });
});

describe("decodeEvent", () => {
  it.each([
    ["0", 0],
    ["false", false],
    ["empty string", ""],
    ["empty object", {}],
    ["empty array", []],
    ["null", null],
  ])("keeps falsy input_values (%s) unchanged through encode and decode", (_name, value) => {
    const decoded = decodeEvent(encodeEvent(question(value)));
    expect(decoded.event).toStrictEqual({ kind: "question", input_values: value });
  });

  it("round-trips every event of the replay stream", () => {
    for (const envelope of REPLAY_STREAM) expect(decodeEvent(encodeEvent(envelope))).toStrictEqual(envelope);
  });

  it("reads data given as a Uint8Array", () => {
    const { data, attributes } = encodeEvent(question(7));
    expect(decodeEvent({ data: new Uint8Array(data), attributes }).event).toEqual({
      kind: "question",
      input_values: 7,
    });
  });

  it("reads base64 string data and the push-request envelope", () => {
    const { data, attributes } = encodeEvent(question([1, 2]));
    const base64 = data.toString("base64");
    expect(decodeEvent({ data: base64, attributes }).event).toEqual({ kind: "question", input_values: [1, 2] });
    const push = {
      message: { data: base64, attributes, messageId: "7", publishTime: "2024-04-11T09:26:40Z" },
      subscription: "s",
    };
    expect(decodeEvent(push).attributes).toEqual(QUESTION_ATTRIBUTES);
  });

  it("explains that string data must be base64, hinting at raw JSON", () => {
    const error = thrown(() => decodeEvent({ data: '{"kind":"heartbeat"}', attributes: WIRE_QUESTION_ATTRIBUTES }));
    expect(error).toBeInstanceOf(InvalidEvent);
    expect((error as Error).message).toMatch(/must be base64 \(it looks like raw JSON/);
  });

  it("rejects a message with no data", () => {
    const error = thrown(() => decodeEvent({ data: Buffer.alloc(0), attributes: WIRE_QUESTION_ATTRIBUTES }));
    expect(error).toMatchObject({ pointer: "/event", questionUuid: QUESTION_ATTRIBUTES.question_uuid });
  });

  it("rejects invalid UTF-8 and invalid JSON, mentioning Python's NaN", () => {
    expect(() => decodeEvent({ data: Buffer.from([0xff, 0xfe]), attributes: WIRE_QUESTION_ATTRIBUTES })).toThrow(
      /not valid UTF-8/,
    );
    const nan = Buffer.from('{"kind":"question","input_values":NaN}');
    expect(() => decodeEvent({ data: nan, attributes: WIRE_QUESTION_ATTRIBUTES })).toThrow(/NaN or Infinity/);
  });

  it("rejects a message without attributes by naming the first missing one", () => {
    const error = thrown(() => decodeEvent({ data: Buffer.from('{"kind":"heartbeat"}') }));
    expect(error).toMatchObject({ pointer: "/attributes/sender_type" });
  });

  it("rejects a wire heartbeat from a PARENT after reading its attributes", () => {
    const error = thrown(() =>
      decodeEvent({ data: Buffer.from('{"kind":"heartbeat"}'), attributes: WIRE_QUESTION_ATTRIBUTES }),
    );
    expect(error).toMatchObject({
      pointer: "/attributes/sender_type",
      questionUuid: QUESTION_ATTRIBUTES.question_uuid,
    });
  });
});
