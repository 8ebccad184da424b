import type { JsonObject } from "./json.js";
import { type KueueKind, validateKueueObject } from "./kueue-schemas.js";
import { validateJob, validatePod } from "./schemas.js";
import type { ResourceName, StatusCause } from "./status.js";

/** A resource the fake serves, with what the HTTP layer and the store need to know about it. */
export interface ResourceType extends ResourceName {
  readonly version: string;
  readonly apiVersion: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  /** Has a `/status` subresource: the main resource ignores status changes, `/status` changes only status. */
  readonly hasStatus: boolean;
  /** Clients may create it (pods come only from the job controller). */
  readonly creatable: boolean;
  /** A custom resource: list items keep apiVersion and kind, which built-in lists leave out. */
  readonly custom: boolean;
  /**
   * The propagation a DELETE without one gets. batch/v1 Jobs default to orphaning their pods (a long-standing
   * Kubernetes trap: `deleteNamespacedJob` without `propagationPolicy` leaves the pods running).
   */
  readonly defaultPropagation: "Background" | "Orphan";
  validate(object: JsonObject): StatusCause[];
}

export const JOBS: ResourceType = {
  group: "batch",
  version: "v1",
  apiVersion: "batch/v1",
  plural: "jobs",
  kind: "Job",
  listKind: "JobList",
  namespaced: true,
  hasStatus: true,
  creatable: true,
  custom: false,
  defaultPropagation: "Orphan",
  validate: validateJob,
};

export const PODS: ResourceType = {
  group: "",
  version: "v1",
  apiVersion: "v1",
  plural: "pods",
  kind: "Pod",
  listKind: "PodList",
  namespaced: true,
  hasStatus: true,
  creatable: false,
  custom: false,
  defaultPropagation: "Background",
  validate: validatePod,
};

function kueue(kind: KueueKind, plural: string, namespaced: boolean, hasStatus: boolean): ResourceType {
  return {
    group: "kueue.x-k8s.io",
    version: "v1beta2",
    apiVersion: "kueue.x-k8s.io/v1beta2",
    plural,
    kind,
    listKind: `${kind}List`,
    namespaced,
    hasStatus,
    creatable: true,
    custom: true,
    defaultPropagation: "Background",
    validate: (object) => validateKueueObject(kind, object),
  };
}

export const RESOURCE_FLAVORS = kueue("ResourceFlavor", "resourceflavors", false, false);
export const CLUSTER_QUEUES = kueue("ClusterQueue", "clusterqueues", false, true);
export const LOCAL_QUEUES = kueue("LocalQueue", "localqueues", true, true);
export const WORKLOAD_PRIORITY_CLASSES = kueue("WorkloadPriorityClass", "workloadpriorityclasses", false, false);
export const WORKLOADS = kueue("Workload", "workloads", true, true);

export const RESOURCES: readonly ResourceType[] = [
  JOBS,
  PODS,
  RESOURCE_FLAVORS,
  CLUSTER_QUEUES,
  LOCAL_QUEUES,
  WORKLOAD_PRIORITY_CLASSES,
  WORKLOADS,
];

export function findResource(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCES.find((each) => each.group === group && each.version === version && each.plural === plural);
}

/** The store's key for a resource type: `jobs.batch`, `pods`. */
export function resourceKey(resource: ResourceName): string {
  return resource.group === "" ? resource.plural : `${resource.plural}.${resource.group}`;
}
