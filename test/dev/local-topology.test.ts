import { randomBytes } from "node:crypto";
import { PubSub } from "@google-cloud/pubsub";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type LocalTopology, startLocalTopology } from "../../dev/local-topology.js";
import { type DeadLetterSummary, NetworkClient } from "../../shared/client/index.js";
import { topicNames } from "../../shared/control-plane/index.js";
import { describeWithEmulators } from "../support/emulators.js";
import { waitFor } from "../support/wait-for.js";

describeWithEmulators("the local copy of the deployed topology", (info) => {
  const environment = `d${randomBytes(4).toString("hex")}`;
  // A services topic of its own, as an Octue parent's TWINED_SERVICES_TOPIC_NAME names one: the subscriptions made
  // here and the functions' publishing must agree on it.
  const servicesTopic = `${environment}.custom.octue.services`;
  const topics = topicNames(environment, { TWINED_SERVICES_TOPIC_NAME: servicesTopic });
  let topology: LocalTopology;

  beforeAll(async () => {
    topology = await startLocalTopology({
      projectId: info.projectId,
      pubsubHost: info.pubsubHost ?? "",
      firestoreHost: info.firestoreHost ?? "",
      environment,
      servicesTopic,
      pushSecret: randomBytes(16).toString("hex"),
    });
  }, 120_000);

  afterAll(async () => {
    await topology?.close();
  });

  it("acknowledges poison messages and keeps them as dead letters with the reason, instead of retrying them", async () => {
    const pubsub = new PubSub({ projectId: info.projectId });
    await pubsub.topic(topics.accepted).publishMessage({ data: Buffer.from("{not json"), attributes: { note: "a" } });
    await pubsub.topic(topics.services).publishMessage({
      data: Buffer.from('{"kind": "result"}'),
      attributes: { sender_type: "CHILD", question_uuid: "not a uuid" },
    });
    let kept: DeadLetterSummary[] = [];
    // The dead-letter keeper, fed by its own push subscription, records them; the intake serves them.
    await waitFor(
      async () => {
        kept = await new NetworkClient(topology.url).listDeadLetters();
        return kept.length >= 2;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: "both dead letters" },
    );
    expect(kept.map((letter) => letter.reason).sort()).toEqual([
      "InvalidEvent: an internal question message is not JSON",
      expect.stringMatching(/^InvalidEvent: attribute uuid is missing/),
    ]);
    expect(kept.find((letter) => letter.attributes.note === "a")).toMatchObject({
      data: "{not json",
      attributes: { note: "a" },
      topic: topics.accepted,
      attempts: 1,
      replayed_at: null,
    });
    expect(topics.services).toBe(servicesTopic);
    expect(kept.find((letter) => letter.topic === servicesTopic)?.attributes).toEqual({
      sender_type: "CHILD",
      question_uuid: "not a uuid",
    });
    // Acknowledged, not retried: nothing more arrives.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await new NetworkClient(topology.url).listDeadLetters()).toHaveLength(2);
    await pubsub.close();
  }, 60_000);

  it("serves the HTTP API through one address, with JSON errors naming what is wrong", async () => {
    const health = await fetch(`${topology.url}/healthz`);
    expect(health.status).toBe(200);
    const unknown = await fetch(`${topology.url}/registry/examples/nothing`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { type: "RevisionNotFound" } });
    const invalid = await fetch(`${topology.url}/questions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ recipient: "examples/elevation", input_value: {} }),
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { type: "InvalidQuestionRequest" } });
  }, 30_000);

  it("serves the registry at its own address both as Octue's contract and under /registry, for the CLI", async () => {
    const registry = topology.functionUrls["revision-registry"] ?? "";
    for (const route of ["/examples/nothing", "/registry/examples/nothing"]) {
      const answer = await fetch(`${registry}${route}`);
      expect(answer.status).toBe(404);
      expect(await answer.json()).toMatchObject({ error: { type: "RevisionNotFound" } });
    }
    const listed = await fetch(`${registry}/registry`);
    expect(listed.status).toBe(200);
  }, 30_000);
});
