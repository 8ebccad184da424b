import type { Message, Subscription } from "@google-cloud/pubsub";
import { UnknownSubscription } from "../../../errors/bus-errors.js";
import type { BusMessage, BusSubscriber, MessageHandler } from "../../../ports/event-bus.js";
import type { FilterExpression } from "../../../subscription-filter/filter-ast.js";
import { matchesFilter } from "../../../subscription-filter/match-filter.js";
import { parseSubscriptionFilter } from "../../../subscription-filter/parse-filter.js";
import { hasGoogleApiStatus, Status } from "../google-api-status.js";
import { settleWithin } from "./settle-within.js";

export interface PubSubSubscriberOptions {
  readonly name: string;
  /** The client library's subscription object; the subscriber starts its streaming pull. */
  readonly client: Subscription;
  readonly handler: MessageHandler;
  /** Apply the subscription's filter here, for the emulator, which stores filters without applying them. */
  readonly evaluateFilterLocally: boolean;
  readonly closeTimeoutMs: number;
  readonly onHandlerError: (error: unknown, message: BusMessage, subscription: string) => void;
  readonly onWarning: (warning: string) => void;
}

/**
 * One handler on one Pub/Sub subscription, over the client library's streaming pull. On an ordered subscription it
 * runs each key's messages one at a time: the Node client hands them over as they arrive, without waiting for the
 * previous one to be acked, and Pub/Sub only guarantees the order of the deliveries, not of the handling.
 */
export class PubSubSubscriber implements BusSubscriber {
  private readonly running = new Set<Promise<void>>();
  /** Ordering key → its messages not yet acked or nacked, the one being handled first. */
  private readonly keyQueues = new Map<string, Message[]>();
  /** Deliveries so far per message ID, where Pub/Sub reports 0 (subscriptions without a dead-letter policy). */
  private readonly localAttempts = new Map<string, number>();
  private readonly started: Promise<void>;
  private stopped = false;
  private closing: Promise<void> | undefined;
  private ordered = false;
  private filter: FilterExpression | undefined;

  constructor(private readonly options: PubSubSubscriberOptions) {
    this.started = this.start();
  }

  /**
   * Stops handing messages to the handler. Messages the client already holds stay leased until `close()` nacks
   * them, so they are redelivered rather than lost.
   */
  stop(): void {
    this.stopped = true;
  }

  /** Stops delivering, waits for running handlers, then closes the client's stream (which nacks what is left). */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.stop();
    await this.started;
    // Handlers ack and nack through the client, so it stays open until they are done. Nothing new starts once
    // stopped, so the work running now is the last.
    await Promise.all(this.running);
    const { client, closeTimeoutMs, name } = this.options;
    const settlement = await settleWithin(client.close(), closeTimeoutMs);
    if (settlement.outcome === "timedOut") {
      this.options.onWarning(
        `Closing the Pub/Sub subscriber of ${name} did not finish within ${closeTimeoutMs} ms; gave up waiting. Messages it held are redelivered once their ack deadline passes.`,
      );
    } else if (settlement.outcome === "rejected") {
      this.options.onWarning(`Closing the Pub/Sub subscriber of ${name} failed: ${describe(settlement.error)}`);
    }
  }

  /** Reads the subscription's ordering flag and filter, which decide how messages are handled, then starts pulling. */
  private async start(): Promise<void> {
    const { client, name } = this.options;
    let metadata: { readonly enableMessageOrdering?: boolean | null; readonly filter?: string | null };
    try {
      [metadata] = await client.getMetadata();
    } catch (error) {
      this.reportFailure(error);
      return;
    }
    if (this.stopped) return;
    this.ordered = metadata.enableMessageOrdering === true;
    if (this.options.evaluateFilterLocally) {
      try {
        this.filter = parseSubscriptionFilter(metadata.filter ?? "");
      } catch (error) {
        // Delivering everything would hand the handler messages that production Pub/Sub filters out.
        this.options.onWarning(
          `Subscription ${name} has a filter that cannot be evaluated locally, so nothing is delivered: ${describe(error)}`,
        );
        return;
      }
    }
    // An 'error' event without a listener would crash the process; the client emits one when the stream fails.
    client.on("error", (error: unknown) => this.reportFailure(error));
    client.on("message", (message: Message) => this.receive(message));
  }

  private receive(message: Message): void {
    if (this.stopped) return;
    if (this.filter !== undefined && !matchesFilter(this.filter, message.attributes)) {
      // Production Pub/Sub would never have delivered it; acking keeps it from coming back.
      message.ack();
      return;
    }
    const key = this.ordered && message.orderingKey ? message.orderingKey : undefined;
    if (key === undefined) {
      this.track(this.handle(message).then(() => undefined));
      return;
    }
    const queue = this.keyQueues.get(key);
    if (queue !== undefined) {
      queue.push(message);
      return;
    }
    this.keyQueues.set(key, [message]);
    this.track(this.drainKey(key));
  }

  private async drainKey(key: string): Promise<void> {
    const queue = this.keyQueues.get(key) ?? [];
    for (let next = queue[0]; next !== undefined && !this.stopped; next = queue[0]) {
      const acked = await this.handle(next);
      queue.shift();
      if (!acked) {
        // Pub/Sub redelivers a nacked message followed by the later ones of its key, in order; handling the later
        // ones now would put them ahead of it.
        for (const later of queue.splice(0)) later.nack();
      }
    }
    this.keyQueues.delete(key);
  }

  /** Runs the handler, then acks or nacks. Never rejects; resolves with whether the message was acked. */
  private async handle(message: Message): Promise<boolean> {
    const busMessage = this.toBusMessage(message);
    try {
      await this.options.handler(busMessage);
    } catch (error) {
      this.reportHandlerError(error, busMessage);
      message.nack();
      return false;
    }
    this.localAttempts.delete(message.id);
    message.ack();
    return true;
  }

  private toBusMessage(message: Message): BusMessage {
    return Object.freeze({
      id: message.id,
      // A copy, so a handler that mutates its buffer cannot affect the client's own bookkeeping of the message.
      data: Buffer.from(message.data),
      attributes: Object.freeze({ ...message.attributes }),
      // Pub/Sub sends "" for no key; the port says undefined.
      orderingKey: message.orderingKey ? message.orderingKey : undefined,
      publishTime: new Date(message.publishTime.getTime()),
      deliveryAttempt: message.deliveryAttempt > 0 ? message.deliveryAttempt : this.countDelivery(message.id),
    });
  }

  /**
   * Pub/Sub reports delivery attempts only with a dead-letter policy; the port promises 1, 2, 3… everywhere. This
   * count covers the deliveries this subscriber saw, which is the best that can be known without the service's count.
   */
  private countDelivery(id: string): number {
    const attempts = (this.localAttempts.get(id) ?? 0) + 1;
    this.localAttempts.set(id, attempts);
    return attempts;
  }

  private track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  private reportHandlerError(error: unknown, message: BusMessage): void {
    try {
      this.options.onHandlerError(error, message, this.options.name);
    } catch {
      // A failing error reporter must not turn a nack into a lost message.
    }
  }

  private reportFailure(error: unknown): void {
    // Once stopped (closed, or the subscription deleted through the bus) the stream ending is expected.
    if (this.stopped) return;
    const { name } = this.options;
    const reason = hasGoogleApiStatus(error, Status.NOT_FOUND)
      ? new UnknownSubscription(name).message
      : describe(error);
    this.options.onWarning(`The Pub/Sub subscriber of ${name} failed: ${reason}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
