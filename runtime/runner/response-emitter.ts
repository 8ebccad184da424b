import type {
  ChildAttributes,
  ChildEvent,
  ChildEventEnvelope,
  ExceptionEvent,
  ResultEvent,
} from "../../shared/events/index.js";
import { renewEventIdentity, validateEvent } from "../../shared/events/index.js";
import type { EventSink } from "../../shared/ports/index.js";

export type FinalEvent = ResultEvent | ExceptionEvent;

/** Events handed to the sink and not yet confirmed: enough for publisher batching, bounded for a runaway app. */
const MAX_IN_FLIGHT = 256;

/**
 * Emits one question's response events, numbered 0, 1, 2… (`order`) in the order they are emitted: each gets fresh
 * `uuid`/`datetime` attributes and is validated against the protocol before the sink sees it. Events are handed to
 * the sink in order without waiting for the one before to be confirmed (so a publisher can batch them), at most
 * {@link MAX_IN_FLIGHT} at a time; the final event (`result` or `exception`) goes only once all before it are
 * confirmed, and nothing is emitted after it.
 */
export class ResponseEmitter {
  private readonly waiting: { envelope: ChildEventEnvelope; started: () => void; refused: (error: unknown) => void }[] =
    [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { readonly error: unknown } | undefined;
  private nextOrder = 0;
  private finished = false;

  constructor(
    private readonly sink: EventSink,
    private readonly attributes: ChildAttributes,
    private readonly generators: { now?: () => Date; uuid?: () => string } = {},
  ) {}

  get isFinished(): boolean {
    return this.finished;
  }

  /**
   * Queues a non-final event; resolves once the sink has been handed it, and rejects if an earlier event could not be
   * sent. Ignored once the question has its final event.
   */
  emit(event: Exclude<ChildEvent, FinalEvent>): Promise<void> {
    if (this.finished) return Promise.resolve();
    const envelope = this.envelope(event);
    return new Promise((started, refused) => {
      this.waiting.push({ envelope, started, refused });
      this.pump();
    });
  }

  /** Sends the final event once everything before it is confirmed, and closes the emitter; only the first call counts. */
  finish(event: FinalEvent): Promise<ChildEventEnvelope<FinalEvent>> | undefined {
    if (this.finished) return undefined;
    this.finished = true;
    const envelope = this.envelope(event) as ChildEventEnvelope<FinalEvent>;
    return this.flush().then(async () => {
      await this.sink.emit(envelope);
      return envelope;
    });
  }

  /** Waits for everything emitted so far to be confirmed; rejects with the first event that could not be sent. */
  async flush(): Promise<void> {
    while (this.waiting.length > 0 || this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    if (this.failure !== undefined) throw this.failure.error;
  }

  private envelope(event: ChildEvent): ChildEventEnvelope {
    const attributes = { ...renewEventIdentity(this.attributes, this.generators), order: this.nextOrder++ };
    return validateEvent({ event, attributes }) as ChildEventEnvelope;
  }

  /** Hands waiting events to the sink, in order, while there is room. */
  private pump(): void {
    while (this.inFlight.size < MAX_IN_FLIGHT) {
      const next = this.waiting.shift();
      if (next === undefined) return;
      if (this.failure !== undefined) {
        next.refused(this.failure.error);
        continue;
      }
      const sending: Promise<void> = this.sink.emit(next.envelope).then(
        () => {},
        (error: unknown) => {
          this.failure ??= { error };
        },
      );
      this.inFlight.add(sending);
      void sending.then(() => {
        this.inFlight.delete(sending);
        this.pump();
      });
      next.started();
    }
  }
}
