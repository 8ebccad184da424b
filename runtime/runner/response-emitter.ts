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

/**
 * Emits one question's response events in order: each event gets fresh `uuid`/`datetime` attributes and is validated
 * against the protocol before the sink sees it, and each emit waits for the previous one. After the final event
 * (`result` or `exception`) nothing more is emitted, so a late heartbeat or log can never follow an answer.
 */
export class ResponseEmitter {
  private chain: Promise<void> = Promise.resolve();
  private finished = false;

  constructor(
    private readonly sink: EventSink,
    private readonly attributes: ChildAttributes,
    private readonly generators: { now?: () => Date; uuid?: () => string } = {},
  ) {}

  get isFinished(): boolean {
    return this.finished;
  }

  /** Queues a non-final event; returns when the sink has it. Ignored once the question has its final event. */
  emit(event: Exclude<ChildEvent, FinalEvent>): Promise<void> {
    if (this.finished) return this.chain;
    return this.enqueue(event);
  }

  /** Queues the final event and closes the emitter; only the first call has any effect. */
  finish(event: FinalEvent): Promise<ChildEventEnvelope<FinalEvent>> | undefined {
    if (this.finished) return undefined;
    this.finished = true;
    let envelope: ChildEventEnvelope<FinalEvent> | undefined;
    return this.enqueue(event, (sent) => {
      envelope = sent as ChildEventEnvelope<FinalEvent>;
    }).then(() => envelope as ChildEventEnvelope<FinalEvent>);
  }

  /** Waits for everything queued so far. */
  flush(): Promise<void> {
    return this.chain;
  }

  private enqueue(event: ChildEvent, onEnvelope?: (envelope: ChildEventEnvelope) => void): Promise<void> {
    const envelope = validateEvent({
      event,
      attributes: renewEventIdentity(this.attributes, this.generators),
    }) as ChildEventEnvelope;
    onEnvelope?.(envelope);
    this.chain = this.chain.then(() => this.sink.emit(envelope));
    return this.chain;
  }
}
