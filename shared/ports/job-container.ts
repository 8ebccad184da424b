import { NonRetryableError } from "../errors/index.js";
import { activeTraceparent } from "../tracing/index.js";
import type { JobSpec } from "./job-launcher.js";

/** What every job container of a network gets, whichever launcher starts it. */
export interface JobContainerSettings {
  /**
   * How a job reaches its network: `TWINED_NETWORK_URL` (an embedded network's HTTP API), or `GOOGLE_CLOUD_PROJECT`
   * with `TWINED_ENVIRONMENT`/`TWINED_SERVICES_TOPIC_NAME` and the Firestore settings (a cloud network). A function
   * is read at each launch (a local network learns its own address only once it listens).
   */
  readonly environment: Readonly<Record<string, string>> | (() => Readonly<Record<string, string>>);
  readonly heartbeatIntervalSeconds?: number;
  /** Octue's `COMPUTE_PROVIDER` value, e.g. `GOOGLE_KUEUE`. */
  readonly computeProvider: string;
  /** Used when a question names no memory or disk (Octue's defaults: 512Mi and 1Gi). */
  readonly defaultMemory?: string;
  readonly defaultEphemeralStorage?: string;
}

export interface JobContainer {
  readonly image: string;
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly resources: { readonly cpu: string; readonly memory: string; readonly ephemeralStorage: string };
}

/** The runner command of the default image (runtime/Dockerfile's ENTRYPOINT). */
export const JOB_COMMAND = ["twined", "service", "answer"] as const;

/**
 * The one container that answers a question: the revision's image running `twined service answer --question-uuid`.
 * The question itself is read from the network's store when the job starts, so its size never limits the job spec.
 * @throws NonRetryableError for a revision registered as a folder, which only the local launcher can run.
 */
export function jobContainer(spec: JobSpec, settings: JobContainerSettings): JobContainer {
  const questionUuid = spec.question.attributes.question_uuid;
  if (spec.revision.source.kind !== "image") {
    throw new NonRetryableError(
      `${spec.revision.sruid} is registered as a folder (${spec.revision.source.path}); jobs on a cluster run images. Register an image with 'twined revision register --image IMAGE --tag ${spec.revision.revisionTag}'.`,
    );
  }
  const env: Record<string, string> = {
    ...(typeof settings.environment === "function" ? settings.environment() : settings.environment),
    COMPUTE_PROVIDER: settings.computeProvider,
    OCTUE_SERVICE_REVISION_TAG: spec.revision.revisionTag,
  };
  // The job's spans, and the child questions it asks, join the trace of the launch that made it.
  const traceparent = activeTraceparent();
  if (traceparent !== undefined) env.TRACEPARENT = traceparent;
  return {
    image: spec.revision.source.image,
    command: JOB_COMMAND,
    args: [
      "--question-uuid",
      questionUuid,
      ...(settings.heartbeatIntervalSeconds === undefined
        ? []
        : ["--heartbeat-interval", String(settings.heartbeatIntervalSeconds)]),
      ...(spec.timeoutSeconds === undefined ? [] : ["--timeout", String(spec.timeoutSeconds)]),
    ],
    env: Object.entries(env)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value })),
    resources: {
      cpu: String(spec.cpus),
      memory: spec.memory ?? settings.defaultMemory ?? "512Mi",
      ephemeralStorage: spec.ephemeralStorage ?? settings.defaultEphemeralStorage ?? "1Gi",
    },
  };
}
