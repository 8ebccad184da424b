import { TwinedError } from "./base.js";

/** A topic that has not been created on the event bus. Carries its name. */
export class UnknownTopic extends TwinedError {
  constructor(readonly topic: string) {
    super(`Topic ${topic} does not exist. Create it first with ensureTopic("${topic}"), or check the name.`);
  }
}

/** A subscription that has not been created (or was deleted). Carries its name. */
export class UnknownSubscription extends TwinedError {
  constructor(readonly subscription: string) {
    super(
      `Subscription ${subscription} does not exist. Create it first with ensureSubscription("${subscription}", topic), or check the name.`,
    );
  }
}

/** What a subscription is attached to, as far as `ensureSubscription` compares it. */
export interface SubscriptionIdentity {
  readonly topic: string;
  /** The filter text, `""` for none. */
  readonly filter: string;
}

/** `ensureSubscription` for a name that already exists with another topic or filter; neither can be changed. */
export class SubscriptionMismatch extends TwinedError {
  constructor(
    readonly subscription: string,
    readonly existing: SubscriptionIdentity,
    readonly requested: SubscriptionIdentity,
  ) {
    super(
      `Subscription ${subscription} already exists on topic ${existing.topic} with ${describeFilter(existing.filter)}, ` +
        `but topic ${requested.topic} with ${describeFilter(requested.filter)} was asked for. ` +
        "A subscription's topic and filter cannot change: delete it first, or use another subscription name.",
    );
  }
}

function describeFilter(filter: string): string {
  return filter === "" ? "no filter" : `filter ${JSON.stringify(filter)}`;
}

/** Subscription options that Pub/Sub would refuse (an ack deadline, backoff or attempt count out of range). */
export class InvalidSubscriptionOptions extends TwinedError {
  constructor(
    readonly subscription: string,
    detail: string,
  ) {
    super(`Invalid options for subscription ${subscription}: ${detail}`);
  }
}

/** A second subscriber on a subscription that supports one at a time (the in-memory bus). */
export class SubscriberAlreadyAttached extends TwinedError {
  constructor(readonly subscription: string) {
    super(
      `Subscription ${subscription} already has a subscriber on this bus, which allows one at a time. Close the first subscriber before subscribing again.`,
    );
  }
}

/** A call on an event bus after its `close()`. */
export class EventBusClosed extends TwinedError {
  constructor(readonly operation: string) {
    super(`Cannot ${operation}: the event bus is closed. Create a new bus instead of reusing a closed one.`);
  }
}
