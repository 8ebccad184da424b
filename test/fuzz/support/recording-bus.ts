import { InMemoryEventBus } from "../../../shared/adapters/embedded/in-memory-event-bus/in-memory-event-bus.js";
import type { BusSubscriber, MessageHandler, PublishOptions } from "../../../shared/ports/index.js";
import { describeThrown } from "./inspection.js";

export interface PublishedMessage {
  readonly id: string;
  readonly topic: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface HandlerFailure {
  readonly messageId: string;
  readonly subscription: string;
  readonly error: unknown;
}

/**
 * The embedded bus, recording what is published and every handler failure: an input that was refused must publish
 * nothing, and a handler that throws anything but a permanent failure nacks its message, which then comes back for
 * ever (a crash, as far as the network is concerned).
 */
export class RecordingBus extends InMemoryEventBus {
  /** Published since the last `clearLog()`. */
  log: PublishedMessage[] = [];
  /** Every handler failure since the bus began (each one nacked a message). */
  readonly handlerFailures: HandlerFailure[] = [];
  /** Redeliveries since the last `clearLog()`: an earlier message, nacked, handled again meanwhile. */
  redeliveries = 0;

  constructor() {
    super({
      onHandlerError: (error, message, subscription) => {
        this.handlerFailures.push({ messageId: message.id, subscription, error });
      },
    });
  }

  override async publish(topic: string, data: Buffer, options: PublishOptions = {}): Promise<string> {
    const id = await super.publish(topic, data, options);
    this.log.push({ id, topic, data: Buffer.from(data), attributes: { ...options.attributes } });
    return id;
  }

  override subscribe(subscription: string, handler: MessageHandler): BusSubscriber {
    return super.subscribe(subscription, (message) => {
      if (message.deliveryAttempt > 1) this.redeliveries += 1;
      return handler(message);
    });
  }

  clearLog(): void {
    this.log = [];
    this.redeliveries = 0;
  }

  /** The handler failures on the messages logged since the last `clearLog()`, described. */
  failuresSinceClear(): string[] {
    const ids = new Set(this.log.map((message) => message.id));
    return this.handlerFailures
      .filter((failure) => ids.has(failure.messageId))
      .map(
        (failure) => `${failure.subscription} failed on message ${failure.messageId}: ${describeThrown(failure.error)}`,
      );
  }

  /**
   * Resolves once nothing is pending or in flight on these subscriptions, three checks in a row (work hops through
   * timers and `setImmediate` between subscriptions). A message whose handler failed waits for its redelivery
   * meanwhile: `failuresSinceClear()` tells. Rejects when the work does not settle in time.
   */
  async settled(subscriptions: readonly string[], timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quietChecks = 0;
    while (quietChecks < 3) {
      const backlogs = subscriptions.map((name) => ({ name, ...this.backlog(name) }));
      quietChecks = backlogs.every((each) => each.pending === 0 && each.inFlight === 0) ? quietChecks + 1 : 0;
      if (Date.now() > deadline) {
        throw new Error(`the network did not settle within ${timeoutMs} ms: ${JSON.stringify(backlogs)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}
