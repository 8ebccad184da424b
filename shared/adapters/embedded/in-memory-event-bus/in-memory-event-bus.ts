import {
  EventBusClosed,
  SubscriberAlreadyAttached,
  SubscriptionMismatch,
  UnknownSubscription,
  UnknownTopic,
} from "../../../errors/bus-errors.js";
import { assertWithinMessageLimits } from "../../../events/message-limits.js";
import { PUBSUB_DEAD_LETTER_ATTRIBUTES } from "../../../ports/dead-letter-store.js";
import type {
  BusMessage,
  BusSubscriber,
  EventBus,
  MessageHandler,
  OutgoingMessage,
  PublishOptions,
  SubscriptionOptions,
} from "../../../ports/event-bus.js";
import {
  retryDelaySeconds,
  type SubscriptionSettings,
  subscriptionSettings,
} from "../../../ports/subscription-settings.js";
import { matchesFilter } from "../../../subscription-filter/match-filter.js";
import { withTraceAttribute } from "../../../tracing/index.js";
import { type Delivery, DeliveryQueue, type StoredMessage } from "./delivery-queue.js";
import { InMemorySubscriber } from "./subscriber.js";

/**
 * The timer functions the bus uses, injectable so tests can observe or control them. Each `setTimeout` must return a
 * distinct handle (the bus keeps pending handles in a set to clear them on close).
 */
export interface BusTimers {
  setTimeout(callback: () => void, milliseconds: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface InMemoryEventBusOptions {
  /** Chaos for tests: hand every message to every matching subscription twice, as independent deliveries. */
  readonly duplicateDeliveries?: boolean;
  /**
   * Chaos for tests: deliver whatever is ready in random order, ignoring ordering keys even on ordered subscriptions.
   * Only at-least-once delivery is kept.
   */
  readonly shuffle?: boolean;
  /** Random numbers in [0, 1) for `shuffle`; defaults to `Math.random`. Pass a seeded one for repeatable runs. */
  readonly random?: () => number;
  readonly timers?: BusTimers;
  /** The clock for publish times. */
  readonly now?: () => Date;
  /** Written into `CloudPubSubDeadLetterSourceSubscriptionProject` on dead-lettered messages. */
  readonly projectId?: string;
  /** Told about every handler error (each one nacks its message), e.g. to log it. */
  readonly onHandlerError?: (error: unknown, message: BusMessage, subscription: string) => void;
}

/** Where one subscription's messages are, for tests and diagnostics. */
export interface SubscriptionBacklog {
  /** Waiting to be handed to a handler (including those queued behind their ordering key). */
  readonly pending: number;
  /** In a handler's hands right now. */
  readonly inFlight: number;
  /** Nacked and waiting out their retry backoff. */
  readonly awaitingRetry: number;
}

const REAL_TIMERS: BusTimers = {
  setTimeout: (callback, milliseconds) => setTimeout(callback, milliseconds),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The attributes Pub/Sub adds to a message it forwards to a dead-letter topic. */
export const DEAD_LETTER_ATTRIBUTES = PUBSUB_DEAD_LETTER_ATTRIBUTES;

/** One subscription's state. Dropped from the bus (and marked deleted) by `deleteSubscription`. */
interface SubscriptionState {
  readonly name: string;
  readonly topic: string;
  readonly settings: SubscriptionSettings;
  readonly queue: DeliveryQueue;
  readonly retryTimers: Set<unknown>;
  pumpTimer: unknown;
  inFlight: number;
  subscriber: InMemorySubscriber | undefined;
  deleted: boolean;
}

/**
 * The embedded event bus: Google Pub/Sub's semantics in one process, for local runs and tests. Behaves like Pub/Sub
 * (see `EventBus`) except where noted:
 *
 * - A message is never redelivered while its handler is still running: the bus knows the handler is alive, so the ack
 *   deadline is checked for range but never expires. A handler that never settles holds its message (and, on an
 *   ordered subscription, its key) forever.
 * - `deliveryAttempt` counts 1, 2, 3… on every subscription, with or without a dead-letter policy (Pub/Sub reports 0
 *   without one).
 * - Without a retry policy a nacked message waits 10 s, then 20 s… up to 600 s (Pub/Sub's retry-policy defaults),
 *   where Pub/Sub would redeliver it at once; this keeps an always-failing handler from spinning.
 * - One subscriber per subscription at a time (Pub/Sub shares messages among several); a second `subscribe` throws.
 * - Nothing is persisted or expires: retained messages live as long as the bus, and `close()` discards them.
 * - Message IDs are numbers in text counting up from the bus's creation time, unique across buses in practice.
 */
export class InMemoryEventBus implements EventBus {
  /** Topic → its subscriptions. Topics are never deleted, so a dead-letter topic, once checked, stays valid. */
  private readonly topics = new Map<string, Set<SubscriptionState>>();
  private readonly subscriptions = new Map<string, SubscriptionState>();
  private readonly subscribers = new Set<InMemorySubscriber>();
  private readonly timers: BusTimers;
  private readonly random: () => number;
  private readonly now: () => Date;
  /**
   * Counts on from the bus's creation time in microseconds, so that IDs are unique across buses too, as Pub/Sub's
   * are: a dead letter kept in a store that outlives the bus (SQLite) is known by its ID.
   */
  private lastMessageId = Date.now() * 1000;
  private closed = false;

  constructor(private readonly options: InMemoryEventBusOptions = {}) {
    this.timers = options.timers ?? REAL_TIMERS;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => new Date());
  }

  async ensureTopic(topic: string): Promise<void> {
    this.assertOpen("create a topic");
    if (!this.topics.has(topic)) this.topics.set(topic, new Set());
  }

  async ensureSubscription(subscription: string, topic: string, options: SubscriptionOptions = {}): Promise<void> {
    this.assertOpen("create a subscription");
    const settings = subscriptionSettings(subscription, options);
    const existing = this.subscriptions.get(subscription);
    if (existing !== undefined) {
      // Like Pub/Sub, only the topic and filter are fixed for good; other options keep the values first given.
      if (existing.topic !== topic || existing.settings.filterKey !== settings.filterKey) {
        throw new SubscriptionMismatch(
          subscription,
          { topic: existing.topic, filter: existing.settings.filterText },
          { topic, filter: settings.filterText },
        );
      }
      return;
    }
    const attached = this.topics.get(topic);
    if (attached === undefined) throw new UnknownTopic(topic);
    if (settings.deadLetter !== undefined && !this.topics.has(settings.deadLetter.topic)) {
      throw new UnknownTopic(settings.deadLetter.topic);
    }
    const state: SubscriptionState = {
      name: subscription,
      topic,
      settings,
      // Shuffling promises no order, so it overrides message ordering.
      queue: new DeliveryQueue(settings.ordered && this.options.shuffle !== true),
      retryTimers: new Set(),
      pumpTimer: undefined,
      inFlight: 0,
      subscriber: undefined,
      deleted: false,
    };
    this.subscriptions.set(subscription, state);
    attached.add(state);
  }

  async deleteSubscription(subscription: string): Promise<void> {
    this.assertOpen("delete a subscription");
    const state = this.subscriptions.get(subscription);
    if (state === undefined) return;
    this.subscriptions.delete(subscription);
    this.topics.get(state.topic)?.delete(state);
    this.discard(state);
  }

  async publish(topic: string, data: Buffer, options: PublishOptions = {}): Promise<string> {
    this.assertOpen("publish");
    const subscriptions = this.topics.get(topic);
    if (subscriptions === undefined) throw new UnknownTopic(topic);
    // The publisher's trace context goes with the message, as it does on Pub/Sub, so both buses behave alike.
    const attributes = { ...withTraceAttribute(options.attributes ?? {}) };
    assertWithinMessageLimits(data, attributes);
    const message = this.store(data, attributes, options.orderingKey);
    this.fanOut(subscriptions, message);
    return message.id;
  }

  async publishAll(topic: string, messages: readonly OutgoingMessage[]): Promise<string[]> {
    const ids: string[] = [];
    for (const message of messages) ids.push(await this.publish(topic, message.data, message.options));
    return ids;
  }

  subscribe(subscription: string, handler: MessageHandler): BusSubscriber {
    this.assertOpen("subscribe");
    const state = this.subscriptions.get(subscription);
    if (state === undefined) throw new UnknownSubscription(subscription);
    if (state.subscriber !== undefined) throw new SubscriberAlreadyAttached(subscription);
    const subscriber = new InMemorySubscriber(handler, (detached) => {
      if (state.subscriber === detached) state.subscriber = undefined;
    });
    state.subscriber = subscriber;
    this.subscribers.add(subscriber);
    this.schedulePump(state);
    return {
      close: async () => {
        await subscriber.close();
        this.subscribers.delete(subscriber);
      },
    };
  }

  /** Stops every delivery and timer, discards all messages, and resolves once running handlers have finished. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const state of this.subscriptions.values()) this.discard(state);
      this.subscriptions.clear();
      this.topics.clear();
    }
    const subscribers = [...this.subscribers];
    this.subscribers.clear();
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));
  }

  /** How many of a subscription's messages are pending, in flight and waiting to be retried. */
  backlog(subscription: string): SubscriptionBacklog {
    const state = this.subscriptions.get(subscription);
    if (state === undefined) throw new UnknownSubscription(subscription);
    return { pending: state.queue.size, inFlight: state.inFlight, awaitingRetry: state.retryTimers.size };
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new EventBusClosed(operation);
  }

  private store(data: Buffer, attributes: Record<string, string>, orderingKey: string | undefined): StoredMessage {
    this.lastMessageId += 1;
    return {
      id: String(this.lastMessageId),
      // Copied, so the publisher reusing its buffer cannot change what subscribers get.
      data: Buffer.from(data),
      attributes: Object.freeze(attributes),
      orderingKey: orderingKey === "" ? undefined : orderingKey,
      publishTime: this.now(),
    };
  }

  private fanOut(subscriptions: Iterable<SubscriptionState>, message: StoredMessage): void {
    const copies = this.options.duplicateDeliveries === true ? 2 : 1;
    for (const state of subscriptions) {
      // Pub/Sub applies the filter when the message is published; a non-matching message never enters the backlog.
      if (!matchesFilter(state.settings.filter, message.attributes)) continue;
      for (let copy = 0; copy < copies; copy++) state.queue.add({ message, attempts: 0 });
      this.schedulePump(state);
    }
  }

  /** Delivers a subscription's ready messages soon, in one batch so that `shuffle` has something to shuffle. */
  private schedulePump(state: SubscriptionState): void {
    if (state.pumpTimer !== undefined || state.subscriber === undefined || state.queue.readyCount === 0) return;
    state.pumpTimer = this.timers.setTimeout(() => {
      state.pumpTimer = undefined;
      this.pump(state);
    }, 0);
  }

  private pump(state: SubscriptionState): void {
    const subscriber = state.subscriber;
    if (this.closed || state.deleted || subscriber === undefined) return;
    const batch = state.queue.takeReady();
    if (this.options.shuffle === true) this.shuffleInPlace(batch);
    for (const delivery of batch) this.dispatch(state, subscriber, delivery);
  }

  private dispatch(state: SubscriptionState, subscriber: InMemorySubscriber, delivery: Delivery): void {
    delivery.attempts += 1;
    const stored = delivery.message;
    const message: BusMessage = Object.freeze({
      id: stored.id,
      // A fresh copy per delivery, so a handler that mutates its buffer cannot change a redelivery or another copy.
      data: Buffer.from(stored.data),
      attributes: stored.attributes,
      orderingKey: stored.orderingKey,
      publishTime: new Date(stored.publishTime.getTime()),
      deliveryAttempt: delivery.attempts,
    });
    state.inFlight += 1;
    const work = Promise.resolve()
      .then(() => subscriber.handler(message))
      .then(
        () => true,
        (error: unknown) => {
          this.reportHandlerError(error, message, state.name);
          return false;
        },
      )
      .then((acked) => this.settle(state, delivery, acked));
    subscriber.track(work);
  }

  private settle(state: SubscriptionState, delivery: Delivery, acked: boolean): void {
    state.inFlight -= 1;
    if (this.closed || state.deleted) return;
    const deadLetter = state.settings.deadLetter;
    if (acked) {
      this.finish(state, delivery);
    } else if (deadLetter !== undefined && delivery.attempts >= deadLetter.maxDeliveryAttempts) {
      this.forwardToDeadLetterTopic(state, delivery, deadLetter.topic);
      this.finish(state, delivery);
    } else {
      this.scheduleRetry(state, delivery);
    }
  }

  private finish(state: SubscriptionState, delivery: Delivery): void {
    state.queue.release(delivery);
    this.schedulePump(state);
  }

  private scheduleRetry(state: SubscriptionState, delivery: Delivery): void {
    const delayMs = retryDelaySeconds(state.settings, delivery.attempts) * 1000;
    const timer = this.timers.setTimeout(() => {
      state.retryTimers.delete(timer);
      if (this.closed || state.deleted) return;
      state.queue.retry(delivery);
      this.schedulePump(state);
    }, delayMs);
    state.retryTimers.add(timer);
  }

  private forwardToDeadLetterTopic(state: SubscriptionState, delivery: Delivery, topic: string): void {
    const source = delivery.message;
    const attributes = {
      ...source.attributes,
      [DEAD_LETTER_ATTRIBUTES.deliveryCount]: String(delivery.attempts),
      [DEAD_LETTER_ATTRIBUTES.subscription]: state.name,
      [DEAD_LETTER_ATTRIBUTES.subscriptionProject]: this.options.projectId ?? "in-memory",
      [DEAD_LETTER_ATTRIBUTES.topicPublishTime]: source.publishTime.toISOString(),
    };
    const message = this.store(source.data, attributes, source.orderingKey);
    this.fanOut(this.topics.get(topic) ?? [], message);
  }

  /** Forgets a subscription's messages and timers and detaches its subscriber; running handlers finish unheard. */
  private discard(state: SubscriptionState): void {
    state.deleted = true;
    state.queue.clear();
    if (state.pumpTimer !== undefined) this.timers.clearTimeout(state.pumpTimer);
    state.pumpTimer = undefined;
    for (const timer of state.retryTimers) this.timers.clearTimeout(timer);
    state.retryTimers.clear();
    state.subscriber?.detach();
  }

  private reportHandlerError(error: unknown, message: BusMessage, subscription: string): void {
    try {
      this.options.onHandlerError?.(error, message, subscription);
    } catch {
      // A failing error reporter must not turn a nack into a lost message.
    }
  }

  private shuffleInPlace(items: Delivery[]): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.min(i, Math.floor(this.random() * (i + 1)));
      const item = items[i] as Delivery;
      items[i] = items[j] as Delivery;
      items[j] = item;
    }
  }
}
