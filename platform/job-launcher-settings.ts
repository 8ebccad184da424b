import type { ClusterAccess } from "../shared/adapters/google/kueue/index.js";
import { InvalidDeploymentSetting } from "../shared/errors/index.js";
import { definedProperties } from "../shared/objects/index.js";
import type { JobContainerSettings } from "../shared/ports/index.js";

/** Which launcher a deployed network runs questions with, and what it needs (all from the environment). */
export type JobLauncherSettings =
  | { readonly kind: "none" }
  | { readonly kind: "local"; readonly cpus: number | undefined }
  | ({ readonly kind: "kueue" } & KueueSettings)
  | ({ readonly kind: "cloud-run" } & CloudRunSettings);

export interface JobSettings {
  /** `TWINED_JOB_SERVICE_ACCOUNT`: the identity jobs run as (a Kubernetes service account, or a Google one on Cloud Run). */
  readonly serviceAccount: string | undefined;
  /** `TWINED_JOB_DEFAULT_MEMORY` / `TWINED_JOB_DEFAULT_EPHEMERAL_STORAGE`: for questions that name none. */
  readonly defaultMemory: string | undefined;
  readonly defaultEphemeralStorage: string | undefined;
  /** `TWINED_JOB_HEARTBEAT_INTERVAL_SECONDS`: how often a job's service says it is alive; default 60. */
  readonly heartbeatIntervalSeconds: number;
}

export interface KueueSettings extends JobSettings {
  /** `TWINED_GKE_CLUSTER` (projects/P/locations/L/clusters/C), else `TWINED_KUBECONFIG`, else in-cluster. */
  readonly cluster: ClusterAccess;
  /** `TWINED_KUEUE_NAMESPACE`; default `default`, as Octue's. */
  readonly namespace: string;
  /** `TWINED_KUEUE_LOCAL_QUEUE`; default `local-queue`, as Octue's. */
  readonly localQueue: string;
  /**
   * `TWINED_KUEUE_PRIORITY_CLASSES`: `name=value,…`, the only WorkloadPriorityClasses question priorities map to.
   * Empty (not set): the launcher lists and watches the cluster's own classes instead.
   */
  readonly priorityClasses: Readonly<Record<string, number>>;
  /** `TWINED_JOB_TTL_SECONDS`: how long finished Jobs are kept; default one hour. */
  readonly ttlSecondsAfterFinished: number;
}

export interface CloudRunSettings extends JobSettings {
  /** `TWINED_CLOUD_RUN_REGION`, e.g. `europe-west1`. */
  readonly region: string;
}

export const JOB_LAUNCHER_ENVIRONMENT = [
  "TWINED_LAUNCHER",
  "TWINED_LOCAL_CPUS",
  "TWINED_GKE_CLUSTER",
  "TWINED_KUBECONFIG",
  "TWINED_KUEUE_NAMESPACE",
  "TWINED_KUEUE_LOCAL_QUEUE",
  "TWINED_KUEUE_PRIORITY_CLASSES",
  "TWINED_JOB_TTL_SECONDS",
  "TWINED_JOB_SERVICE_ACCOUNT",
  "TWINED_JOB_DEFAULT_MEMORY",
  "TWINED_JOB_DEFAULT_EPHEMERAL_STORAGE",
  "TWINED_JOB_HEARTBEAT_INTERVAL_SECONDS",
  "TWINED_CLOUD_RUN_REGION",
] as const;

type Env = Readonly<Record<string, string | undefined>>;

export function readJobLauncherSettings(env: Env): JobLauncherSettings {
  const kind = env.TWINED_LAUNCHER || "none";
  switch (kind) {
    case "none":
      return { kind };
    case "local":
      return { kind, cpus: optionalNumber(env, "TWINED_LOCAL_CPUS", { integer: true, minimum: 1 }) };
    case "kueue":
      return { kind, ...readKueueSettings(env) };
    case "cloud-run": {
      const region = env.TWINED_CLOUD_RUN_REGION;
      if (!region) {
        throw new InvalidDeploymentSetting("TWINED_CLOUD_RUN_REGION", "not set; the Cloud Run launcher needs a region");
      }
      return { kind, region, ...readJobSettings(env) };
    }
    default:
      throw new InvalidDeploymentSetting(
        "TWINED_LAUNCHER",
        `'${kind}' is not a launcher; use 'kueue', 'cloud-run', 'local' or 'none'`,
      );
  }
}

function readKueueSettings(env: Env): KueueSettings {
  const cluster: ClusterAccess = env.TWINED_GKE_CLUSTER
    ? { kind: "gke", clusterId: env.TWINED_GKE_CLUSTER }
    : env.TWINED_KUBECONFIG
      ? { kind: "kubeconfig", file: env.TWINED_KUBECONFIG }
      : { kind: "in-cluster" };
  return {
    cluster,
    namespace: env.TWINED_KUEUE_NAMESPACE || "default",
    localQueue: env.TWINED_KUEUE_LOCAL_QUEUE || "local-queue",
    priorityClasses: parsePriorityClasses(env.TWINED_KUEUE_PRIORITY_CLASSES ?? "", "TWINED_KUEUE_PRIORITY_CLASSES"),
    ttlSecondsAfterFinished: optionalNumber(env, "TWINED_JOB_TTL_SECONDS", { integer: true, minimum: 0 }) ?? 3600,
    ...readJobSettings(env),
  };
}

function readJobSettings(env: Env): JobSettings {
  return {
    serviceAccount: env.TWINED_JOB_SERVICE_ACCOUNT || undefined,
    defaultMemory: env.TWINED_JOB_DEFAULT_MEMORY || undefined,
    defaultEphemeralStorage: env.TWINED_JOB_DEFAULT_EPHEMERAL_STORAGE || undefined,
    heartbeatIntervalSeconds:
      optionalNumber(env, "TWINED_JOB_HEARTBEAT_INTERVAL_SECONDS", { integer: false, minimum: 1 }) ?? 60,
  };
}

/** `low=0,normal=100,high=1000` → `{low: 0, normal: 100, high: 1000}`; the error says which entry is wrong. */
export function parsePriorityClasses(text: string, setting: string): Record<string, number> {
  const classes: Record<string, number> = {};
  for (const entry of text
    .split(",")
    .map((each) => each.trim())
    .filter(Boolean)) {
    const match = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)=(-?\d+)$/.exec(entry);
    if (match === null || match[1] === undefined || match[3] === undefined) {
      throw new InvalidDeploymentSetting(
        setting,
        `'${entry}' is not 'name=value' (a WorkloadPriorityClass name and its whole-number value), e.g. 'low=0,high=1000'`,
      );
    }
    classes[match[1]] = Number(match[3]);
  }
  return classes;
}

/** The container settings every job of a network gets, from the launcher settings and the job's connection. */
export function jobContainerSettings(
  settings: JobSettings,
  environment: Readonly<Record<string, string>>,
  computeProvider: string,
): JobContainerSettings {
  return {
    environment,
    computeProvider,
    heartbeatIntervalSeconds: settings.heartbeatIntervalSeconds,
    ...definedProperties({
      defaultMemory: settings.defaultMemory,
      defaultEphemeralStorage: settings.defaultEphemeralStorage,
    }),
  };
}

function optionalNumber(
  env: Env,
  name: string,
  rule: { readonly integer: boolean; readonly minimum: number },
): number | undefined {
  const text = env[name];
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || value < rule.minimum) {
    throw new InvalidDeploymentSetting(
      name,
      `'${text}' is not ${rule.integer ? "a whole number" : "a number"} ≥ ${rule.minimum}`,
    );
  }
  return value;
}
