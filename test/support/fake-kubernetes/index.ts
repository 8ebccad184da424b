/**
 * A fake Kubernetes API server for tests: real HTTP on 127.0.0.1 for the real `@kubernetes/client-node`, strict
 * validation of what clients send (kubernetes-models for built-in objects, strict schemas for Kueue v1beta2), a Job
 * controller, a small Kueue, and a kubelet that runs admitted pods through a callback. See README.md beside this file
 * for what is simulated and what is not.
 */
import { randomUUID } from "node:crypto";
import { KubeConfig } from "@kubernetes/client-node";
import { stringify as toYaml } from "yaml";
import { definedProperties } from "../../../shared/objects/index.js";
import { Api } from "./api.js";
import { FakeCluster } from "./cluster.js";
import { loadFieldTree } from "./field-tree.js";
import type { JsonObject } from "./json.js";
import { loadKueueSchemas } from "./kueue-schemas.js";
import { JOBS, PODS, RESOURCES, type ResourceType, WORKLOADS } from "./resources.js";
import { HttpFrontEnd, type RecordedRequest } from "./server.js";
import { ApiError } from "./status.js";
import type { FakeKubernetesOptions } from "./types.js";

export type { RecordedRequest } from "./server.js";
export type { FakeContainerRun, FakeKubernetesOptions, FakeRunningContainer } from "./types.js";

export interface InstallKueueOptions {
  /** Namespace of the LocalQueue `local-queue` (default "default"). */
  readonly namespace?: string;
  /** Nominal quotas of the ClusterQueue (defaults: 4 cpu, 16Gi memory, 100Gi ephemeral storage). */
  readonly cpu?: string;
  readonly memory?: string;
  readonly ephemeralStorage?: string;
  /** WorkloadPriorityClasses to create, name → value. */
  readonly priorityClasses?: Record<string, number>;
}

export class FakeKubernetes {
  private constructor(
    readonly url: string,
    private readonly token: string,
    private readonly cluster: FakeCluster,
    private readonly api: Api,
    private readonly front: HttpFrontEnd,
  ) {}

  static async start(options: FakeKubernetesOptions = {}): Promise<FakeKubernetes> {
    // Load the schemas now (about a second, once per process) rather than in the first request.
    loadFieldTree();
    loadKueueSchemas();
    const token = randomUUID();
    const cluster = new FakeCluster(options);
    const api = new Api(cluster);
    const front = new HttpFrontEnd(api, cluster.store, token);
    const url = await front.listen();
    return new FakeKubernetes(url, token, cluster, api, front);
  }

  /** A kubeconfig YAML pointing at this server (skipTLSVerify, token user). */
  kubeconfigYaml(namespace = "default"): string {
    return toYaml({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "fake", cluster: { server: this.url, "insecure-skip-tls-verify": true } }],
      users: [{ name: "fake-user", user: { token: this.token } }],
      contexts: [{ name: "fake", context: { cluster: "fake", user: "fake-user", namespace } }],
      "current-context": "fake",
    });
  }

  /** The same, loaded. */
  kubeConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromString(this.kubeconfigYaml());
    return config;
  }

  /**
   * Creates ResourceFlavor `default-flavor`, ClusterQueue `cluster-queue` (cpu, memory and ephemeral-storage
   * quotas, all namespaces) and LocalQueue `local-queue` in `namespace`, through the API so that the bodies are
   * validated too (these internal calls are not in `requests()`). Objects that already exist are kept, so a second
   * call only adds a LocalQueue in another namespace.
   */
  async installKueue(options: InstallKueueOptions = {}): Promise<void> {
    const namespace = options.namespace ?? "default";
    const base = "/apis/kueue.x-k8s.io/v1beta2";
    const create = (path: string, body: JsonObject): void => {
      try {
        this.api.handle({
          method: "POST",
          path: `${base}${path}`,
          query: new URLSearchParams(),
          contentType: "application/json",
          body,
        });
      } catch (error) {
        if (!(error instanceof ApiError && error.reason === "AlreadyExists")) throw error;
      }
    };
    const object = (kind: string, name: string, rest: JsonObject, inNamespace?: string): JsonObject => ({
      apiVersion: "kueue.x-k8s.io/v1beta2",
      kind,
      metadata: { name, ...definedProperties({ namespace: inNamespace }) },
      ...rest,
    });
    create("/resourceflavors", object("ResourceFlavor", "default-flavor", { spec: {} }));
    for (const [name, value] of Object.entries(options.priorityClasses ?? {})) {
      create("/workloadpriorityclasses", object("WorkloadPriorityClass", name, { value }));
    }
    create(
      "/clusterqueues",
      object("ClusterQueue", "cluster-queue", {
        spec: {
          namespaceSelector: {},
          queueingStrategy: "BestEffortFIFO",
          resourceGroups: [
            {
              coveredResources: ["cpu", "memory", "ephemeral-storage"],
              flavors: [
                {
                  name: "default-flavor",
                  resources: [
                    { name: "cpu", nominalQuota: options.cpu ?? "4" },
                    { name: "memory", nominalQuota: options.memory ?? "16Gi" },
                    { name: "ephemeral-storage", nominalQuota: options.ephemeralStorage ?? "100Gi" },
                  ],
                },
              ],
            },
          ],
        },
      }),
    );
    create(
      `/namespaces/${namespace}/localqueues`,
      object("LocalQueue", "local-queue", { spec: { clusterQueue: "cluster-queue" } }, namespace),
    );
    // Let the controllers see the new queues before the caller goes on.
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Ends the running container of the Job's pod with exit code 137, reason OOMKilled. Throws when none runs. */
  oomKill(jobName: string): void {
    this.cluster.oomKill(jobName);
  }

  /**
   * Kueue eviction of the Job's admitted Workload: Evicted=True (reason default "Preempted"), QuotaReserved and
   * Admitted False, Requeued=True; the Job is suspended again, so its pods are deleted and their containers stopped.
   * The workload then stays pending: this fake does not admit an evicted workload again.
   */
  evict(jobName: string, reason = "Preempted"): void {
    this.cluster.evict(jobName, reason);
  }

  /**
   * RBAC refuses these verbs (`get`, `list`, `watch`, `create`…) on a resource named by its plural and group, with
   * the apiserver's 403 Forbidden.
   */
  forbid(plural: string, group: string, verbs: readonly string[]): void {
    this.api.forbid(this.resource(plural, group), verbs);
  }

  /** The resource's CRD is gone: every request on it is 404 NotFound, as on a cluster without it. */
  uninstall(plural: string, group: string): void {
    this.api.uninstall(this.resource(plural, group));
  }

  /** Every request on a resource fails with this server error (500, 503…) from now on. */
  failWith(plural: string, group: string, code: number): void {
    this.api.failWith(this.resource(plural, group), code);
  }

  /** Sends a BOOKMARK with the current resourceVersion to every open watch that allowed bookmarks. */
  bookmark(): void {
    this.front.bookmark();
  }

  /** Closes every open watch connection (the clients see the stream end). */
  dropWatches(): void {
    this.front.dropWatches();
  }

  /** Forgets the event history, as etcd's compaction does: a watch resumed from an older version gets 410 Gone. */
  compact(): void {
    this.cluster.store.compact();
  }

  private resource(plural: string, group: string): ResourceType {
    const found = RESOURCES.find((each) => each.plural === plural && each.group === group);
    if (found === undefined) throw new Error(`the fake serves no resource ${plural}.${group}`);
    return found;
  }

  /** Every request received over HTTP, in order. */
  requests(): readonly RecordedRequest[] {
    return this.front.requests();
  }

  jobs(namespace?: string): readonly Record<string, unknown>[] {
    return this.cluster.store.list(JOBS, namespace);
  }

  workloads(namespace?: string): readonly Record<string, unknown>[] {
    return this.cluster.store.list(WORKLOADS, namespace);
  }

  pods(namespace?: string): readonly Record<string, unknown>[] {
    return this.cluster.store.list(PODS, namespace);
  }

  /** Internal errors of the fake (a controller bug, or an object it made that fails its own validation); empty in a healthy run. */
  internalErrors(): readonly Error[] {
    return this.cluster.internalErrors();
  }

  /** Stops every running container and the server. */
  async close(): Promise<void> {
    this.cluster.close();
    await this.front.close();
  }
}
