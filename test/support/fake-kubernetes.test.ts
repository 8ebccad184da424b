import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Job,
  Watch,
} from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { stringify as toYaml } from "yaml";
import { definedProperties } from "../../shared/objects/index.js";
import {
  type FakeContainerRun,
  FakeKubernetes,
  type FakeKubernetesOptions,
  type FakeRunningContainer,
} from "./fake-kubernetes/index.js";
import { kueueValidatorsFromCrds, validateKueueObject } from "./fake-kubernetes/kueue-schemas.js";
import { validatePod } from "./fake-kubernetes/schemas.js";
import { waitFor } from "./wait-for.js";

const NAMESPACE = "twined";
const KUEUE = { group: "kueue.x-k8s.io", version: "v1beta2" } as const;

// ---------------------------------------------------------------------------------------------------------------
// Helpers

let fake: FakeKubernetes | undefined;

afterEach(async () => {
  const running = fake;
  fake = undefined;
  if (running === undefined) return;
  const errors = running.internalErrors();
  await running.close();
  expect(errors).toEqual([]);
});

async function start(options: FakeKubernetesOptions = {}): Promise<{ fake: FakeKubernetes; kc: KubeConfig }> {
  fake = await FakeKubernetes.start(options);
  return { fake, kc: fake.kubeConfig() };
}

interface ControlledRun {
  readonly run: FakeContainerRun;
  stopped: boolean;
  exit(exitCode: number, reason?: string): void;
}

/** A runContainer whose containers run until the test ends them (or the fake stops them). */
function controlledContainers(): {
  readonly runs: ControlledRun[];
  readonly runContainer: (run: FakeContainerRun) => FakeRunningContainer;
  of(jobName: string): ControlledRun | undefined;
} {
  const runs: ControlledRun[] = [];
  return {
    runs,
    runContainer: (run) => {
      let settle: (result: { exitCode: number; reason?: string }) => void = () => {};
      const ended = new Promise<{ exitCode: number; reason?: string }>((resolve) => {
        settle = resolve;
      });
      const entry: ControlledRun = {
        run,
        stopped: false,
        exit: (exitCode, reason) => settle(reason === undefined ? { exitCode } : { exitCode, reason }),
      };
      runs.push(entry);
      return {
        ended,
        stop: () => {
          entry.stopped = true;
          settle({ exitCode: 143, reason: "Error" });
        },
      };
    },
    of: (jobName) => runs.filter((each) => each.run.jobName === jobName).at(-1),
  };
}

interface JobOptions {
  readonly cpu?: string;
  readonly memory?: string;
  readonly image?: string;
  readonly queue?: string | null;
  readonly priorityClass?: string;
  readonly labels?: Record<string, string>;
  readonly backoffLimit?: number;
  readonly activeDeadlineSeconds?: number;
  readonly ttlSecondsAfterFinished?: number;
}

function jobBody(name: string, options: JobOptions = {}): V1Job {
  const labels: Record<string, string> = { ...options.labels };
  if (options.queue !== null) labels["kueue.x-k8s.io/queue-name"] = options.queue ?? "local-queue";
  if (options.priorityClass !== undefined) labels["kueue.x-k8s.io/priority-class"] = options.priorityClass;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, labels },
    spec: {
      backoffLimit: options.backoffLimit ?? 0,
      ...definedProperties({
        activeDeadlineSeconds: options.activeDeadlineSeconds,
        ttlSecondsAfterFinished: options.ttlSecondsAfterFinished,
      }),
      template: {
        metadata: { labels: { app: "twined", "twined.octue.com/question": name } },
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: "analysis",
              image: options.image ?? "europe-docker.pkg.dev/octue/services/example:1.0.0",
              command: ["python", "-m", "twined_harness"],
              args: ["--question", name],
              env: [
                { name: "QUESTION_UUID", value: name },
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              ],
              resources: {
                requests: { cpu: options.cpu ?? "1", memory: options.memory ?? "1Gi", "ephemeral-storage": "1Gi" },
                limits: { memory: options.memory ?? "1Gi" },
              },
            },
          ],
        },
      },
    },
  };
}

/** The Status body of a failed client call (client-node 1.x gives it as a string). */
async function statusOf(call: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    expect(typeof error.body).toBe("string");
    return { code: error.code, status: JSON.parse(String(error.body)) as Record<string, unknown> };
  }
  throw new Error("expected the call to fail");
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function conditionOf(object: unknown, type: string): Record<string, unknown> | undefined {
  const conditions = record(record(object).status).conditions;
  return Array.isArray(conditions) ? conditions.map(record).find((each) => each.type === type) : undefined;
}

function conditionTypes(object: unknown): string[] {
  const conditions = record(record(object).status).conditions;
  return Array.isArray(conditions) ? conditions.map((each) => String(record(each).type)) : [];
}

function nameOf(object: unknown): string {
  return String(record(record(object).metadata).name);
}

function labelsOf(object: unknown): Record<string, unknown> {
  return record(record(record(object).metadata).labels);
}

/** The Workload of a Job, found as Kueue links them: label kueue.x-k8s.io/job-uid. */
function workloadOf(fake: FakeKubernetes, jobName: string): Record<string, unknown> | undefined {
  const job = fake.jobs().find((each) => nameOf(each) === jobName);
  const uid = record(record(job).metadata).uid;
  return fake.workloads().find((each) => labelsOf(each)["kueue.x-k8s.io/job-uid"] === uid);
}

function podsOf(fake: FakeKubernetes, jobName: string): Record<string, unknown>[] {
  return fake.pods().filter((pod) => labelsOf(pod)["job-name"] === jobName);
}

function isAdmitted(fake: FakeKubernetes, jobName: string): boolean {
  return conditionOf(workloadOf(fake, jobName), "Admitted")?.status === "True";
}

async function pendingWorkloads(
  fake: FakeKubernetes,
  kc: KubeConfig,
  namespace = NAMESPACE,
): Promise<Record<string, unknown>> {
  // As production code must: a raw request (CustomObjectsApi cannot reach the subresource), authenticated by the
  // kubeconfig.
  const options = await kc.applyToFetchOptions({});
  const headers = new Headers();
  // node-fetch's Headers (what client-node returns) is iterable as [name, value] pairs.
  const source: unknown = options.headers;
  if (typeof source === "object" && source !== null && Symbol.iterator in source) {
    for (const [key, value] of source as Iterable<[string, string]>) headers.set(key, value);
  }
  const response = await fetch(
    `${fake.url}/apis/visibility.kueue.x-k8s.io/v1beta2/namespaces/${namespace}/localqueues/local-queue/pendingworkloads`,
    { headers },
  );
  expect(response.status).toBe(200);
  return record(await response.json());
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

// ---------------------------------------------------------------------------------------------------------------

describe("the fake Kubernetes API", () => {
  it("creates, gets, lists by label selector and deletes Jobs through the real client", async () => {
    const { kc } = await start();
    const batch = kc.makeApiClient(BatchV1Api);
    const created = await batch.createNamespacedJob({
      namespace: NAMESPACE,
      body: jobBody("question-a", { queue: null, labels: { tier: "gold", kind: "a" } }),
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.metadata?.generation).toBe(1);
    // The apiserver's defaulting: the selector and the job labels on the template.
    expect(created.spec?.selector?.matchLabels).toEqual({
      "batch.kubernetes.io/controller-uid": created.metadata?.uid,
    });
    expect(created.spec?.template.metadata?.labels?.["batch.kubernetes.io/job-name"]).toBe("question-a");
    await batch.createNamespacedJob({
      namespace: NAMESPACE,
      body: jobBody("question-b", { queue: null, labels: { kind: "b" } }),
    });
    const generated = await batch.createNamespacedJob({
      namespace: NAMESPACE,
      body: { ...jobBody("unused", { queue: null }), metadata: { generateName: "question-" } },
    });
    expect(generated.metadata?.name).toMatch(/^question-[a-z0-9]{5}$/);

    const names = async (labelSelector: string) =>
      (await batch.listNamespacedJob({ namespace: NAMESPACE, labelSelector })).items.map((job) => job.metadata?.name);
    expect(await names("kind=a")).toEqual(["question-a"]);
    expect(await names("kind in (a,b)")).toEqual(["question-a", "question-b"]);
    expect(await names("tier")).toEqual(["question-a"]);
    expect(await names("kind,!tier")).toEqual(["question-b"]);
    expect(await names("kind!=a")).toEqual([generated.metadata?.name, "question-b"].sort());

    const read = await batch.readNamespacedJob({ name: "question-a", namespace: NAMESPACE });
    expect(read.metadata?.labels?.tier).toBe("gold");
    const status = await batch.deleteNamespacedJob({
      name: "question-a",
      namespace: NAMESPACE,
      propagationPolicy: "Background",
    });
    expect(status.status).toBe("Success");
    expect((await statusOf(batch.readNamespacedJob({ name: "question-a", namespace: NAMESPACE }))).code).toBe(404);
    expect(
      fake
        ?.requests()
        .some(
          (each) => each.method === "DELETE" && each.path.endsWith("/jobs/question-a?propagationPolicy=Background"),
        ),
    ).toBe(true);
  });

  it("answers failures with Status bodies: 409, 404, 415, 422 and 401", async () => {
    const { fake, kc } = await start();
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-a", { queue: null }) });

    const duplicate = await statusOf(
      batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-a", { queue: null }) }),
    );
    expect(duplicate.code).toBe(409);
    expect(duplicate.status).toMatchObject({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "AlreadyExists",
      code: 409,
      message: 'jobs.batch "question-a" already exists',
      details: { name: "question-a", group: "batch", kind: "jobs" },
    });

    const missing = await statusOf(batch.readNamespacedJob({ name: "nope", namespace: NAMESPACE }));
    expect(missing.status).toMatchObject({
      kind: "Status",
      reason: "NotFound",
      code: 404,
      message: 'jobs.batch "nope" not found',
    });

    // client-node's default patch type is JSON patch; only merge patches are served.
    const wrongPatch = await statusOf(
      batch.patchNamespacedJob({
        name: "question-a",
        namespace: NAMESPACE,
        body: { metadata: { labels: { x: "y" } } },
      }),
    );
    expect(wrongPatch.code).toBe(415);
    expect(wrongPatch.status).toMatchObject({ kind: "Status", reason: "UnsupportedMediaType" });

    const badName = await statusOf(
      batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("Bad_Name", { queue: null }) }),
    );
    expect(badName.code).toBe(422);
    expect(badName.status).toMatchObject({ kind: "Status", reason: "Invalid", code: 422 });
    expect(record(badName.status.details).causes).toEqual([
      expect.objectContaining({
        field: "metadata.name",
        reason: "FieldValueInvalid",
        message: expect.stringContaining("RFC 1123"),
      }),
    ]);
    const tooLong = await statusOf(
      batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody(`q-${"a".repeat(62)}`, { queue: null }) }),
    );
    expect(JSON.stringify(tooLong.status)).toContain("must be no more than 63 characters");

    const unknownPath = await fetch(`${fake.url}/apis/batch/v1/namespaces/${NAMESPACE}/cronjobz`, {
      headers: { authorization: `Bearer ${kc.getCurrentUser()?.token ?? ""}` },
    });
    expect(unknownPath.status).toBe(404);
    expect(await unknownPath.json()).toMatchObject({ kind: "Status", reason: "NotFound" });
    const anonymous = await fetch(`${fake.url}/apis/batch/v1/namespaces/${NAMESPACE}/jobs`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
  });

  it("validates Jobs against the Kubernetes schema and rejects unknown fields", async () => {
    const { fake, kc } = await start();
    const batch = kc.makeApiClient(BatchV1Api);
    const body = jobBody("question-a", { queue: null });
    const template = record(record(body.spec).template);
    const container = record((record(template.spec).containers as unknown[])[0]);
    container.imagePullPolicyy = "Always";
    record(body.spec).backoffLimit = "2";
    delete record(template.spec).restartPolicy;
    const rejected = await statusOf(batch.createNamespacedJob({ namespace: NAMESPACE, body }));
    expect(rejected.code).toBe(422);
    expect(record(rejected.status.details).causes).toEqual([
      { reason: "FieldValueInvalid", field: "spec.backoffLimit", message: 'Invalid value: "2": must be integer' },
      {
        reason: "FieldValueRequired",
        field: "spec.template.spec.restartPolicy",
        message: 'Required value: valid values: "OnFailure", "Never"',
      },
    ]);
    expect(String(rejected.status.message)).toContain('Job.batch "question-a" is invalid: [spec.backoffLimit');
    // client-node's typed APIs serialize through their models and drop fields they do not know, so the misspelt
    // field never left the client; a raw body (as CustomObjectsApi or fetch send) reaches the server with it.
    expect(JSON.stringify(fake.requests().at(-1)?.body)).not.toContain("imagePullPolicyy");
    const raw = await fetch(`${fake.url}/apis/batch/v1/namespaces/${NAMESPACE}/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${kc.getCurrentUser()?.token ?? ""}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(raw.status).toBe(422);
    const rawStatus = record(await raw.json());
    expect(record(rawStatus.details).causes).toContainEqual({
      reason: "FieldValueInvalid",
      field: "spec.template.spec.containers[0].imagePullPolicyy",
      message: 'unknown field "spec.template.spec.containers[0].imagePullPolicyy"',
    });

    const badQuantity = jobBody("question-b", { queue: null, cpu: "lots" });
    const quantity = await statusOf(batch.createNamespacedJob({ namespace: NAMESPACE, body: badQuantity }));
    expect(record(quantity.status.details).causes).toEqual([
      {
        reason: "FieldValueInvalid",
        field: "spec.template.spec.containers[0].resources.requests[cpu]",
        message: `Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      },
    ]);
    expect(fake.jobs()).toEqual([]);
  });

  it("validates Kueue objects strictly: v1beta1 field names are unknown fields", async () => {
    const { kc } = await start();
    const custom = kc.makeApiClient(CustomObjectsApi);
    const clusterQueue = {
      apiVersion: "kueue.x-k8s.io/v1beta2",
      kind: "ClusterQueue",
      metadata: { name: "cluster-queue" },
      spec: {
        cohort: "team-a",
        queueingStrategy: "Sometimes",
        resourceGroups: [
          {
            coveredResources: ["cpu"],
            flavors: [{ name: "default-flavor", resources: [{ name: "cpu", nominalQuota: "lots" }] }],
          },
        ],
      },
    };
    const rejected = await statusOf(
      custom.createClusterCustomObject({ ...KUEUE, plural: "clusterqueues", body: clusterQueue }),
    );
    expect(rejected.code).toBe(422);
    expect(rejected.status).toMatchObject({ kind: "Status", reason: "Invalid" });
    const causes = record(rejected.status.details).causes as Record<string, unknown>[];
    expect(causes).toEqual(
      expect.arrayContaining([
        { reason: "FieldValueInvalid", field: "spec.cohort", message: 'unknown field "spec.cohort"' },
        expect.objectContaining({ field: "spec.queueingStrategy", reason: "FieldValueNotSupported" }),
        expect.objectContaining({ field: "spec.resourceGroups[0].flavors[0].resources[0].nominalQuota" }),
      ]),
    );

    const workload = {
      apiVersion: "kueue.x-k8s.io/v1beta2",
      kind: "Workload",
      metadata: { name: "by-hand" },
      spec: {
        priorityClassName: "high",
        queueName: "local-queue",
        podSets: [
          {
            name: "main",
            count: 1,
            template: { spec: { containers: [{ name: "c", image: "x", imagePullPolicyy: "Always" }] } },
          },
        ],
      },
    };
    const workloadRejected = await statusOf(
      custom.createNamespacedCustomObject({ ...KUEUE, namespace: NAMESPACE, plural: "workloads", body: workload }),
    );
    expect(workloadRejected.code).toBe(422);
    const workloadCauses = record(workloadRejected.status.details).causes as Record<string, unknown>[];
    expect(workloadCauses.map((cause) => cause.field)).toEqual(
      expect.arrayContaining([
        "spec.priorityClassName",
        "spec.podSets[0].template.spec.containers[0].imagePullPolicyy",
      ]),
    );

    const priorityClass = await statusOf(
      custom.createClusterCustomObject({
        ...KUEUE,
        plural: "workloadpriorityclasses",
        body: { apiVersion: "kueue.x-k8s.io/v1beta2", kind: "WorkloadPriorityClass", metadata: { name: "high" } },
      }),
    );
    expect(record(priorityClass.status.details).causes).toEqual([
      expect.objectContaining({ field: "value", reason: "FieldValueRequired" }),
    ]);
  });

  it("can validate Kueue objects with the official CRD schemas from TWINED_KUEUE_CRD_DIR", () => {
    // A stand-in CRD folder with a tiny v1beta2 schema, to exercise the loader and its unknown-field walk.
    const dir = mkdtempSync(path.join(tmpdir(), "kueue-crds-"));
    try {
      for (const plural of [
        "resourceflavors",
        "clusterqueues",
        "localqueues",
        "workloadpriorityclasses",
        "workloads",
      ]) {
        const crd = {
          apiVersion: "apiextensions.k8s.io/v1",
          kind: "CustomResourceDefinition",
          spec: {
            versions: [
              {
                name: "v1beta2",
                schema: {
                  openAPIV3Schema: {
                    type: "object",
                    properties: {
                      apiVersion: { type: "string" },
                      kind: { type: "string" },
                      metadata: { type: "object" },
                      spec: {
                        type: "object",
                        properties: { cohortName: { type: "string" }, size: { type: "integer", format: "int32" } },
                      },
                    },
                  },
                },
              },
            ],
          },
        };
        writeFileSync(path.join(dir, `kueue.x-k8s.io_${plural}.yaml`), toYaml(crd));
      }
      const validators = kueueValidatorsFromCrds(dir);
      expect(validators).toBeDefined();
      if (validators === undefined) return;
      const object = {
        apiVersion: "kueue.x-k8s.io/v1beta2",
        kind: "ClusterQueue",
        metadata: { name: "q" },
        spec: { cohort: "a", cohortName: "a", size: "big" },
      };
      const causes = validateKueueObject("ClusterQueue", object, validators);
      expect(causes).toEqual(
        expect.arrayContaining([
          { reason: "FieldValueInvalid", field: "spec.cohort", message: 'unknown field "spec.cohort"' },
          expect.objectContaining({ field: "spec.size", message: expect.stringContaining("must be integer") }),
        ]),
      );
      expect(causes).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("applies merge patches with Kubernetes' rules (status ignored, template immutable while running)", async () => {
    const controlled = controlledContainers();
    const { kc } = await start({ runContainer: controlled.runContainer });
    const batch = kc.makeApiClient(BatchV1Api);
    const created = await batch.createNamespacedJob({
      namespace: NAMESPACE,
      body: jobBody("question-a", { queue: null }),
    });
    await waitFor(() => controlled.of("question-a") !== undefined);
    const patched = await batch.patchNamespacedJob(
      {
        name: "question-a",
        namespace: NAMESPACE,
        body: { metadata: { labels: { extra: "yes" } }, status: { succeeded: 5 } },
      },
      mergePatch,
    );
    expect(patched.metadata?.labels?.extra).toBe("yes");
    expect(patched.status?.succeeded).toBeUndefined();
    expect(patched.metadata?.generation).toBe(1);
    expect(Number(patched.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));

    const immutable = await statusOf(
      batch.patchNamespacedJob(
        {
          name: "question-a",
          namespace: NAMESPACE,
          body: { spec: { template: { spec: { containers: [{ name: "analysis", image: "other:2" }] } } } },
        },
        mergePatch,
      ),
    );
    expect(immutable.code).toBe(422);
    expect(record(immutable.status.details).causes).toEqual([
      expect.objectContaining({ field: "spec.template", message: expect.stringContaining("field is immutable") }),
    ]);

    const stale = await statusOf(
      batch.patchNamespacedJob(
        {
          name: "question-a",
          namespace: NAMESPACE,
          body: { metadata: { resourceVersion: "1", labels: { late: "yes" } } },
        },
        mergePatch,
      ),
    );
    expect(stale.code).toBe(409);
    expect(stale.status).toMatchObject({ reason: "Conflict" });
  });

  it("streams watch events, and resumes a watch from a resourceVersion", async () => {
    const controlled = controlledContainers();
    const { fake, kc } = await start({ runContainer: controlled.runContainer });
    await fake.installKueue({ namespace: NAMESPACE });
    const batch = kc.makeApiClient(BatchV1Api);
    const events: string[] = [];
    const watch = new Watch(kc);
    let doneWith: unknown = "not done";
    const controller = await watch.watch(
      `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`,
      {},
      (phase, object: V1Job) => events.push(`${phase}:${object.metadata?.name}:suspend=${object.spec?.suspend}`),
      (error) => {
        doneWith = error;
      },
    );
    const list = await batch.listNamespacedJob({ namespace: NAMESPACE });
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-a") });
    await waitFor(() => controlled.of("question-a") !== undefined);
    controlled.of("question-a")?.exit(0);
    await waitFor(() => conditionOf(fake.jobs()[0], "Complete")?.status === "True");
    await batch.deleteNamespacedJob({ name: "question-a", namespace: NAMESPACE, propagationPolicy: "Background" });
    await waitFor(() => events.some((event) => event.startsWith("DELETED")));
    expect(events[0]).toBe("ADDED:question-a:suspend=true");
    expect(events).toContain("MODIFIED:question-a:suspend=false");
    expect(events.at(-1)).toBe("DELETED:question-a:suspend=false");
    controller.abort();
    await waitFor(() => doneWith !== "not done");

    // Resuming from the list's version replays what happened since; a watch without one starts with ADDED.
    const replayed: string[] = [];
    const resumed = await watch.watch(
      `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`,
      { resourceVersion: list.metadata?.resourceVersion },
      (phase) => replayed.push(phase),
      () => {},
    );
    await waitFor(() => replayed.includes("DELETED"));
    expect(replayed[0]).toBe("ADDED");
    resumed.abort();
  });
});

it("serves an informer (list, then a watch from the list's version)", async () => {
  const controlled = controlledContainers();
  const { kc } = await start({ runContainer: controlled.runContainer });
  const batch = kc.makeApiClient(BatchV1Api);
  await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-1", { queue: null }) });
  const informer = makeInformer(kc, `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`, () =>
    batch.listNamespacedJob({ namespace: NAMESPACE }),
  );
  const seen: string[] = [];
  informer.on("add", (job) => seen.push(`add:${job.metadata?.name}`));
  informer.on("update", (job) => seen.push(`update:${job.metadata?.name}:${job.status?.succeeded ?? 0}`));
  informer.on("delete", (job) => seen.push(`delete:${job.metadata?.name}`));
  await informer.start();
  await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-2", { queue: null }) });
  await waitFor(() => controlled.of("question-2") !== undefined);
  controlled.of("question-2")?.exit(0);
  await waitFor(() => seen.includes("update:question-2:1"));
  await batch.deleteNamespacedJob({ name: "question-1", namespace: NAMESPACE, propagationPolicy: "Background" });
  await waitFor(() => seen.includes("delete:question-1"));
  await informer.stop();
  expect(seen.slice(0, 2)).toEqual(["add:question-1", "add:question-2"]);
  expect(informer.list().map((job) => job.metadata?.name)).toEqual(["question-2"]);
});

describe("the Kueue simulator", () => {
  it("admits within quota, highest priority first then FIFO, and reports queue positions", async () => {
    const controlled = controlledContainers();
    const { fake, kc } = await start({ runContainer: controlled.runContainer });
    await fake.installKueue({ namespace: NAMESPACE, cpu: "2", priorityClasses: { high: 1000, low: 10 } });
    const batch = kc.makeApiClient(BatchV1Api);
    for (const name of ["question-1", "question-2", "question-3"]) {
      await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody(name, { priorityClass: "low" }) });
    }
    await waitFor(() => isAdmitted(fake, "question-1") && isAdmitted(fake, "question-2"));
    await waitFor(() => conditionOf(workloadOf(fake, "question-3"), "QuotaReserved")?.reason === "Pending");
    const third = workloadOf(fake, "question-3");
    expect(nameOf(third)).toMatch(/^job-question-3-[0-9a-f]{5}$/);
    expect(conditionOf(third, "QuotaReserved")).toMatchObject({
      status: "False",
      reason: "Pending",
      message:
        "couldn't assign flavors to pod set main: insufficient unused quota for cpu in flavor default-flavor, 1 more needed",
    });
    expect(record(record(third).spec)).toMatchObject({
      queueName: "local-queue",
      priority: 10,
      priorityClassRef: { group: "kueue.x-k8s.io", kind: "WorkloadPriorityClass", name: "low" },
    });
    expect(fake.jobs().find((job) => nameOf(job) === "question-3")).toMatchObject({ spec: { suspend: true } });
    let summary = await pendingWorkloads(fake, kc);
    expect(summary).toMatchObject({ kind: "PendingWorkloadsSummary", apiVersion: "visibility.kueue.x-k8s.io/v1beta2" });
    expect(summary.items).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({
          name: nameOf(third),
          namespace: NAMESPACE,
          ownerReferences: [expect.objectContaining({ kind: "Job", name: "question-3" })],
        }),
        priority: 10,
        localQueueName: "local-queue",
        positionInClusterQueue: 0,
        positionInLocalQueue: 0,
      }),
    ]);

    // A later, higher-priority Job goes to the head of the queue.
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-4", { priorityClass: "high" }) });
    await waitFor(() => workloadOf(fake, "question-4") !== undefined);
    summary = await pendingWorkloads(fake, kc);
    expect((summary.items as unknown[]).map((item) => [nameOf(item), record(item).positionInLocalQueue])).toEqual([
      [nameOf(workloadOf(fake, "question-4")), 0],
      [nameOf(third), 1],
    ]);
    const localQueue = record(
      await kc
        .makeApiClient(CustomObjectsApi)
        .getNamespacedCustomObject({ ...KUEUE, namespace: NAMESPACE, plural: "localqueues", name: "local-queue" }),
    );
    expect(record(localQueue.status)).toMatchObject({
      pendingWorkloads: 2,
      admittedWorkloads: 2,
      reservingWorkloads: 2,
    });

    controlled.of("question-1")?.exit(0);
    await waitFor(() => isAdmitted(fake, "question-4"));
    expect(isAdmitted(fake, "question-3")).toBe(false);
    controlled.of("question-2")?.exit(0);
    await waitFor(() => isAdmitted(fake, "question-3"));
    const admitted = workloadOf(fake, "question-3");
    expect(conditionOf(admitted, "QuotaReserved")).toMatchObject({ status: "True", reason: "QuotaReserved" });
    expect(record(record(admitted).status).admission).toEqual({
      clusterQueue: "cluster-queue",
      podSetAssignments: [
        {
          name: "main",
          flavors: { cpu: "default-flavor", memory: "default-flavor", "ephemeral-storage": "default-flavor" },
          resourceUsage: { cpu: "1", memory: String(2 ** 30), "ephemeral-storage": String(2 ** 30) },
          count: 1,
        },
      ],
    });
    expect(conditionOf(workloadOf(fake, "question-1"), "Finished")).toMatchObject({
      status: "True",
      reason: "Succeeded",
      message: "Job finished successfully",
    });
    expect((await pendingWorkloads(fake, kc)).items).toEqual([]);
  });

  it("lets a smaller workload pass a big one that does not fit (BestEffortFIFO), after the admission delay", async () => {
    const controlled = controlledContainers();
    const { fake, kc } = await start({ runContainer: controlled.runContainer, admissionDelayMs: 100 });
    await fake.installKueue({ namespace: NAMESPACE, cpu: "2" });
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-1") });
    await waitFor(() => workloadOf(fake, "question-1") !== undefined);
    // The delay keeps it queued for a while.
    expect(((await pendingWorkloads(fake, kc)).items as unknown[]).map(nameOf)).toEqual([
      nameOf(workloadOf(fake, "question-1")),
    ]);
    await waitFor(() => isAdmitted(fake, "question-1"));
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-big", { cpu: "2" }) });
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-small", { cpu: "500m" }) });
    await waitFor(() => controlled.of("question-small") !== undefined);
    expect(isAdmitted(fake, "question-big")).toBe(false);
    expect(controlled.of("question-small")?.run.resources.cpu).toBe("500m");
  });

  it("says why a workload is inadmissible: missing LocalQueue or priority class", async () => {
    const { fake, kc } = await start();
    await fake.installKueue({ namespace: NAMESPACE });
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-1", { queue: "nope" }) });
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-2", { priorityClass: "urgent" }) });
    await waitFor(() => conditionOf(workloadOf(fake, "question-1"), "QuotaReserved") !== undefined);
    await waitFor(() => conditionOf(workloadOf(fake, "question-2"), "QuotaReserved") !== undefined);
    expect(conditionOf(workloadOf(fake, "question-1"), "QuotaReserved")).toMatchObject({
      status: "False",
      reason: "Inadmissible",
      message: "LocalQueue nope doesn't exist",
    });
    expect(conditionOf(workloadOf(fake, "question-2"), "QuotaReserved")).toMatchObject({
      reason: "Inadmissible",
      message: expect.stringContaining("urgent"),
    });
    expect(podsOf(fake, "question-1")).toEqual([]);

    // Once the class exists, the workload gets its priority and is admitted.
    await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
      ...KUEUE,
      plural: "workloadpriorityclasses",
      body: {
        apiVersion: "kueue.x-k8s.io/v1beta2",
        kind: "WorkloadPriorityClass",
        metadata: { name: "urgent" },
        value: 500,
      },
    });
    await waitFor(() => isAdmitted(fake, "question-2"));
    expect(record(record(workloadOf(fake, "question-2")).spec).priority).toBe(500);
  });

  it("evicts: Workload Evicted, Job suspended, pods deleted and containers stopped, quota released", async () => {
    const controlled = controlledContainers();
    const { fake, kc } = await start({ runContainer: controlled.runContainer });
    await fake.installKueue({ namespace: NAMESPACE, cpu: "1" });
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-1") });
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-2") });
    await waitFor(() => controlled.of("question-1") !== undefined);
    expect(isAdmitted(fake, "question-2")).toBe(false);
    fake.evict("question-1");
    await waitFor(() => podsOf(fake, "question-1").length === 0 && controlled.of("question-1")?.stopped === true);
    const evicted = workloadOf(fake, "question-1");
    expect(conditionOf(evicted, "Evicted")).toMatchObject({ status: "True", reason: "Preempted" });
    expect(conditionOf(evicted, "QuotaReserved")).toMatchObject({ status: "False" });
    expect(conditionOf(evicted, "Admitted")).toMatchObject({ status: "False" });
    expect(conditionOf(evicted, "Requeued")).toMatchObject({ status: "True" });
    const job = await batch.readNamespacedJob({ name: "question-1", namespace: NAMESPACE });
    expect(job.spec?.suspend).toBe(true);
    expect(job.status?.failed ?? 0).toBe(0);
    await waitFor(() => isAdmitted(fake, "question-2"));
    expect(isAdmitted(fake, "question-1")).toBe(false);
  });

  it("deactivates a workload patched to spec.active=false", async () => {
    const controlled = controlledContainers();
    const { fake, kc } = await start({ runContainer: controlled.runContainer });
    await fake.installKueue({ namespace: NAMESPACE });
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-1") });
    await waitFor(() => controlled.of("question-1") !== undefined);
    const custom = kc.makeApiClient(CustomObjectsApi);
    await custom.patchNamespacedCustomObject(
      {
        ...KUEUE,
        namespace: NAMESPACE,
        plural: "workloads",
        name: nameOf(workloadOf(fake, "question-1")),
        body: { spec: { active: false } },
      },
      mergePatch,
    );
    await waitFor(() => conditionOf(workloadOf(fake, "question-1"), "Evicted")?.status === "True");
    expect(conditionOf(workloadOf(fake, "question-1"), "Evicted")).toMatchObject({ reason: "Deactivated" });
    expect(conditionOf(workloadOf(fake, "question-1"), "Requeued")).toMatchObject({ status: "False" });
    await waitFor(() => podsOf(fake, "question-1").length === 0 && controlled.of("question-1")?.stopped === true);
    const clusterQueue = record(
      await custom.getClusterCustomObject({ ...KUEUE, plural: "clusterqueues", name: "cluster-queue" }),
    );
    await waitFor(async () => {
      const current = record(
        await custom.getClusterCustomObject({ ...KUEUE, plural: "clusterqueues", name: "cluster-queue" }),
      );
      return record(current.status).admittedWorkloads === 0;
    });
    expect(record(clusterQueue.metadata).name).toBe("cluster-queue");
  });
});

describe("the kubelet and the Job controller", () => {
  it("runs an admitted pod's container with its image, command, args, env and labels; the Job completes", async () => {
    const runs: FakeContainerRun[] = [];
    const { fake, kc } = await start({
      runContainer: (run) => {
        runs.push(run);
        return { ended: Promise.resolve({ exitCode: 0 }), stop: () => {} };
      },
    });
    await fake.installKueue({ namespace: NAMESPACE });
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-1") });
    await waitFor(() => conditionOf(fake.jobs()[0], "Complete")?.status === "True");
    expect(runs).toHaveLength(1);
    const [run] = runs;
    expect(run).toMatchObject({
      namespace: NAMESPACE,
      jobName: "question-1",
      image: "europe-docker.pkg.dev/octue/services/example:1.0.0",
      command: ["python", "-m", "twined_harness"],
      args: ["--question", "question-1"],
      resources: { cpu: "1", memory: "1Gi", ephemeralStorage: "1Gi" },
    });
    expect(run?.podName).toMatch(/^question-1-[a-z0-9]{5}$/);
    expect(run?.env).toEqual({ QUESTION_UUID: "question-1", POD_NAME: run?.podName });
    expect(run?.labels).toMatchObject({
      app: "twined",
      "job-name": "question-1",
      "batch.kubernetes.io/job-name": "question-1",
    });

    const job = await batch.readNamespacedJob({ name: "question-1", namespace: NAMESPACE });
    expect(job.status?.succeeded).toBe(1);
    expect(job.status?.startTime).toBeInstanceOf(Date);
    expect(job.status?.completionTime).toBeInstanceOf(Date);
    expect(conditionTypes(fake.jobs()[0])).toEqual(["Suspended", "SuccessCriteriaMet", "Complete"]);
    const pods = await kc
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: NAMESPACE, labelSelector: "job-name=question-1" });
    expect(pods.items).toHaveLength(1);
    expect(pods.items[0]?.status?.phase).toBe("Succeeded");
    expect(pods.items[0]?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: "Completed",
    });
    expect(pods.items[0]?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: "Job",
      name: "question-1",
      controller: true,
    });
    // What the fake writes is itself valid Kubernetes.
    expect(validatePod(record(fake.pods()[0]))).toEqual([]);
    await waitFor(() => conditionOf(workloadOf(fake, "question-1"), "Finished")?.status === "True");
  });

  it("OOM-kills a running container: pod terminated OOMKilled, Job Failed (BackoffLimitExceeded)", async () => {
    const controlled = controlledContainers();
    const { fake, kc } = await start({ runContainer: controlled.runContainer });
    await fake.installKueue({ namespace: NAMESPACE });
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-1") });
    await waitFor(() => controlled.of("question-1") !== undefined);
    const running = podsOf(fake, "question-1")[0];
    expect(record(record(running).status).phase).toBe("Running");
    fake.oomKill("question-1");
    await waitFor(() => conditionOf(fake.jobs()[0], "Failed")?.status === "True");
    const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: nameOf(running), namespace: NAMESPACE });
    expect(pod.status?.phase).toBe("Failed");
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 137, reason: "OOMKilled" });
    expect(controlled.of("question-1")?.stopped).toBe(true);
    const failedPods = await kc
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: NAMESPACE, fieldSelector: "status.phase=Failed" });
    expect(failedPods.items.map((each) => each.metadata?.name)).toEqual([nameOf(running)]);
    const job = fake.jobs()[0];
    expect(conditionTypes(job)).toEqual(expect.arrayContaining(["FailureTarget", "Failed"]));
    expect(conditionOf(job, "Failed")).toMatchObject({ reason: "BackoffLimitExceeded" });
    expect(record(record(job).status).failed).toBe(1);
    await waitFor(() => conditionOf(workloadOf(fake, "question-1"), "Finished")?.reason === "Failed");
  });

  it("retries a failed pod up to backoffLimit", async () => {
    const controlled = controlledContainers();
    const { fake, kc } = await start({ runContainer: controlled.runContainer });
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: NAMESPACE,
      body: jobBody("question-1", { queue: null, backoffLimit: 1 }),
    });
    await waitFor(() => controlled.runs.length === 1);
    controlled.runs[0]?.exit(1);
    await waitFor(() => controlled.runs.length === 2);
    expect(conditionOf(fake.jobs()[0], "Failed")).toBeUndefined();
    controlled.runs[1]?.exit(2);
    await waitFor(() => conditionOf(fake.jobs()[0], "Failed")?.status === "True");
    expect(record(record(fake.jobs()[0]).status).failed).toBe(2);
    expect(podsOf(fake, "question-1").map((pod) => record(record(pod).status).phase)).toEqual(["Failed", "Failed"]);
  });

  it("leaves a pod Pending with ErrImagePull then ImagePullBackOff when the image does not exist", async () => {
    const controlled = controlledContainers();
    const { fake, kc } = await start({
      runContainer: controlled.runContainer,
      imageExists: (image) => !image.includes("missing"),
    });
    await fake.installKueue({ namespace: NAMESPACE });
    const core = kc.makeApiClient(CoreV1Api);
    const reasons = new Set<string>();
    const watch = await new Watch(kc).watch(
      `/api/v1/namespaces/${NAMESPACE}/pods`,
      {},
      (_phase, pod: Record<string, unknown>) => {
        const statuses = record(pod.status).containerStatuses;
        const waiting = Array.isArray(statuses) ? record(record(record(statuses[0]).state).waiting).reason : undefined;
        if (typeof waiting === "string") reasons.add(waiting);
      },
      () => {},
    );
    await kc
      .makeApiClient(BatchV1Api)
      .createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-1", { image: "example/missing:1" }) });
    await waitFor(() => reasons.has("ImagePullBackOff"));
    watch.abort();
    expect([...reasons]).toEqual(["ContainerCreating", "ErrImagePull", "ImagePullBackOff"]);
    const pods = await core.listNamespacedPod({ namespace: NAMESPACE });
    expect(pods.items[0]?.status?.phase).toBe("Pending");
    expect(pods.items[0]?.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain("example/missing:1");
    expect(controlled.runs).toEqual([]);
  });

  it("deletes a Job in the background: its Workload and pod go and the container is stopped", async () => {
    const controlled = controlledContainers();
    const { fake, kc } = await start({ runContainer: controlled.runContainer });
    await fake.installKueue({ namespace: NAMESPACE, cpu: "1" });
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-1") });
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-2") });
    await waitFor(() => controlled.of("question-1") !== undefined);
    const status = await batch.deleteNamespacedJob({
      name: "question-1",
      namespace: NAMESPACE,
      propagationPolicy: "Background",
    });
    expect(status).toMatchObject({ kind: "Status", status: "Success" });
    await waitFor(() => fake.workloads().length === 1 && podsOf(fake, "question-1").length === 0);
    expect(controlled.of("question-1")?.stopped).toBe(true);
    // The freed quota goes to the next workload.
    await waitFor(() => controlled.of("question-2") !== undefined);

    // Foreground (here in a V1DeleteOptions body): the dependents are gone by the time the call returns.
    await batch.deleteNamespacedJob({
      name: "question-2",
      namespace: NAMESPACE,
      body: { propagationPolicy: "Foreground" },
    });
    expect(fake.workloads()).toEqual([]);
    expect(fake.pods()).toEqual([]);
    expect(controlled.of("question-2")?.stopped).toBe(true);
    expect(fake.requests().at(-1)?.body).toEqual({ propagationPolicy: "Foreground" });

    // With nothing left to do, the controllers settle: no further writes.
    const settled = fake.requests().length;
    const version = (await batch.listNamespacedJob({ namespace: NAMESPACE })).metadata?.resourceVersion;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await batch.listNamespacedJob({ namespace: NAMESPACE })).metadata?.resourceVersion).toBe(version);
    expect(fake.requests().length).toBe(settled + 2);
  });

  it("orphans the pods of a Job deleted without a propagation policy, as batch/v1 does", async () => {
    const controlled = controlledContainers();
    const { fake, kc } = await start({ runContainer: controlled.runContainer });
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-1", { queue: null }) });
    await waitFor(() => controlled.of("question-1") !== undefined);
    await batch.deleteNamespacedJob({ name: "question-1", namespace: NAMESPACE });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [pod] = podsOf(fake, "question-1");
    expect(pod).toBeDefined();
    expect(record(record(pod).metadata).ownerReferences).toBeUndefined();
    expect(controlled.of("question-1")?.stopped).toBe(false);
  });

  it("stops the container of a pod deleted through the API, and counts the pod as failed", async () => {
    const controlled = controlledContainers();
    const { fake, kc } = await start({ runContainer: controlled.runContainer });
    await kc
      .makeApiClient(BatchV1Api)
      .createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-1", { queue: null }) });
    await waitFor(() => controlled.of("question-1") !== undefined);
    const deleted = await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespacedPod({ name: nameOf(podsOf(fake, "question-1")[0]), namespace: NAMESPACE });
    expect(deleted.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(controlled.of("question-1")?.stopped).toBe(true);
    await waitFor(() => conditionOf(fake.jobs()[0], "Failed")?.status === "True");
    expect(conditionOf(fake.jobs()[0], "Failed")).toMatchObject({ reason: "BackoffLimitExceeded" });
  });

  it("fails a Job past activeDeadlineSeconds (DeadlineExceeded) and stops its container", async () => {
    const controlled = controlledContainers();
    const { fake, kc } = await start({ runContainer: controlled.runContainer });
    await fake.installKueue({ namespace: NAMESPACE });
    await kc
      .makeApiClient(BatchV1Api)
      .createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-1", { activeDeadlineSeconds: 1 }) });
    await waitFor(() => controlled.of("question-1") !== undefined);
    await waitFor(() => conditionOf(fake.jobs()[0], "Failed")?.status === "True", { timeoutMs: 4000 });
    expect(conditionOf(fake.jobs()[0], "Failed")).toMatchObject({
      reason: "DeadlineExceeded",
      message: "Job was active longer than specified deadline",
    });
    expect(controlled.of("question-1")?.stopped).toBe(true);
    expect(podsOf(fake, "question-1")).toEqual([]);
    await waitFor(() => conditionOf(workloadOf(fake, "question-1"), "Finished")?.reason === "Failed");
  });

  it("deletes a finished Job after ttlSecondsAfterFinished, with its Workload and pods", async () => {
    const { fake, kc } = await start();
    await fake.installKueue({ namespace: NAMESPACE });
    await kc
      .makeApiClient(BatchV1Api)
      .createNamespacedJob({ namespace: NAMESPACE, body: jobBody("question-1", { ttlSecondsAfterFinished: 0 }) });
    await waitFor(() => fake.jobs().length === 0);
    expect(fake.workloads()).toEqual([]);
    expect(fake.pods()).toEqual([]);
    // The fake's TTL controller deleted it: no client asked.
    expect(fake.requests().filter((each) => each.method === "DELETE")).toEqual([]);
  });
});
