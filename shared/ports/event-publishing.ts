import { type ChildEventEnvelope, type EventEnvelope, encodeEvent } from "../events/index.js";
import type { EventBus, OutgoingMessage } from "./event-bus.js";
import type { EventSink } from "./event-sink.js";

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

interface Pending {
  readonly message: OutgoingMessage;
  readonly sent: () => void;
  readonly failed: (error: unknown) => void;
}

/**
 * A sink that publishes the events handed to it in the same turn of the event loop as one batch (one request), in the
 * order given; each emit resolves when its batch is published. A runner that sends events faster than they are
 * confirmed (logs, monitor messages) has them sent together instead of one request each.
 */
export function batchingEventSink(bus: EventBus, topic: string): EventSink {
  let batch: Pending[] | undefined;
  return {
    emit(envelope) {
      return new Promise<void>((sent, failed) => {
        // Encoded now, so an event that cannot be sent fails alone.
        const encoded = encodeEvent(envelope);
        const message = {
          data: encoded.data,
          options: { attributes: encoded.attributes, orderingKey: encoded.orderingKey },
        };
        if (batch === undefined) {
          const gathering: Pending[] = [];
          batch = gathering;
          setImmediate(() => {
            batch = undefined;
            bus
              .publishAll(
                topic,
                gathering.map((each) => each.message),
              )
              .then(
                () => {
                  for (const each of gathering) each.sent();
                },
                (error: unknown) => {
                  for (const each of gathering) each.failed(error);
                },
              );
          });
        }
        batch.push({ message, sent, failed });
      });
    },
  };
}
