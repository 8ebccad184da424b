import { type ChildEventEnvelope, type EventEnvelope, encodeEvent } from "../events/index.js";
import type { EventBus } from "./event-bus.js";

/**
 * Publishes an Octue event on the services topic, with its question UUID as the ordering key: how every part of a
 * network (control plane, jobs, clients) puts an event on a bus, so subscribers' filters and ordering hold for all.
 */
export async function publishEvent(
  bus: EventBus,
  topic: string,
  envelope: ChildEventEnvelope | EventEnvelope,
): Promise<void> {
  const encoded = encodeEvent(envelope);
  await bus.publish(topic, encoded.data, { attributes: encoded.attributes, orderingKey: encoded.orderingKey });
}
