import { Duration, PubSub, SubscriptionCloseBehaviors, type Topic } from "@google-cloud/pubsub";
import {
  EventBusClosed,
  SubscriberAlreadyAttached,
  SubscriptionMismatch,
  UnknownTopic,
} from "../../../errors/bus-errors.js";
import { assertWithinMessageLimits } from "../../../events/message-limits.js";
import { definedProperties } from "../../../objects/index.js";
import type {
  BusMessage,
  BusSubscriber,
  EventBus,
  MessageHandler,
  OutgoingMessage,
  PublishOptions,
} from "../../../ports/event-bus.js";
import { type SubscriptionSettings, subscriptionSettings } from "../../../ports/index.js";
import { formatSubscriptionFilter } from "../../../subscription-filter/format-filter.js";
import { parseSubscriptionFilter } from "../../../subscription-filter/parse-filter.js";
import { withTraceAttribute } from "../../../tracing/index.js";
import { hasGoogleApiStatus, Status } from "../google-api-status.js";
import { PubSubSubscriber } from "./pubsub-subscriber.js";
import { shortResourceName } from "./resource-names.js";
import { settleWithin } from "./settle-within.js";
import { type PubSubSubscriptionOptions, subscriptionRequest } from "./subscription-request.js";

export interface PubSubEventBusOptions {
  readonly projectId: string;
  /** A client to use instead of a new one; the bus closes it on `close()`. */
  readonly pubsub?: PubSub;
  /** How long closing a subscriber's stream, or the client, may take before the bus stops waiting. Default 10 s. */
  readonly closeTimeoutMs?: number;
  /**
   * Apply subscription filters in the subscriber, acking and dropping messages that do not match. The emulator stores
   * filters without applying them, so this defaults to true when PUBSUB_EMULATOR_HOST is set, else false.
   */
  readonly evaluateFiltersLocally?: boolean;
  /** Told about every handler error (each one nacks its message), e.g. to log it. */
  readonly onHandlerError?: (error: unknown, message: BusMessage, subscription: string) => void;
  /** Told when a subscriber's stream fails or closing gives up waiting. Default: `process.emitWarning`. */
  readonly onWarning?: (warning: string) => void;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/**
 * The event bus on Google Cloud Pub/Sub (or its emulator). Behaves as `EventBus` describes, with Pub/Sub's own
 * semantics where the port leaves room:
 *
 * - Redelivery timing is Pub/Sub's: the retry policy's backoff in production (the emulator ignores it and redelivers
 *   after about 230 ms), immediate redelivery without a retry policy.
 * - On an ordered subscription a nacked message is redelivered together with the later messages of its key that had
 *   already reached the subscriber; those count a delivery attempt too.
 * - `deliveryAttempt` comes from Pub/Sub when the subscription has a dead-letter policy; without one Pub/Sub reports
 *   0, and the subscriber counts the deliveries it saw itself.
 * - One subscriber per subscription per bus, as on the in-memory bus, so code behaves alike on both. Several buses
 *   (processes) may still share a subscription, as Pub/Sub allows.
 */
export class PubSubEventBus implements EventBus {
  private readonly projectId: string;
  private readonly pubsub: PubSub;
  private readonly closeTimeoutMs: number;
  private readonly evaluateFiltersLocally: boolean;
  private readonly onHandlerError: NonNullable<PubSubEventBusOptions["onHandlerError"]>;
  private readonly onWarning: (warning: string) => void;
  /** Topic clients, kept because each holds its own publisher batches and ordered queues. */
  private readonly topics = new Map<string, Topic>();
  /** Subscription → the subscriber attached to it through this bus. */
  private readonly attached = new Map<string, PubSubSubscriber>();
  /** Every subscriber not yet closed, including those detached by `deleteSubscription`. */
  private readonly open = new Set<PubSubSubscriber>();
  private closing: Promise<void> | undefined;
  /** Whether the client adds `googclient_traceparent` itself (`enableOpenTelemetryTracing`). */
  private readonly clientTraces: boolean;

  constructor(options: PubSubEventBusOptions) {
    this.projectId = options.projectId;
    this.pubsub = options.pubsub ?? new PubSub({ projectId: options.projectId });
    this.clientTraces = this.pubsub.options?.enableOpenTelemetryTracing === true;
    this.closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.evaluateFiltersLocally = options.evaluateFiltersLocally ?? (process.env.PUBSUB_EMULATOR_HOST ?? "") !== "";
    this.onHandlerError = options.onHandlerError ?? (() => {});
    this.onWarning = options.onWarning ?? ((warning) => process.emitWarning(warning, "TwinedWarning"));
  }

  async ensureTopic(topic: string): Promise<void> {
    this.assertOpen("create a topic");
    try {
      await this.pubsub.createTopic(topic);
    } catch (error) {
      if (!hasGoogleApiStatus(error, Status.ALREADY_EXISTS)) throw error;
    }
  }

  /**
   * Also takes Pub/Sub's own options: `pushEndpoint` (and `pushServiceAccount`) make it a push subscription.
   * @throws InvalidSubscriptionFilter or InvalidSubscriptionOptions before anything is created: the emulator accepts
   *   any filter text.
   * @throws UnknownTopic if the topic or the dead-letter topic does not exist.
   * @throws SubscriptionMismatch if the subscription exists with another topic or filter.
   */
  async ensureSubscription(
    subscription: string,
    topic: string,
    options: PubSubSubscriptionOptions = {},
  ): Promise<void> {
    this.assertOpen("create a subscription");
    const settings = subscriptionSettings(subscription, options);
    try {
      await this.topicFor(topic).createSubscription(
        subscription,
        subscriptionRequest(this.projectId, options, settings),
      );
    } catch (error) {
      if (hasGoogleApiStatus(error, Status.ALREADY_EXISTS)) {
        await this.assertSameSubscription(subscription, topic, settings);
        return;
      }
      if (hasGoogleApiStatus(error, Status.NOT_FOUND)) throw await this.missingTopic(topic, settings);
      throw error;
    }
  }

  async deleteSubscription(subscription: string): Promise<void> {
    this.assertOpen("delete a subscription");
    // Its stream is about to fail; stop delivering instead, as the in-memory bus does. `close()` still closes it.
    this.attached.get(subscription)?.stop();
    this.attached.delete(subscription);
    try {
      await this.pubsub.subscription(subscription).delete();
    } catch (error) {
      if (!hasGoogleApiStatus(error, Status.NOT_FOUND)) throw error;
    }
  }

  /**
   * @throws MessageLimitExceeded before publishing: the emulator accepts oversize messages, and hangs on some.
   * @throws UnknownTopic if the topic does not exist.
   */
  async publish(topic: string, data: Buffer, options: PublishOptions = {}): Promise<string> {
    this.assertOpen("publish");
    // The trace context as the client writes it when its own tracing is on (then it adds it itself, with its spans).
    const attributes = { ...(this.clientTraces ? options.attributes : withTraceAttribute(options.attributes ?? {})) };
    assertWithinMessageLimits(data, attributes);
    const orderingKey = options.orderingKey ? options.orderingKey : undefined;
    const client = this.topicFor(topic);
    // Copied now: the client batches for a few milliseconds and would send whatever the buffer holds by then.
    const message = { data: Buffer.from(data), attributes, ...definedProperties({ orderingKey }) };
    try {
      return await client.publishMessage(message);
    } catch (error) {
      // An ordered publisher pauses a key after a failed publish until told to resume; this caller sees the failure,
      // and later publishes of the key must not fail because of it.
      if (orderingKey !== undefined) client.resumePublishing(orderingKey);
      if (hasGoogleApiStatus(error, Status.NOT_FOUND)) throw new UnknownTopic(topic);
      throw error;
    }
  }

  /**
   * Hands every message to the topic's publisher at once, so that the client sends them in one batch (it batches for
   * a few milliseconds, up to 100 messages).
   */
  publishAll(topic: string, messages: readonly OutgoingMessage[]): Promise<string[]> {
    return Promise.all(messages.map((message) => this.publish(topic, message.data, message.options)));
  }

  subscribe(subscription: string, handler: MessageHandler): BusSubscriber {
    this.assertOpen("subscribe");
    if (this.attached.has(subscription)) throw new SubscriberAlreadyAttached(subscription);
    const subscriber = new PubSubSubscriber({
      name: subscription,
      client: this.pubsub.subscription(subscription, {
        // The subscriber waits for its handlers itself before closing the client, so whatever the client still holds
        // then was never handed over and can be given back at once.
        closeOptions: {
          behavior: SubscriptionCloseBehaviors.NackImmediately,
          timeout: Duration.from({ milliseconds: this.closeTimeoutMs }),
        },
      }),
      handler,
      evaluateFilterLocally: this.evaluateFiltersLocally,
      closeTimeoutMs: this.closeTimeoutMs,
      onHandlerError: this.onHandlerError,
      onWarning: this.onWarning,
    });
    this.attached.set(subscription, subscriber);
    this.open.add(subscriber);
    return {
      close: async () => {
        if (this.attached.get(subscription) === subscriber) this.attached.delete(subscription);
        await subscriber.close();
        this.open.delete(subscriber);
      },
    };
  }

  /** Closes every subscriber (waiting for running handlers), then the client; neither waits longer than the timeout. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const subscribers = [...this.open];
    this.open.clear();
    this.attached.clear();
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));
    const settlement = await settleWithin(this.pubsub.close(), this.closeTimeoutMs);
    if (settlement.outcome === "timedOut") {
      this.onWarning(`Closing the Pub/Sub client did not finish within ${this.closeTimeoutMs} ms; gave up waiting.`);
    } else if (settlement.outcome === "rejected") {
      const reason = settlement.error instanceof Error ? settlement.error.message : String(settlement.error);
      this.onWarning(`Closing the Pub/Sub client failed: ${reason}`);
    }
  }

  private assertOpen(operation: string): void {
    if (this.closing !== undefined) throw new EventBusClosed(operation);
  }

  private topicFor(topic: string): Topic {
    let client = this.topics.get(topic);
    if (client === undefined) {
      // Ordering on for every topic: the client refuses ordering keys otherwise, and keyless messages are unaffected.
      client = this.pubsub.topic(topic, { messageOrdering: true });
      this.topics.set(topic, client);
    }
    return client;
  }

  /** Like Pub/Sub, only the topic and filter are fixed for good; other options keep the values first given. */
  private async assertSameSubscription(
    subscription: string,
    topic: string,
    settings: SubscriptionSettings,
  ): Promise<void> {
    const [metadata] = await this.pubsub.subscription(subscription).getMetadata();
    const existing = {
      topic: shortResourceName(this.projectId, metadata.topic ?? ""),
      filter: metadata.filter ?? "",
    };
    const requested = { topic: shortResourceName(this.projectId, topic), filter: settings.filterText };
    if (existing.topic !== requested.topic || canonicalFilter(existing.filter) !== settings.filterKey) {
      throw new SubscriptionMismatch(subscription, existing, requested);
    }
  }

  /** Pub/Sub answers NOT_FOUND for a missing topic and for a missing dead-letter topic alike. */
  private async missingTopic(topic: string, settings: SubscriptionSettings): Promise<UnknownTopic> {
    const deadLetterTopic = settings.deadLetter?.topic;
    if (deadLetterTopic !== undefined) {
      const [exists] = await this.topicFor(topic).exists();
      if (exists) return new UnknownTopic(deadLetterTopic);
    }
    return new UnknownTopic(topic);
  }
}

/** The filter in canonical form, so that spacing differences are not a mismatch; text we cannot parse as it is. */
function canonicalFilter(filter: string): string {
  try {
    return formatSubscriptionFilter(parseSubscriptionFilter(filter, { maxBytes: Number.POSITIVE_INFINITY }));
  } catch {
    return filter;
  }
}
