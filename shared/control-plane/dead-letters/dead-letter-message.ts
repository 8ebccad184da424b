import { isPythonParsableUuid } from "../../events/index.js";
import { type BusMessage, type NewDeadLetter, PUBSUB_DEAD_LETTER_ATTRIBUTES } from "../../ports/index.js";

/** The attributes Twined adds to a message it dead-letters itself (a handler found it can never be processed). */
export const TWINED_DEAD_LETTER_ATTRIBUTES = {
  /** Why: the handler's error, `Name: message`. */
  reason: "twined_dead_letter_reason",
  /** The topic the message was published on, where a replay sends it. */
  topic: "twined_dead_letter_topic",
} as const;

/** Attributes that dead-lettering added, by Pub/Sub or by Twined: a replay sends the message without them. */
const BOOKKEEPING: ReadonlySet<string> = new Set([
  ...Object.values(PUBSUB_DEAD_LETTER_ATTRIBUTES),
  ...Object.values(TWINED_DEAD_LETTER_ATTRIBUTES),
]);

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
