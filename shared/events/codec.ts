import { InvalidEvent } from "../errors/event-errors.js";
import type { EventEnvelope } from "./envelope.js";
import { assertWithinMessageLimits } from "./message-limits.js";
import { validateEvent } from "./validate-event.js";
import { attributesFromWire, attributesToWire, type WireAttributes } from "./wire-attributes.js";

/** What goes to Pub/Sub's publish call. */
export interface EncodedEvent {
  /** The event body as UTF-8 JSON. */
  readonly data: Buffer;
  readonly attributes: WireAttributes;
  /** Octue orders each question's events by its UUID. */
  readonly orderingKey: string;
}

export interface EncodeEventOptions {
  /** Skip schema validation for an envelope already validated (e.g. one read back from the event store). */
  readonly skipValidation?: boolean;
}

/**
 * Turns an envelope into a Pub/Sub message: validates it, serialises the body and attributes, and checks Pub/Sub's
 * size limits so that an oversized event fails here, with the limit named, rather than at the publisher.
 *
 * @throws InvalidEvent if the envelope is invalid or the body holds values JSON cannot carry (NaN, Infinity, BigInt).
 * @throws MessageLimitExceeded if Pub/Sub would refuse the message.
 */
export function encodeEvent(envelope: EventEnvelope, options: EncodeEventOptions = {}): EncodedEvent {
  const valid = options.skipValidation === true ? envelope : validateEvent(envelope);
  const questionUuid = valid.attributes.question_uuid;
  const attributes = attributesToWire(valid.attributes);
  const data = Buffer.from(serialiseBody(valid.event, questionUuid), "utf8");
  assertWithinMessageLimits(data, attributes);
  return { data, attributes, orderingKey: questionUuid };
}

/** A received Pub/Sub message: `data` as bytes, or as base64 text as in Pub/Sub's REST and push JSON. */
export interface ReceivedMessage {
  readonly data?: Buffer | Uint8Array | string | null;
  readonly attributes?: Readonly<Record<string, string>> | null;
}

/** The body a push subscription POSTs (also what Eventarc wraps): the message sits under `message`. */
export interface PushEnvelope {
  readonly message: ReceivedMessage & { readonly messageId?: string; readonly publishTime?: string };
  readonly subscription?: string;
}

/**
 * Reads a Pub/Sub message (or a push request body) back into a validated envelope.
 *
 * `data` given as a Buffer or Uint8Array is the raw UTF-8 JSON; given as a string it is base64, because that is how
 * every JSON transport of Pub/Sub (REST pull, push, Eventarc) carries it. Pass `Buffer.from(json)` for raw JSON text.
 *
 * @throws InvalidEvent naming what is wrong and where (`/event…` for the body, `/attributes/<name>` for attributes).
 */
export function decodeEvent(message: ReceivedMessage | PushEnvelope): EventEnvelope {
  const received = isPushEnvelope(message) ? message.message : message;
  const rawAttributes: unknown = received.attributes ?? {};
  const questionUuid = questionUuidIn(rawAttributes);
  const event = parseBody(bytesOf(received.data, questionUuid), questionUuid);
  const attributes = attributesFromWire(rawAttributes);
  return validateEvent({ event, attributes });
}

function serialiseBody(event: unknown, questionUuid: string): string {
  return JSON.stringify(event, (_key: string, value: unknown) => {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new InvalidEvent(
        `the event holds the number ${value}, which JSON cannot represent; send null or a string`,
        {
          pointer: "/event",
          questionUuid,
        },
      );
    }
    if (typeof value === "bigint") {
      throw new InvalidEvent(`the event holds the BigInt ${value}; convert it to a number or string before sending`, {
        pointer: "/event",
        questionUuid,
      });
    }
    return value;
  });
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function bytesOf(data: ReceivedMessage["data"], questionUuid: string | undefined): Uint8Array {
  if (data === undefined || data === null || data.length === 0) {
    throw new InvalidEvent("the message has no data; an event's body must be its JSON payload", {
      pointer: "/event",
      questionUuid,
    });
  }
  if (typeof data !== "string") return data;
  const unpadded = data.replace(/=+$/, "");
  if (!BASE64.test(data) || unpadded.length % 4 === 1) {
    const hint = data.trimStart().startsWith("{") ? " (it looks like raw JSON: pass it as a Buffer instead)" : "";
    throw new InvalidEvent(`message data given as a string must be base64${hint}`, { pointer: "/event", questionUuid });
  }
  return Buffer.from(data, "base64");
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function parseBody(bytes: Uint8Array, questionUuid: string | undefined): unknown {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch (error) {
    throw new InvalidEvent("the message data is not valid UTF-8", { pointer: "/event", questionUuid, cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // Python's json module writes these tokens for float('nan') and infinities; standard JSON has no such values.
    const pythonTokens = /(?<![\w"])-?(?:NaN|Infinity)(?![\w"])/.test(text)
      ? " (it contains NaN or Infinity, which Python writes but JSON does not allow)"
      : "";
    throw new InvalidEvent(`the message data is not valid JSON: ${reason}${pythonTokens}`, {
      pointer: "/event",
      questionUuid,
      cause: error,
    });
  }
}

function isPushEnvelope(message: ReceivedMessage | PushEnvelope): message is PushEnvelope {
  const candidate = message as { message?: unknown; data?: unknown };
  return typeof candidate.message === "object" && candidate.message !== null && candidate.data === undefined;
}

function questionUuidIn(attributes: unknown): string | undefined {
  if (typeof attributes !== "object" || attributes === null) return undefined;
  const value = (attributes as Record<string, unknown>).question_uuid;
  return typeof value === "string" ? value : undefined;
}
