/**
 * A small Kueue (v1beta2) for one cluster: the Job integration (a Workload per queued Job, the Job kept suspended
 * until admission), a scheduler (nominal quota per flavor and resource, highest priority first then FIFO,
 * BestEffortFIFO or StrictFIFO), eviction and deactivation, queue status counters, and the visibility API.
 *
 * Not simulated: cohorts and borrowing, preemption (a higher-priority workload waits; `evict` stands in for it),
 * admission checks, partial admission, topology-aware scheduling, fair sharing, and requeueing after an eviction
 * (an evicted workload stays pending, marked Requeued, and is not admitted again).
 */
import { createHash } from "node:crypto";
import { conditionIs, findCondition, removeCondition, setCondition } from "./conditions.js";
import { isJobFinished } from "./job-controller.js";
import {
  arrayAt,
  at,
  clone,
  isRecord,
  type JsonObject,
  nowIso,
  numberAt,
  recordAt,
  stringAt,
  stringMapAt,
} from "./json.js";
import { type Assignment, addUsage, assignFlavors, nominalQuota, podSetRequests, type Usage } from "./kueue-quota.js";
import { matchesLabelSelectorObject } from "./label-selector.js";
import type { ObjectStore } from "./object-store.js";
import { formatQuantity, parseQuantity } from "./quantity.js";
import {
  CLUSTER_QUEUES,
  JOBS,
  LOCAL_QUEUES,
  RESOURCE_FLAVORS,
  WORKLOAD_PRIORITY_CLASSES,
  WORKLOADS,
} from "./resources.js";
import type { ControllerContext } from "./types.js";

export const QUEUE_NAME_LABEL = "kueue.x-k8s.io/queue-name";
export const PRIORITY_CLASS_LABEL = "kueue.x-k8s.io/priority-class";
export const MAX_EXEC_TIME_LABEL = "kueue.x-k8s.io/max-exec-time-seconds";
export const JOB_UID_LABEL = "kueue.x-k8s.io/job-uid";
const POD_SET = "main";

/** Kueue's workload name for a Job: `job-<name>-<5 hex>`, the prefix cut so the whole stays within 253. */
export function workloadNameFor(jobName: string, jobUid: string): string {
  const hash = createHash("sha1").update(`${jobName}${jobUid}batch/v1, Kind=Job`).digest("hex").slice(0, 5);
  const prefix = `job-${jobName}`.slice(0, 253 - 6);
  return `${prefix}-${hash}`;
}

export function isKueueJob(job: unknown): boolean {
  return stringMapAt(job, "metadata", "labels")[QUEUE_NAME_LABEL] !== undefined;
}

/** Where a workload stands, derived from its object (Kueue keeps no other state that matters here). */
type WorkloadState = "finished" | "admitted" | "inactive" | "evicted" | "pending";

function stateOf(workload: JsonObject): WorkloadState {
  if (conditionIs(workload, "Finished")) return "finished";
  if (recordAt(workload, "status", "admission") !== undefined) return "admitted";
  if (at(workload, "spec", "active") === false) return "inactive";
  if (conditionIs(workload, "Evicted")) return "evicted";
  return "pending";
}

interface Candidate {
  readonly workload: JsonObject;
  readonly namespace: string;
  readonly name: string;
  readonly localQueue: string;
  readonly clusterQueue: string;
  readonly priority: number;
  readonly order: number;
  readonly requests: Map<string, number>;
}

interface QueueProblem {
  readonly workload: JsonObject;
  readonly message: string;
}

export interface PendingWorkloadItem {
  readonly metadata: JsonObject;
  readonly priority: number;
  readonly localQueueName: string;
  readonly positionInClusterQueue: number;
  readonly positionInLocalQueue: number;
}

export class KueueSimulator {
  /** When each pending workload may be admitted (creation + admissionDelayMs), by uid. */
  private readonly eligibleAt = new Map<string, number>();
  /** When each admitted workload was admitted, for maximumExecutionTimeSeconds. */
  private readonly admittedAt = new Map<string, number>();

  constructor(
    private readonly store: ObjectStore,
    private readonly context: ControllerContext,
    private readonly admissionDelayMs: number,
    private readonly reportInvalid: (kind: string, object: JsonObject) => boolean,
  ) {}

  reconcile(): void {
    this.createWorkloads();
    this.finishWorkloads();
    this.deactivate();
    this.schedule();
    this.syncJobs();
    this.updateQueueStatus();
  }

  private workloadOf(job: JsonObject): JsonObject | undefined {
    const uid = stringAt(job, "metadata", "uid");
    return this.store
      .list(WORKLOADS, stringAt(job, "metadata", "namespace"))
      .find((workload) => stringMapAt(workload, "metadata", "labels")[JOB_UID_LABEL] === uid);
  }

  private jobOf(workload: JsonObject): JsonObject | undefined {
    const reference = arrayAt(workload, "metadata", "ownerReferences").find(
      (each) => isRecord(each) && each.kind === "Job",
    );
    const job = this.store.get(JOBS, stringAt(workload, "metadata", "namespace"), stringAt(reference, "name") ?? "");
    return job !== undefined && stringAt(job, "metadata", "uid") === stringAt(reference, "uid") ? job : undefined;
  }

  private modifyWorkload(workload: JsonObject, change: (draft: JsonObject) => void): void {
    this.store.modify(
      WORKLOADS,
      stringAt(workload, "metadata", "namespace"),
      stringAt(workload, "metadata", "name") ?? "",
      change,
    );
  }

  private modifyJob(job: JsonObject, change: (draft: JsonObject) => void): void {
    this.store.modify(JOBS, stringAt(job, "metadata", "namespace"), stringAt(job, "metadata", "name") ?? "", change);
  }

  /** The Job integration: every queued, unfinished Job gets a Workload. */
  private createWorkloads(): void {
    for (const job of this.store.list(JOBS)) {
      if (!isKueueJob(job) || isJobFinished(job) || stringAt(job, "metadata", "deletionTimestamp") !== undefined)
        continue;
      if (this.workloadOf(job) !== undefined) continue;
      const name = stringAt(job, "metadata", "name") ?? "";
      const uid = stringAt(job, "metadata", "uid") ?? "";
      const labels = stringMapAt(job, "metadata", "labels");
      const template = clone(recordAt(job, "spec", "template") ?? {});
      // A pod set's template keeps only labels and annotations in its metadata.
      template.metadata = {
        ...(recordAt(template, "metadata", "labels") === undefined
          ? {}
          : { labels: stringMapAt(template, "metadata", "labels") }),
        ...(recordAt(template, "metadata", "annotations") === undefined
          ? {}
          : { annotations: stringMapAt(template, "metadata", "annotations") }),
      };
      const parallelism = numberAt(job, "spec", "parallelism") ?? 1;
      const completions = numberAt(job, "spec", "completions") ?? parallelism;
      const priorityClass = labels[PRIORITY_CLASS_LABEL];
      const priorityValue = priorityClass === undefined ? undefined : this.priorityValue(priorityClass);
      const maxExec = Number(labels[MAX_EXEC_TIME_LABEL]);
      const workload: JsonObject = {
        apiVersion: "kueue.x-k8s.io/v1beta2",
        kind: "Workload",
        metadata: {
          name: workloadNameFor(name, uid),
          namespace: stringAt(job, "metadata", "namespace"),
          labels: { [JOB_UID_LABEL]: uid },
          ownerReferences: [
            { apiVersion: "batch/v1", kind: "Job", name, uid, controller: true, blockOwnerDeletion: true },
          ],
        },
        spec: {
          podSets: [{ name: POD_SET, count: Math.min(parallelism, completions), template }],
          queueName: labels[QUEUE_NAME_LABEL],
          ...(priorityClass === undefined
            ? { priority: 0 }
            : {
                priorityClassRef: { group: "kueue.x-k8s.io", kind: "WorkloadPriorityClass", name: priorityClass },
                priority: priorityValue ?? 0,
              }),
          active: true,
          ...(Number.isInteger(maxExec) && maxExec > 0 ? { maximumExecutionTimeSeconds: maxExec } : {}),
        },
      };
      if (!this.reportInvalid("Workload", workload)) continue;
      const created = this.store.create(WORKLOADS, stringAt(job, "metadata", "namespace"), workload);
      this.eligibleAt.set(stringAt(created, "metadata", "uid") ?? "", Date.now() + this.admissionDelayMs);
    }
  }

  private priorityValue(className: string): number | undefined {
    return numberAt(this.store.get(WORKLOAD_PRIORITY_CLASSES, undefined, className), "value");
  }

  /** A finished Job finishes its Workload, which frees its quota. */
  private finishWorkloads(): void {
    for (const workload of this.store.list(WORKLOADS)) {
      if (stateOf(workload) === "finished") continue;
      const job = this.jobOf(workload);
      if (job === undefined || !isJobFinished(job)) continue;
      const failed = findCondition(job, "Failed");
      this.modifyWorkload(workload, (draft) => {
        setCondition(draft, {
          type: "Finished",
          status: "True",
          reason: failed === undefined ? "Succeeded" : "Failed",
          message: failed === undefined ? "Job finished successfully" : (stringAt(failed, "message") ?? "Job failed"),
        });
      });
      this.admittedAt.delete(stringAt(workload, "metadata", "uid") ?? "");
    }
  }

  /** `spec.active: false` evicts (reason Deactivated) and takes the workload out of the queue; `true` requeues it. */
  private deactivate(): void {
    const now = Date.now();
    for (const workload of this.store.list(WORKLOADS)) {
      const state = stateOf(workload);
      const uid = stringAt(workload, "metadata", "uid") ?? "";
      const active = at(workload, "spec", "active") !== false;
      if (state === "admitted" && !active) {
        this.evictWorkload(workload, "Deactivated", "The workload is deactivated", false);
      } else if (state === "admitted") {
        const limit = numberAt(workload, "spec", "maximumExecutionTimeSeconds");
        const since = this.admittedAt.get(uid);
        if (limit !== undefined && since !== undefined) {
          if (now >= since + limit * 1000) {
            this.modifyWorkload(workload, (draft) => {
              (draft.spec as JsonObject).active = false;
            });
            const current = this.store.get(
              WORKLOADS,
              stringAt(workload, "metadata", "namespace"),
              stringAt(workload, "metadata", "name") ?? "",
            );
            if (current !== undefined) {
              this.evictWorkload(current, "Deactivated", "exceeding the maximum execution time", false);
            }
          } else this.context.wakeAt(since + limit * 1000);
        }
      } else if (state === "inactive" && !conditionIs(workload, "Evicted")) {
        this.modifyWorkload(workload, (draft) => {
          setCondition(draft, {
            type: "QuotaReserved",
            status: "False",
            reason: "Inactive",
            message: "The workload is deactivated",
          });
          setCondition(draft, {
            type: "Evicted",
            status: "True",
            reason: "Deactivated",
            message: "The workload is deactivated",
          });
          setCondition(draft, {
            type: "Requeued",
            status: "False",
            reason: "Deactivated",
            message: "The workload is deactivated",
          });
        });
      } else if (
        state === "evicted" &&
        active &&
        stringAt(findCondition(workload, "Evicted"), "reason") === "Deactivated"
      ) {
        // Reactivated: back in the queue.
        this.modifyWorkload(workload, (draft) => {
          removeCondition(draft, "Evicted");
          setCondition(draft, {
            type: "Requeued",
            status: "True",
            reason: "Activated",
            message: "The workload was reactivated",
          });
        });
        this.eligibleAt.set(uid, now + this.admissionDelayMs);
      }
    }
  }

  /**
   * Evicts an admitted workload: Evicted=True, quota released, the Job suspended (so its pods are deleted).
   * `requeue` marks it Requeued, as Kueue does after a preemption; this simulator does not admit it again.
   */
  evictWorkload(workload: JsonObject, reason: string, message: string, requeue: boolean): void {
    const uid = stringAt(workload, "metadata", "uid") ?? "";
    const admitted = this.admittedAt.get(uid);
    this.admittedAt.delete(uid);
    this.modifyWorkload(workload, (draft) => {
      const status = isRecord(draft.status) ? draft.status : {};
      draft.status = status;
      delete status.admission;
      setCondition(draft, { type: "Evicted", status: "True", reason, message });
      if (reason === "Preempted") {
        setCondition(draft, { type: "Preempted", status: "True", reason: "InClusterQueue", message });
      }
      setCondition(draft, { type: "QuotaReserved", status: "False", reason, message });
      setCondition(draft, {
        type: "Admitted",
        status: "False",
        reason: "NoReservation",
        message: "The workload has no reservation",
      });
      setCondition(draft, {
        type: "Requeued",
        status: requeue ? "True" : "False",
        reason,
        message: requeue ? `Requeued after eviction: ${message}` : message,
      });
      if (requeue) status.requeueState = { count: (numberAt(status, "requeueState", "count") ?? 0) + 1 };
      if (admitted !== undefined) {
        status.accumulatedPastExecutionTimeSeconds =
          (numberAt(status, "accumulatedPastExecutionTimeSeconds") ?? 0) + Math.round((Date.now() - admitted) / 1000);
      }
      const evictions = arrayAt(status, "schedulingStats", "evictions").filter(isRecord);
      const existing = evictions.find((each) => each.reason === reason);
      if (existing !== undefined) existing.count = (numberAt(existing, "count") ?? 0) + 1;
      else evictions.push({ reason, underlyingCause: "", count: 1 });
      status.schedulingStats = { evictions };
    });
    const job = this.jobOf(workload);
    if (job !== undefined) {
      this.modifyJob(job, (draft) => {
        (draft.spec as JsonObject).suspend = true;
      });
    }
    this.context.trigger();
  }

  /** `evict(jobName)` of the test API: the Workload of the newest Job of that name, in any namespace. */
  evictJob(jobName: string, reason: string): void {
    const job = this.store.list(JOBS).find((each) => stringAt(each, "metadata", "name") === jobName);
    const workload = job === undefined ? undefined : this.workloadOf(job);
    if (workload === undefined) throw new Error(`no Workload for Job ${jobName}`);
    if (stateOf(workload) !== "admitted") throw new Error(`the Workload of Job ${jobName} is not admitted`);
    const message =
      reason === "Preempted"
        ? "Preempted to accommodate a higher priority Workload"
        : `Evicted by the test (${reason})`;
    this.evictWorkload(workload, reason, message, true);
  }

  /** Keeps each Kueue Job suspended exactly while its Workload is not admitted (Kueue's job reconciler). */
  private syncJobs(): void {
    for (const job of this.store.list(JOBS)) {
      if (!isKueueJob(job) || isJobFinished(job)) continue;
      const workload = this.workloadOf(job);
      const admitted = workload !== undefined && stateOf(workload) === "admitted";
      const suspended = at(job, "spec", "suspend") === true;
      if (admitted === !suspended) continue;
      const flavorLabels = admitted ? this.nodeLabelsFor(workload) : {};
      this.modifyJob(job, (draft) => {
        const spec = draft.spec as JsonObject;
        spec.suspend = !admitted;
        if (admitted) {
          // On start Kueue injects the flavor's node labels and names the pod set and workload on the template.
          const template = isRecord(spec.template) ? spec.template : {};
          const metadata = isRecord(template.metadata) ? template.metadata : {};
          template.metadata = metadata;
          metadata.labels = { ...stringMapAt(metadata, "labels"), "kueue.x-k8s.io/podset": POD_SET };
          metadata.annotations = {
            ...stringMapAt(metadata, "annotations"),
            "kueue.x-k8s.io/workload": stringAt(workload, "metadata", "name") ?? "",
          };
          const podSpec = isRecord(template.spec) ? template.spec : {};
          if (Object.keys(flavorLabels).length > 0) {
            podSpec.nodeSelector = { ...stringMapAt(podSpec, "nodeSelector"), ...flavorLabels };
          }
        }
      });
    }
  }

  private nodeLabelsFor(workload: JsonObject | undefined): Record<string, string> {
    const labels: Record<string, string> = {};
    const assignment = arrayAt(workload, "status", "admission", "podSetAssignments")[0];
    for (const flavor of new Set(Object.values(stringMapAt(assignment, "flavors")))) {
      Object.assign(labels, stringMapAt(this.store.get(RESOURCE_FLAVORS, undefined, flavor), "spec", "nodeLabels"));
    }
    return labels;
  }

  /** Why a ClusterQueue admits nothing (missing flavor, stop policy), or undefined when it is active. */
  private inactiveReason(clusterQueue: JsonObject): { reason: string; message: string } | undefined {
    const stopPolicy = stringAt(clusterQueue, "spec", "stopPolicy") ?? "None";
    if (stopPolicy !== "None") return { reason: "Stopped", message: "Can't admit new workloads: is stopped" };
    for (const group of arrayAt(clusterQueue, "spec", "resourceGroups")) {
      for (const flavor of arrayAt(group, "flavors")) {
        const name = stringAt(flavor, "name") ?? "";
        if (this.store.get(RESOURCE_FLAVORS, undefined, name) === undefined) {
          return {
            reason: "FlavorNotFound",
            message: `Can't admit new workloads: references missing ResourceFlavor(s): ${name}`,
          };
        }
      }
    }
    return undefined;
  }

  /** Pending workloads, split into those queued in a ClusterQueue (in admission order) and the inadmissible. */
  private queues(): { queued: Map<string, Candidate[]>; inadmissible: QueueProblem[] } {
    const queued = new Map<string, Candidate[]>();
    const inadmissible: QueueProblem[] = [];
    for (const workload of this.store.list(WORKLOADS)) {
      if (stateOf(workload) !== "pending") continue;
      const namespace = stringAt(workload, "metadata", "namespace") ?? "";
      const queueName = stringAt(workload, "spec", "queueName") ?? "";
      const localQueue = this.store.get(LOCAL_QUEUES, namespace, queueName);
      if (localQueue === undefined) {
        inadmissible.push({ workload, message: `LocalQueue ${queueName} doesn't exist` });
        continue;
      }
      if ((stringAt(localQueue, "spec", "stopPolicy") ?? "None") !== "None") {
        inadmissible.push({ workload, message: `LocalQueue ${queueName} is inactive` });
        continue;
      }
      const clusterQueueName = stringAt(localQueue, "spec", "clusterQueue") ?? "";
      const clusterQueue = this.store.get(CLUSTER_QUEUES, undefined, clusterQueueName);
      if (clusterQueue === undefined) {
        inadmissible.push({ workload, message: `ClusterQueue ${clusterQueueName} doesn't exist` });
        continue;
      }
      if (this.inactiveReason(clusterQueue) !== undefined) {
        inadmissible.push({ workload, message: `ClusterQueue ${clusterQueueName} is inactive` });
        continue;
      }
      const namespaceLabels = { "kubernetes.io/metadata.name": namespace };
      if (!matchesLabelSelectorObject(at(clusterQueue, "spec", "namespaceSelector"), namespaceLabels)) {
        inadmissible.push({ workload, message: "Workload namespace doesn't match ClusterQueue selector" });
        continue;
      }
      const className = stringAt(workload, "spec", "priorityClassRef", "name");
      let priority = numberAt(workload, "spec", "priority") ?? 0;
      if (className !== undefined) {
        const value = this.priorityValue(className);
        if (value === undefined) {
          inadmissible.push({ workload, message: `WorkloadPriorityClass ${className} doesn't exist` });
          continue;
        }
        priority = value;
      }
      const requests = new Map<string, number>();
      for (const podSet of arrayAt(workload, "spec", "podSets")) {
        for (const [name, value] of podSetRequests(podSet)) requests.set(name, (requests.get(name) ?? 0) + value);
      }
      const coversPods = arrayAt(clusterQueue, "spec", "resourceGroups").some((group) =>
        arrayAt(group, "coveredResources").includes("pods"),
      );
      if (coversPods) {
        const pods = arrayAt(workload, "spec", "podSets").reduce<number>(
          (sum, podSet) => sum + (numberAt(podSet, "count") ?? 1),
          0,
        );
        requests.set("pods", pods);
      }
      const list = queued.get(clusterQueueName) ?? [];
      list.push({
        workload,
        namespace,
        name: stringAt(workload, "metadata", "name") ?? "",
        localQueue: queueName,
        clusterQueue: clusterQueueName,
        priority,
        order: this.store.creationOrder(stringAt(workload, "metadata", "uid") ?? ""),
        requests,
      });
      queued.set(clusterQueueName, list);
    }
    for (const list of queued.values()) list.sort((a, b) => b.priority - a.priority || a.order - b.order);
    return { queued, inadmissible };
  }

  /** Quota in use in a ClusterQueue, by flavor and resource: its admitted, unfinished workloads. */
  private usage(clusterQueueName: string): Usage {
    const usage: Usage = new Map();
    for (const workload of this.store.list(WORKLOADS)) {
      if (stateOf(workload) !== "admitted") continue;
      if (stringAt(workload, "status", "admission", "clusterQueue") !== clusterQueueName) continue;
      for (const assignment of arrayAt(workload, "status", "admission", "podSetAssignments")) {
        const flavors = stringMapAt(assignment, "flavors");
        for (const [resource, value] of Object.entries(recordAt(assignment, "resourceUsage") ?? {})) {
          const flavor = flavors[resource];
          const quantity = parseQuantity(value);
          if (flavor !== undefined && quantity !== undefined) addUsage(usage, flavor, resource, quantity);
        }
      }
    }
    return usage;
  }

  private setPending(workload: JsonObject, reason: string, message: string, requests?: Map<string, number>): void {
    if (
      findCondition(workload, "QuotaReserved")?.message === message &&
      stringAt(findCondition(workload, "QuotaReserved"), "reason") === reason
    ) {
      return;
    }
    this.modifyWorkload(workload, (draft) => {
      setCondition(draft, { type: "QuotaReserved", status: "False", reason, message });
      if (requests !== undefined) {
        const resources: Record<string, string> = {};
        for (const [name, value] of requests) resources[name] = formatQuantity(value);
        (draft.status as JsonObject).resourceRequests = [{ name: POD_SET, resources }];
      }
    });
  }

  private admit(candidate: Candidate, assignment: Assignment): void {
    const resourceUsage: Record<string, string> = {};
    for (const [name, value] of assignment.usage) resourceUsage[name] = formatQuantity(value);
    const count = numberAt(arrayAt(candidate.workload, "spec", "podSets")[0], "count") ?? 1;
    this.modifyWorkload(candidate.workload, (draft) => {
      const status = isRecord(draft.status) ? draft.status : {};
      draft.status = status;
      delete status.resourceRequests;
      status.admission = {
        clusterQueue: candidate.clusterQueue,
        podSetAssignments: [{ name: POD_SET, flavors: assignment.flavors, resourceUsage, count }],
      };
      setCondition(draft, {
        type: "QuotaReserved",
        status: "True",
        reason: "QuotaReserved",
        message: `Quota reserved in ClusterQueue ${candidate.clusterQueue}`,
      });
      setCondition(draft, {
        type: "Admitted",
        status: "True",
        reason: "Admitted",
        message: "The workload is admitted",
      });
    });
    this.admittedAt.set(stringAt(candidate.workload, "metadata", "uid") ?? "", Date.now());
    this.eligibleAt.delete(stringAt(candidate.workload, "metadata", "uid") ?? "");
  }

  /** One scheduling pass: the inadmissible are told why; each ClusterQueue admits what fits, in order. */
  private schedule(): void {
    const { queued, inadmissible } = this.queues();
    for (const { workload, message } of inadmissible) this.setPending(workload, "Inadmissible", message);
    const now = Date.now();
    for (const [clusterQueueName, candidates] of queued) {
      const clusterQueue = this.store.get(CLUSTER_QUEUES, undefined, clusterQueueName);
      if (clusterQueue === undefined) continue;
      const strict = stringAt(clusterQueue, "spec", "queueingStrategy") === "StrictFIFO";
      const used = this.usage(clusterQueueName);
      let blockedBy: string | undefined;
      for (const candidate of candidates) {
        const uid = stringAt(candidate.workload, "metadata", "uid") ?? "";
        if (numberAt(candidate.workload, "spec", "priority") !== candidate.priority) {
          // Created while its priority class was missing: the priority comes from the class once it exists.
          this.modifyWorkload(candidate.workload, (draft) => {
            (draft.spec as JsonObject).priority = candidate.priority;
          });
        }
        if (blockedBy !== undefined) {
          this.setPending(
            candidate.workload,
            "Pending",
            `Workload is waiting behind ${blockedBy} (StrictFIFO)`,
            candidate.requests,
          );
          continue;
        }
        const assignment = assignFlavors(clusterQueue, candidate.requests, used);
        if (typeof assignment === "string") {
          this.setPending(
            candidate.workload,
            "Pending",
            `couldn't assign flavors to pod set ${POD_SET}: ${assignment}`,
            candidate.requests,
          );
          if (strict) blockedBy = candidate.name;
          continue;
        }
        for (const [resource, amount] of assignment.usage) {
          addUsage(used, assignment.flavors[resource] ?? "", resource, amount);
        }
        const eligible = this.eligibleAt.get(uid) ?? now;
        if (eligible <= now) this.admit(candidate, assignment);
        else {
          // Fits, but the admission delay keeps it queued (its quota held, so that order is kept) until then.
          this.setPending(
            candidate.workload,
            "Pending",
            "Workload is waiting for the scheduler (admission delay)",
            candidate.requests,
          );
          this.context.wakeAt(eligible);
        }
      }
    }
  }

  /** Counters and usage on ClusterQueues and LocalQueues, as Kueue reports them. */
  private updateQueueStatus(): void {
    const workloads = this.store.list(WORKLOADS);
    const localQueueOf = (workload: JsonObject): JsonObject | undefined =>
      this.store.get(
        LOCAL_QUEUES,
        stringAt(workload, "metadata", "namespace"),
        stringAt(workload, "spec", "queueName") ?? "",
      );
    for (const clusterQueue of this.store.list(CLUSTER_QUEUES)) {
      const name = stringAt(clusterQueue, "metadata", "name") ?? "";
      const mine = workloads.filter((workload) => stringAt(localQueueOf(workload), "spec", "clusterQueue") === name);
      const admitted = mine.filter((workload) => stateOf(workload) === "admitted").length;
      const pending = mine.filter((workload) => ["pending", "evicted"].includes(stateOf(workload))).length;
      const inactive = this.inactiveReason(clusterQueue);
      const usage = this.flavorUsage(clusterQueue, this.usage(name), true);
      this.store.modify(CLUSTER_QUEUES, undefined, name, (draft) => {
        const status = isRecord(draft.status) ? draft.status : {};
        draft.status = status;
        status.pendingWorkloads = pending;
        status.reservingWorkloads = admitted;
        status.admittedWorkloads = admitted;
        status.flavorsReservation = usage;
        status.flavorsUsage = usage;
        setCondition(draft, {
          type: "Active",
          status: inactive === undefined ? "True" : "False",
          reason: inactive?.reason ?? "Ready",
          message: inactive?.message ?? "Can admit new workloads",
        });
      });
    }
    for (const localQueue of this.store.list(LOCAL_QUEUES)) {
      const namespace = stringAt(localQueue, "metadata", "namespace") ?? "";
      const name = stringAt(localQueue, "metadata", "name") ?? "";
      const mine = workloads.filter(
        (workload) =>
          stringAt(workload, "metadata", "namespace") === namespace && stringAt(workload, "spec", "queueName") === name,
      );
      const admittedWorkloads = mine.filter((workload) => stateOf(workload) === "admitted");
      const usage: Usage = new Map();
      for (const workload of admittedWorkloads) {
        for (const assignment of arrayAt(workload, "status", "admission", "podSetAssignments")) {
          const flavors = stringMapAt(assignment, "flavors");
          for (const [resource, value] of Object.entries(recordAt(assignment, "resourceUsage") ?? {})) {
            addUsage(usage, flavors[resource] ?? "", resource, parseQuantity(value) ?? 0);
          }
        }
      }
      const clusterQueueName = stringAt(localQueue, "spec", "clusterQueue") ?? "";
      const clusterQueue = this.store.get(CLUSTER_QUEUES, undefined, clusterQueueName);
      const flavorUsage = clusterQueue === undefined ? [] : this.flavorUsage(clusterQueue, usage, false);
      const stopped = (stringAt(localQueue, "spec", "stopPolicy") ?? "None") !== "None";
      const condition =
        clusterQueue === undefined
          ? {
              status: "False" as const,
              reason: "ClusterQueueDoesNotExist",
              message: "Can't submit new workloads to clusterQueue",
            }
          : stopped
            ? { status: "False" as const, reason: "Stopped", message: "LocalQueue is stopped" }
            : this.inactiveReason(clusterQueue) !== undefined
              ? {
                  status: "False" as const,
                  reason: "ClusterQueueIsInactive",
                  message: "Can't submit new workloads to clusterQueue",
                }
              : { status: "True" as const, reason: "Ready", message: "Can submit new workloads to localQueue" };
      this.store.modify(LOCAL_QUEUES, namespace, name, (draft) => {
        const status = isRecord(draft.status) ? draft.status : {};
        draft.status = status;
        status.pendingWorkloads = mine.filter((workload) => ["pending", "evicted"].includes(stateOf(workload))).length;
        status.reservingWorkloads = admittedWorkloads.length;
        status.admittedWorkloads = admittedWorkloads.length;
        status.flavorsReservation = flavorUsage;
        status.flavorsUsage = flavorUsage;
        setCondition(draft, { type: "Active", ...condition });
      });
    }
  }

  private flavorUsage(clusterQueue: JsonObject, usage: Usage, withBorrowed: boolean): JsonObject[] {
    const nominal = nominalQuota(clusterQueue);
    return [...nominal].map(([flavor, resources]) => ({
      name: flavor,
      resources: [...resources.keys()].map((resource) => ({
        name: resource,
        total: formatQuantity(usage.get(flavor)?.get(resource) ?? 0),
        ...(withBorrowed ? { borrowed: "0" } : {}),
      })),
    }));
  }

  /**
   * The visibility API's pending workloads of a LocalQueue, in admission order with 0-based positions (both in the
   * ClusterQueue and in the LocalQueue). Undefined when the LocalQueue does not exist.
   */
  pendingWorkloads(namespace: string, localQueueName: string): PendingWorkloadItem[] | undefined {
    const localQueue = this.store.get(LOCAL_QUEUES, namespace, localQueueName);
    if (localQueue === undefined) return undefined;
    const candidates = this.queues().queued.get(stringAt(localQueue, "spec", "clusterQueue") ?? "") ?? [];
    return this.items(candidates).filter(
      (item) => item.localQueueName === localQueueName && stringAt(item.metadata, "namespace") === namespace,
    );
  }

  /** The same for a ClusterQueue; undefined when it does not exist. */
  clusterQueuePendingWorkloads(clusterQueueName: string): PendingWorkloadItem[] | undefined {
    if (this.store.get(CLUSTER_QUEUES, undefined, clusterQueueName) === undefined) return undefined;
    return this.items(this.queues().queued.get(clusterQueueName) ?? []);
  }

  private items(candidates: readonly Candidate[]): PendingWorkloadItem[] {
    const perLocalQueue = new Map<string, number>();
    return candidates.map((candidate, index) => {
      const key = `${candidate.namespace}/${candidate.localQueue}`;
      const inLocalQueue = perLocalQueue.get(key) ?? 0;
      perLocalQueue.set(key, inLocalQueue + 1);
      return {
        metadata: {
          name: candidate.name,
          namespace: candidate.namespace,
          creationTimestamp: stringAt(candidate.workload, "metadata", "creationTimestamp") ?? nowIso(),
          ownerReferences: arrayAt(candidate.workload, "metadata", "ownerReferences"),
        },
        priority: candidate.priority,
        localQueueName: candidate.localQueue,
        positionInClusterQueue: index,
        positionInLocalQueue: inLocalQueue,
      };
    });
  }
}
