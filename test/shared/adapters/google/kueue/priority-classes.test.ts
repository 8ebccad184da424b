import { CustomObjectsApi, type KubeConfig, Watch } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KueueJobLauncher } from "../../../../../shared/adapters/google/kueue/index.js";
import { PriorityClassesUnavailable } from "../../../../../shared/errors/index.js";
import { createQuestionAttributes } from "../../../../../shared/events/index.js";
import type { JobSpec, RevisionRecord } from "../../../../../shared/ports/index.js";
import { type LogSeverity, loggerFrom } from "../../../../../shared/ports/index.js";
import { rejectionOf } from "../../../../support/error-of.js";
import { FakeKubernetes } from "../../../../support/fake-kubernetes/index.js";
import { waitFor } from "../../../../support/wait-for.js";

const revision: RevisionRecord = {
  namespace: "testing",
  name: "launcher",
  revisionTag: "1.0.0",
  sruid: "testing/launcher:1.0.0",
  twine: {},
  source: { kind: "image", image: "registry.test/testing/launcher:1.0.0" },
  isDefault: true,
  registeredAt: new Date().toISOString(),
};

function spec(priority: number): JobSpec {
  return {
    question: {
      event: { kind: "question", input_values: {} },
      attributes: createQuestionAttributes({ sender: "testing/asker:1.0.0", recipient: revision.sruid }),
    },
    revision,
    priority,
    cpus: 1,
    memory: "64Mi",
  };
}

const CLASSES = { low: 0, normal: 3, urgent: 8 };
const API = { group: "kueue.x-k8s.io", version: "v1beta2", plural: "workloadpriorityclasses" } as const;
const PATH = "/apis/kueue.x-k8s.io/v1beta2/workloadpriorityclasses";

/** Changes a class's value with a read and a replace (PUT), as kubectl edit does. */
async function setValue(custom: CustomObjectsApi, name: string, value: number): Promise<void> {
  const current = (await custom.getClusterCustomObject({ ...API, name })) as Record<string, unknown>;
  await custom.replaceClusterCustomObject({ ...API, name, body: { ...current, value } });
}

/** A container that runs until it is stopped. */
function hangingContainer() {
  let stop = () => {};
  const ended = new Promise<{ exitCode: number; reason?: string }>((resolve) => {
    stop = () => resolve({ exitCode: 143, reason: "Error" });
  });
  return { ended, stop: () => stop() };
}

describe("KueueJobLauncher without --priority-classes: the cluster's WorkloadPriorityClasses", () => {
  let cluster: FakeKubernetes;
  let custom: CustomObjectsApi;
  let lines: { severity: LogSeverity; message: string }[];
  const launchers: KueueJobLauncher[] = [];

  beforeEach(async () => {
    cluster = await FakeKubernetes.start({ runContainer: () => hangingContainer() });
    custom = cluster.kubeConfig().makeApiClient(CustomObjectsApi);
    lines = [];
    // The first start loads the Kubernetes and Kueue schemas: seconds on a busy machine.
  }, 60_000);

  afterEach(async () => {
    for (const launcher of launchers.splice(0)) await launcher.close();
    await cluster?.close();
  });

  function launcher(priorityClasses: Record<string, number> = {}): KueueJobLauncher {
    const made = new KueueJobLauncher({
      kubeConfig: cluster.kubeConfig(),
      sink: { emit: async () => {} },
      log: loggerFrom((severity, message) => lines.push({ severity, message })),
      priorityClassWatch: { backoff: { initialMs: 10, maxMs: 100 }, firstListTimeoutMs: 5000 },
      settings: {
        environment: {},
        computeProvider: "GOOGLE_KUEUE",
        namespace: "default",
        localQueue: "local-queue",
        priorityClasses,
        ttlSecondsAfterFinished: 600,
      },
    });
    launchers.push(made);
    return made;
  }

  /** Launches a question with this priority and answers its Job's priority-class label (undefined: none). */
  async function classGiven(launching: KueueJobLauncher, priority: number): Promise<string | undefined> {
    const job = spec(priority);
    const questionUuid = job.question.attributes.question_uuid;
    expect(await launching.launch(job)).toEqual({ launched: true });
    const created = cluster.jobs().find((each) => JSON.stringify(each).includes(questionUuid)) as {
      metadata: { labels: Record<string, string> };
    };
    return created.metadata.labels["kueue.x-k8s.io/priority-class"];
  }

  function requestsFor(kind: "list" | "watch") {
    return cluster
      .requests()
      .filter((request) => request.method === "GET" && request.path.split("?")[0] === PATH)
      .filter((request) => request.path.includes("watch=true") === (kind === "watch"));
  }

  it("labels each Job with the class the cluster's classes give its priority, as the setting would", async () => {
    await cluster.installKueue({ cpu: "1", priorityClasses: CLASSES });
    const fromCluster = launcher();
    const fromSetting = launcher(CLASSES);
    for (const [priority, expected] of [
      [5, "normal"],
      [3, "normal"],
      [8, "urgent"],
      [1000, "urgent"],
      [0, "low"],
      [-5, "low"],
    ] as const) {
      expect(await classGiven(fromCluster, priority), `priority ${priority}`).toBe(expected);
      expect(await classGiven(fromSetting, priority), `priority ${priority} (setting)`).toBe(expected);
    }
    expect(requestsFor("list")).toHaveLength(1);
    expect(lines).toEqual([]);
  }, 60_000);

  it("uses only the classes of --priority-classes when they are given, and never reads the cluster's", async () => {
    await cluster.installKueue({ cpu: "1", priorityClasses: CLASSES });
    expect(await classGiven(launcher({ p0: 0, p5: 5 }), 7)).toBe("p5");
    expect(requestsFor("list")).toEqual([]);
    expect(requestsFor("watch")).toEqual([]);
  });

  it("uses a class created after the launcher started from the next launch on", async () => {
    await cluster.installKueue({ cpu: "1", priorityClasses: CLASSES });
    const launching = launcher();
    await launching.connect();
    expect(await classGiven(launching, 50)).toBe("urgent");
    await custom.createClusterCustomObject({
      ...API,
      body: {
        apiVersion: "kueue.x-k8s.io/v1beta2",
        kind: "WorkloadPriorityClass",
        metadata: { name: "critical" },
        value: 40,
      },
    });
    await waitFor(async () => (await classGiven(launching, 50)) === "critical", { intervalMs: 20 });
    // A change of value counts too.
    await setValue(custom, "critical", 60);
    await waitFor(async () => (await classGiven(launching, 50)) === "urgent", { intervalMs: 20 });
    expect(requestsFor("list")).toHaveLength(1);
  });

  it("no longer uses a class deleted from the cluster", async () => {
    await cluster.installKueue({ cpu: "1", priorityClasses: CLASSES });
    const launching = launcher();
    expect(await classGiven(launching, 9)).toBe("urgent");
    await custom.deleteClusterCustomObject({ ...API, name: "urgent" });
    await waitFor(async () => (await classGiven(launching, 9)) === "normal", { intervalMs: 20 });
  });

  it("launches without a class, saying why once, when RBAC refuses the list (403)", async () => {
    await cluster.installKueue({ cpu: "1", priorityClasses: CLASSES });
    cluster.forbid("workloadpriorityclasses", "kueue.x-k8s.io", ["list", "watch"]);
    const launching = launcher();
    expect(await classGiven(launching, 5)).toBeUndefined();
    // The list is retried now and then (in case the permission comes), without saying it again.
    await waitFor(() => requestsFor("list").length >= 3);
    expect(await classGiven(launching, 9)).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]?.severity).toBe("WARNING");
    expect(lines[0]?.message).toMatch(/403 Forbidden.*needs get, list and watch on workloadpriorityclasses/);
  });

  it("launches without a class, saying why once, on a cluster without the CRD (404)", async () => {
    await cluster.installKueue({ cpu: "1" });
    cluster.uninstall("workloadpriorityclasses", "kueue.x-k8s.io");
    const launching = launcher();
    expect(await classGiven(launching, 5)).toBeUndefined();
    await waitFor(() => requestsFor("list").length >= 3);
    expect(await classGiven(launching, 5)).toBeUndefined();
    expect(lines.map((line) => line.message)).toEqual([expect.stringMatching(/404 NotFound.*CRDs are not installed/)]);
  });

  it("resumes a dropped watch from the last version seen, and lists again when that version has expired (410)", async () => {
    await cluster.installKueue({ cpu: "1", priorityClasses: CLASSES });
    const launching = launcher();
    expect(await classGiven(launching, 5)).toBe("normal");
    await waitFor(() => requestsFor("watch").length === 1);

    // Closed connection: a new watch from where the last one was, no new list.
    cluster.dropWatches();
    await waitFor(() => requestsFor("watch").length >= 2);
    expect(requestsFor("watch")[1]?.path).toMatch(/resourceVersion=\d+/);
    expect(requestsFor("list")).toHaveLength(1);
    await custom.createClusterCustomObject({
      ...API,
      body: {
        apiVersion: "kueue.x-k8s.io/v1beta2",
        kind: "WorkloadPriorityClass",
        metadata: { name: "normal-plus" },
        value: 5,
      },
    });
    await waitFor(async () => (await classGiven(launching, 5)) === "normal-plus", { intervalMs: 20 });

    // The version it resumes from is no longer kept: the server answers 410 Gone, so the launcher lists again, and
    // a change made while it was not watching is seen.
    cluster.compact();
    cluster.dropWatches();
    await custom.deleteClusterCustomObject({ ...API, name: "normal-plus" });
    await waitFor(() => requestsFor("list").length >= 2);
    await waitFor(async () => (await classGiven(launching, 5)) === "normal", { intervalMs: 20 });
  });

  it("waits for the first list, and does not guess when it keeps failing", async () => {
    await cluster.installKueue({ cpu: "1", priorityClasses: CLASSES });
    const silent = new KueueJobLauncher({
      kubeConfig: cluster.kubeConfig(),
      sink: { emit: async () => {} },
      log: loggerFrom((severity, message) => lines.push({ severity, message })),
      priorityClassWatch: { backoff: { initialMs: 10, maxMs: 50 }, firstListTimeoutMs: 300 },
      settings: {
        environment: {},
        computeProvider: "GOOGLE_KUEUE",
        namespace: "default",
        localQueue: "local-queue",
        priorityClasses: {},
        ttlSecondsAfterFinished: 600,
      },
    });
    launchers.push(silent);
    // A server error (neither 403 nor 404) on every list: the classes stay unknown.
    cluster.failWith("workloadpriorityclasses", "kueue.x-k8s.io", 500);
    const error = await rejectionOf(silent.launch(spec(5)));
    expect(error).toBeInstanceOf(PriorityClassesUnavailable);
    expect(error.message).toMatch(/could not be listed yet/);
    // A second list means the first one's failure has been seen: the next refusal names it.
    await waitFor(() => requestsFor("list").length >= 2);
    expect((await rejectionOf(silent.launch(spec(5)))).message).toMatch(/could not be listed yet.*: 500 /);
    expect(cluster.jobs()).toEqual([]);
    expect(lines.map((line) => line.message)).toEqual([expect.stringMatching(/failed \(500 .*retrying with back-off/)]);
  });
});

describe("the fake API server's WorkloadPriorityClass list and watch", () => {
  let cluster: FakeKubernetes;
  let kubeConfig: KubeConfig;

  beforeEach(async () => {
    cluster = await FakeKubernetes.start();
    await cluster.installKueue({ priorityClasses: { low: 0 } });
    kubeConfig = cluster.kubeConfig();
  }, 60_000);

  afterEach(async () => {
    await cluster?.close();
  });

  it("streams ADDED, MODIFIED, DELETED and BOOKMARK events, and 410 Gone for an expired version", async () => {
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const list = (await custom.listClusterCustomObject({ ...API })) as {
      kind: string;
      metadata: { resourceVersion: string };
      items: { apiVersion: string; kind: string; metadata: { name: string }; value: number }[];
    };
    expect(list.kind).toBe("WorkloadPriorityClassList");
    expect(list.items).toEqual([
      expect.objectContaining({ apiVersion: "kueue.x-k8s.io/v1beta2", kind: "WorkloadPriorityClass", value: 0 }),
    ]);
    const events: {
      type: string;
      object: { kind?: string; metadata?: { name?: string; resourceVersion?: string } };
    }[] = [];
    let ended: unknown = "open";
    const controller = await new Watch(kubeConfig).watch(
      PATH,
      { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true },
      (type, object) => events.push({ type, object }),
      (error) => {
        ended = error;
      },
    );
    const body = { apiVersion: "kueue.x-k8s.io/v1beta2", kind: "WorkloadPriorityClass", metadata: { name: "high" } };
    await custom.createClusterCustomObject({ ...API, body: { ...body, value: 10 } });
    await setValue(custom, "high", 20);
    await custom.deleteClusterCustomObject({ ...API, name: "high" });
    cluster.bookmark();
    await waitFor(() => events.length === 4);
    expect(events.map((event) => [event.type, event.object.metadata?.name])).toEqual([
      ["ADDED", "high"],
      ["MODIFIED", "high"],
      ["DELETED", "high"],
      ["BOOKMARK", undefined],
    ]);
    expect(events[3]?.object).toEqual({
      apiVersion: "kueue.x-k8s.io/v1beta2",
      kind: "WorkloadPriorityClass",
      metadata: { resourceVersion: events[2]?.object.metadata?.resourceVersion },
    });
    cluster.dropWatches();
    await waitFor(() => ended === null);
    controller.abort();

    // An invalid body is refused with the schema's reasons.
    await expect(
      custom.createClusterCustomObject({ ...API, body: { ...body, metadata: { name: "bad" }, value: "high" } }),
    ).rejects.toThrow(/value/);

    cluster.compact();
    const expired: { type: string; object: { code?: number; reason?: string } }[] = [];
    await new Watch(kubeConfig).watch(
      PATH,
      { resourceVersion: list.metadata.resourceVersion },
      (type, object) => expired.push({ type, object }),
      () => {},
    );
    await waitFor(() => expired.length === 1);
    expect(expired[0]).toMatchObject({ type: "ERROR", object: { code: 410, reason: "Expired" } });
  });
});
