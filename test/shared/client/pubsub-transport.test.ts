import { PubSub } from "@google-cloud/pubsub";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Child, NetworkClient, PubSubTransport } from "../../../shared/client/index.js";
import { AnswerTimedOut, InvalidServiceID } from "../../../shared/errors/index.js";
import { googleInProcessPlatform } from "../../scenarios/platforms/google-in-process.js";
import type { ScenarioNetwork } from "../../scenarios/scenario-platform.js";
import { copyOfExample, registerFolder, SLEEPER_APP, testService } from "../../scenarios/scenario-services.js";
import { describeWithEmulators } from "../../support/emulators.js";
import { rejectionOf } from "../../support/error-of.js";
import { waitFor } from "../../support/wait-for.js";

describeWithEmulators("a Child asking over Pub/Sub", (info) => {
  let network: ScenarioNetwork;
  let transport: PubSubTransport;

  beforeAll(async () => {
    network = await googleInProcessPlatform(info).start({ cpuQuota: 2 });
    await registerFolder(network.url, copyOfExample("child-services/elevation"), {
      namespace: "examples",
      name: "elevation",
      tag: "0.1.0",
    });
    await registerFolder(network.url, testService("sleeper", SLEEPER_APP), {
      namespace: "scenarios",
      name: "sleeper",
      tag: "1.0.0",
    });
    transport = new PubSubTransport({
      projectId: info.projectId,
      servicesTopic: network.servicesTopic ?? "",
      registryUrl: `${network.url}/registry`,
    });
  }, 60_000);

  afterAll(async () => {
    await transport?.close();
    await network?.close();
  });

  it("asks with only a project and the services topic, and removes its answer subscription afterwards", async () => {
    const logs: unknown[] = [];
    const child = new Child({ id: "examples/elevation:0.1.0", network: transport, asker: "testing/asker:1.0.0" });
    const { answer, questionUuid } = await child.ask({
      inputValues: { locations: [{ longitude: 1, latitude: 1 }] },
      onLog: (record) => logs.push(record.msg),
    });
    expect(answer).toEqual({ output_values: [548], output_manifest: null });
    expect(logs.length).toBeGreaterThan(0);
    const pubsub = new PubSub({ projectId: info.projectId });
    const [subscriptions] = await pubsub.getSubscriptions();
    expect(subscriptions.map((subscription) => subscription.name).join()).not.toContain(questionUuid);
    await pubsub.close();
  }, 60_000);

  it("finds a service's default revision through the registry when no tag is given", async () => {
    const { recipient } = await new Child({ id: "examples/elevation", network: transport }).ask({
      inputValues: { locations: [{ longitude: 0, latitude: 0 }] },
    });
    expect(recipient).toBe("examples/elevation:0.1.0");
    const untagged = new PubSubTransport({ projectId: info.projectId, servicesTopic: network.servicesTopic ?? "" });
    await expect(new Child({ id: "examples/elevation", network: untagged }).ask()).rejects.toThrow(InvalidServiceID);
    await untagged.close();
  }, 60_000);

  it("cancels the question with a cancellation event when it gives up", async () => {
    const child = new Child({ id: "scenarios/sleeper:1.0.0", network: transport });
    const error = await rejectionOf(child.ask({ inputValues: { seconds: 60 }, timeout: 3 }));
    expect(error).toBeInstanceOf(AnswerTimedOut);
    const questionUuid = (error as AnswerTimedOut).questionUuid;
    await waitFor(async () => (await new NetworkClient(network.url).question(questionUuid)).status === "cancelled", {
      timeoutMs: 30_000,
      description: "the question to be cancelled",
    });
  }, 60_000);
});
