/**
 * A message as a subscriber receives it. `deliveryAttempt` starts at 1 and grows with each redelivery, as Pub/Sub's
 * does when a dead-letter policy is set.
 */
export interface BusMessage {
  readonly id: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  readonly orderingKey: string | undefined;
  readonly publishTime: Date;
  readonly deliveryAttempt: number;
}

/** One message of a batch to publish. */
export interface OutgoingMessage {
  readonly data: Buffer;
  readonly options?: PublishOptions;
}

export interface PublishOptions {
  readonly attributes?: Readonly<Record<string, string>>;
  /** Messages with the same key reach an ordered subscription in publish order. */
  readonly orderingKey?: string;
}

export interface SubscriptionOptions {
  /** A Pub/Sub subscription filter (`attributes.recipient = "…" AND …`); only matching messages are delivered. */
  readonly filter?: string;
  /** Deliver messages with the same ordering key one at a time, in publish order. */
  readonly enableMessageOrdering?: boolean;
  /** How long a delivered message may stay unacknowledged before it is redelivered. */
  readonly ackDeadlineSeconds?: number;
  /** Backoff between redeliveries of a nacked message (Pub/Sub's retry policy). */
  readonly retryPolicy?: { readonly minimumBackoffSeconds: number; readonly maximumBackoffSeconds: number };
  /** After this many delivery attempts a message goes to the dead-letter topic instead. */
  readonly deadLetterPolicy?: { readonly deadLetterTopic: string; readonly maxDeliveryAttempts: number };
}

/**
 * Receives one message. Returning (or resolving) acknowledges it; throwing (or rejecting) nacks it, so it is redelivered
 * after the retry backoff, or dead-lettered once its attempts are used up.
 */
export type MessageHandler = (message: BusMessage) => void | Promise<void>;

export interface BusSubscriber {
  /** Stops delivering; resolves when no handler is running any more. */
  close(): Promise<void>;
}

/**
 * Pub/Sub semantics behind one interface: topics, subscriptions with attribute filters, ordering keys, at-least-once
 * delivery with redelivery and dead-lettering. Adapters: in memory (the embedded default) and Google Cloud Pub/Sub.
 * Provisioning calls are idempotent.
 */
export interface EventBus {
  ensureTopic(topic: string): Promise<void>;
  /** Creates the subscription, or checks that an existing one has the same topic and filter. */
  ensureSubscription(subscription: string, topic: string, options?: SubscriptionOptions): Promise<void>;
  deleteSubscription(subscription: string): Promise<void>;
  /** Resolves with the message ID once the bus has the message. */
  publish(topic: string, data: Buffer, options?: PublishOptions): Promise<string>;
  /**
   * Publishes several messages to one topic in one request (Pub/Sub's publish call takes many), in the order given;
   * resolves with their IDs once the bus has them all, and rejects if any could not be published.
   */
  publishAll(topic: string, messages: readonly OutgoingMessage[]): Promise<string[]>;
  subscribe(subscription: string, handler: MessageHandler): BusSubscriber;
  /** Closes every subscriber and releases the bus's resources. */
  close(): Promise<void>;
}
