import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type LocalTopology, startLocalTopology } from "../../dev/local-topology.js";
import type { NetworkStores } from "../../platform/embedded-network.js";
import { openFirestoreStores } from "../../shared/adapters/google/firestore/index.js";
import { NetworkClient } from "../../shared/client/index.js";
import { describeWithEmulators } from "../support/emulators.js";
import { storeQuestion } from "../support/stored-question.js";
import { waitFor } from "../support/wait-for.js";
import { registerTestService, SLEEPER_APP } from "./scenario-services.js";

/**
 * The deployed reconciler (its Functions Framework server, called as Cloud Scheduler calls it) picking up questions a
 * crashed intake or validator left behind in Firestore: each is sent on, through the other functions, and answered.
 */
describeWithEmulators("the question-reconciler function, after a crash between two steps", (info) => {
  const environment = `r${randomBytes(4).toString("hex")}`;
  let topology: LocalTopology;
  let stores: NetworkStores;

  beforeAll(async () => {
    topology = await startLocalTopology({
      projectId: info.projectId,
      pubsubHost: info.pubsubHost ?? "",
      firestoreHost: info.firestoreHost ?? "",
      environment,
      pushSecret: randomBytes(16).toString("hex"),
      scheduledFunctions: true,
      functionEnvironment: { TWINED_RECONCILER_STALL_GRACE_SECONDS: "1" },
    });
    stores = openFirestoreStores({ projectId: info.projectId, collectionPrefix: environment });
    await registerTestService(topology.url, "sleeper", SLEEPER_APP);
  }, 120_000);

  afterAll(async () => {
    await stores?.close();
    await topology?.close();
  });

  it("sends on a question stored but never published, and one validated but never sent to the launcher", async () => {
    const ask = async () =>
      (
        await storeQuestion(stores.questions, {
          sender: "testing/reconciler:1.0.0",
          recipient: "scenarios/sleeper:1.0.0",
          event: { kind: "question", input_values: { seconds: 0 } },
        })
      ).question_uuid;
    const received = await ask();
    const validated = await ask();
    await stores.questions.transition(validated, "validated");
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const response = await fetch(topology.functionUrls["question-reconciler"] ?? "", { method: "POST" });
    expect(response.status).toBe(200);
    const report = (await response.json()) as { resumed: { questionUuid: string; from: string }[] };
    expect(report.resumed).toEqual(
      expect.arrayContaining([
        { questionUuid: received, from: "received" },
        { questionUuid: validated, from: "validated" },
      ]),
    );
    const client = new NetworkClient(topology.url);
    for (const questionUuid of [received, validated]) {
      await waitFor(async () => (await client.question(questionUuid)).status === "succeeded", {
        timeoutMs: 60_000,
        description: `question ${questionUuid} to be answered`,
      });
      const events = await client.queryEvents({ question_uuid: questionUuid });
      expect(events.filter((each) => each.event.kind === "result")).toHaveLength(1);
    }
  }, 120_000);
});
