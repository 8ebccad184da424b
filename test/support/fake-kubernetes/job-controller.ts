/**
 * The batch/v1 Job controller (NonIndexed completion: up to `parallelism` pods until `completions` succeed), plus the
 * apiserver's defaulting of Jobs and the TTL-after-finished controller.
 *
 * Simplified: a failed pod is replaced at once (no exponential back-off), `restartPolicy: OnFailure` is treated like
 * `Never` (a new pod rather than a restarted container), and `podFailurePolicy`/`successPolicy` are not applied.
 */
import { conditionIs, findCondition, setCondition } from "./conditions.js";
import { deleteWithPropagation } from "./deletion.js";
import {
  arrayAt,
  clone,
  isRecord,
  type JsonObject,
  nowIso,
  numberAt,
  recordAt,
  stringAt,
  stringMapAt,
} from "./json.js";
import type { ObjectStore, StoreEvent } from "./object-store.js";
import { JOBS, PODS } from "./resources.js";
import { validatePod } from "./schemas.js";
import type { ControllerContext } from "./types.js";

const ACTIVE_PHASES = new Set(["Pending", "Running", undefined]);

export function isJobFinished(job: unknown): boolean {
  return conditionIs(job, "Complete") || conditionIs(job, "Failed");
}

/** Pod labels the Job controller relies on (the apiserver adds them to the template and the selector). */
export function jobPodLabels(name: string, uid: string): Record<string, string> {
  return {
    "batch.kubernetes.io/controller-uid": uid,
    "batch.kubernetes.io/job-name": name,
    "controller-uid": uid,
    "job-name": name,
  };
}

/** Container defaults the apiserver fills in, so that stored objects look like a real cluster's. */
function defaultContainer(container: unknown): unknown {
  if (!isRecord(container)) return container;
  const image = typeof container.image === "string" ? container.image : "";
  const tag = image.includes("@") ? "digest" : (/:([^/:]+)$/.exec(image)?.[1] ?? "latest");
  return {
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    imagePullPolicy: tag === "latest" ? "Always" : "IfNotPresent",
    resources: {},
    ...container,
  };
}

function defaultPodSpec(spec: JsonObject): void {
  spec.containers = arrayAt(spec, "containers").map(defaultContainer);
  if (Array.isArray(spec.initContainers)) spec.initContainers = spec.initContainers.map(defaultContainer);
  spec.dnsPolicy ??= "ClusterFirst";
  spec.schedulerName ??= "default-scheduler";
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
}

/** The apiserver's defaulting of a new Job (after validation, once uid and name are known). */
export function defaultJob(job: JsonObject): void {
  const name = stringAt(job, "metadata", "name") ?? "";
  const uid = stringAt(job, "metadata", "uid") ?? "";
  const spec = isRecord(job.spec) ? job.spec : {};
  job.spec = spec;
  spec.backoffLimit ??= 6;
  spec.completions ??= 1;
  spec.parallelism ??= 1;
  spec.completionMode ??= "NonIndexed";
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= "TerminatingOrFailed";
  const template = isRecord(spec.template) ? spec.template : {};
  spec.template = template;
  const templateMetadata = isRecord(template.metadata) ? template.metadata : {};
  template.metadata = templateMetadata;
  templateMetadata.labels = { ...stringMapAt(templateMetadata, "labels"), ...jobPodLabels(name, uid) };
  if (spec.selector === undefined) spec.selector = { matchLabels: { "batch.kubernetes.io/controller-uid": uid } };
  if (isRecord(template.spec)) defaultPodSpec(template.spec);
  job.status = {};
}

export class JobController {
  /** Pods the controller deletes itself (suspension, finish): their deletion is not a failure. */
  private readonly deleting = new Set<string>();
  /** Terminal pods already added to their Job's succeeded/failed counts. */
  private readonly counted = new Set<string>();
  /** Precise start and finish times by Job uid (status times have whole seconds). */
  private readonly startedAt = new Map<string, number>();
  private readonly finishedAt = new Map<string, number>();

  constructor(
    private readonly store: ObjectStore,
    private readonly context: ControllerContext,
  ) {}

  reconcile(): void {
    for (const job of this.store.list(JOBS)) this.sync(job);
  }

  /** A pod deleted while it ran, by anyone but this controller, counts as failed, as in Kubernetes. */
  onEvent(event: StoreEvent): void {
    if (event.resource !== PODS || event.type !== "DELETED") return;
    const uid = stringAt(event.object, "metadata", "uid") ?? "";
    if (this.deleting.delete(uid) || this.counted.has(uid)) return;
    if (!ACTIVE_PHASES.has(stringAt(event.object, "status", "phase"))) return;
    const owner = this.ownerJob(event.object);
    if (owner === undefined || isJobFinished(owner) || stringAt(owner, "metadata", "deletionTimestamp") !== undefined) {
      return;
    }
    this.counted.add(uid);
    this.store.modify(
      JOBS,
      stringAt(owner, "metadata", "namespace"),
      stringAt(owner, "metadata", "name") ?? "",
      (draft) => {
        const status = draft.status as JsonObject;
        status.failed = (numberAt(status, "failed") ?? 0) + 1;
      },
    );
    this.context.trigger();
  }

  private ownerJob(pod: JsonObject): JsonObject | undefined {
    const reference = arrayAt(pod, "metadata", "ownerReferences").find(
      (each) => isRecord(each) && each.kind === "Job" && each.controller === true,
    );
    const name = stringAt(reference, "name");
    if (name === undefined) return undefined;
    const job = this.store.get(JOBS, stringAt(pod, "metadata", "namespace"), name);
    return stringAt(job, "metadata", "uid") === stringAt(reference, "uid") ? job : undefined;
  }

  private podsOf(job: JsonObject): JsonObject[] {
    const uid = stringAt(job, "metadata", "uid");
    return this.store
      .list(PODS, stringAt(job, "metadata", "namespace"))
      .filter((pod) => arrayAt(pod, "metadata", "ownerReferences").some((each) => isRecord(each) && each.uid === uid));
  }

  private deletePods(pods: readonly JsonObject[]): void {
    for (const pod of pods) {
      const uid = stringAt(pod, "metadata", "uid") ?? "";
      // The kubelet stops the container when it sees the deletion.
      this.deleting.add(uid);
      this.store.delete(PODS, stringAt(pod, "metadata", "namespace"), stringAt(pod, "metadata", "name") ?? "");
    }
  }

  private sync(job: JsonObject): void {
    const namespace = stringAt(job, "metadata", "namespace");
    const name = stringAt(job, "metadata", "name") ?? "";
    const uid = stringAt(job, "metadata", "uid") ?? "";
    if (stringAt(job, "metadata", "deletionTimestamp") !== undefined) return;
    // A Job managed by another controller (spec.managedBy) is left alone, as the real controller does.
    const managedBy = stringAt(job, "spec", "managedBy");
    if (managedBy !== undefined && managedBy !== "kubernetes.io/job-controller") return;
    const update = (change: (draft: JsonObject, status: JsonObject) => void): void => {
      this.store.modify(JOBS, namespace, name, (draft) => {
        const status = isRecord(draft.status) ? draft.status : {};
        draft.status = status;
        change(draft, status);
      });
    };
    const pods = this.podsOf(job);
    const active = pods.filter((pod) => ACTIVE_PHASES.has(stringAt(pod, "status", "phase")));

    // Count pods that ended since the last pass.
    const ended = pods.filter(
      (pod) =>
        !ACTIVE_PHASES.has(stringAt(pod, "status", "phase")) &&
        !this.counted.has(stringAt(pod, "metadata", "uid") ?? ""),
    );
    if (ended.length > 0) {
      for (const pod of ended) this.counted.add(stringAt(pod, "metadata", "uid") ?? "");
      update((_draft, status) => {
        for (const pod of ended) {
          const key = stringAt(pod, "status", "phase") === "Succeeded" ? "succeeded" : "failed";
          status[key] = (numberAt(status, key) ?? 0) + 1;
        }
      });
      job = this.store.get(JOBS, namespace, name) ?? job;
    }

    if (isJobFinished(job)) {
      if (active.length > 0) this.deletePods(active);
      this.expireAfterFinish(job, uid);
      return;
    }

    if (job.spec !== undefined && recordAt(job, "spec")?.suspend === true) {
      if (active.length > 0) this.deletePods(active);
      update((draft, status) => {
        status.active = 0;
        status.ready = 0;
        setCondition(
          draft,
          { type: "Suspended", status: "True", reason: "JobSuspended", message: "Job suspended" },
          "job",
        );
      });
      return;
    }

    const now = Date.now();
    if (conditionIs(job, "Suspended")) {
      // Resuming restarts the activeDeadlineSeconds clock.
      this.startedAt.set(uid, now);
      update((draft, status) => {
        setCondition(
          draft,
          { type: "Suspended", status: "False", reason: "JobResumed", message: "Job resumed" },
          "job",
        );
        status.startTime = nowIso();
      });
      job = this.store.get(JOBS, namespace, name) ?? job;
    } else if (stringAt(job, "status", "startTime") === undefined) {
      this.startedAt.set(uid, now);
      update((_draft, status) => {
        status.startTime = nowIso();
      });
      job = this.store.get(JOBS, namespace, name) ?? job;
    }

    const succeeded = numberAt(job, "status", "succeeded") ?? 0;
    const failed = numberAt(job, "status", "failed") ?? 0;
    const completions = numberAt(job, "spec", "completions") ?? 1;
    const backoffLimit = numberAt(job, "spec", "backoffLimit") ?? 6;
    const deadline = numberAt(job, "spec", "activeDeadlineSeconds");
    const parsedStart = Date.parse(stringAt(job, "status", "startTime") ?? "");
    const started = this.startedAt.get(uid) ?? (Number.isNaN(parsedStart) ? now : parsedStart);

    if (succeeded >= completions) {
      this.finish(
        job,
        active,
        "SuccessCriteriaMet",
        "Complete",
        "CompletionsReached",
        "Reached expected number of succeeded pods",
      );
    } else if (failed > backoffLimit) {
      this.finish(
        job,
        active,
        "FailureTarget",
        "Failed",
        "BackoffLimitExceeded",
        "Job has reached the specified backoff limit",
      );
    } else if (deadline !== undefined && now >= started + deadline * 1000) {
      this.finish(
        job,
        active,
        "FailureTarget",
        "Failed",
        "DeadlineExceeded",
        "Job was active longer than specified deadline",
      );
    } else {
      if (deadline !== undefined) this.context.wakeAt(started + deadline * 1000);
      const parallelism = numberAt(job, "spec", "parallelism") ?? 1;
      const wanted = Math.min(parallelism, completions - succeeded) - active.length;
      for (let created = 0; created < wanted; created++) this.createPod(job);
      const pods = this.podsOf(job).filter((pod) => ACTIVE_PHASES.has(stringAt(pod, "status", "phase")));
      const ready = pods.filter((pod) =>
        arrayAt(pod, "status", "conditions").some(
          (each) => isRecord(each) && each.type === "Ready" && each.status === "True",
        ),
      ).length;
      update((_draft, status) => {
        status.active = pods.length;
        status.ready = ready;
        status.terminating = 0;
        status.uncountedTerminatedPods = {};
      });
    }
  }

  /** Sets the target condition, stops what still runs, then the final condition, as the real controller does. */
  private finish(
    job: JsonObject,
    active: readonly JsonObject[],
    target: string,
    final: string,
    reason: string,
    message: string,
  ): void {
    const namespace = stringAt(job, "metadata", "namespace");
    const name = stringAt(job, "metadata", "name") ?? "";
    const uid = stringAt(job, "metadata", "uid") ?? "";
    this.store.modify(JOBS, namespace, name, (draft) => {
      setCondition(draft, { type: target, status: "True", reason, message }, "job");
    });
    if (active.length > 0) this.deletePods(active);
    this.finishedAt.set(uid, Date.now());
    this.store.modify(JOBS, namespace, name, (draft) => {
      const status = draft.status as JsonObject;
      if (final === "Failed") status.failed = (numberAt(status, "failed") ?? 0) + active.length;
      status.active = 0;
      status.ready = 0;
      status.terminating = 0;
      status.uncountedTerminatedPods = {};
      if (final === "Complete") status.completionTime = nowIso();
      setCondition(draft, { type: final, status: "True", reason, message }, "job");
    });
    const finished = this.store.get(JOBS, namespace, name);
    if (finished !== undefined) this.expireAfterFinish(finished, uid);
    this.context.trigger();
  }

  /** The TTL-after-finished controller: deletes the Job (foreground, so its dependents go too) when its time is up. */
  private expireAfterFinish(job: JsonObject, uid: string): void {
    const ttl = numberAt(job, "spec", "ttlSecondsAfterFinished");
    if (ttl === undefined) return;
    const finishedCondition = findCondition(job, "Complete") ?? findCondition(job, "Failed");
    const finished = this.finishedAt.get(uid) ?? Date.parse(stringAt(finishedCondition, "lastTransitionTime") ?? "");
    const expiry = (Number.isNaN(finished) ? Date.now() : finished) + ttl * 1000;
    if (Date.now() >= expiry) {
      deleteWithPropagation(
        this.store,
        JOBS,
        stringAt(job, "metadata", "namespace"),
        stringAt(job, "metadata", "name") ?? "",
        "Foreground",
      );
      this.finishedAt.delete(uid);
      this.startedAt.delete(uid);
    } else this.context.wakeAt(expiry);
  }

  private createPod(job: JsonObject): void {
    const name = stringAt(job, "metadata", "name") ?? "";
    const namespace = stringAt(job, "metadata", "namespace") ?? "";
    const uid = stringAt(job, "metadata", "uid") ?? "";
    const template = clone(recordAt(job, "spec", "template") ?? {});
    const templateMetadata = recordAt(template, "metadata") ?? {};
    const spec = recordAt(template, "spec") ?? {};
    defaultPodSpec(spec);
    spec.restartPolicy ??= "Never";
    const pod: JsonObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        generateName: `${name}-`,
        namespace,
        labels: { ...stringMapAt(templateMetadata, "labels"), ...jobPodLabels(name, uid) },
        annotations: { ...stringMapAt(templateMetadata, "annotations"), "batch.kubernetes.io/job-tracking": "" },
        ownerReferences: [
          { apiVersion: "batch/v1", kind: "Job", name, uid, controller: true, blockOwnerDeletion: true },
        ],
      },
      spec,
      status: { phase: "Pending", qosClass: "BestEffort" },
    };
    const problems = validatePod(pod);
    if (problems.length > 0) {
      this.context.reportError(new Error(`the fake made an invalid Pod for Job ${name}: ${JSON.stringify(problems)}`));
      return;
    }
    this.store.create(PODS, namespace, pod);
  }
}
