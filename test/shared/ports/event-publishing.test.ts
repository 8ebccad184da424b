import { describe, expect, it } from "vitest";
import { InMemoryEventBus } from "../../../shared/adapters/embedded/in-memory-event-bus/in-memory-event-bus.js";
import {
  type ChildEventEnvelope,
  createQuestionAttributes,
  deriveResponseAttributes,
  renewEventIdentity,
} from "../../../shared/events/index.js";
import { batchingEventSink, type OutgoingMessage } from "../../../shared/ports/index.js";

const question = createQuestionAttributes({ sender: "octue/asker:1", recipient: "a/b:1" });

function response(order: number): ChildEventEnvelope {
  return {
    event: { kind: "heartbeat" },
    attributes: { ...renewEventIdentity(deriveResponseAttributes(question)), order },
  };
}

/** An in-memory bus that records each batch published. */
async function recordingBus() {
  const bus = new InMemoryEventBus();
  await bus.ensureTopic("services");
  const batches: (readonly OutgoingMessage[])[] = [];
  const publishAll = bus.publishAll.bind(bus);
  bus.publishAll = (topic, messages) => {
    batches.push(messages);
    return publishAll(topic, messages);
  };
  return { bus, batches };
}

describe("batchingEventSink", () => {
  it("publishes the events emitted in one turn as one batch, in order, and the next turn's as another", async () => {
    const { bus, batches } = await recordingBus();
    const sink = batchingEventSink(bus, "services");
    await Promise.all([sink.emit(response(0)), sink.emit(response(1)), sink.emit(response(2))]);
    await sink.emit(response(3));
    expect(batches.map((batch) => batch.map((message) => message.options?.attributes?.order))).toEqual([
      ["0", "1", "2"],
      ["3"],
    ]);
    expect(batches[0]?.[0]?.options?.orderingKey).toBe(question.question_uuid);
    await bus.close();
  });

  it("fails an event that cannot be encoded alone, and a batch the bus refuses as a whole", async () => {
    const { bus } = await recordingBus();
    const sink = batchingEventSink(bus, "services");
    const broken = { ...response(1), attributes: { ...response(1).attributes, uuid: { not: "text" } } } as never;
    const outcomes = await Promise.allSettled([sink.emit(response(0)), sink.emit(broken)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected"]);
    const refusing = batchingEventSink(bus, "no-such-topic");
    const refused = await Promise.allSettled([refusing.emit(response(0)), refusing.emit(response(1))]);
    expect(refused.map((outcome) => outcome.status)).toEqual(["rejected", "rejected"]);
    await bus.close();
  });
});
