/**
 * Strict JSON Schemas for the Kueue v1beta2 objects the fake serves, written for this fake from the Kueue API
 * reference (apis/kueue/v1beta2). No npm package carries Kueue's CRDs, and the official CRD files are not copied here.
 * `additionalProperties: false` everywhere: a field Kueue v1beta2 does not have (a v1beta1 name such as ClusterQueue
 * `cohort` or Workload `priorityClassName`, or a typo) is rejected as an unknown field, where a real apiserver would
 * silently drop it.
 *
 * When `TWINED_KUEUE_CRD_DIR` names a folder holding the official `kueue.x-k8s.io_<plural>.yaml` CRDs, their v1beta2
 * `openAPIV3Schema` is used instead, with the same unknown-field check walked over it.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ajv, type AnySchema, type ValidateFunction } from "ajv";
import { parse as parseYaml } from "yaml";
import { arrayAt, at, isRecord, type JsonObject } from "./json.js";
import { parseQuantity } from "./quantity.js";
import { ajvCauses, validateObjectMeta, validatePodTemplateSpec } from "./schemas.js";
import type { StatusCause } from "./status.js";

export type KueueKind = "ResourceFlavor" | "ClusterQueue" | "LocalQueue" | "WorkloadPriorityClass" | "Workload";

export const KUEUE_PLURALS: Readonly<Record<KueueKind, string>> = {
  ResourceFlavor: "resourceflavors",
  ClusterQueue: "clusterqueues",
  LocalQueue: "localqueues",
  WorkloadPriorityClass: "workloadpriorityclasses",
  Workload: "workloads",
};

const SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/** An int32, at least `minimum`. */
function int32(minimum = -2147483648): AnySchema {
  return { type: "integer", minimum, maximum: 2147483647 };
}

// Building blocks, referenced as { $ref: "#/definitions/<name>" }.
const definitions: Record<string, AnySchema> = {
  int64: { type: "integer" },
  time: { type: "string", format: "date-time" },
  reference: { type: "string", maxLength: 253, pattern: SUBDOMAIN },
  // resource.Quantity: an int-or-string, the string in Kubernetes' quantity syntax.
  quantity: { anyOf: [{ type: "number" }, { type: "string", quantity: true }] },
  resourceList: { type: "object", additionalProperties: { $ref: "#/definitions/quantity" } },
  stringMap: { type: "object", additionalProperties: { type: "string" } },
  stopPolicy: { enum: ["None", "Hold", "HoldAndDrain"] },
  labelSelector: {
    type: ["object", "null"],
    additionalProperties: false,
    properties: {
      matchLabels: { $ref: "#/definitions/stringMap" },
      matchExpressions: {
        type: "array",
        items: {
          type: "object",
          additionalProperties: false,
          required: ["key", "operator"],
          properties: {
            key: { type: "string" },
            operator: { enum: ["In", "NotIn", "Exists", "DoesNotExist"] },
            values: { type: "array", items: { type: "string" } },
          },
        },
      },
    },
  },
  taint: {
    type: "object",
    additionalProperties: false,
    required: ["key", "effect"],
    properties: {
      key: { type: "string" },
      value: { type: "string" },
      effect: { enum: ["NoSchedule", "PreferNoSchedule", "NoExecute"] },
      timeAdded: { $ref: "#/definitions/time" },
    },
  },
  toleration: {
    type: "object",
    additionalProperties: false,
    properties: {
      key: { type: "string" },
      operator: { enum: ["Equal", "Exists"] },
      value: { type: "string" },
      effect: { enum: ["NoSchedule", "PreferNoSchedule", "NoExecute"] },
      tolerationSeconds: { $ref: "#/definitions/int64" },
    },
  },
  condition: {
    type: "object",
    additionalProperties: false,
    required: ["type", "status", "lastTransitionTime", "reason", "message"],
    properties: {
      type: { type: "string", maxLength: 316 },
      status: { enum: ["True", "False", "Unknown"] },
      observedGeneration: { $ref: "#/definitions/int64" },
      lastTransitionTime: { $ref: "#/definitions/time" },
      reason: { type: "string", maxLength: 1024, pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$" },
      message: { type: "string", maxLength: 32768 },
    },
  },
  conditions: { type: "array", maxItems: 16, items: { $ref: "#/definitions/condition" } },
  fairSharing: {
    type: "object",
    additionalProperties: false,
    properties: { weight: { $ref: "#/definitions/quantity" } },
  },
  fairSharingStatus: {
    type: "object",
    additionalProperties: false,
    required: ["weightedShare"],
    properties: {
      weightedShare: { $ref: "#/definitions/int64" },
      admissionFairSharingStatus: {
        type: "object",
        additionalProperties: false,
        required: ["consumedResources", "lastUpdate"],
        properties: {
          consumedResources: { $ref: "#/definitions/resourceList" },
          lastUpdate: { $ref: "#/definitions/time" },
        },
      },
    },
  },
  flavorUsage: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: { $ref: "#/definitions/reference" },
      resources: {
        type: "array",
        items: {
          type: "object",
          additionalProperties: false,
          required: ["name"],
          properties: {
            name: { type: "string" },
            total: { $ref: "#/definitions/quantity" },
            borrowed: { $ref: "#/definitions/quantity" },
          },
        },
      },
    },
  },
};

/** A whole object: apiVersion, kind, metadata (checked separately against ObjectMeta), then the kind's own fields. */
function objectSchema(kind: KueueKind, properties: Record<string, AnySchema>, required: string[] = []): AnySchema {
  return {
    type: "object",
    additionalProperties: false,
    required: ["apiVersion", "kind", ...required],
    properties: {
      apiVersion: { const: "kueue.x-k8s.io/v1beta2" },
      kind: { const: kind },
      metadata: { type: "object" },
      ...properties,
    },
    definitions,
  };
}

const strict = (properties: Record<string, AnySchema>, required: string[] = []): AnySchema => ({
  type: "object",
  additionalProperties: false,
  properties,
  ...(required.length > 0 ? { required } : {}),
});

const resourceFlavor = objectSchema("ResourceFlavor", {
  spec: strict({
    nodeLabels: { type: "object", additionalProperties: { type: "string" }, maxProperties: 8 },
    nodeTaints: { type: "array", maxItems: 8, items: { $ref: "#/definitions/taint" } },
    tolerations: { type: "array", maxItems: 8, items: { $ref: "#/definitions/toleration" } },
    topologyName: { $ref: "#/definitions/reference" },
    resourceWeights: { type: "object", additionalProperties: { $ref: "#/definitions/quantity" }, maxProperties: 16 },
  }),
});

const clusterQueue = objectSchema("ClusterQueue", {
  spec: strict({
    resourceGroups: {
      type: "array",
      maxItems: 16,
      items: strict(
        {
          coveredResources: { type: "array", minItems: 1, maxItems: 64, items: { type: "string" } },
          flavors: {
            type: "array",
            minItems: 1,
            maxItems: 64,
            items: strict(
              {
                name: { $ref: "#/definitions/reference" },
                resources: {
                  type: "array",
                  minItems: 1,
                  maxItems: 64,
                  items: strict(
                    {
                      name: { type: "string" },
                      nominalQuota: { $ref: "#/definitions/quantity" },
                      borrowingLimit: { $ref: "#/definitions/quantity" },
                      lendingLimit: { $ref: "#/definitions/quantity" },
                    },
                    ["name", "nominalQuota"],
                  ),
                },
              },
              ["name", "resources"],
            ),
          },
        },
        ["coveredResources", "flavors"],
      ),
    },
    cohortName: { $ref: "#/definitions/reference" },
    queueingStrategy: { enum: ["StrictFIFO", "BestEffortFIFO"] },
    namespaceSelector: { $ref: "#/definitions/labelSelector" },
    flavorFungibility: strict({
      whenCanBorrow: { enum: ["MayStopSearch", "TryNextFlavor"] },
      whenCanPreempt: { enum: ["MayStopSearch", "TryNextFlavor"] },
      preference: { enum: ["BorrowingOverPreemption", "PreemptionOverBorrowing"] },
    }),
    preemption: strict({
      reclaimWithinCohort: { enum: ["Never", "LowerPriority", "Any"] },
      borrowWithinCohort: strict({
        policy: { enum: ["Never", "LowerPriority"] },
        maxPriorityThreshold: int32(),
      }),
      withinClusterQueue: { enum: ["Never", "LowerPriority", "LowerOrNewerEqualPriority"] },
    }),
    admissionChecksStrategy: strict({
      admissionChecks: {
        type: "array",
        minItems: 1,
        maxItems: 64,
        items: strict(
          {
            name: { type: "string", minLength: 1, maxLength: 316 },
            onFlavors: { type: "array", maxItems: 64, items: { $ref: "#/definitions/reference" } },
          },
          ["name"],
        ),
      },
    }),
    stopPolicy: { $ref: "#/definitions/stopPolicy" },
    fairSharing: { $ref: "#/definitions/fairSharing" },
    admissionScope: strict({ admissionMode: { enum: ["UsageBasedAdmissionFairSharing", "NoAdmissionFairSharing"] } }, [
      "admissionMode",
    ]),
  }),
  status: strict({
    conditions: { $ref: "#/definitions/conditions" },
    flavorsReservation: { type: "array", maxItems: 64, items: { $ref: "#/definitions/flavorUsage" } },
    flavorsUsage: { type: "array", maxItems: 64, items: { $ref: "#/definitions/flavorUsage" } },
    pendingWorkloads: int32(),
    reservingWorkloads: int32(),
    admittedWorkloads: int32(),
    fairSharing: { $ref: "#/definitions/fairSharingStatus" },
  }),
});

const localQueue = objectSchema("LocalQueue", {
  spec: strict({
    clusterQueue: { $ref: "#/definitions/reference" },
    stopPolicy: { $ref: "#/definitions/stopPolicy" },
    fairSharing: { $ref: "#/definitions/fairSharing" },
    wallTimePolicy: strict(
      {
        wallTimeAllocatedHours: int32(1),
        actionWhenWallTimeExhausted: { enum: ["Hold", "HoldAndDrain"] },
      },
      ["wallTimeAllocatedHours"],
    ),
  }),
  status: strict({
    conditions: { $ref: "#/definitions/conditions" },
    pendingWorkloads: int32(),
    reservingWorkloads: int32(),
    admittedWorkloads: int32(),
    flavorsReservation: { type: "array", maxItems: 16, items: { $ref: "#/definitions/flavorUsage" } },
    flavorsUsage: { type: "array", maxItems: 16, items: { $ref: "#/definitions/flavorUsage" } },
    fairSharing: { $ref: "#/definitions/fairSharingStatus" },
    wallTimeFlavorUsage: { type: "array", maxItems: 16, items: { type: "object" } },
  }),
});

const workloadPriorityClass = objectSchema(
  "WorkloadPriorityClass",
  {
    value: int32(),
    description: { type: "string", maxLength: 2048 },
  },
  ["value"],
);

const podSetReference = { type: "string", maxLength: 63, pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" };

const workload = objectSchema("Workload", {
  spec: strict(
    {
      podSets: {
        type: "array",
        minItems: 1,
        maxItems: 8,
        items: strict(
          {
            name: podSetReference,
            // A core PodTemplateSpec: checked by kubernetes-models and the Kubernetes field list, not here.
            template: { type: "object" },
            count: int32(0),
            minCount: int32(1),
            topologyRequest: strict({
              required: { type: "string", maxLength: 63 },
              preferred: { type: "string", maxLength: 63 },
              unconstrained: { type: "boolean" },
              podIndexLabel: { type: "string", maxLength: 317 },
              subGroupIndexLabel: { type: "string", maxLength: 317 },
              subGroupCount: int32(),
              podSetGroupName: { type: "string", maxLength: 256 },
              podSetSliceRequiredTopology: { type: "string", maxLength: 63 },
              podSetSliceSize: int32(),
            }),
          },
          ["template"],
        ),
      },
      queueName: { $ref: "#/definitions/reference" },
      priorityClassRef: strict(
        {
          group: { enum: ["kueue.x-k8s.io", "scheduling.k8s.io"] },
          kind: { enum: ["WorkloadPriorityClass", "PriorityClass"] },
          name: { type: "string", minLength: 1, maxLength: 253, pattern: SUBDOMAIN },
        },
        ["group", "kind", "name"],
      ),
      priority: int32(),
      active: { type: "boolean" },
      maximumExecutionTimeSeconds: int32(1),
    },
    ["podSets"],
  ),
  status: strict({
    conditions: { $ref: "#/definitions/conditions" },
    admission: strict(
      {
        clusterQueue: { $ref: "#/definitions/reference" },
        podSetAssignments: {
          type: "array",
          maxItems: 8,
          items: strict(
            {
              name: podSetReference,
              flavors: { type: "object", additionalProperties: { $ref: "#/definitions/reference" } },
              resourceUsage: { $ref: "#/definitions/resourceList" },
              count: int32(0),
              // Topology-aware scheduling is not simulated; its assignment is only required to be an object.
              topologyAssignment: { type: "object" },
              delayedTopologyRequest: { enum: ["Pending", "Ready"] },
            },
            ["name"],
          ),
        },
      },
      ["clusterQueue"],
    ),
    requeueState: strict({
      count: int32(0),
      requeueAt: { $ref: "#/definitions/time" },
    }),
    reclaimablePods: {
      type: "array",
      maxItems: 8,
      items: strict({ name: podSetReference, count: int32(0) }, ["name", "count"]),
    },
    admissionChecks: {
      type: "array",
      maxItems: 8,
      items: strict(
        {
          name: { type: "string", minLength: 1, maxLength: 316 },
          state: { enum: ["Pending", "Ready", "Retry", "Rejected"] },
          lastTransitionTime: { $ref: "#/definitions/time" },
          message: { type: "string", maxLength: 32768 },
          podSetUpdates: {
            type: "array",
            maxItems: 8,
            items: strict(
              {
                name: podSetReference,
                labels: { $ref: "#/definitions/stringMap" },
                annotations: { $ref: "#/definitions/stringMap" },
                nodeSelector: { $ref: "#/definitions/stringMap" },
                tolerations: { type: "array", maxItems: 8, items: { $ref: "#/definitions/toleration" } },
              },
              ["name"],
            ),
          },
        },
        ["name", "state", "lastTransitionTime", "message"],
      ),
    },
    resourceRequests: {
      type: "array",
      maxItems: 8,
      items: strict({ name: podSetReference, resources: { $ref: "#/definitions/resourceList" } }, ["name"]),
    },
    accumulatedPastExecutionTimeSeconds: int32(),
    schedulingStats: strict({
      evictions: {
        type: "array",
        maxItems: 256,
        items: strict(
          {
            reason: { type: "string", maxLength: 316 },
            underlyingCause: { type: "string", maxLength: 316 },
            count: int32(0),
          },
          ["reason", "underlyingCause", "count"],
        ),
      },
    }),
    nominatedClusterNames: { type: "array", maxItems: 10, items: { type: "string", maxLength: 256 } },
    clusterName: { type: "string", maxLength: 256 },
    unhealthyNodes: {
      type: "array",
      maxItems: 8,
      items: strict({ name: { type: "string", maxLength: 63 } }, ["name"]),
    },
  }),
});

const OWN_SCHEMAS: Readonly<Record<KueueKind, AnySchema>> = {
  ResourceFlavor: resourceFlavor,
  ClusterQueue: clusterQueue,
  LocalQueue: localQueue,
  WorkloadPriorityClass: workloadPriorityClass,
  Workload: workload,
};

export interface KueueValidator {
  readonly validate: ValidateFunction;
  /** The schema walked for unknown fields when it comes from a CRD (own schemas reject them through ajv). */
  readonly crdSchema?: unknown;
}

export type KueueValidators = Readonly<Record<KueueKind, KueueValidator>>;

let validators: KueueValidators | undefined;

function compileOwn(): Record<KueueKind, KueueValidator> {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  ajv.addFormat("date-time", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  ajv.addKeyword({
    keyword: "quantity",
    type: "string",
    schemaType: "boolean",
    validate: (_schema: boolean, data: string) => parseQuantity(data) !== undefined,
    error: { message: "must be a quantity such as 500m, 2 or 1Gi" },
  });
  const result = {} as Record<KueueKind, KueueValidator>;
  for (const [kind, schema] of Object.entries(OWN_SCHEMAS) as [KueueKind, AnySchema][]) {
    result[kind] = { validate: ajv.compile(schema) };
  }
  return result;
}

/** Validators from the v1beta2 openAPIV3Schema of each official CRD in `dir`; undefined when one is missing. */
export function kueueValidatorsFromCrds(dir: string): KueueValidators | undefined {
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const format of ["int32", "int64", "date-time", "byte", "date", "duration", "quantity", "double", "float"]) {
    ajv.addFormat(format, true);
  }
  const result = {} as Record<KueueKind, KueueValidator>;
  for (const [kind, plural] of Object.entries(KUEUE_PLURALS) as [KueueKind, string][]) {
    const file = path.join(dir, `kueue.x-k8s.io_${plural}.yaml`);
    if (!existsSync(file)) return undefined;
    const crd: unknown = parseYaml(readFileSync(file, "utf8"));
    const version = arrayAt(crd, "spec", "versions").find((each) => at(each, "name") === "v1beta2");
    const schema = at(version, "schema", "openAPIV3Schema");
    if (!isRecord(schema)) throw new Error(`${file} has no v1beta2 openAPIV3Schema`);
    result[kind] = { validate: ajv.compile(schema), crdSchema: schema };
  }
  return result;
}

function loadValidators(): KueueValidators {
  if (validators !== undefined) return validators;
  const dir = process.env.TWINED_KUEUE_CRD_DIR;
  validators =
    (dir !== undefined && dir !== "" && existsSync(dir) ? kueueValidatorsFromCrds(dir) : undefined) ?? compileOwn();
  return validators;
}

/** Unknown fields against an OpenAPI schema: any key not in `properties`, unless the schema keeps unknown fields. */
function unknownByOpenApi(value: unknown, schema: unknown, at: string, causes: StatusCause[]): void {
  if (!isRecord(schema) || schema["x-kubernetes-preserve-unknown-fields"] === true) return;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) unknownByOpenApi(item, schema.items, `${at}[${index}]`, causes);
    return;
  }
  if (!isRecord(value)) return;
  const properties = isRecord(schema.properties) ? schema.properties : undefined;
  for (const [key, item] of Object.entries(value)) {
    const where = at === "" ? key : `${at}.${key}`;
    if (properties !== undefined) {
      if (key in properties) unknownByOpenApi(item, properties[key], where, causes);
      else if (isRecord(schema.additionalProperties))
        unknownByOpenApi(item, schema.additionalProperties, where, causes);
      else causes.push({ reason: "FieldValueInvalid", field: where, message: `unknown field "${where}"` });
    } else if (isRecord(schema.additionalProperties)) {
      unknownByOpenApi(item, schema.additionalProperties, `${at}[${key}]`, causes);
    }
  }
}

/** Rules the Kueue CRDs state as CEL (x-kubernetes-validations), which neither schema source evaluates. */
function celRules(kind: KueueKind, object: JsonObject): StatusCause[] {
  const causes: StatusCause[] = [];
  if (kind === "ClusterQueue") {
    const hasCohort = typeof at(object, "spec", "cohortName") === "string";
    arrayAt(object, "spec", "resourceGroups").forEach((group, g) => {
      const covered = arrayAt(group, "coveredResources").length;
      arrayAt(group, "flavors").forEach((flavor, f) => {
        const resources = arrayAt(flavor, "resources");
        if (resources.length !== covered) {
          causes.push({
            reason: "FieldValueInvalid",
            field: `spec.resourceGroups[${g}]`,
            message: 'Invalid value: "object": flavors must have the same number of resources as the coveredResources',
          });
        }
        resources.forEach((resource, r) => {
          if (!hasCohort && at(resource, "borrowingLimit") !== undefined) {
            causes.push({
              reason: "FieldValueInvalid",
              field: `spec.resourceGroups[${g}].flavors[${f}].resources[${r}].borrowingLimit`,
              message: 'Invalid value: "object": borrowingLimit must be nil when cohort is empty',
            });
          }
        });
      });
    });
  }
  if (kind === "Workload") {
    if (at(object, "spec", "priorityClassRef") !== undefined && typeof at(object, "spec", "priority") !== "number") {
      causes.push({
        reason: "FieldValueInvalid",
        field: "spec",
        message: 'Invalid value: "object": priority should not be nil when priorityClassRef is set',
      });
    }
    arrayAt(object, "spec", "podSets").forEach((podSet, index) => {
      const minCount = at(podSet, "minCount");
      const count = at(podSet, "count");
      if (typeof minCount === "number" && typeof count === "number" && minCount > count) {
        causes.push({
          reason: "FieldValueInvalid",
          field: `spec.podSets[${index}]`,
          message: 'Invalid value: "object": minCount should be positive and less or equal to count',
        });
      }
    });
  }
  return causes;
}

/** Every problem with a Kueue v1beta2 object, as 422 causes (empty when it is valid). */
export function validateKueueObject(
  kind: KueueKind,
  object: JsonObject,
  validators: KueueValidators = loadValidators(),
): StatusCause[] {
  const validator = validators[kind];
  const causes: StatusCause[] = [];
  if (!validator.validate(object)) causes.push(...ajvCauses(validator.validate.errors ?? [], object, ""));
  if (validator.crdSchema !== undefined) {
    const { metadata: _metadata, ...rest } = object;
    unknownByOpenApi(rest, validator.crdSchema, "", causes);
  }
  causes.push(...validateObjectMeta(object.metadata, "subdomain"));
  if (kind === "Workload") {
    arrayAt(object, "spec", "podSets").forEach((podSet, index) => {
      if (isRecord(podSet) && podSet.template !== undefined) {
        causes.push(...validatePodTemplateSpec(podSet.template, `spec.podSets[${index}].template`));
      }
    });
  }
  causes.push(...celRules(kind, object));
  // The same problem found by two layers (the CRD schema and kubernetes-models) is listed once.
  const seen = new Set<string>();
  return causes.filter((cause) => {
    const key = `${cause.field}\u0000${cause.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Compiles the schemas now, so the first request does not pay for it. */
export function loadKueueSchemas(): void {
  loadValidators();
}
