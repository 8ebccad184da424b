import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { definedProperties } from "../../../objects/index.js";
import type { JobFailure, JobObservation } from "../../../ports/index.js";

/** The parts of a Kueue Workload the launcher reads (v1beta2). */
export interface WorkloadView {
  readonly metadata?: { readonly name?: string; readonly ownerReferences?: readonly { readonly uid?: string }[] };
  readonly status?: {
    readonly conditions?: readonly {
      readonly type?: string;
      readonly status?: string;
      readonly reason?: string;
      readonly message?: string;
    }[];
  };
}

/** A job observation plus when the job ended, so the reconciler can give the final event time to arrive. */
export type TimedObservation = JobObservation & { readonly endedAt?: string };

const IMAGE_FAILURES = new Set(["ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"]);
const CONFIGURATION_FAILURES = new Set(["CreateContainerConfigError", "CreateContainerError"]);

/**
 * What a question's Job is doing, from the Job, its Kueue Workload and its pods. Reasons that end a question are
 * looked for first (an OOM-killed pod inside a Job that Kubernetes has also marked failed should be reported as the
 * OOM kill, the cause, not as the failure), then the Job's own outcome, then admission.
 */
/**
 * The client hands a timestamp over as a `Date` (or as the API's string when it was not deserialized); observations
 * carry ISO 8601, with the API's precision.
 */
function isoTime(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const time = value instanceof Date ? value : new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

export function observeJob(
  job: V1Job,
  workload: WorkloadView | undefined,
  pods: readonly V1Pod[],
  position: number | undefined,
): TimedObservation {
  const image = job.spec?.template.spec?.containers[0]?.image ?? "(none)";
  const memory = job.spec?.template.spec?.containers[0]?.resources?.requests?.memory;
  const finished = jobCondition(job, "Complete") ?? jobCondition(job, "Failed");
  const endedAt = isoTime(finished?.lastTransitionTime) ?? isoTime(job.status?.completionTime);
  const failed = (failure: JobFailure): TimedObservation => ({
    state: "failed",
    failure,
    ...definedProperties({ endedAt }),
  });

  for (const pod of pods) {
    if (pod.status?.reason === "Evicted") {
      return failed({
        type: "Evicted",
        message: `the node evicted the service's pod: ${pod.status.message ?? ""}`.trim(),
      });
    }
    for (const status of pod.status?.containerStatuses ?? []) {
      const waiting = status.state?.waiting;
      if (waiting?.reason !== undefined && IMAGE_FAILURES.has(waiting.reason)) {
        return failed({
          type: "ImageUnavailable",
          message: `the service's image ${image} could not be pulled (${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}); check that it was pushed and that the cluster may read the repository`,
        });
      }
      if (waiting?.reason !== undefined && CONFIGURATION_FAILURES.has(waiting.reason)) {
        return failed({
          type: "JobFailed",
          message: `the service's container could not be created (${waiting.reason}: ${waiting.message ?? ""})`,
        });
      }
      const terminated = status.state?.terminated ?? status.lastState?.terminated;
      if (terminated?.reason === "OOMKilled") {
        return failed({
          type: "OutOfMemory",
          message: `the service ran out of memory and was killed (exit code ${terminated.exitCode}); it requested ${memory ?? "the default memory"}: ask with more memory`,
        });
      }
    }
  }

  const evicted = workloadCondition(workload, "Evicted");
  if (evicted?.status === "True") {
    return failed({
      type: "Evicted",
      message: `Kueue evicted the job (${evicted.reason ?? "unknown reason"}${evicted.message ? `: ${evicted.message}` : ""})`,
    });
  }
  const failedCondition = jobCondition(job, "Failed");
  if (failedCondition !== undefined) {
    if (failedCondition.reason === "DeadlineExceeded") {
      return failed({
        type: "DeadlineExceeded",
        message: `the job ran past its deadline of ${job.spec?.activeDeadlineSeconds ?? "?"} s and was stopped`,
      });
    }
    const exitCode = pods
      .flatMap((pod) => pod.status?.containerStatuses ?? [])
      .map((status) => status.state?.terminated?.exitCode)
      .find((code) => code !== undefined);
    return failed({
      type: "JobFailed",
      message: `the job failed (${failedCondition.reason ?? "unknown reason"}${exitCode === undefined ? "" : `, exit code ${exitCode}`}${failedCondition.message ? `: ${failedCondition.message}` : ""})`,
    });
  }
  if (jobCondition(job, "Complete") !== undefined) {
    return { state: "succeeded", ...definedProperties({ endedAt }) };
  }

  const reserved = workloadCondition(workload, "QuotaReserved");
  if (reserved?.status === "False" && reserved.reason === "Inadmissible") {
    return failed({
      type: "Inadmissible",
      message: `Kueue cannot admit the job: ${reserved.message ?? "no reason given"}; check the network's LocalQueue and WorkloadPriorityClasses`,
    });
  }
  const admitted = workloadCondition(workload, "Admitted")?.status === "True";
  if (job.spec?.suspend === false && (admitted || workload === undefined)) return { state: "running" };
  return {
    state: "queued",
    ...definedProperties({ position }),
    ...(reserved?.message === undefined ? {} : { detail: reserved.message }),
  };
}

function jobCondition(job: V1Job, type: string) {
  return job.status?.conditions?.find((condition) => condition.type === type && condition.status === "True");
}

function workloadCondition(workload: WorkloadView | undefined, type: string) {
  return workload?.status?.conditions?.find((condition) => condition.type === type);
}
