import type { ChildEventEnvelope, ParentEventEnvelope, QuestionEvent } from "../../shared/events/index.js";
import type { EventSink } from "../../shared/ports/index.js";
import type { QuestionStatus } from "../../shared/questions/index.js";

/** How a job on a cluster talks to its network: the question it answers, and where its events go. */
export interface JobConnection {
  readonly question: ParentEventEnvelope<QuestionEvent>;
  /**
   * The question's status when the job started, when the network said. A question that has already ended (cancelled
   * while its job was being made, or answered by an earlier job) is not run again.
   */
  readonly status: QuestionStatus | undefined;
  /** Sends each event to the network, in order; rejects once the network cannot be reached after retrying. */
  readonly sink: EventSink;
  /** Waits for what is still being sent, then lets go of the network's clients. */
  close(): Promise<void>;
}

/**
 * One sink that hands each event to every given sink at once, so each sees the events in the order they were emitted
 * even while earlier ones are still being confirmed.
 */
export function teeSinks(...sinks: readonly EventSink[]): EventSink {
  return {
    async emit(envelope: ChildEventEnvelope): Promise<void> {
      await Promise.all(sinks.map((sink) => sink.emit(envelope)));
    },
  };
}
