import { BatchV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Child, NetworkClient } from "../../shared/client/index.js";
import { RemoteException } from "../../shared/errors/index.js";
import { rejectionOf } from "../support/error-of.js";
import { waitFor } from "../support/wait-for.js";
import { type KueueNetwork, kueuePlatform } from "./platforms/kueue.js";
import { registerTestService, SLEEPER_APP } from "./scenario-services.js";

/**
 * The ways a Kubernetes job dies that its service cannot report itself. Each must end the question with its cause,
 * told to the asker at once, not after a heartbeat timeout (which is all an Octue parent gets).
 */
describe("questions whose Kueue jobs die", () => {
  let network: KueueNetwork;
  let client: NetworkClient;
  const sleeper = () => new Child({ id: "scenarios/sleeper", network: network.url, asker: "testing/failures:1.0.0" });

  beforeAll(async () => {
    network = await kueuePlatform().start({ cpuQuota: 4 });
    client = new NetworkClient(network.url);
    await registerTestService(network.url, "sleeper", SLEEPER_APP);
  }, 60_000);

  afterAll(async () => {
    await network?.close();
  });

  /**
   * Asks the sleeper, does `harm` to its job once its service has acknowledged the question (so the runner is up and
   * can report what happens to it), and returns how the question ended.
   */
  async function askAndThen(harm: (jobName: string) => void | Promise<void>) {
    let done = false;
    const asking = sleeper().ask({
      inputValues: { seconds: 60 },
      onEvent: (envelope) => {
        if (envelope.event.kind === "delivery_acknowledgement" && !done) {
          done = true;
          void harm(`question-${envelope.attributes.question_uuid}`);
        }
      },
    });
    const error = await rejectionOf(asking);
    expect(error).toBeInstanceOf(RemoteException);
    return error as RemoteException;
  }

  it("fails a question whose service runs out of memory, saying so", async () => {
    const error = await askAndThen((job) => network.cluster.oomKill(job));
    expect(error).toMatchObject({ name: "OutOfMemory", status: "failed" });
    expect(error.remoteMessage).toMatch(/ran out of memory/);
    expect((await client.question(error.questionUuid)).error).toMatchObject({ type: "OutOfMemory" });
  }, 60_000);

  it("fails a question whose job Kueue evicts, with the reason", async () => {
    const error = await askAndThen((job) => network.cluster.evict(job, "Preempted"));
    expect(error).toMatchObject({ name: "Evicted", status: "failed" });
    expect(error.remoteMessage).toMatch(/Preempted/);
  }, 60_000);

  it("fails a question whose Job someone deletes", async () => {
    const batch = network.cluster.kubeConfig().makeApiClient(BatchV1Api);
    const error = await askAndThen(async (job) => {
      await batch.deleteNamespacedJob({ name: job, namespace: "default", propagationPolicy: "Background" });
    });
    expect(error.status).toBe("failed");
    expect(error.name).toMatch(/^(JobStopped|JobDeleted)$/);
  }, 60_000);

  it("fails a question whose image cannot be pulled, and frees its quota", async () => {
    await new NetworkClient(network.url).registerRevision("scenarios", "missing-image", "1.0.0", {
      twine: { input_values_schema: {} },
      source: { kind: "image", image: "registry.test/services/scenarios/missing-image:1.0.0" },
      default: true,
    });
    const missing = new Child({ id: "scenarios/missing-image", network: network.url });
    const error = (await rejectionOf(missing.ask({ inputValues: {} }))) as RemoteException;
    expect(error).toMatchObject({ name: "ImageUnavailable", status: "failed" });
    expect(error.remoteMessage).toMatch(/registry\.test\/services\/scenarios\/missing-image:1\.0\.0/);
    await waitFor(() => network.cluster.jobs().every((job) => !JSON.stringify(job).includes(error.questionUuid)), {
      timeoutMs: 10_000,
      description: "the failed question's Job to be deleted",
    });
  }, 60_000);
});
