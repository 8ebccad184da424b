import { randomUUID } from "node:crypto";
import { PubSub } from "@google-cloud/pubsub";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PubSubEventBus } from "../../shared/adapters/google/pubsub/index.js";
import { decodeEvent } from "../../shared/events/index.js";
import type { BusMessage } from "../../shared/ports/index.js";
import { describeWithEmulators } from "../support/emulators.js";
import { waitFor } from "../support/wait-for.js";
import { googleInProcessPlatform } from "./platforms/google-in-process.js";
import type { ScenarioNetwork } from "./scenario-platform.js";
import { copyOfExample, registerFolder } from "./scenario-services.js";

const PARENT = "octue/test-parent:5.6.3";

describeWithEmulators("an Octue parent asking over Pub/Sub", (info) => {
  let network: ScenarioNetwork;

  beforeAll(async () => {
    network = await googleInProcessPlatform(info).start({ cpuQuota: 2 });
    await registerFolder(network.url, copyOfExample("child-services/elevation"), {
      namespace: "examples",
      name: "elevation",
      tag: "0.1.0",
    });
  }, 60_000);

  afterAll(async () => {
    await network?.close();
  });

  it("is answered on its own filtered subscription, with Octue's raw string attributes both ways", async () => {
    const questionUuid = randomUUID();
    const servicesTopic = network.servicesTopic ?? "";
    // As Octue's parent does: the answer subscription exists, with its filter, before the question is published.
    const bus = new PubSubEventBus({ projectId: info.projectId });
    const answers = `octue.test-parent.5-6-3.answers.${questionUuid}`;
    await bus.ensureSubscription(answers, servicesTopic, {
      filter: `attributes.recipient = "${PARENT}" AND attributes.question_uuid = "${questionUuid}" AND attributes.sender_type = "CHILD"`,
      enableMessageOrdering: true,
    });
    const received: BusMessage[] = [];
    const subscriber = bus.subscribe(answers, (message) => {
      received.push(message);
    });

    const pubsub = new PubSub({ projectId: info.projectId });
    await pubsub.topic(servicesTopic, { messageOrdering: true }).publishMessage({
      data: Buffer.from(
        // Octue leaves out null fields of the question body.
        JSON.stringify({ kind: "question", input_values: { locations: [{ longitude: 0, latitude: 0 }] } }),
      ),
      orderingKey: questionUuid,
      attributes: {
        datetime: "2024-04-11T09:26:39.144818",
        uuid: randomUUID(),
        question_uuid: questionUuid,
        originator_question_uuid: questionUuid,
        parent: PARENT,
        originator: PARENT,
        sender: PARENT,
        sender_type: "PARENT",
        sender_sdk_version: "0.66.0",
        recipient: "examples/elevation:0.1.0",
        retry_count: "0",
        forward_logs: "1",
        save_diagnostics: "SAVE_DIAGNOSTICS_ON_CRASH",
        cpus: "1",
        memory: "2Gi",
        ephemeral_storage: "256Mi",
      },
    });

    await waitFor(() => received.some((message) => decodeEvent(message).event.kind === "result"), {
      timeoutMs: 60_000,
      description: "the result on the parent's answer subscription",
    });
    await subscriber.close();
    await bus.deleteSubscription(answers);
    await bus.close();
    await pubsub.close();

    const events = received.map((message) => decodeEvent(message));
    expect(events[0]?.event.kind).toBe("delivery_acknowledgement");
    expect(events.at(-1)?.event).toEqual({ kind: "result", output_values: [3542] });
    for (const message of received) {
      expect(message.attributes).toMatchObject({
        question_uuid: questionUuid,
        sender_type: "CHILD",
        recipient: PARENT,
        sender: "examples/elevation:0.1.0",
        retry_count: "0",
      });
    }
    // Nothing the filter excludes reached the parent: not its own question, not other questions' events.
    expect(received.every((message) => message.attributes.sender_type === "CHILD")).toBe(true);
  }, 90_000);
});
