import type { protos } from "@google-cloud/run";
import { definedProperties } from "../../../objects/index.js";
import type { JobContainer } from "../../../ports/index.js";
import { cloudRunJobId, labelValue } from "./job-names.js";

export type Job = protos.google.cloud.run.v2.IJob;

/** Labels on every job (and, through the job's template, every execution) the launcher creates. */
export const LABELS = { managedBy: "managed-by", revision: "twined-revision" } as const;
export const MANAGED_BY = "twined";
/** Annotation with the exact SRUID, which the `twined-revision` label can only approximate. */
export const SRUID_ANNOTATION = "twined.octue.com/sruid";
/** The job's task timeout unless configured: a day, the longest Cloud Run allows outside Preview (up to 7 days). */
export const DEFAULT_MAX_TIMEOUT_SECONDS = 24 * 60 * 60;
/** The job's one container, which a run's overrides name. */
export const CONTAINER_NAME = "service";

/**
 * The job for a revision's questions. Its id covers everything in it, because a run can override only args, env,
 * task count and timeout: a question with other resources, a re-registered image or changed settings gets its own
 * job rather than changing one that other executions were started from.
 */
export function jobDefinition(
  sruid: string,
  container: JobContainer,
  options: { readonly maxTimeoutSeconds: number; readonly serviceAccount?: string },
): { jobId: string; job: Job } {
  const labels = { [LABELS.managedBy]: MANAGED_BY, [LABELS.revision]: labelValue(sruid) };
  const job: Job = {
    labels,
    annotations: { [SRUID_ANNOTATION]: sruid },
    template: {
      labels,
      taskCount: 1,
      parallelism: 1,
      template: {
        containers: [
          {
            name: CONTAINER_NAME,
            image: container.image,
            command: [...container.command],
            env: container.env.map(({ name, value }) => ({ name, value })),
            // Cloud Run has no ephemeral-storage request: a job's writable filesystem is in memory and counts
            // against its memory limit, so the question's ephemeral storage is not passed on.
            resources: { limits: { cpu: container.resources.cpu, memory: container.resources.memory } },
          },
        ],
        // A retry is the asker's decision, made with a new question and `retry_count`.
        maxRetries: 0,
        timeout: { seconds: options.maxTimeoutSeconds },
        ...definedProperties({ serviceAccount: options.serviceAccount }),
      },
    },
  };
  return { jobId: cloudRunJobId(sruid, JSON.stringify(job)), job };
}
