import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { CloudBuildSchemaError } from "../../shared/errors/index.js";
import { toSnakeCase } from "./cloud-build-yaml.js";

/**
 * The Cloud Build API's own description of a build, read from the protobuf reflection (protobufjs JSON descriptor)
 * that `@google-cloud/cloudbuild` ships. It is the API's current shape, unlike SchemaStore's stale JSON Schema.
 */
export const CLOUD_BUILD_DESCRIPTOR = "@google-cloud/cloudbuild/build/protos/protos.json";
export const BUILD_MESSAGE = "google.devtools.cloudbuild.v1.Build";
export const BUILD_STEP_MESSAGE = "google.devtools.cloudbuild.v1.BuildStep";
export const BUILD_OPTIONS_MESSAGE = "google.devtools.cloudbuild.v1.BuildOptions";

export type FieldType =
  | { readonly kind: "scalar"; readonly scalar: string }
  | { readonly kind: "enum"; readonly name: string; readonly values: ReadonlyMap<string, number> }
  | { readonly kind: "duration" }
  | { readonly kind: "timestamp" }
  | { readonly kind: "message"; readonly name: string };

export interface FieldSchema {
  /** The JSON (lowerCamelCase) name, as config files spell it. */
  readonly name: string;
  /** The proto's snake_case name, which gcloud also accepts. */
  readonly protoName: string;
  readonly repeated: boolean;
  /** A `map<string, …>` field: a YAML mapping whose values have `type`. */
  readonly map: boolean;
  readonly type: FieldType;
  /** Set by Cloud Build on a running build (`(google.api.field_behavior) = OUTPUT_ONLY`); a config must not set it. */
  readonly outputOnly: boolean;
  readonly required: boolean;
  readonly oneof: string | undefined;
}

export interface MessageSchema {
  readonly name: string;
  readonly fields: ReadonlyMap<string, FieldSchema>;
}

export interface CloudBuildSchema {
  readonly build: MessageSchema;
  message(name: string): MessageSchema;
}

const SCALARS = new Set([
  ...["double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64"],
  ...["fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes"],
]);

type Descriptor = Readonly<Record<string, unknown>>;

let cached: CloudBuildSchema | undefined;

/** The schema from the installed package (read once), or from `descriptorPath` when given. */
export function loadCloudBuildSchema(descriptorPath?: string): CloudBuildSchema {
  if (descriptorPath === undefined && cached) return cached;
  const path = descriptorPath ?? resolveDescriptor();
  let root: unknown;
  try {
    root = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new CloudBuildSchemaError(`cannot read the Cloud Build descriptor ${path}`, { cause });
  }
  const schema = new DescriptorSchema(asDescriptor(root, path));
  if (descriptorPath === undefined) cached = schema;
  return schema;
}

function resolveDescriptor(): string {
  try {
    return createRequire(import.meta.url).resolve(CLOUD_BUILD_DESCRIPTOR);
  } catch (cause) {
    throw new CloudBuildSchemaError(
      `cannot find ${CLOUD_BUILD_DESCRIPTOR}: install it with npm install --save-dev @google-cloud/cloudbuild@^5`,
      { cause },
    );
  }
}

class DescriptorSchema implements CloudBuildSchema {
  readonly build: MessageSchema;
  private readonly messages = new Map<string, MessageSchema>();

  constructor(private readonly root: Descriptor) {
    this.build = this.message(BUILD_MESSAGE);
  }

  message(name: string): MessageSchema {
    const known = this.messages.get(name);
    if (known) return known;
    const node = this.lookup(name.split("."));
    const fields = node === undefined ? undefined : asRecord(node.fields);
    if (!fields) throw new CloudBuildSchemaError(`the descriptor has no message ${name}`);
    const schema: MessageSchema = { name, fields: this.readFields(name, node ?? {}, fields) };
    this.messages.set(name, schema);
    return schema;
  }

  private readFields(scope: string, node: Descriptor, fields: Descriptor): Map<string, FieldSchema> {
    const oneofOf = oneofMembership(node);
    const result = new Map<string, FieldSchema>();
    for (const [name, raw] of Object.entries(fields)) {
      const field = asRecord(raw);
      if (!field || typeof field.type !== "string") {
        throw new CloudBuildSchemaError(`field ${scope}.${name} has no type in the descriptor`);
      }
      const behavior = asRecord(field.options)?.["(google.api.field_behavior)"];
      result.set(name, {
        name,
        protoName: toSnakeCase(name),
        repeated: field.rule === "repeated",
        map: typeof field.keyType === "string",
        type: this.fieldType(scope, field.type),
        outputOnly: behavior === "OUTPUT_ONLY",
        required: behavior === "REQUIRED",
        oneof: oneofOf.get(name),
      });
    }
    return result;
  }

  private fieldType(scope: string, type: string): FieldType {
    if (SCALARS.has(type)) return { kind: "scalar", scalar: type };
    const { name, node } = this.resolve(scope, type);
    if (name === "google.protobuf.Duration") return { kind: "duration" };
    if (name === "google.protobuf.Timestamp") return { kind: "timestamp" };
    const values = asRecord(node.values);
    if (values) {
      const entries = Object.entries(values).filter((entry): entry is [string, number] => typeof entry[1] === "number");
      return { kind: "enum", name, values: new Map(entries) };
    }
    // Message types resolve lazily: the walk asks for them by name only when a config reaches them.
    return { kind: "message", name };
  }

  /** protobufjs's rule: look for the name in the field's message, then in each enclosing scope outwards. */
  private resolve(scope: string, type: string): { name: string; node: Descriptor } {
    const wanted = type.replace(/^\./, "").split(".");
    const scopes = type.startsWith(".") ? [] : scope.split(".");
    for (let depth = scopes.length; depth >= 0; depth--) {
      const parts = [...scopes.slice(0, depth), ...wanted];
      const node = this.lookup(parts);
      if (node) return { name: parts.join("."), node };
    }
    throw new CloudBuildSchemaError(`cannot resolve type ${type} from ${scope} in the descriptor`);
  }

  private lookup(parts: readonly string[]): Descriptor | undefined {
    let node: Descriptor | undefined = this.root;
    for (const part of parts) node = asRecord(asRecord(node?.nested)?.[part]);
    return node;
  }
}

function oneofMembership(node: Descriptor): Map<string, string> {
  const membership = new Map<string, string>();
  for (const [group, raw] of Object.entries(asRecord(node.oneofs) ?? {})) {
    // proto3 `optional` fields are synthetic one-member oneofs named `_field`; they exclude nothing.
    if (group.startsWith("_")) continue;
    const members = asRecord(raw)?.oneof;
    if (Array.isArray(members)) for (const member of members) membership.set(String(member), group);
  }
  return membership;
}

function asRecord(value: unknown): Descriptor | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Descriptor) : undefined;
}

function asDescriptor(value: unknown, path: string): Descriptor {
  const record = asRecord(value);
  if (!record) throw new CloudBuildSchemaError(`${path} is not a protobufjs JSON descriptor`);
  return record;
}
