import http from "node:http";
import https from "node:https";
import { BatchV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type V1Job, type V1Pod } from "@kubernetes/client-node";
import { KubernetesRequestRefused, QuestionCancelled, TwinedError } from "../../../errors/index.js";
import { exceptionEnvelopeFor, type ParentAttributes, validateEvent } from "../../../events/index.js";
import {
  type EventSink,
  type JobPhase,
  type JobSpec,
  type Logger,
  type ObservableJobLauncher,
  processLogger,
} from "../../../ports/index.js";
import { type ClusterAccess, loadClusterAccess } from "./cluster-access.js";
import {
  type JobManifestSettings,
  jobManifest,
  jobName,
  LABELS,
  MANAGED_BY,
  QUESTION_ATTRIBUTES_ANNOTATION,
  SRUID_ANNOTATION,
} from "./job-manifest.js";
import { observeJob, type TimedObservation, type WorkloadView } from "./job-observation.js";
import { apiFailure } from "./kubernetes-status.js";
import { ClusterPriorityClasses, type ClusterPriorityClassesOptions } from "./priority-classes.js";

interface KubernetesClients {
  readonly config: KubeConfig;
  readonly batch: BatchV1Api;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
}

export interface KueueJobLauncherOptions {
  /** The cluster, or how to reach it (read at the first call, and again every half hour for GKE's short tokens). */
  readonly kubeConfig: KubeConfig | ClusterAccess;
  /**
   * `priorityClasses` names the classes a question's priority maps to; when it is empty, the cluster's own
   * WorkloadPriorityClasses are listed and watched instead (`ClusterPriorityClasses`).
   */
  readonly settings: JobManifestSettings;
  /** Where the launcher's own events go (a cancelled question's exception), like a job's events. */
  readonly sink: EventSink;
  /** Where it says what goes wrong reading the cluster's priority classes; the process's logger by default. */
  readonly log?: Logger;
  /** Timing of the priority classes' list and watch (tests shorten it). */
  readonly priorityClassWatch?: Pick<
    ClusterPriorityClassesOptions,
    "firstListTimeoutMs" | "backoff" | "watchTimeoutSeconds"
  >;
}

const KUEUE = { group: "kueue.x-k8s.io", version: "v1beta2" } as const;
const FIELD_MANAGER = "twined";

/**
 * Runs each question as a Kubernetes Job that Kueue admits from a LocalQueue (see `jobManifest`). Launching is
 * idempotent (an existing Job counts as launched); cancelling deletes the Job in the background, which stops an
 * admitted one (suspending would not). The Jobs run elsewhere, so their progress is read with `observeJobs`, which
 * the question reconciler calls.
 */
export class KueueJobLauncher implements ObservableJobLauncher {
  private readonly phases = new Map<string, JobPhase>();
  private clients: Promise<KubernetesClients> | undefined;
  private clientsMadeAt = 0;
  /** The cluster's classes, followed when the settings name none. */
  private readonly clusterClasses: ClusterPriorityClasses | undefined;

  constructor(private readonly options: KueueJobLauncherOptions) {
    if (Object.keys(options.settings.priorityClasses).length === 0) {
      this.clusterClasses = new ClusterPriorityClasses({
        kubeConfig: async () => (await this.api()).config,
        log: options.log ?? processLogger(),
        ...options.priorityClassWatch,
      });
    }
  }

  /**
   * Loads and checks the cluster configuration now, so that a bad one fails start-up rather than a question, and
   * starts reading the cluster's priority classes when the settings name none.
   */
  async connect(): Promise<void> {
    await this.api();
    this.clusterClasses?.start();
  }

  private api(): Promise<KubernetesClients> {
    const source = this.options.kubeConfig;
    const stale =
      !(source instanceof KubeConfig) && source.kind === "gke" && Date.now() - this.clientsMadeAt > 30 * 60_000;
    if (this.clients === undefined || stale) {
      this.clientsMadeAt = Date.now();
      const made = (source instanceof KubeConfig ? Promise.resolve(source) : loadClusterAccess(source)).then(
        (config) => ({
          config,
          batch: config.makeApiClient(BatchV1Api),
          core: config.makeApiClient(CoreV1Api),
          custom: config.makeApiClient(CustomObjectsApi),
        }),
      );
      // A failed attempt is not kept: the next call tries again.
      made.catch(() => {
        if (this.clients === made) this.clients = undefined;
      });
      this.clients = made;
    }
    return this.clients;
  }

  private get namespace(): string {
    return this.options.settings.namespace;
  }

  async launch(spec: JobSpec): Promise<{ launched: boolean }> {
    const questionUuid = spec.question.attributes.question_uuid;
    const priorityClasses =
      this.clusterClasses === undefined
        ? this.options.settings.priorityClasses
        : await this.clusterClasses.classes(questionUuid);
    const body = jobManifest(spec, { ...this.options.settings, priorityClasses });
    const { batch } = await this.api();
    try {
      await batch.createNamespacedJob({ namespace: this.namespace, body, fieldManager: FIELD_MANAGER });
    } catch (error) {
      const failure = apiFailure(error);
      if (failure?.code === 409) return { launched: false };
      if (failure !== undefined && [400, 403, 404, 422].includes(failure.code)) {
        throw new KubernetesRequestRefused(
          questionUuid,
          failure.code,
          `the cluster refused the question's Job ${body.metadata?.name} in namespace ${this.namespace} (${failure.code} ${failure.reason ?? ""}): ${failure.message}${failure.code === 403 ? "; the launcher's identity needs permission to create Jobs there" : ""}`,
        );
      }
      throw error;
    }
    this.phases.set(questionUuid.toLowerCase(), "queued");
    return { launched: true };
  }

  /**
   * Tells the asker the question was cancelled, then deletes its Job. In that order, so that the question ends as
   * cancelled, not as failed when the reconciler finds its Job gone.
   */
  async cancel(questionUuid: string, reason = "the question was cancelled"): Promise<boolean> {
    const job = await this.readJob(questionUuid);
    if (job === undefined || isFinished(job)) return false;
    const question = questionAttributesOf(job, questionUuid);
    const envelope = exceptionEnvelopeFor(question, sruidOf(job), new QuestionCancelled(questionUuid, reason));
    await this.options.sink.emit(envelope);
    await this.release(questionUuid);
    return true;
  }

  /** Deletes a question's Job, its Workload and pods, saying nothing to the asker; `false` if there was none. */
  async release(questionUuid: string): Promise<boolean> {
    const { batch } = await this.api();
    try {
      await batch.deleteNamespacedJob({
        name: jobName(questionUuid),
        namespace: this.namespace,
        propagationPolicy: "Background",
      });
    } catch (error) {
      if (apiFailure(error)?.code === 404) return false;
      throw error;
    }
    this.phases.set(questionUuid.toLowerCase(), "finished");
    return true;
  }

  phase(questionUuid: string): JobPhase | undefined {
    return this.phases.get(questionUuid.toLowerCase());
  }

  async observeJobs(): Promise<ReadonlyMap<string, TimedObservation>> {
    const selector = `${LABELS.managedBy}=${MANAGED_BY}`;
    const { batch, core, custom } = await this.api();
    const [jobs, pods, workloads, positions] = await Promise.all([
      batch.listNamespacedJob({ namespace: this.namespace, labelSelector: selector }),
      core.listNamespacedPod({ namespace: this.namespace, labelSelector: selector }),
      custom.listNamespacedCustomObject({ ...KUEUE, namespace: this.namespace, plural: "workloads" }) as Promise<{
        items?: WorkloadView[];
      }>,
      this.pendingPositions(),
    ]);
    const workloadsByJobUid = new Map<string, WorkloadView>();
    for (const workload of workloads.items ?? []) {
      for (const owner of workload.metadata?.ownerReferences ?? []) {
        if (owner.uid !== undefined) workloadsByJobUid.set(owner.uid, workload);
      }
    }
    const podsByQuestion = new Map<string, V1Pod[]>();
    for (const pod of pods.items) {
      const questionUuid = pod.metadata?.labels?.[LABELS.questionUuid];
      if (questionUuid === undefined) continue;
      podsByQuestion.set(questionUuid, [...(podsByQuestion.get(questionUuid) ?? []), pod]);
    }
    const observations = new Map<string, TimedObservation>();
    for (const job of jobs.items) {
      const questionUuid = job.metadata?.labels?.[LABELS.questionUuid];
      // A Job being deleted is on its way out: the question is treated as having no job.
      if (questionUuid === undefined || job.metadata?.deletionTimestamp !== undefined) continue;
      const workload = job.metadata?.uid === undefined ? undefined : workloadsByJobUid.get(job.metadata.uid);
      const observation = observeJob(
        job,
        workload,
        podsByQuestion.get(questionUuid) ?? [],
        workload?.metadata?.name === undefined ? undefined : positions.get(workload.metadata.name),
      );
      observations.set(questionUuid, observation);
      this.phases.set(
        questionUuid,
        observation.state === "queued" ? "queued" : observation.state === "running" ? "running" : "finished",
      );
    }
    return observations;
  }

  async close(): Promise<void> {
    this.clusterClasses?.close();
    this.phases.clear();
  }

  private async readJob(questionUuid: string): Promise<V1Job | undefined> {
    const { batch } = await this.api();
    try {
      return await batch.readNamespacedJob({ name: jobName(questionUuid), namespace: this.namespace });
    } catch (error) {
      if (apiFailure(error)?.code === 404) return undefined;
      throw error;
    }
  }

  /**
   * Queue positions from Kueue's visibility API, by Workload name. It is a subresource the generated client cannot
   * address, and clusters may not serve it (it needs its own RBAC): positions are then simply unknown.
   */
  private async pendingPositions(): Promise<Map<string, number>> {
    const path = `/apis/visibility.kueue.x-k8s.io/v1beta2/namespaces/${this.namespace}/localqueues/${this.options.settings.localQueue}/pendingworkloads`;
    try {
      const summary = (await this.rawGet(path)) as {
        items?: { metadata?: { name?: string }; positionInLocalQueue?: number }[];
      };
      const positions = new Map<string, number>();
      for (const item of summary.items ?? []) {
        if (item.metadata?.name !== undefined && typeof item.positionInLocalQueue === "number") {
          positions.set(item.metadata.name, item.positionInLocalQueue);
        }
      }
      return positions;
    } catch {
      return new Map();
    }
  }

  private async rawGet(path: string): Promise<unknown> {
    const { config } = await this.api();
    const cluster = config.getCurrentCluster();
    if (cluster === null) throw new TwinedError("the kubeconfig has no current cluster");
    const url = new URL(path, cluster.server.endsWith("/") ? cluster.server : `${cluster.server}/`);
    const options: https.RequestOptions = { method: "GET", headers: { accept: "application/json" } };
    await config.applyToHTTPSOptions(options);
    const transport = url.protocol === "http:" ? http : https;
    if (url.protocol === "http:") delete options.agent;
    return new Promise((resolve, reject) => {
      const request = transport.request(url, options, (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () => {
          if ((response.statusCode ?? 500) >= 300) reject(new Error(`GET ${path}: HTTP ${response.statusCode}`));
          else {
            try {
              resolve(JSON.parse(text));
            } catch (error) {
              reject(error);
            }
          }
        });
      });
      request.setTimeout(10_000, () => request.destroy(new Error(`GET ${path} timed out`)));
      request.on("error", reject);
      request.end();
    });
  }
}

function isFinished(job: V1Job): boolean {
  return (job.status?.conditions ?? []).some(
    (condition) => (condition.type === "Complete" || condition.type === "Failed") && condition.status === "True",
  );
}

function sruidOf(job: V1Job): string {
  return job.metadata?.annotations?.[SRUID_ANNOTATION] ?? "unknown/service";
}

/** The question's attributes, kept on the Job so a cancellation can answer the asker without the store. */
function questionAttributesOf(job: V1Job, questionUuid: string): ParentAttributes {
  const text = job.metadata?.annotations?.[QUESTION_ATTRIBUTES_ANNOTATION];
  const parsed: unknown = text === undefined ? undefined : JSON.parse(text);
  const envelope = validateEvent({ event: { kind: "question" }, attributes: parsed });
  if (envelope.attributes.question_uuid !== questionUuid) {
    throw new TwinedError(`the Job ${jobName(questionUuid)} carries another question's attributes`);
  }
  return envelope.attributes as ParentAttributes;
}
