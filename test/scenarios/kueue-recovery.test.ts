import { BatchV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Child, NetworkClient } from "../../shared/client/index.js";
import type { QuestionStatus } from "../../shared/questions/index.js";
import { storeQuestion } from "../support/stored-question.js";
import { waitFor } from "../support/wait-for.js";
import { type KueueNetwork, kueuePlatform } from "./platforms/kueue.js";
import { registerTestService, SLEEPER_APP } from "./scenario-services.js";

const SLEEPER = "scenarios/sleeper:1.0.0";

/**
 * What a crash of the control plane can leave behind on a cluster, picked up by the question reconciler: each
 * question is answered, once, by a job launched by the real Kueue launcher against the fake API server.
 */
describe("questions the control plane lost on their way to a Kueue job", () => {
  let network: KueueNetwork;
  let client: NetworkClient;

  beforeAll(async () => {
    // One CPU: a second question waits in the queue while the first runs.
    network = await kueuePlatform().start({ cpuQuota: 1 });
    client = new NetworkClient(network.url);
    await registerTestService(network.url, "sleeper", SLEEPER_APP);
  }, 60_000);

  afterAll(async () => {
    await network?.close();
  });

  /** Stores a question as the intake would have, then moves it on by hand to where the crash left it. */
  async function leftAt(status: QuestionStatus): Promise<string> {
    const attributes = await storeQuestion(network.questions, {
      sender: "testing/recovery:1.0.0",
      recipient: SLEEPER,
      event: { kind: "question", input_values: { seconds: 0 } },
    });
    for (const next of ["validated", "dispatched"] as const) {
      if (status === "received") break;
      await network.questions.transition(attributes.question_uuid, next);
      if (next === status) break;
    }
    return attributes.question_uuid;
  }

  async function answeredOnce(questionUuid: string): Promise<void> {
    // The statuses the question went through, and when: a timeout on a busy machine then says where it was held up.
    const started = Date.now();
    const seen: string[] = [];
    await waitFor(
      async () => {
        const { status } = await client.question(questionUuid);
        if (!seen.at(-1)?.startsWith(`${status} `)) seen.push(`${status} at ${(Date.now() - started) / 1000} s`);
        return status === "succeeded";
      },
      {
        timeoutMs: 45_000,
        intervalMs: 20,
        description: () => `question ${questionUuid} to be answered (${seen.join(", ")})`,
      },
    );
    const events = await client.queryEvents({ question_uuid: questionUuid });
    expect(events.filter((each) => each.event.kind === "result")).toHaveLength(1);
    expect(events.filter((each) => each.event.kind === "delivery_acknowledgement")).toHaveLength(1);
  }

  it("sends on a question the intake stored but never published, and a validated one the validator never sent", async () => {
    const received = await leftAt("received");
    const validated = await leftAt("validated");
    await answeredOnce(received);
    await answeredOnce(validated);
    expect(await network.launches(received)).toBe(1);
    expect(await network.launches(validated)).toBe(1);
  }, 100_000);

  it("launches a dispatched question whose launch died before it made a Job", async () => {
    const dispatched = await leftAt("dispatched");
    await answeredOnce(dispatched);
    expect(await network.launches(dispatched)).toBe(1);
  }, 100_000);

  it("launches again a queued question whose Job went before it ran (its cluster recreated), and runs it once", async () => {
    const sleeper = new Child({ id: "scenarios/sleeper", network: network.url, asker: "testing/recovery:1.0.0" });
    const first = sleeper.ask({ inputValues: { seconds: 3 } });
    await waitFor(async () => (await client.listQuestions({ status: "running" })).length === 1, { timeoutMs: 20_000 });
    const second = sleeper.ask({ inputValues: { seconds: 0 } });
    await waitFor(async () => (await client.listQuestions({ status: "queued" })).length === 1, {
      timeoutMs: 20_000,
      description: "the second question to wait in the queue",
    });
    const [queued] = await client.listQuestions({ status: "queued" });
    const questionUuid = queued?.question_uuid ?? "";
    const batch = network.cluster.kubeConfig().makeApiClient(BatchV1Api);
    await batch.deleteNamespacedJob({
      name: `question-${questionUuid}`,
      namespace: "default",
      propagationPolicy: "Background",
    });
    await first;
    expect((await second).questionUuid).toBe(questionUuid);
    await answeredOnce(questionUuid);
    expect(await network.launches(questionUuid)).toBe(2);
  }, 100_000);
});
