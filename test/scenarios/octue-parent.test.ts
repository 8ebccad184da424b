import { randomUUID } from "node:crypto";
import { PubSub } from "@google-cloud/pubsub";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PubSubEventBus } from "../../shared/adapters/google/pubsub/index.js";
import { uploadLocalDatasets } from "../../shared/datasets/index.js";
import { decodeEvent } from "../../shared/events/index.js";
import type { BusMessage } from "../../shared/ports/index.js";
import { decodeDatafileMetadata } from "../../shared/storage/index.js";
import { describeWithEmulators } from "../support/emulators.js";
import { waitFor } from "../support/wait-for.js";
import { googleInProcessPlatform } from "./platforms/google-in-process.js";
import type { ScenarioNetwork } from "./scenario-platform.js";
import { copyOfExample, OVERSIZED_APP, registerFolder, registerTestService } from "./scenario-services.js";

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
    await registerFolder(network.url, copyOfExample("using-manifests"), {
      namespace: "examples",
      name: "using-manifests",
      tag: "0.1.0",
    });
    await registerTestService(network.url, "oversized", OVERSIZED_APP);
  }, 60_000);

  afterAll(async () => {
    await network?.close();
  });

  /** Asks as Octue's parent does, and returns every event its answer subscription received, up to the final one. */
  async function askAsOctue(
    recipient: string,
    inputValues: unknown,
    inputManifest?: unknown,
  ): Promise<{ uuid: string; received: BusMessage[] }> {
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
      // Octue leaves out null fields of the question body.
      data: Buffer.from(
        JSON.stringify({
          kind: "question",
          input_values: inputValues,
          ...(inputManifest === undefined ? {} : { input_manifest: inputManifest }),
        }),
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
        recipient,
        retry_count: "0",
        forward_logs: "1",
        save_diagnostics: "SAVE_DIAGNOSTICS_ON_CRASH",
        cpus: "1",
        memory: "2Gi",
        ephemeral_storage: "256Mi",
      },
    });

    await waitFor(() => received.some((message) => ["result", "exception"].includes(decodeEvent(message).event.kind)), {
      timeoutMs: 60_000,
      description: "the final event on the parent's answer subscription",
    });
    await subscriber.close();
    await bus.deleteSubscription(answers);
    await bus.close();
    await pubsub.close();
    return { uuid: questionUuid, received };
  }

  it("is answered on its own filtered subscription, with Octue's raw string attributes both ways", async () => {
    const { uuid: questionUuid, received } = await askAsOctue("examples/elevation:0.1.0", {
      locations: [{ longitude: 0, latitude: 0 }],
    });
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

  it("is answered about gs:// datasets with an output manifest whose datasets are in storage with Octue's metadata", async () => {
    const storage = network.storage;
    if (storage === undefined) throw new Error("the Google platform has storage");
    const uploaded = await uploadLocalDatasets(
      { id: randomUUID(), datasets: { raw_met_mast_data: "examples/using-manifests/data/input/raw_met_mast_data" } },
      { store: storage.store, location: storage.uploads },
    );
    const { uuid, received } = await askAsOctue("examples/using-manifests:0.1.0", null, uploaded.manifest);
    const final = decodeEvent(received.at(-1) as BusMessage).event as {
      kind: string;
      output_values?: { row_count?: number };
      output_manifest?: { datasets: Record<string, unknown> };
    };
    expect(final.kind).toBe("result");
    expect(final.output_values?.row_count).toBe(40);
    const output = String(final.output_manifest?.datasets.cleaned_met_mast_data);
    expect(output).toMatch(new RegExp(`^gs://[^/]+/${uuid}/cleaned_met_mast_data$`));
    const cleaned = await storage.store.stat(`${output}/cleaned.csv`);
    expect(Object.keys(cleaned?.metadata ?? {}).sort()).toEqual([
      "octue__id",
      "octue__labels",
      "octue__sdk_version",
      "octue__tags",
      "octue__timestamp",
    ]);
    expect(decodeDatafileMetadata(cleaned?.metadata ?? {}).labels).toEqual(["timeseries"]);
    const document = JSON.parse((await storage.store.read(`${output}/.octue`)).toString());
    expect(document.dataset).toMatchObject({ name: "cleaned_met_mast_data", path: output });
  }, 90_000);

  it("gets an exception naming the limit for an answer too large for a message, which it could not fetch", async () => {
    const { received } = await askAsOctue("scenarios/oversized:1.0.0", {});
    const final = decodeEvent(received.at(-1) as BusMessage).event;
    expect(final).toMatchObject({ kind: "exception", exception_type: "MessageLimitExceeded" });
    expect((final as { exception_message: string }).exception_message).toMatch(/more than the \d+ a message can carry/);
  }, 90_000);
});
