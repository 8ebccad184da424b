/**
 * Validation of the built-in objects (Job, Pod, pod templates, object metadata), in three layers, as a real apiserver
 * does it: the OpenAPI schema (kubernetes-models' validators), no unknown fields (see field-tree.ts), and the
 * server-side rules the schema cannot express (RFC 1123 names, label syntax, a Job's restartPolicy, quantities).
 */
import { Job } from "kubernetes-models/batch/v1";
import { Pod, PodTemplateSpec } from "kubernetes-models/v1";
import { type RootType, unknownFields } from "./field-tree.js";
import { arrayAt, at, fieldPath, isRecord, type JsonObject, recordAt } from "./json.js";
import { parseQuantity, quantityAtMost } from "./quantity.js";
import type { StatusCause } from "./status.js";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const show = (value: unknown): string => JSON.stringify(value) ?? "null";
const invalidValue = (field: string, value: unknown, why: string): StatusCause => ({
  reason: "FieldValueInvalid",
  field,
  message: `Invalid value: ${show(value)}: ${why}`,
});
const required = (field: string, why?: string): StatusCause => ({
  reason: "FieldValueRequired",
  field,
  message: why === undefined ? "Required value" : `Required value: ${why}`,
});

export type NameRule = "label" | "subdomain";

/** Kubernetes' messages for a bad name, or undefined when `name` is valid. */
export function nameProblem(name: string, rule: NameRule): string | undefined {
  if (rule === "label") {
    if (name.length > 63) return "must be no more than 63 characters";
    if (!DNS_LABEL.test(name)) {
      return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    }
    return undefined;
  }
  if (name.length > 253) return "must be no more than 253 characters";
  if (!DNS_SUBDOMAIN.test(name)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  }
  return undefined;
}

function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName'), at most 63 characters";
  }
  return undefined;
}

function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return "must be no more than 63 characters";
  if (!LABEL_VALUE.test(value)) {
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  }
  return undefined;
}

/**
 * Ajv errors (kubernetes-models' validators are ajv too) as 422 causes, one per field, worded as Kubernetes words them.
 * `additionalProperties` errors (from the strict Kueue schemas) become unknown fields.
 */
export function ajvCauses(errors: readonly unknown[], data: unknown, basePath: string): StatusCause[] {
  const byField = new Map<string, { reason: string; messages: string[] }>();
  for (const each of errors) {
    if (!isRecord(each)) continue;
    // Summary errors of oneOf/anyOf repeat what the branches said.
    if (each.keyword === "oneOf" || each.keyword === "anyOf") continue;
    const pointer = String(each.instancePath ?? "");
    const params = isRecord(each.params) ? each.params : {};
    const relative = fieldPath(pointer);
    const under = (name: string): string => (relative === "" ? name : `${relative}.${name}`);
    let field = relative;
    let reason = "FieldValueInvalid";
    let message: string;
    const value = at(data, ...pointer.split("/").slice(1).map(unescapePointer));
    if (isQuantityError(errors, pointer)) {
      // A Quantity is `oneOf: [number, string with format quantity]`: one message, as the apiserver gives it, and
      // the map key in brackets (quantities live in resource lists: requests[cpu]).
      const segments = pointer.split("/");
      if (RESOURCE_LISTS.has(segments.at(-2) ?? "")) {
        field = `${fieldPath(segments.slice(0, -1).join("/"))}[${unescapePointer(segments.at(-1) ?? "")}]`;
      }
      message = `Invalid value: ${show(value)}: ${QUANTITY_PROBLEM}`;
    } else if (each.keyword === "required") {
      field = under(String(params.missingProperty));
      reason = "FieldValueRequired";
      message = "Required value";
    } else if (each.keyword === "additionalProperties") {
      field = under(String(params.additionalProperty));
      const full = basePath === "" ? field : `${basePath}.${field}`;
      message = `unknown field "${full}"`;
    } else if (each.keyword === "enum" || each.keyword === "const") {
      reason = "FieldValueNotSupported";
      const allowed = Array.isArray(params.allowedValues) ? params.allowedValues : [params.allowedValue];
      message = `Unsupported value: ${show(value)}: supported values: ${allowed.map(show).join(", ")}`;
    } else {
      message = `Invalid value: ${show(value)}: ${String(each.message ?? "is invalid")}`;
    }
    const full = basePath === "" ? field : field === "" ? basePath : `${basePath}.${field}`;
    const entry = byField.get(full) ?? { reason, messages: [] };
    if (!entry.messages.includes(message)) entry.messages.push(message);
    byField.set(full, entry);
  }
  return [...byField].map(([field, { reason, messages }]) => ({ reason, field, message: messages.join(" or ") }));
}

const QUANTITY_PROBLEM = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const RESOURCE_LISTS = new Set(["requests", "limits", "overhead", "capacity", "allocatable", "hard", "used"]);

function isQuantityError(errors: readonly unknown[], pointer: string): boolean {
  return errors.some(
    (each) =>
      isRecord(each) &&
      each.instancePath === pointer &&
      each.keyword === "format" &&
      isRecord(each.params) &&
      each.params.format === "quantity",
  );
}

function unescapePointer(part: string): string {
  return part.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** Runs a kubernetes-models `validate()` and turns what it throws into causes. */
function schemaCauses(validate: () => void, data: unknown, basePath: string): StatusCause[] {
  try {
    validate();
    return [];
  } catch (error) {
    if (isRecord(error) && Array.isArray(error.errors)) return ajvCauses(error.errors, data, basePath);
    throw error;
  }
}

function stringMapCauses(map: unknown, field: string, checkValues: boolean): StatusCause[] {
  if (!isRecord(map)) return [];
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(map)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) causes.push(invalidValue(field, key, keyProblem));
    if (checkValues && typeof value === "string") {
      const valueProblem = labelValueProblem(value);
      if (valueProblem !== undefined) causes.push(invalidValue(`${field}[${key}]`, value, valueProblem));
    }
  }
  return causes;
}

/** Name, generateName, labels and annotations of an object's metadata (the server-side rules only). */
export function metadataRules(metadata: unknown, basePath: string, nameRule: NameRule | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const prefix = basePath === "" ? "metadata" : `${basePath}.metadata`;
  if (isRecord(metadata) && nameRule !== undefined) {
    const name = metadata.name;
    const generateName = metadata.generateName;
    if (typeof name === "string" && name !== "") {
      const problem = nameProblem(name, nameRule);
      if (problem !== undefined) causes.push(invalidValue(`${prefix}.name`, name, problem));
    } else if (typeof generateName === "string" && generateName !== "") {
      // As apimachinery does for a prefix: a trailing dash is fine, since the generated suffix follows it.
      const problem = nameProblem(generateName.replace(/-$/, "a"), nameRule);
      if (problem !== undefined) causes.push(invalidValue(`${prefix}.generateName`, generateName, problem));
    } else {
      causes.push(required(`${prefix}.name`, "name or generateName is required"));
    }
  } else if (nameRule !== undefined) {
    causes.push(required(`${prefix}.name`, "name or generateName is required"));
  }
  causes.push(...stringMapCauses(at(metadata, "labels"), `${prefix}.labels`, true));
  causes.push(...stringMapCauses(at(metadata, "annotations"), `${prefix}.annotations`, false));
  return causes;
}

/** The server-side rules of a pod spec; `forJob` adds the Job controller's restartPolicy rule. */
function podSpecRules(spec: unknown, basePath: string, forJob: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!isRecord(spec)) return [required(basePath)];
  const containers = arrayAt(spec, "containers");
  if (containers.length === 0) causes.push(required(`${basePath}.containers`));
  const seen = new Set<string>();
  const groups: [string, readonly unknown[]][] = [
    ["containers", containers],
    ["initContainers", arrayAt(spec, "initContainers")],
  ];
  for (const [group, list] of groups) {
    list.forEach((container, index) => {
      const where = `${basePath}.${group}[${index}]`;
      const name = at(container, "name");
      if (typeof name === "string") {
        const problem = nameProblem(name, "label");
        if (problem !== undefined) causes.push(invalidValue(`${where}.name`, name, problem));
        if (seen.has(name))
          causes.push({
            reason: "FieldValueDuplicate",
            field: `${where}.name`,
            message: `Duplicate value: ${show(name)}`,
          });
        seen.add(name);
      }
      const image = at(container, "image");
      if (typeof image !== "string" || image.trim() === "") causes.push(required(`${where}.image`));
      arrayAt(container, "env").forEach((variable, envIndex) => {
        const envName = at(variable, "name");
        if (
          typeof envName === "string" &&
          (envName === "" || envName.includes("=") || !/^[\x20-\x7e]+$/.test(envName))
        ) {
          causes.push(
            invalidValue(
              `${where}.env[${envIndex}].name`,
              envName,
              "a valid environment variable name must consist only of printable ASCII characters other than '='",
            ),
          );
        }
      });
      causes.push(...resourceRules(recordAt(container, "resources"), `${where}.resources`));
    });
  }
  const restartPolicy = spec.restartPolicy;
  if (forJob && restartPolicy !== "OnFailure" && restartPolicy !== "Never") {
    causes.push(
      restartPolicy === undefined
        ? required(`${basePath}.restartPolicy`, 'valid values: "OnFailure", "Never"')
        : {
            reason: "FieldValueNotSupported",
            field: `${basePath}.restartPolicy`,
            message: `Unsupported value: ${show(restartPolicy)}: supported values: "OnFailure", "Never"`,
          },
    );
  }
  return causes;
}

function resourceRules(resources: JsonObject | undefined, basePath: string): StatusCause[] {
  if (resources === undefined) return [];
  const causes: StatusCause[] = [];
  const parsed: Record<"limits" | "requests", Record<string, number>> = { limits: {}, requests: {} };
  for (const kind of ["limits", "requests"] as const) {
    const list = recordAt(resources, kind);
    if (list === undefined) continue;
    for (const [name, value] of Object.entries(list)) {
      // kubernetes-models' quantity format is looser than the apiserver's (it takes "1h", "2da"): check it again.
      const quantity = parseQuantity(value);
      if (quantity === undefined) {
        causes.push(invalidValue(`${basePath}.${kind}[${name}]`, value, QUANTITY_PROBLEM));
      } else if (quantity < 0) {
        causes.push(invalidValue(`${basePath}.${kind}[${name}]`, value, "must be greater than or equal to 0"));
      } else parsed[kind][name] = quantity;
    }
  }
  for (const [name, request] of Object.entries(parsed.requests)) {
    const limit = parsed.limits[name];
    if (limit !== undefined && !quantityAtMost(request, limit)) {
      causes.push(
        invalidValue(
          `${basePath}.requests`,
          String(at(resources, "requests", name)),
          `must be less than or equal to ${name} limit of ${String(at(resources, "limits", name))}`,
        ),
      );
    }
  }
  return causes;
}

function nonNegative(spec: unknown, field: string, basePath: string, strictlyPositive = false): StatusCause[] {
  const value = at(spec, field);
  if (typeof value !== "number") return [];
  if (strictlyPositive ? value > 0 : value >= 0) return [];
  return [
    invalidValue(
      `${basePath}.${field}`,
      value,
      strictlyPositive ? "must be greater than 0" : "must be greater than or equal to 0",
    ),
  ];
}

/** Each problem once, when two layers find the same one. */
function unique(causes: readonly StatusCause[]): StatusCause[] {
  const seen = new Set<string>();
  return causes.filter((cause) => {
    const key = `${cause.field}\u0000${cause.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function validateJob(job: JsonObject): StatusCause[] {
  const causes = [
    ...schemaCauses(() => new Job(job as ConstructorParameters<typeof Job>[0]).validate(), job, ""),
    ...unknownFields(job, "Job"),
    // A Job's name becomes the value of its pods' job-name label, so it must be a label (63 characters), not only a
    // subdomain.
    ...metadataRules(job.metadata, "", "label"),
  ];
  const spec = job.spec;
  if (isRecord(spec)) {
    for (const field of ["backoffLimit", "completions", "parallelism", "ttlSecondsAfterFinished"]) {
      causes.push(...nonNegative(spec, field, "spec"));
    }
    causes.push(...nonNegative(spec, "activeDeadlineSeconds", "spec", true));
    const template = spec.template;
    causes.push(...metadataRules(at(template, "metadata"), "spec.template", undefined));
    causes.push(...podSpecRules(at(template, "spec"), "spec.template.spec", true));
  }
  return unique(causes);
}

export function validatePod(pod: JsonObject): StatusCause[] {
  return unique([
    ...schemaCauses(() => new Pod(pod as ConstructorParameters<typeof Pod>[0]).validate(), pod, ""),
    ...unknownFields(pod, "Pod"),
    ...metadataRules(pod.metadata, "", "subdomain"),
    ...podSpecRules(pod.spec, "spec", false),
  ]);
}

/** A pod template inside another object (a Workload's podSets[i].template), with field paths under `basePath`. */
export function validatePodTemplateSpec(template: unknown, basePath: string): StatusCause[] {
  if (!isRecord(template)) return [required(basePath)];
  return unique([
    ...schemaCauses(
      () => new PodTemplateSpec(template as ConstructorParameters<typeof PodTemplateSpec>[0]).validate(),
      template,
      basePath,
    ),
    ...unknownFields(template, "PodTemplateSpec", basePath),
    ...metadataRules(template.metadata, basePath, undefined),
    ...podSpecRules(template.spec, `${basePath}.spec`, false),
  ]);
}

/**
 * The metadata of a custom object (Kueue's): ObjectMeta's schema and fields, and its name rule. kubernetes-models does
 * not export ObjectMeta on its own, so its schema is reached through a PodTemplateSpec holding only the metadata.
 */
export function validateObjectMeta(metadata: unknown, nameRule: NameRule): StatusCause[] {
  const wrapped = { metadata };
  const root: RootType = "PodTemplateSpec";
  return [
    ...schemaCauses(
      () => new PodTemplateSpec(wrapped as ConstructorParameters<typeof PodTemplateSpec>[0]).validate(),
      wrapped,
      "",
    ),
    ...unknownFields(wrapped, root),
    ...metadataRules(metadata, "", nameRule),
  ];
}
