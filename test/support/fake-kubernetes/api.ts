/**
 * The apiserver's request handling, apart from HTTP: routing, create/get/list/replace/patch/delete with Kubernetes'
 * semantics (validation, admission, status subresources, optimistic concurrency, propagation policies), and the
 * Kueue visibility API. Watches are described here and streamed by server.ts.
 */

import { definedProperties } from "../../../shared/objects/index.js";
import type { FakeCluster } from "./cluster.js";
import { deleteWithPropagation, type Propagation } from "./deletion.js";
import { defaultJob } from "./job-controller.js";
import { at, clone, isRecord, type JsonObject, jsonEqual, mergePatch, nowIso, stringAt, stringMapAt } from "./json.js";
import { isKueueJob, type PendingWorkloadItem } from "./kueue-simulator.js";
import { type LabelRequirement, matchesRequirements, parseLabelSelector, SelectorError } from "./label-selector.js";
import {
  findResource,
  JOBS,
  LOCAL_QUEUES,
  PODS,
  RESOURCES,
  type ResourceType,
  resourceKey,
  WORKLOADS,
} from "./resources.js";
import {
  ApiError,
  badRequest,
  forbidden,
  invalid,
  methodNotAllowed,
  notFound,
  pathNotFound,
  type StatusCause,
  serverError,
  successStatus,
  unsupportedMediaType,
} from "./status.js";

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly contentType?: string;
  readonly body?: unknown;
}

export interface WatchRequest {
  readonly resource: ResourceType;
  readonly namespace?: string;
  readonly matches: (object: JsonObject) => boolean;
  /** Absent or "0": start with ADDED events for what exists; otherwise the events after that version. */
  readonly resourceVersion?: string;
  /** `allowWatchBookmarks=true`: the client accepts BOOKMARK events. */
  readonly bookmarks: boolean;
  readonly timeoutSeconds?: number;
}

export type ApiResponse = { readonly status: number; readonly body: unknown } | { readonly watch: WatchRequest };

type Route =
  | { readonly kind: "document"; readonly body: JsonObject }
  | {
      readonly kind: "resource";
      readonly resource: ResourceType;
      readonly namespace?: string;
      readonly name?: string;
      readonly subresource?: string;
    }
  | {
      readonly kind: "pending";
      readonly namespace?: string;
      readonly localQueue?: string;
      readonly clusterQueue?: string;
    };

const VISIBILITY_GROUP = "visibility.kueue.x-k8s.io";
const MERGE_PATCH = "application/merge-patch+json";

function apiResourceList(groupVersion: string): JsonObject {
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion,
    resources: RESOURCES.filter((each) => each.apiVersion === groupVersion).map((each) => ({
      name: each.plural,
      singularName: each.kind.toLowerCase(),
      namespaced: each.namespaced,
      kind: each.kind,
      verbs: each.creatable
        ? ["create", "delete", "get", "list", "patch", "update", "watch"]
        : ["delete", "get", "list", "watch"],
    })),
  };
}

function groupList(): JsonObject {
  const groups = new Map<string, string>();
  for (const each of RESOURCES) if (each.group !== "") groups.set(each.group, each.version);
  groups.set(VISIBILITY_GROUP, "v1beta2");
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [...groups].map(([name, version]) => {
      const preferred = { groupVersion: `${name}/${version}`, version };
      return { name, versions: [preferred], preferredVersion: preferred };
    }),
  };
}

function route(path: string): Route | undefined {
  const parts = path
    .split("/")
    .filter((part) => part !== "")
    .map(decodeURIComponent);
  if (parts.length === 1 && parts[0] === "version") {
    return {
      kind: "document",
      body: { major: "1", minor: "34", gitVersion: "v1.34.0-twined-fake", platform: "linux/amd64" },
    };
  }
  if (parts.length === 1 && parts[0] === "api") {
    return { kind: "document", body: { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] } };
  }
  if (parts.length === 1 && parts[0] === "apis") return { kind: "document", body: groupList() };
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts[1] === "v1") {
    group = "";
    version = "v1";
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 3) {
    group = parts[1] ?? "";
    version = parts[2] ?? "";
    rest = parts.slice(3);
  } else return undefined;
  if (rest.length === 0) {
    return { kind: "document", body: apiResourceList(group === "" ? version : `${group}/${version}`) };
  }
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural = "", name, subresource, ...extra] = rest;
  if (extra.length > 0) return undefined;
  if (group === VISIBILITY_GROUP && version === "v1beta2" && subresource === "pendingworkloads") {
    if (plural === "localqueues" && namespace !== undefined)
      return { kind: "pending", namespace, localQueue: name ?? "" };
    if (plural === "clusterqueues" && namespace === undefined) return { kind: "pending", clusterQueue: name ?? "" };
    return undefined;
  }
  const resource = findResource(group, version, plural);
  if (resource === undefined) return undefined;
  // A cluster-scoped resource has no namespaced path; a namespaced one is listed across namespaces without one.
  if (!resource.namespaced && namespace !== undefined) return undefined;
  if (resource.namespaced && namespace === undefined && name !== undefined) return undefined;
  return {
    kind: "resource",
    resource,
    ...definedProperties({ namespace, name, subresource }),
  };
}

/** The field selectors the apiserver supports, by resource (every resource has metadata.name and namespace). */
const FIELD_SELECTORS: Readonly<Record<string, readonly string[]>> = {
  pods: [
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "status.phase",
    "status.podIP",
  ],
  jobs: ["status.successful"],
};

function parseSelectors(resource: ResourceType, query: URLSearchParams): (object: JsonObject) => boolean {
  let labels: LabelRequirement[] = [];
  try {
    labels = parseLabelSelector(query.get("labelSelector") ?? "");
  } catch (error) {
    if (error instanceof SelectorError) throw badRequest(error.message);
    throw error;
  }
  const supported = ["metadata.name", "metadata.namespace", ...(FIELD_SELECTORS[resource.plural] ?? [])];
  const fields: { path: string[]; value: string; equal: boolean }[] = [];
  for (const part of (query.get("fieldSelector") ?? "").split(",").filter((each) => each.trim() !== "")) {
    const match = /^\s*([a-zA-Z.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (match === null || !supported.includes(match[1] ?? "")) {
      throw badRequest(`field label not supported: ${match?.[1] ?? part}`);
    }
    fields.push({ path: (match[1] ?? "").split("."), value: match[3] ?? "", equal: match[2] !== "!=" });
  }
  return (object) =>
    matchesRequirements(labels, stringMapAt(object, "metadata", "labels")) &&
    fields.every(({ path, value, equal }) => (String(at(object, ...path) ?? "") === value) === equal);
}

/** Fields the server owns: a client's values are dropped on create (resourceVersion must be empty). */
const SERVER_METADATA = [
  "uid",
  "creationTimestamp",
  "generation",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "managedFields",
  "selfLink",
];

/** Fields of a Job that cannot change after creation (the template only while the Job is suspended). */
const IMMUTABLE_JOB_FIELDS = [
  "selector",
  "completions",
  "completionMode",
  "manualSelector",
  "podFailurePolicy",
  "backoffLimitPerIndex",
];

/** The user the fake's token stands for, in RBAC refusals. */
const USER = "twined-test";

export class Api {
  /** Verbs RBAC refuses, by resource key (`workloadpriorityclasses.kueue.x-k8s.io`). */
  private readonly forbidden = new Map<string, Set<string>>();
  /** Resources whose CRD is "not installed": every request on them is 404. */
  private readonly uninstalled = new Set<string>();
  /** Server errors every request on a resource gets, by resource key. */
  private readonly failing = new Map<string, number>();

  constructor(private readonly cluster: FakeCluster) {}

  /** Makes RBAC refuse these verbs on a resource (403 Forbidden), as for an identity without a rule for them. */
  forbid(resource: ResourceType, verbs: readonly string[]): void {
    const key = resourceKey(resource);
    this.forbidden.set(key, new Set([...(this.forbidden.get(key) ?? []), ...verbs]));
  }

  /** Makes every request on a resource fail with this server error (500, 503…), as an overloaded apiserver does. */
  failWith(resource: ResourceType, code: number): void {
    this.failing.set(resourceKey(resource), code);
  }

  /** Makes a resource unknown, as when its CRD is not installed (404 for every path under it). */
  uninstall(resource: ResourceType): void {
    this.uninstalled.add(resourceKey(resource));
  }

  private get store() {
    return this.cluster.store;
  }

  handle(request: ApiRequest): ApiResponse {
    const found = route(request.path);
    if (found === undefined) throw pathNotFound();
    if (found.kind === "document") {
      if (request.method !== "GET") throw methodNotAllowed(request.method, request.path);
      return { status: 200, body: found.body };
    }
    if (found.kind === "pending") {
      if (request.method !== "GET") throw methodNotAllowed(request.method, request.path);
      return { status: 200, body: this.pendingWorkloads(found, request.query) };
    }
    const { resource, namespace, name, subresource } = found;
    if (this.uninstalled.has(resourceKey(resource))) throw pathNotFound();
    const failure = this.failing.get(resourceKey(resource));
    if (failure !== undefined) throw serverError(failure);
    if (subresource !== undefined && (subresource !== "status" || !resource.hasStatus)) throw pathNotFound();
    const verb = verbOf(request, name);
    if (this.forbidden.get(resourceKey(resource))?.has(verb)) throw forbidden(resource, verb, USER, namespace);
    const dryRun = request.query.getAll("dryRun").includes("All");
    if (name === undefined) {
      if (request.method === "GET") {
        const matches = parseSelectors(resource, request.query);
        const watch = request.query.get("watch");
        if (watch === "true" || watch === "1") {
          const resourceVersion = request.query.get("resourceVersion") ?? undefined;
          const timeout = Number(request.query.get("timeoutSeconds"));
          return {
            watch: {
              resource,
              ...definedProperties({ namespace }),
              matches,
              ...definedProperties({ resourceVersion }),
              bookmarks: request.query.get("allowWatchBookmarks") === "true",
              ...(Number.isFinite(timeout) && timeout > 0 ? { timeoutSeconds: timeout } : {}),
            },
          };
        }
        return { status: 200, body: this.list(resource, namespace, matches, request.query) };
      }
      if (request.method === "POST")
        return { status: 201, body: this.create(resource, namespace, request.body, dryRun) };
      throw methodNotAllowed(request.method, request.path);
    }
    switch (request.method) {
      case "GET": {
        const object = this.store.get(resource, namespace, name);
        if (object === undefined) throw notFound(resource, name);
        return { status: 200, body: object };
      }
      case "PUT":
        return { status: 200, body: this.replace(resource, namespace, name, subresource, request.body, dryRun) };
      case "PATCH": {
        if (request.contentType !== MERGE_PATCH) {
          throw unsupportedMediaType(request.contentType ?? "", [MERGE_PATCH]);
        }
        return { status: 200, body: this.patch(resource, namespace, name, subresource, request.body, dryRun) };
      }
      case "DELETE":
        if (subresource !== undefined) throw methodNotAllowed(request.method, request.path);
        return { status: 200, body: this.delete(resource, namespace, name, request.query, request.body, dryRun) };
      default:
        throw methodNotAllowed(request.method, request.path);
    }
  }

  private list(
    resource: ResourceType,
    namespace: string | undefined,
    matches: (object: JsonObject) => boolean,
    query: URLSearchParams,
  ): JsonObject {
    let items = this.store.list(resource, namespace).filter(matches);
    const offset = Number(query.get("continue") ?? "0") || 0;
    const limit = Number(query.get("limit") ?? "0") || 0;
    const more = limit > 0 && items.length > offset + limit;
    items = limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset);
    return {
      kind: resource.listKind,
      apiVersion: resource.apiVersion,
      metadata: { resourceVersion: this.store.resourceVersion, ...(more ? { continue: String(offset + limit) } : {}) },
      // Built-in lists carry apiVersion and kind only on the list; custom resources keep them on each item.
      items: resource.custom ? items : items.map(({ apiVersion: _apiVersion, kind: _kind, ...rest }) => rest),
    };
  }

  private checkBody(resource: ResourceType, body: unknown): JsonObject {
    if (!isRecord(body)) throw badRequest(`the body of the request must be a ${resource.kind} object`);
    const apiVersion = body.apiVersion;
    const kind = body.kind;
    if (!resource.custom) {
      if (apiVersion !== undefined && apiVersion !== resource.apiVersion) {
        throw badRequest(
          `the API version in the data (${String(apiVersion)}) does not match the expected API version (${resource.apiVersion})`,
        );
      }
      if (kind !== undefined && kind !== resource.kind) {
        throw badRequest(`the kind in the data (${String(kind)}) does not match the expected kind (${resource.kind})`);
      }
      return { ...body, apiVersion: resource.apiVersion, kind: resource.kind };
    }
    return clone(body);
  }

  private validate(resource: ResourceType, object: JsonObject, name: string, extra: readonly StatusCause[] = []): void {
    const causes = [...resource.validate(object), ...extra];
    if (causes.length > 0) throw invalid(resource, name, causes);
  }

  private create(resource: ResourceType, namespace: string | undefined, body: unknown, dryRun: boolean): JsonObject {
    if (!resource.creatable) {
      throw methodNotAllowed("POST", `${resource.plural}: in this fake only the Job controller creates pods`);
    }
    const object = this.checkBody(resource, body);
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    object.metadata = metadata;
    if (resource.namespaced && metadata.namespace !== undefined && metadata.namespace !== namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    if (metadata.resourceVersion !== undefined && metadata.resourceVersion !== "") {
      throw badRequest("resourceVersion should not be set on objects to be created");
    }
    for (const field of [...SERVER_METADATA, "resourceVersion"]) delete metadata[field];
    if (resource.hasStatus) delete object.status;
    // Kueue's mutating webhook: a Job for a LocalQueue starts suspended, whatever the client asked.
    if (resource === JOBS && isKueueJob(object) && isRecord(object.spec)) object.spec.suspend = true;
    if (resource === WORKLOADS && isRecord(object.spec)) object.spec.active ??= true;
    const displayName = stringAt(metadata, "name") ?? stringAt(metadata, "generateName") ?? "";
    this.validate(resource, object, displayName);
    const prepare = resource === JOBS ? defaultJob : undefined;
    if (dryRun) {
      const preview = { ...object, metadata: { ...metadata, namespace, uid: "", creationTimestamp: nowIso() } };
      prepare?.(preview);
      return preview;
    }
    return this.store.create(resource, namespace, object, prepare);
  }

  /** Checks and stores a new state of an existing object (PUT and PATCH end here). */
  private update(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    subresource: string | undefined,
    current: JsonObject,
    next: JsonObject,
    dryRun: boolean,
  ): JsonObject {
    const metadata = isRecord(next.metadata) ? next.metadata : {};
    next.metadata = metadata;
    if (metadata.name !== undefined && metadata.name !== name) {
      throw badRequest(
        `the name of the object (${String(metadata.name)}) does not match the name on the request (${name})`,
      );
    }
    if (resource.namespaced && metadata.namespace !== undefined && metadata.namespace !== namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    let object: JsonObject;
    if (subresource === "status") {
      // The status subresource changes status only.
      object = { ...clone(current), status: next.status };
      if (metadata.resourceVersion !== undefined)
        (object.metadata as JsonObject).resourceVersion = metadata.resourceVersion;
    } else if (resource.hasStatus) {
      object = { ...next, status: clone(current.status) };
      if (current.status === undefined) delete object.status;
    } else object = next;
    this.validate(resource, object, name, this.immutability(resource, current, object));
    if (dryRun) return object;
    return this.store.update(resource, namespace, name, object);
  }

  private immutability(resource: ResourceType, current: JsonObject, next: JsonObject): StatusCause[] {
    const causes: StatusCause[] = [];
    const immutable = (field: string, before: unknown, after: unknown): void => {
      if (!jsonEqual(before, after)) {
        causes.push({
          reason: "FieldValueInvalid",
          field,
          message: `Invalid value: ${JSON.stringify(after) ?? "null"}: field is immutable`,
        });
      }
    };
    const specOf = (object: JsonObject): JsonObject => (isRecord(object.spec) ? object.spec : {});
    if (resource === JOBS) {
      for (const field of IMMUTABLE_JOB_FIELDS) immutable(`spec.${field}`, specOf(current)[field], specOf(next)[field]);
      if (specOf(current).suspend !== true) immutable("spec.template", specOf(current).template, specOf(next).template);
    }
    if (resource === LOCAL_QUEUES)
      immutable("spec.clusterQueue", specOf(current).clusterQueue, specOf(next).clusterQueue);
    if (resource === WORKLOADS) immutable("spec.podSets", specOf(current).podSets, specOf(next).podSets);
    return causes;
  }

  private replace(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    subresource: string | undefined,
    body: unknown,
    dryRun: boolean,
  ): JsonObject {
    const current = this.store.get(resource, namespace, name);
    if (current === undefined) throw notFound(resource, name);
    const next = this.checkBody(resource, body);
    const metadata = isRecord(next.metadata) ? next.metadata : {};
    // Server-owned metadata comes from the stored object, whatever the client sent.
    for (const field of SERVER_METADATA) {
      if (isRecord(current.metadata) && current.metadata[field] !== undefined)
        metadata[field] = current.metadata[field];
      else delete metadata[field];
    }
    next.metadata = metadata;
    return this.update(resource, namespace, name, subresource, current, next, dryRun);
  }

  private patch(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    subresource: string | undefined,
    body: unknown,
    dryRun: boolean,
  ): JsonObject {
    if (!isRecord(body)) throw badRequest("a merge patch must be a JSON object");
    const current = this.store.get(resource, namespace, name);
    if (current === undefined) throw notFound(resource, name);
    const requestedVersion = isRecord(body.metadata) ? body.metadata.resourceVersion : undefined;
    const patched = mergePatch(current, body);
    if (!isRecord(patched)) throw badRequest("a merge patch must be a JSON object");
    const metadata = isRecord(patched.metadata) ? patched.metadata : {};
    patched.metadata = metadata;
    // Only a resourceVersion the client put in the patch is a precondition.
    if (requestedVersion === undefined) delete metadata.resourceVersion;
    for (const field of SERVER_METADATA) {
      if (isRecord(current.metadata) && current.metadata[field] !== undefined)
        metadata[field] = current.metadata[field];
    }
    if (!resource.custom) {
      patched.apiVersion = resource.apiVersion;
      patched.kind = resource.kind;
    }
    return this.update(resource, namespace, name, subresource, current, patched, dryRun);
  }

  private delete(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    query: URLSearchParams,
    body: unknown,
    dryRun: boolean,
  ): JsonObject {
    const current = this.store.get(resource, namespace, name);
    if (current === undefined) throw notFound(resource, name);
    const options = isRecord(body) ? body : {};
    const preconditions = isRecord(options.preconditions) ? options.preconditions : {};
    if (preconditions.uid !== undefined && preconditions.uid !== stringAt(current, "metadata", "uid")) {
      throw new ApiError(
        409,
        "Conflict",
        `Precondition failed: UID in precondition: ${String(preconditions.uid)}, UID in object meta: ${String(stringAt(current, "metadata", "uid"))}`,
        { name, group: resource.group, kind: resource.plural },
      );
    }
    const policy =
      query.get("propagationPolicy") ??
      (typeof options.propagationPolicy === "string" ? options.propagationPolicy : undefined);
    const orphan =
      query.get("orphanDependents") ??
      (typeof options.orphanDependents === "boolean" ? String(options.orphanDependents) : undefined);
    if (policy !== undefined && !["Background", "Foreground", "Orphan"].includes(policy)) {
      throw invalid(resource, name, [
        {
          reason: "FieldValueNotSupported",
          field: "propagationPolicy",
          message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
        },
      ]);
    }
    const propagation: Propagation =
      (policy as Propagation | undefined) ??
      (orphan === "true" ? "Orphan" : orphan === "false" ? "Background" : resource.defaultPropagation);
    const uid = stringAt(current, "metadata", "uid");
    if (!dryRun) deleteWithPropagation(this.store, resource, namespace, name, propagation);
    if (resource === PODS) {
      // Pods are deleted gracefully: the answer is the pod, marked for deletion.
      const answer = clone(current);
      const metadata = answer.metadata as JsonObject;
      metadata.deletionTimestamp = nowIso();
      metadata.deletionGracePeriodSeconds = 30;
      return answer;
    }
    return successStatus({ name, group: resource.group, kind: resource.plural, ...definedProperties({ uid }) });
  }

  private pendingWorkloads(
    found: { readonly namespace?: string; readonly localQueue?: string; readonly clusterQueue?: string },
    query: URLSearchParams,
  ): JsonObject {
    let items: PendingWorkloadItem[] | undefined;
    if (found.localQueue !== undefined) {
      items = this.cluster.kueue.pendingWorkloads(found.namespace ?? "", found.localQueue);
      if (items === undefined) throw notFound(LOCAL_QUEUES, found.localQueue);
    } else {
      items = this.cluster.kueue.clusterQueuePendingWorkloads(found.clusterQueue ?? "");
      if (items === undefined) {
        throw notFound(
          { plural: "clusterqueues", group: "kueue.x-k8s.io", kind: "ClusterQueue" },
          found.clusterQueue ?? "",
        );
      }
    }
    const offset = Number(query.get("offset") ?? "0") || 0;
    const limit = Number(query.get("limit") ?? "1000") || 1000;
    return {
      kind: "PendingWorkloadsSummary",
      apiVersion: `${VISIBILITY_GROUP}/v1beta2`,
      metadata: {},
      items: items.slice(offset, offset + limit),
    };
  }
}

/** The RBAC verb of a request: list and watch are GETs of a collection, told apart by `watch`. */
function verbOf(request: ApiRequest, name: string | undefined): string {
  const watch = request.query.get("watch");
  switch (request.method) {
    case "GET":
      if (name !== undefined) return "get";
      return watch === "true" || watch === "1" ? "watch" : "list";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return "delete";
    default:
      return request.method.toLowerCase();
  }
}
