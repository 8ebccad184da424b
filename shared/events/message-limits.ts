import { MessageLimitExceeded } from "../errors/event-errors.js";
import { jsonPointer } from "../json/json-pointer.js";

/** Pub/Sub's publish limits, in UTF-8 bytes; the emulator does not enforce them, so we check before publishing. */
export const PUBSUB_LIMITS = {
  maxDataBytes: 10_000_000,
  maxAttributes: 100,
  maxAttributeKeyBytes: 256,
  maxAttributeValueBytes: 1024,
} as const;

/** Throws MessageLimitExceeded for the first limit a message would break: data size, attribute count, key, value. */
export function assertWithinMessageLimits(data: Uint8Array, attributes: Readonly<Record<string, string>>): void {
  if (data.byteLength > PUBSUB_LIMITS.maxDataBytes) {
    throw new MessageLimitExceeded(
      `the event is ${data.byteLength} bytes of JSON; Pub/Sub accepts at most ${PUBSUB_LIMITS.maxDataBytes}. Put large values in a dataset and send its manifest instead`,
      "data bytes",
      data.byteLength,
      PUBSUB_LIMITS.maxDataBytes,
      { pointer: "/event" },
    );
  }
  const keys = Object.keys(attributes);
  if (keys.length > PUBSUB_LIMITS.maxAttributes) {
    throw new MessageLimitExceeded(
      `the message has ${keys.length} attributes; Pub/Sub accepts at most ${PUBSUB_LIMITS.maxAttributes}`,
      "attribute count",
      keys.length,
      PUBSUB_LIMITS.maxAttributes,
      { pointer: "/attributes" },
    );
  }
  for (const key of keys) {
    const keyBytes = Buffer.byteLength(key, "utf8");
    if (keyBytes > PUBSUB_LIMITS.maxAttributeKeyBytes) {
      throw new MessageLimitExceeded(
        `attribute key ${JSON.stringify(truncate(key))} is ${keyBytes} bytes; Pub/Sub accepts keys of at most ${PUBSUB_LIMITS.maxAttributeKeyBytes}`,
        "attribute key bytes",
        keyBytes,
        PUBSUB_LIMITS.maxAttributeKeyBytes,
        { pointer: jsonPointer(["attributes", key]) },
      );
    }
    const valueBytes = Buffer.byteLength(attributes[key] ?? "", "utf8");
    if (valueBytes > PUBSUB_LIMITS.maxAttributeValueBytes) {
      throw new MessageLimitExceeded(
        `attribute ${key} is ${valueBytes} bytes; Pub/Sub accepts attribute values of at most ${PUBSUB_LIMITS.maxAttributeValueBytes}`,
        "attribute value bytes",
        valueBytes,
        PUBSUB_LIMITS.maxAttributeValueBytes,
        { pointer: jsonPointer(["attributes", key]) },
      );
    }
  }
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** `text` cut to at most `maxBytes` of UTF-8, at a character's boundary (an attribute value must fit in bytes). */
export function truncateToBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character, "utf8");
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += character.length;
  }
  return text.slice(0, end);
}
