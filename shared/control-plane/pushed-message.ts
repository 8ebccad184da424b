import { InvalidPushRequest } from "../errors/index.js";
import type { BusMessage } from "../ports/index.js";

/** The parts of an HTTP request a Pub/Sub-triggered function reads. Header names in lower case. */
export interface PushedRequest {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body as received, before any parsing. */
  readonly rawBody: Buffer;
}

/** A delivered message, and where it came from when the delivery says (to tell one function's triggers apart). */
export interface PushedDelivery {
  readonly message: BusMessage;
  /** The subscription's short name, from a push. */
  readonly subscription: string | undefined;
  /** The topic's short name, from an Eventarc CloudEvent's source. */
  readonly topic: string | undefined;
}

export const MESSAGE_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished";

/**
 * Headers that HTTP, Google's front ends and Pub/Sub's own metadata add to an unwrapped push; every other header of
 * an unwrapped push is a message attribute.
 */
const NOT_ATTRIBUTES = new Set([
  "accept",
  "accept-encoding",
  "authorization",
  "connection",
  "content-length",
  "content-type",
  "forwarded",
  "from",
  "host",
  "te",
  "traceparent",
  "tracestate",
  "transfer-encoding",
  "user-agent",
  "via",
]);
const NOT_ATTRIBUTE_PREFIXES = ["x-goog-", "x-forwarded-", "x-cloud-", "x-envoy-", "ce-"];

/**
 * Reads the Pub/Sub message out of any of the ways it reaches a function: an Eventarc CloudEvent (binary mode, with
 * `ce-*` headers, or structured, `application/cloudevents+json`) carrying `messagePublished` data; a push
 * subscription's wrapped JSON (`{message, subscription}`, as the emulator sends it, with camelCase and snake_case
 * fields); or an unwrapped push (`noWrapper` with `writeMetadata`: the body is the data, attributes are headers).
 *
 * @throws InvalidPushRequest saying what was expected.
 */
export function parsePushedMessage(request: PushedRequest): PushedDelivery {
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : (value as string | undefined);
  };
  const contentType = header("content-type") ?? "";

  if (header("ce-type") !== undefined) {
    if (header("ce-type") !== MESSAGE_PUBLISHED) {
      throw new InvalidPushRequest(
        `the CloudEvent is of type '${header("ce-type")}', not ${MESSAGE_PUBLISHED}: trigger this function from a Pub/Sub topic`,
      );
    }
    const body = parseJsonBody(request.rawBody);
    return delivery(fromWrapped(body, "the CloudEvent's data"), body, header("ce-source"));
  }
  if (contentType.startsWith("application/cloudevents+json")) {
    const event = asObject(parseJsonBody(request.rawBody), "the CloudEvent");
    if (event.type !== MESSAGE_PUBLISHED) {
      throw new InvalidPushRequest(`the CloudEvent is of type '${String(event.type)}', not ${MESSAGE_PUBLISHED}`);
    }
    return delivery(fromWrapped(event.data, "the CloudEvent's data"), event.data, text(event.source));
  }
  if (header("x-goog-pubsub-message-id") !== undefined) {
    return {
      message: fromUnwrapped(request, header),
      subscription: lastSegment(header("x-goog-pubsub-subscription-name")),
      topic: undefined,
    };
  }
  const body = parseJsonBody(request.rawBody);
  return delivery(fromWrapped(body, "the push body"), body, undefined);
}

function delivery(message: BusMessage, body: unknown, source: string | undefined): PushedDelivery {
  const subscription =
    typeof body === "object" && body !== null ? (body as { subscription?: unknown }).subscription : undefined;
  return {
    message,
    subscription: lastSegment(text(subscription)),
    topic: source?.includes("/topics/") === true ? lastSegment(source) : undefined,
  };
}

/** `projects/p/subscriptions/s` → `s`; a short name stays as it is. */
function lastSegment(name: string | undefined): string | undefined {
  if (name === undefined || name === "") return undefined;
  return name.slice(name.lastIndexOf("/") + 1);
}

function fromWrapped(body: unknown, what: string): BusMessage {
  const envelope = asObject(body, what);
  const message = asObject(envelope.message, `${what}'s 'message'`);
  const data = message.data;
  if (data !== undefined && data !== null && typeof data !== "string") {
    throw new InvalidPushRequest(`${what}'s message.data must be base64 text`, { pointer: "/message/data" });
  }
  const id = text(message.messageId ?? message.message_id);
  if (id === undefined) {
    throw new InvalidPushRequest(`${what}'s message has no messageId`, { pointer: "/message/messageId" });
  }
  const attempt = envelope.deliveryAttempt ?? envelope.delivery_attempt;
  return {
    id,
    data: Buffer.from(typeof data === "string" ? data : "", "base64"),
    attributes: stringRecord(message.attributes, `${what}'s message.attributes`),
    orderingKey: text(message.orderingKey ?? message.ordering_key) || undefined,
    publishTime: time(message.publishTime ?? message.publish_time),
    deliveryAttempt: typeof attempt === "number" && attempt >= 1 ? attempt : 1,
  };
}

function fromUnwrapped(request: PushedRequest, header: (name: string) => string | undefined): BusMessage {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || NOT_ATTRIBUTES.has(name)) continue;
    if (NOT_ATTRIBUTE_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    attributes[name] = Array.isArray(value) ? value.join(",") : String(value);
  }
  return {
    id: header("x-goog-pubsub-message-id") ?? "",
    data: Buffer.from(request.rawBody),
    attributes,
    orderingKey: header("x-goog-ordering-key") || undefined,
    publishTime: time(header("x-goog-pubsub-publish-time")),
    deliveryAttempt: Number(header("x-goog-pubsub-delivery-attempt") ?? 1) || 1,
  };
}

function parseJsonBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new InvalidPushRequest(
      `the request body is not JSON (${error instanceof Error ? error.message : String(error)}); expected a Pub/Sub push or a messagePublished CloudEvent`,
    );
  }
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new InvalidPushRequest(
    `${what} must be a JSON object, as Pub/Sub sends: {"message": {"data", "attributes", "messageId", …}}`,
  );
}

function stringRecord(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  const record = asObject(value, what);
  for (const [key, item] of Object.entries(record)) {
    if (typeof item !== "string") {
      throw new InvalidPushRequest(`${what}.${key} must be a string, as every Pub/Sub attribute is`, {
        pointer: `/message/attributes/${key}`,
      });
    }
  }
  return record as Record<string, string>;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
}

function time(value: unknown): Date {
  const parsed = typeof value === "string" ? new Date(value) : undefined;
  return parsed !== undefined && !Number.isNaN(parsed.getTime()) ? parsed : new Date();
}
