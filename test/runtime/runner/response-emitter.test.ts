import { describe, expect, it } from "vitest";
import { ResponseEmitter } from "../../../runtime/runner/response-emitter.js";
import type { ChildEventEnvelope } from "../../../shared/events/index.js";
import { createQuestionAttributes, deriveResponseAttributes } from "../../../shared/events/index.js";

/** A sink that confirms nothing until told to, recording what it was handed and when. */
function heldSink() {
  const handed: ChildEventEnvelope[] = [];
  const confirmations: (() => void)[] = [];
  const failures: ((error: Error) => void)[] = [];
  return {
    handed,
    confirmAll: () => {
      for (const confirm of confirmations.splice(0)) confirm();
      failures.splice(0);
    },
    failFirst: (error: Error) => {
      confirmations.shift();
      failures.shift()?.(error);
    },
    sink: {
      emit(envelope: ChildEventEnvelope) {
        handed.push(envelope);
        return new Promise<void>((resolve, reject) => {
          confirmations.push(resolve);
          failures.push(reject);
        });
      },
    },
  };
}

const attributes = deriveResponseAttributes(createQuestionAttributes({ sender: "octue/asker:1", recipient: "a/b:1" }));

describe("ResponseEmitter", () => {
  it("numbers events 0, 1, 2… and hands them on without waiting for each to be confirmed", async () => {
    const held = heldSink();
    const emitter = new ResponseEmitter(held.sink, attributes);
    await emitter.emit({ kind: "delivery_acknowledgement" });
    await emitter.emit({ kind: "heartbeat" });
    await emitter.emit({ kind: "monitor_message", data: { n: 1 } });
    expect(held.handed.map((envelope) => [envelope.event.kind, envelope.attributes.order])).toEqual([
      ["delivery_acknowledgement", 0],
      ["heartbeat", 1],
      ["monitor_message", 2],
    ]);
    expect(new Set(held.handed.map((envelope) => envelope.attributes.uuid)).size).toBe(3);
  });

  it("sends the final event only once every event before it is confirmed, and nothing after it", async () => {
    const held = heldSink();
    const emitter = new ResponseEmitter(held.sink, attributes);
    await emitter.emit({ kind: "delivery_acknowledgement" });
    const finished = emitter.finish({ kind: "result", output_values: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(held.handed).toHaveLength(1);
    held.confirmAll();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(held.handed.map((envelope) => envelope.attributes.order)).toEqual([0, 1]);
    held.confirmAll();
    expect((await finished)?.event.kind).toBe("result");
    await emitter.emit({ kind: "heartbeat" });
    expect(emitter.finish({ kind: "result", output_values: 2 })).toBeUndefined();
    expect(held.handed).toHaveLength(2);
  });

  it("refuses what follows an event that could not be sent, and the final event with it", async () => {
    const held = heldSink();
    const emitter = new ResponseEmitter(held.sink, attributes);
    await emitter.emit({ kind: "delivery_acknowledgement" });
    held.failFirst(new Error("bus gone"));
    await new Promise((resolve) => setTimeout(resolve, 0));
    await expect(emitter.emit({ kind: "heartbeat" })).rejects.toThrow("bus gone");
    await expect(emitter.finish({ kind: "result", output_values: 1 })).rejects.toThrow("bus gone");
  });
});
