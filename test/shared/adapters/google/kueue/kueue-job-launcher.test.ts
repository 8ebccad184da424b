import { randomUUID } from "node:crypto";
import { BatchV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KueueJobLauncher, loadClusterAccess } from "../../../../../shared/adapters/google/kueue/index.js";
import { ClusterAccessError, KubernetesRequestRefused } from "../../../../../shared/errors/index.js";
import { createQuestionAttributes, type EventEnvelope } from "../../../../../shared/events/index.js";
import type { JobSpec, RevisionRecord } from "../../../../../shared/ports/index.js";
import { rejectionOf } from "../../../../support/error-of.js";
import { FakeKubernetes } from "../../../../support/fake-kubernetes/index.js";
import { waitFor } from "../../../../support/wait-for.js";

const revision: RevisionRecord = {
  namespace: "testing",
  name: "launcher",
  revisionTag: "1.0.0",
  sruid: "testing/launcher:1.0.0",
  twine: {},
  source: { kind: "image", image: process.env.TWINED_TEST_KUEUE_IMAGE ?? "registry.test/testing/launcher:1.0.0" },
  isDefault: true,
  registeredAt: new Date().toISOString(),
};

function spec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    question: {
      event: { kind: "question", input_values: {} },
      attributes: createQuestionAttributes({ sender: "testing/asker:1.0.0", recipient: revision.sruid }),
    },
    revision,
    priority: 0,
    cpus: 1,
    memory: "64Mi",
    ...overrides,
  };
}

interface Cluster {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly localQueue: string;
  close(): Promise<void>;
}

/**
 * What the Kueue launcher promises, whatever cluster it talks to: run against the fake API server always, and
 * against a real cluster with Kueue when TWINED_TEST_KUBECONFIG names one (TWINED_TEST_KUEUE_NAMESPACE and
 * TWINED_TEST_KUEUE_LOCAL_QUEUE say where; the Jobs' containers need not succeed there).
 */
function defineLauncherContract(name: string, start: () => Promise<Cluster>): void {
  describe(`KueueJobLauncher contract on ${name}`, () => {
    let cluster: Cluster;
    let launcher: KueueJobLauncher;
    const sent: EventEnvelope[] = [];

    beforeAll(async () => {
      cluster = await start();
      launcher = new KueueJobLauncher({
        kubeConfig: cluster.kubeConfig,
        sink: { emit: async (envelope) => void sent.push(envelope) },
        settings: {
          environment: { TWINED_NETWORK_URL: "http://127.0.0.1:1" },
          computeProvider: "GOOGLE_KUEUE",
          namespace: cluster.namespace,
          localQueue: cluster.localQueue,
          priorityClasses: {},
          ttlSecondsAfterFinished: 600,
        },
      });
      await launcher.connect();
    }, 60_000);

    afterAll(async () => {
      await launcher?.close();
      await cluster?.close();
    });

    it("creates one Job per question, however often it is launched", async () => {
      const job = spec();
      const questionUuid = job.question.attributes.question_uuid;
      expect(await launcher.launch(job)).toEqual({ launched: true });
      expect(await launcher.launch(job)).toEqual({ launched: false });
      const batch = cluster.kubeConfig.makeApiClient(BatchV1Api);
      const created = await batch.readNamespacedJob({ name: `question-${questionUuid}`, namespace: cluster.namespace });
      expect(created.metadata?.labels?.["kueue.x-k8s.io/queue-name"]).toBe(cluster.localQueue);
      expect(created.spec?.backoffLimit).toBe(0);
      expect(created.spec?.template.spec?.containers[0]?.args?.slice(0, 2)).toEqual(["--question-uuid", questionUuid]);
      await waitFor(async () => (await launcher.observeJobs()).has(questionUuid), { timeoutMs: 10_000 });
      await launcher.release(questionUuid);
    }, 30_000);

    it("cancels a question by telling its asker, then deleting its Job", async () => {
      const job = spec();
      const questionUuid = job.question.attributes.question_uuid;
      await launcher.launch(job);
      expect(await launcher.cancel(questionUuid, "not needed")).toBe(true);
      const cancellation = sent.find((each) => each.attributes.question_uuid === questionUuid);
      expect(cancellation?.event).toMatchObject({ kind: "exception", exception_type: "QuestionCancelled" });
      expect(cancellation?.attributes).toMatchObject({ recipient: "testing/asker:1.0.0", sender_type: "CHILD" });
      await waitFor(async () => !(await launcher.observeJobs()).has(questionUuid), { timeoutMs: 30_000 });
      expect(await launcher.cancel(questionUuid)).toBe(false);
    }, 60_000);

    it("reports nothing to cancel for an unknown question", async () => {
      expect(await launcher.cancel(randomUUID())).toBe(false);
      expect(await launcher.release(randomUUID())).toBe(false);
    });
  });
}

defineLauncherContract("the fake Kubernetes API server", async () => {
  const fake = await FakeKubernetes.start({ admissionDelayMs: 0, runContainer: () => hangingContainer() });
  await fake.installKueue({ cpu: "1" });
  return { kubeConfig: fake.kubeConfig(), namespace: "default", localQueue: "local-queue", close: () => fake.close() };
});

const realKubeconfig = process.env.TWINED_TEST_KUBECONFIG;
if (realKubeconfig === undefined) {
  console.warn("KueueJobLauncher: the contract suite against a real cluster is skipped (set TWINED_TEST_KUBECONFIG)");
  describe.skip("KueueJobLauncher contract on a real cluster (set TWINED_TEST_KUBECONFIG to run it)", () => {
    it("needs a cluster", () => {});
  });
} else {
  defineLauncherContract(`the cluster in ${realKubeconfig}`, async () => ({
    kubeConfig: await loadClusterAccess({ kind: "kubeconfig", file: realKubeconfig }),
    namespace: process.env.TWINED_TEST_KUEUE_NAMESPACE ?? "default",
    localQueue: process.env.TWINED_TEST_KUEUE_LOCAL_QUEUE ?? "local-queue",
    close: async () => {},
  }));
}

/** A container that runs until it is stopped. */
function hangingContainer() {
  let stop = () => {};
  const ended = new Promise<{ exitCode: number; reason?: string }>((resolve) => {
    stop = () => resolve({ exitCode: 143, reason: "Error" });
  });
  return { ended, stop: () => stop() };
}

describe("KueueJobLauncher on the fake cluster", () => {
  let cluster: FakeKubernetes;
  const settings = {
    environment: {},
    computeProvider: "GOOGLE_KUEUE",
    namespace: "default",
    localQueue: "local-queue",
    priorityClasses: { low: 0, high: 100 },
    ttlSecondsAfterFinished: 600,
  };

  beforeAll(async () => {
    cluster = await FakeKubernetes.start({ runContainer: () => hangingContainer() });
    await cluster.installKueue({ cpu: "1", priorityClasses: { low: 0, high: 100 } });
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it("observes queue positions, admission, and an OOM kill with the memory the job asked for", async () => {
    const launcher = new KueueJobLauncher({
      kubeConfig: cluster.kubeConfig(),
      sink: { emit: async () => {} },
      settings,
    });
    const first = spec({ memory: "300Mi" });
    const second = spec();
    await launcher.launch(first);
    await launcher.launch(second);
    const [firstUuid, secondUuid] = [first, second].map((each) => each.question.attributes.question_uuid);
    await waitFor(async () => (await launcher.observeJobs()).get(firstUuid ?? "")?.state === "running");
    const observed = await launcher.observeJobs();
    expect(observed.get(secondUuid ?? "")).toMatchObject({ state: "queued", position: 0 });
    expect(launcher.phase(secondUuid ?? "")).toBe("queued");

    cluster.oomKill(`question-${firstUuid}`);
    await waitFor(async () => (await launcher.observeJobs()).get(firstUuid ?? "")?.state === "failed");
    const failed = (await launcher.observeJobs()).get(firstUuid ?? "");
    expect(failed).toMatchObject({ state: "failed", failure: { type: "OutOfMemory" } });
    expect(JSON.stringify(failed)).toMatch(/300Mi/);
    // The reconciler measures the final event's grace from it, so it is ISO 8601, not the client's Date text.
    expect(failed?.endedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    await waitFor(async () => (await launcher.observeJobs()).get(secondUuid ?? "")?.state === "running");
    await launcher.release(firstUuid ?? "");
    await launcher.release(secondUuid ?? "");
  }, 30_000);

  it("labels a prioritised question with its WorkloadPriorityClass", async () => {
    const launcher = new KueueJobLauncher({
      kubeConfig: cluster.kubeConfig(),
      sink: { emit: async () => {} },
      settings,
    });
    const urgent = spec({ priority: 500 });
    await launcher.launch(urgent);
    const job = cluster.jobs().find((each) => JSON.stringify(each).includes(urgent.question.attributes.question_uuid));
    expect(JSON.stringify(job)).toContain('"kueue.x-k8s.io/priority-class":"high"');
    await launcher.release(urgent.question.attributes.question_uuid);
  });

  it("fails a question whose LocalQueue does not exist, with Kueue's reason", async () => {
    const launcher = new KueueJobLauncher({
      kubeConfig: cluster.kubeConfig(),
      sink: { emit: async () => {} },
      settings: { ...settings, localQueue: "no-such-queue" },
    });
    const lost = spec();
    const questionUuid = lost.question.attributes.question_uuid;
    await launcher.launch(lost);
    await waitFor(async () => (await launcher.observeJobs()).get(questionUuid)?.state === "failed");
    expect((await launcher.observeJobs()).get(questionUuid)).toMatchObject({
      failure: { type: "Inadmissible", message: expect.stringMatching(/no-such-queue/) },
    });
    await launcher.release(questionUuid);
  });

  it("refuses, without retrying, a Job the API server rejects", async () => {
    const launcher = new KueueJobLauncher({
      kubeConfig: cluster.kubeConfig(),
      sink: { emit: async () => {} },
      // Not a valid label value, which only the API server checks.
      settings: { ...settings, localQueue: "not a queue!" },
    });
    const error = await rejectionOf(launcher.launch(spec()));
    expect(error).toBeInstanceOf(KubernetesRequestRefused);
    expect(error.message).toMatch(/refused the question's Job .* \(422 Invalid\).*queue-name/);
  });
});

describe("cluster access", () => {
  it("refuses a kubeconfig that does not exist, or names no usable server", async () => {
    await expect(loadClusterAccess({ kind: "kubeconfig", file: "/nonexistent/kubeconfig" })).rejects.toThrow(
      ClusterAccessError,
    );
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: "c", server: "http://127.0.0.1:9" }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const file = `${mkdtempSync(`${tmpdir()}/kubeconfig-`)}/config`;
    writeFileSync(file, config.exportConfig());
    await expect(loadClusterAccess({ kind: "kubeconfig", file })).rejects.toThrow(/plain HTTP/);
    await expect(loadClusterAccess({ kind: "kubeconfig", file, context: "other" })).rejects.toThrow(
      /has no context 'other'; it has: x/,
    );
    await expect(loadClusterAccess({ kind: "gke", clusterId: "my-cluster" })).rejects.toThrow(
      /projects\/PROJECT\/locations\/LOCATION\/clusters\/NAME/,
    );
  });

  it("refuses in-cluster access outside a pod", async () => {
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    await expect(loadClusterAccess({ kind: "in-cluster" })).rejects.toThrow(/not running in a pod/);
    if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
  });
});
