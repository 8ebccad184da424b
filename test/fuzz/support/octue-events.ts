/**
 * Octue events as Pub/Sub carries them (a JSON body and string attributes), valid ones and mutations of them: Octue's
 * own fixtures, questions to a service the network knows and to one it does not, and response events of questions
 * the network holds. Every UUID and time is fixed, so that a seed makes the same messages again.
 */
import fc from "fast-check";
import { TWINED_DEAD_LETTER_ATTRIBUTES } from "../../../shared/control-plane/dead-letters/dead-letter-message.js";
import {
  assertWithinMessageLimits,
  attributesToWire,
  createQuestionAttributes,
  deriveResponseAttributes,
  type ParentAttributes,
} from "../../../shared/events/index.js";
import { EXAMPLE_MANIFEST, REPLAY_STREAM, WIRE_QUESTION_ATTRIBUTES } from "../../shared/events/event-fixtures.js";
import {
  fuzzString,
  jsonTextOf,
  mutatedJson,
  mutatedText,
  ODD_STRINGS,
  objectFromEntries,
  PROTOTYPE_KEYS,
  weighted,
} from "./arbitraries.js";

/** The service the fuzzed networks register (answered at once by `InstantJobs`). */
export const INSTANT_SERVICE = { namespace: "fuzz", name: "instant", revisionTag: "1.0.0" } as const;
export const INSTANT_TWINE = { input_values_schema: { type: "object", properties: { n: { type: "integer" } } } };

/** Fixed event UUIDs and times, so that a seed makes the same events again (replaying a failure needs it). */
export const FIXED_GENERATORS = {
  uuid: () => "a1b2c3d4-0000-4000-8000-00000000000f",
  now: () => new Date("2024-04-11T09:26:39.144Z"),
};

/** Questions a fuzzed network holds before the fuzzing starts, which the fuzzed response events answer. */
export function heldQuestions(): ParentAttributes[] {
  return [
    createQuestionAttributes(
      {
        sender: "local/local:local",
        recipient: "fuzz/instant:1.0.0",
        questionUuid: "8b1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4d",
      },
      FIXED_GENERATORS,
    ),
    createQuestionAttributes(
      {
        sender: "octue/parent:0.69.0",
        recipient: "fuzz/instant:1.0.0",
        questionUuid: "9c1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4e",
      },
      FIXED_GENERATORS,
    ),
  ];
}

/** A few fixed question UUIDs for questions the fuzzing asks: asked again, they are the same question. */
const ASKED_UUIDS = ["6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b", "7a1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4c"] as const;

export interface WireEvent {
  readonly event: Record<string, unknown>;
  readonly attributes: Record<string, string>;
}

/** Valid events, each as its body and its attributes on the wire. */
export function validEvents(held: readonly ParentAttributes[]): WireEvent[] {
  const [first, second] = held as [ParentAttributes, ParentAttributes];
  const asked = (recipient: string, questionUuid: string) =>
    attributesToWire(
      createQuestionAttributes({ sender: "fuzz/asker:1.0.0", recipient, questionUuid }, FIXED_GENERATORS),
    );
  const answer = (question: ParentAttributes, order?: number) =>
    attributesToWire({
      ...deriveResponseAttributes(question, FIXED_GENERATORS),
      // Each its own event UUID: events are told apart (and de-duplicated) by it. The two questions' events share
      // them, as a service that reuses UUIDs would.
      uuid: `a1b2c3d4-0000-4000-8000-${String(order ?? 99).padStart(12, "0")}`,
      ...(order === undefined ? {} : { order }),
    });
  const logRecord = REPLAY_STREAM[1]?.event ?? { kind: "log_record", log_record: { msg: "x" } };
  return [
    { event: { kind: "question", input_values: { n: 1 } }, attributes: asked("fuzz/instant:1.0.0", ASKED_UUIDS[0]) },
    { event: { kind: "question", input_values: { n: "one" } }, attributes: asked("fuzz/instant", ASKED_UUIDS[1]) },
    { event: { kind: "question", input_values: { height: 3 } }, attributes: { ...WIRE_QUESTION_ATTRIBUTES } },
    {
      event: { kind: "question", input_manifest: { id: "m", datasets: { d: "/local/path" } } },
      attributes: asked("fuzz/instant:1.0.0", ASKED_UUIDS[0]),
    },
    { event: { kind: "cancellation" }, attributes: attributesToWire(second) },
    { event: { kind: "delivery_acknowledgement" }, attributes: answer(first, 0) },
    { event: { kind: "heartbeat" }, attributes: answer(first) },
    { event: { ...logRecord }, attributes: answer(first, 1) },
    { event: { kind: "monitor_message", data: { progress: 0.5 } }, attributes: answer(first, 2) },
    {
      event: { kind: "exception", exception_type: "ValueError", exception_message: "no", exception_traceback: ["x"] },
      attributes: answer(second, 1),
    },
    {
      event: { kind: "result", output_values: [1, 2], output_manifest: EXAMPLE_MANIFEST },
      attributes: answer(first, 3),
    },
    ...REPLAY_STREAM.map((envelope) => ({
      event: { ...envelope.event },
      attributes: attributesToWire(envelope.attributes),
    })),
  ];
}

export const ATTRIBUTE_NAMES = [
  ...Object.keys(WIRE_QUESTION_ATTRIBUTES),
  "order",
  "googclient_x",
  TWINED_DEAD_LETTER_ATTRIBUTES.reason,
  TWINED_DEAD_LETTER_ATTRIBUTES.topic,
  ...PROTOTYPE_KEYS,
];

export const ATTRIBUTE_VALUES = [
  ...ODD_STRINGS,
  "PARENT",
  "CHILD",
  "parent",
  "Child",
  "01",
  "1.0",
  "2024-04-11T09:26:39.144818",
  "2024-04-11T09:26:39+00:00",
  "2024-13-45T99:99:99",
  "ca534cdd24cb4ed2af57e36757192acb",
  "{ca534cdd-24cb-4ed2-af57-e36757192acb}",
  "urn:uuid:ca534cdd-24cb-4ed2-af57-e36757192acb",
  "CA534CDD-24CB-4ED2-AF57-E36757192ACB",
  "ca534cdd-24cb-4ed2-af57-e36757192acb ",
  "SAVE_DIAGNOSTICS_OFF",
  "SAVE_DIAGNOSTICS_SOMETIMES",
  "fuzz/instant:1.0.0",
  "fuzz/nobody:1.0.0",
  "Bad/ID:1",
  "a".repeat(1024),
  // At Pub/Sub's limit in bytes, not in characters: text quoted from them must be cut by bytes too.
  "é".repeat(512),
  "😀".repeat(256),
];

export const JSON_TOKENS = [
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  '"',
  "\\",
  "null",
  "NaN",
  "Infinity",
  "-",
  "1e999",
  "\u0000",
  " ",
];

export interface WireMessage {
  readonly data: Buffer;
  readonly attributes: Record<string, string>;
  readonly orderingKey?: string;
}

/** Attributes as Pub/Sub carries them: every value a string (a mutation's other values are turned into text). */
export function asWireAttributes(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  return objectFromEntries(
    Object.entries(value).map(([key, item]) => [key, typeof item === "string" ? item : (jsonTextOf(item) ?? "")]),
  ) as Record<string, string>;
}

/** A message for the services topic: a valid event, or one broken in its body, its attributes or both. */
export function wireMessage(events: readonly WireEvent[]): fc.Arbitrary<WireMessage> {
  const attributeValues = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ATTRIBUTE_VALUES) },
    { weight: 1, arbitrary: fuzzString(20) },
  );
  const mutatedAttributes = mutatedJson(
    events.map((each) => each.attributes),
    { values: attributeValues, keys: ATTRIBUTE_NAMES, maxEdits: 3 },
  );
  return fc
    .record({
      pair: fc.constantFrom(...events),
      bodyMode: weighted({ valid: 4, mutated: 4, text: 2, bytes: 1, empty: 1, base64: 1 }),
      attributesMode: weighted({ valid: 5, mutated: 3, other: 1, none: 1 }),
      body: mutatedJson(
        events.map((each) => each.event),
        { keys: ["kind", "input_values", "data", "log_record", "output_values", "exception_traceback"] },
      ),
      text: mutatedText(
        events.map((each) => JSON.stringify(each.event)),
        JSON_TOKENS,
      ),
      bytes: fc.uint8Array({ maxLength: 64 }),
      attributes: mutatedAttributes,
      orderingKey: fc.option(fc.constantFrom("", "the question's"), { nil: undefined }),
    })
    .map((drawn): WireMessage => {
      const data =
        drawn.bodyMode === "valid"
          ? Buffer.from(JSON.stringify(drawn.pair.event))
          : drawn.bodyMode === "mutated"
            ? Buffer.from(jsonTextOf(drawn.body) ?? "")
            : drawn.bodyMode === "text"
              ? Buffer.from(drawn.text)
              : drawn.bodyMode === "bytes"
                ? Buffer.from(drawn.bytes)
                : drawn.bodyMode === "base64"
                  ? Buffer.from(Buffer.from(JSON.stringify(drawn.pair.event)).toString("base64"))
                  : Buffer.alloc(0);
      // "other": attributes of another event than the body's (mutated), as a result that says it is a question.
      const attributes =
        drawn.attributesMode === "valid"
          ? drawn.pair.attributes
          : drawn.attributesMode === "none"
            ? {}
            : asWireAttributes(drawn.attributes);
      const orderingKey = drawn.orderingKey === "the question's" ? attributes.question_uuid : drawn.orderingKey;
      return { data, attributes, ...(orderingKey === undefined ? {} : { orderingKey }) };
    });
}

/**
 * The message with the attributes Pub/Sub would refuse to publish left out (keys over 256 bytes, values over 1024,
 * more than 100): no push can carry them.
 */
export function withinPubSubLimits(message: WireMessage): WireMessage {
  const kept: [string, string][] = [];
  for (const [key, value] of Object.entries(message.attributes)) {
    if (kept.length === 100) break;
    try {
      assertWithinMessageLimits(new Uint8Array(), { [key]: value });
      kept.push([key, value]);
    } catch {
      // Left out, as Pub/Sub would have refused the whole message.
    }
  }
  return { ...message, attributes: objectFromEntries(kept) as Record<string, string> };
}
