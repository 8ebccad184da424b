import { isPythonParsableUuid, PUBSUB_LIMITS, truncateToBytes } from "../../events/index.js";
import { type BusMessage, type NewDeadLetter, PUBSUB_DEAD_LETTER_ATTRIBUTES } from "../../ports/index.js";

/** The attributes Twined adds to a message it dead-letters itself (a handler found it can never be processed). */
export const TWINED_DEAD_LETTER_ATTRIBUTES = {
  /** Why: the handler's error, `Name: message`. */
  reason: "twined_dead_letter_reason",
  /** The topic the message was published on, where a replay sends it. */
  topic: "twined_dead_letter_topic",
  /**
   * What was cut from the message so that its dead letter fits in a Pub/Sub message (only a message that never came
   * through Pub/Sub can be too large: a malformed push, say). Kept with the letter, which can then not be replayed.
   */
  cut: "twined_dead_letter_cut",
} as const;

/** Attributes that dead-lettering added, by Pub/Sub or by Twined: a replay sends the message without them. */
const BOOKKEEPING: ReadonlySet<string> = new Set([
  ...Object.values(PUBSUB_DEAD_LETTER_ATTRIBUTES),
  TWINED_DEAD_LETTER_ATTRIBUTES.reason,
  TWINED_DEAD_LETTER_ATTRIBUTES.topic,
]);

/** Room kept for the reason, in bytes: Pub/Sub's limit on an attribute value is 1024 bytes, not characters. */
const REASON_BYTES = 1000;

/**
 * The message to publish on the dead-letters topic for one that can never be processed: its data and attributes, with
 * the reason and the topic it came from (when known: a replay sends it back there). Always within Pub/Sub's limits,
 * so keeping a dead letter never fails for the size of what died: what does not fit is cut, and the cut is named in
 * the `twined_dead_letter_cut` attribute.
 */
export function deadLetterMessage(
  reason: string,
  message: { readonly data: Buffer; readonly attributes: Readonly<Record<string, string>> },
  topic?: string,
): { readonly data: Buffer; readonly attributes: Record<string, string> } {
  const own: Record<string, string> = { [TWINED_DEAD_LETTER_ATTRIBUTES.reason]: truncateToBytes(reason, REASON_BYTES) };
  if (topic !== undefined) own[TWINED_DEAD_LETTER_ATTRIBUTES.topic] = topic;
  const cuts: string[] = [];
  const kept: Record<string, string> = {};
  // One slot stays free for the cut's own attribute.
  const room = PUBSUB_LIMITS.maxAttributes - Object.keys(own).length - 1;
  let dropped = 0;
  for (const [key, value] of Object.entries(message.attributes)) {
    if (key in own || key === TWINED_DEAD_LETTER_ATTRIBUTES.cut) continue;
    if (Object.keys(kept).length >= room || Buffer.byteLength(key, "utf8") > PUBSUB_LIMITS.maxAttributeKeyBytes) {
      dropped += 1;
      continue;
    }
    const fitted = truncateToBytes(value, PUBSUB_LIMITS.maxAttributeValueBytes);
    if (fitted !== value)
      cuts.push(`attribute ${truncateToBytes(key, 64)} cut to ${PUBSUB_LIMITS.maxAttributeValueBytes} bytes`);
    kept[key] = fitted;
  }
  if (dropped > 0)
    cuts.push(`${dropped} attributes dropped (too many, or a name over ${PUBSUB_LIMITS.maxAttributeKeyBytes} bytes)`);
  let data = message.data;
  if (data.byteLength > PUBSUB_LIMITS.maxDataBytes) {
    cuts.push(`data cut from ${data.byteLength} to its first ${PUBSUB_LIMITS.maxDataBytes} bytes`);
    data = data.subarray(0, PUBSUB_LIMITS.maxDataBytes);
  }
  const attributes = { ...kept, ...own };
  if (cuts.length > 0) attributes[TWINED_DEAD_LETTER_ATTRIBUTES.cut] = truncateToBytes(cuts.join("; "), REASON_BYTES);
  return { data, attributes };
}

/**
 * What a message on the dead-letters topic says about the message that died: why, where it was published, how often
 * it was delivered, which question it is about, and its own attributes. Never throws: whatever arrives there is kept.
 *
 * @param topicOfSubscription the topic of a subscription of the network, for messages Pub/Sub forwarded after their
 *   delivery attempts (they name the subscription, not the topic).
 */
export function readDeadLetter(
  message: BusMessage,
  topicOfSubscription: (subscription: string) => string | undefined,
): NewDeadLetter {
  const given = message.attributes;
  const subscription = lastSegment(given[PUBSUB_DEAD_LETTER_ATTRIBUTES.subscription]);
  const count = Number(given[PUBSUB_DEAD_LETTER_ATTRIBUTES.deliveryCount]);
  const attempts = Number.isInteger(count) && count >= 1 ? count : 1;
  const attributes = Object.fromEntries(Object.entries(given).filter(([name]) => !BOOKKEEPING.has(name)));
  return {
    id: message.id,
    reason:
      given[TWINED_DEAD_LETTER_ATTRIBUTES.reason] ??
      (subscription === undefined
        ? "published on the dead-letters topic without a reason"
        : `delivery attempts exhausted (${attempts}) on ${subscription}`),
    topic:
      given[TWINED_DEAD_LETTER_ATTRIBUTES.topic] ??
      (subscription === undefined ? undefined : topicOfSubscription(subscription)),
    attempts,
    questionUuid: questionUuidOf(attributes, message.data),
    data: message.data,
    attributes,
  };
}

/**
 * The question a message is about: its `question_uuid` attribute (Octue's events, and the internal topics' messages),
 * else the `question_uuid` of its JSON data (the internal topics' bodies).
 */
function questionUuidOf(attributes: Readonly<Record<string, string>>, data: Buffer): string | undefined {
  const named = attributes.question_uuid;
  if (named !== undefined && isPythonParsableUuid(named)) return named;
  let body: unknown;
  try {
    body = JSON.parse(data.toString("utf8"));
  } catch {
    return undefined;
  }
  const inBody =
    typeof body === "object" && body !== null ? (body as { question_uuid?: unknown }).question_uuid : undefined;
  return typeof inBody === "string" && isPythonParsableUuid(inBody) ? inBody : undefined;
}

/** `projects/p/subscriptions/s` → `s`, as Pub/Sub may name the source subscription either way. */
function lastSegment(name: string | undefined): string | undefined {
  if (name === undefined || name === "") return undefined;
  return name.slice(name.lastIndexOf("/") + 1);
}
