import type { ChildEventEnvelope } from "../events/index.js";

/**
 * Where a service's response events go: Pub/Sub in the cloud, the embedded bus locally, a terminal for `ask-local`.
 * `emit` resolves once the event is safely handed over; the runner awaits each emit before the next, so a sink sees
 * a question's events in order.
 */
export interface EventSink {
  emit(envelope: ChildEventEnvelope): Promise<void>;
}
