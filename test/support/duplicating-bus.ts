import type {
  BusSubscriber,
  EventBus,
  MessageHandler,
  OutgoingMessage,
  PublishOptions,
  SubscriptionOptions,
} from "../../shared/ports/index.js";

/**
 * A bus whose every delivery is handled twice at once, as at-least-once delivery allows: for buses (Pub/Sub) that
 * cannot be told to duplicate. A delivery is acknowledged only if both handlings succeed.
 */
export class DuplicatingBus implements EventBus {
  constructor(private readonly bus: EventBus) {}

  ensureTopic(topic: string): Promise<void> {
    return this.bus.ensureTopic(topic);
  }
  ensureSubscription(subscription: string, topic: string, options?: SubscriptionOptions): Promise<void> {
    return this.bus.ensureSubscription(subscription, topic, options);
  }
  deleteSubscription(subscription: string): Promise<void> {
    return this.bus.deleteSubscription(subscription);
  }
  publish(topic: string, data: Buffer, options?: PublishOptions): Promise<string> {
    return this.bus.publish(topic, data, options);
  }
  publishAll(topic: string, messages: readonly OutgoingMessage[]): Promise<string[]> {
    return this.bus.publishAll(topic, messages);
  }
  subscribe(subscription: string, handler: MessageHandler): BusSubscriber {
    return this.bus.subscribe(subscription, async (message) => {
      await Promise.all([handler(message), handler({ ...message, deliveryAttempt: message.deliveryAttempt + 1 })]);
    });
  }
  close(): Promise<void> {
    return this.bus.close();
  }
}
