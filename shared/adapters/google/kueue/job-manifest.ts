import type { V1Job } from "@kubernetes/client-node";
import { toPubSubForm } from "../../../identity/index.js";
import { definedProperties } from "../../../objects/index.js";
import type { JobSpec } from "../../../ports/index.js";
import { type JobContainerSettings, jobContainer } from "../../../ports/index.js";

/** Labels the launcher puts on its Jobs and their pods, so it can find them again (and nothing else). */
export const LABELS = {
  managedBy: "app.kubernetes.io/managed-by",
  questionUuid: "twined.octue.com/question-uuid",
  queueName: "kueue.x-k8s.io/queue-name",
  priorityClass: "kueue.x-k8s.io/priority-class",
  /** The SRUID in Octue's Pub/Sub form (`octue.fractal.1-2-0`), to select a revision's Jobs with kubectl. */
  sruid: "twined.octue.com/sruid",
} as const;
export const MANAGED_BY = "twined";
export const SRUID_ANNOTATION = "twined.octue.com/sruid";
/** The question's attributes as JSON: what the launcher needs to answer a cancellation without the store. */
export const QUESTION_ATTRIBUTES_ANNOTATION = "twined.octue.com/question-attributes";

/**
 * The runner stops the app at the question's deadline itself and tells the asker (`QuestionTimedOut`); the Job's own
 * deadline, counted from when Kueue admits it, is the backstop for a runner that cannot, so it allows for the pod's
 * start (image pull, Node and Python start-up) on top.
 */
export const DEADLINE_ALLOWANCE_SECONDS = 120;

export interface JobManifestSettings extends JobContainerSettings {
  readonly namespace: string;
  readonly localQueue: string;
  /** The Kubernetes service account the service's pod runs as (its Google identity through workload identity). */
  readonly serviceAccountName?: string;
  /** How long a finished Job stays for inspection before Kubernetes deletes it. */
  readonly ttlSecondsAfterFinished: number;
  /** The cluster's WorkloadPriorityClasses by name, with their values. */
  readonly priorityClasses: Readonly<Record<string, number>>;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** `question-<uuid>`: lowercase, because Job names are RFC 1123 labels and UUIDs may arrive in upper case. */
export function jobName(questionUuid: string): string {
  return `question-${questionUuid.toLowerCase()}`;
}

/**
 * The Kubernetes Job that answers one question, created suspended for Kueue to admit. It never retries
 * (`backoffLimit: 0`): a retry is the asker's decision, made with a new question and `retry_count`.
 */
export function jobManifest(spec: JobSpec, settings: JobManifestSettings): V1Job {
  const questionUuid = spec.question.attributes.question_uuid;
  const container = jobContainer(spec, settings);
  const priorityClass = priorityClassFor(spec.priority, settings.priorityClasses);
  const sruidLabel = toPubSubForm(spec.revision.sruid);
  const podLabels = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.questionUuid]: questionUuid.toLowerCase(),
    // Labels hold at most 63 characters: a longer SRUID is left to the annotation.
    ...(LABEL_VALUE.test(sruidLabel) ? { [LABELS.sruid]: sruidLabel } : {}),
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName(questionUuid),
      namespace: settings.namespace,
      labels: {
        ...podLabels,
        [LABELS.queueName]: settings.localQueue,
        ...(priorityClass === undefined ? {} : { [LABELS.priorityClass]: priorityClass }),
      },
      annotations: {
        [SRUID_ANNOTATION]: spec.revision.sruid,
        [QUESTION_ATTRIBUTES_ANNOTATION]: JSON.stringify(spec.question.attributes),
      },
    },
    spec: {
      parallelism: 1,
      completions: 1,
      // Kueue's webhook suspends it anyway; this keeps a Job created while the webhook is down from running unqueued.
      suspend: true,
      backoffLimit: 0,
      ttlSecondsAfterFinished: settings.ttlSecondsAfterFinished,
      ...(spec.timeoutSeconds === undefined
        ? {}
        : { activeDeadlineSeconds: Math.ceil(spec.timeoutSeconds) + DEADLINE_ALLOWANCE_SECONDS }),
      template: {
        metadata: { labels: podLabels, annotations: { [SRUID_ANNOTATION]: spec.revision.sruid } },
        spec: {
          restartPolicy: "Never",
          ...definedProperties({ serviceAccountName: settings.serviceAccountName }),
          containers: [
            {
              name: "service",
              image: container.image,
              command: [...container.command],
              args: [...container.args],
              env: container.env.map(({ name, value }) => ({ name, value })),
              // Requests only, as Kueue counts them against the quota; limits would make a small overrun an OOM kill.
              resources: {
                requests: {
                  cpu: container.resources.cpu,
                  memory: container.resources.memory,
                  "ephemeral-storage": container.resources.ephemeralStorage,
                },
              },
            },
          ],
        },
      },
    },
  };
}

/**
 * The WorkloadPriorityClass for a question's priority: the class with the highest value not above it, else the
 * lowest class. None when the cluster has no classes configured (Kueue then admits first come, first served).
 */
export function priorityClassFor(priority: number, classes: Readonly<Record<string, number>>): string | undefined {
  const sorted = Object.entries(classes).sort(([, a], [, b]) => b - a);
  return (sorted.find(([, value]) => value <= priority) ?? sorted.at(-1))?.[0];
}
