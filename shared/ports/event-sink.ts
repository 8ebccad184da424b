import type { ChildEventEnvelope } from "../events/index.js";

/**
 * Where a service's response events go: Pub/Sub in the cloud, the embedded bus locally, a terminal for `ask-local`.
 * `emit` resolves once the event is safely handed over. The runner calls it in the order of the events' `order`
 * without waiting for the previous call to resolve (so publishers can batch), and a sink that forwards them keeps
 * that order where it can (Pub/Sub ordering keys do); the final event comes only after every other has resolved.
 */
export interface EventSink {
  emit(envelope: ChildEventEnvelope): Promise<void>;
}
