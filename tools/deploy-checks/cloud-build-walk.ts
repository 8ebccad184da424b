import { isMap, isScalar, isSeq, type Node, type Pair } from "yaml";
import {
  BUILD_MESSAGE,
  BUILD_OPTIONS_MESSAGE,
  BUILD_STEP_MESSAGE,
  type CloudBuildSchema,
  type FieldSchema,
  type FieldType,
  type MessageSchema,
} from "./cloud-build-schema.js";
import { didYouMean } from "./cloud-build-suggest.js";
import { valueProblem } from "./cloud-build-values.js";
import {
  childPath,
  describeNode,
  isNullNode,
  keyText,
  type ProblemSink,
  toCamelCase,
  type YamlView,
} from "./cloud-build-yaml.js";

export interface WalkContext {
  readonly view: YamlView;
  readonly sink: ProblemSink;
  readonly schema: CloudBuildSchema;
}

/** Fields the API leaves optional but a build config cannot do without, with how to fill them in. */
const REQUIRED_IN_CONFIG: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  [BUILD_STEP_MESSAGE]: {
    name: "a step needs name: the builder image to run, e.g. name: gcr.io/cloud-builders/docker",
  },
};

/** Checks a mapping against a proto message: field names, output-only fields, oneofs, value types, required fields. */
export function checkMessage(ctx: WalkContext, node: Node | null, message: MessageSchema, path: string): void {
  if (!isMap(node)) {
    const fields = settableFields(message).join(", ");
    ctx.sink.at(node, path || "(root)", `expected a mapping (fields: ${fields}), got ${describeNode(node)}`);
    return;
  }
  const seen = new Map<string, string>();
  const chosen = new Map<string, string>();
  for (const pair of ctx.view.pairs(node)) {
    const field = checkKey(ctx, pair, message, path, seen);
    if (!field) continue;
    const fieldPath = childPath(path, keyText(pair.key) ?? field.name);
    if (field.oneof !== undefined) {
      const other = chosen.get(field.oneof);
      if (other !== undefined) {
        ctx.sink.at(pair.key as Node, fieldPath, `set either ${other} or ${field.name}, not both`);
        continue;
      }
      chosen.set(field.oneof, field.name);
    }
    const value = ctx.view.deref(pair.value);
    if (value === undefined) {
      ctx.sink.at(pair.value as Node, fieldPath, "this alias names no anchor defined earlier in the file");
      continue;
    }
    checkField(ctx, value, field, fieldPath);
  }
  checkRequired(ctx, node, message, path, seen);
}

/** The field a key names, after reporting unknown, repeated and output-only keys (which yield nothing to check). */
function checkKey(
  ctx: WalkContext,
  pair: Pair,
  message: MessageSchema,
  path: string,
  seen: Map<string, string>,
): FieldSchema | undefined {
  const key = keyText(pair.key);
  const keyNode = pair.key as Node;
  if (key === undefined) {
    ctx.sink.at(keyNode, path || "(root)", "a field name must be plain text");
    return undefined;
  }
  const field = message.fields.get(key) ?? message.fields.get(toCamelCase(key));
  const fieldPath = childPath(path, key);
  if (!field) {
    ctx.sink.at(keyNode, fieldPath, unknownFieldMessage(ctx, message, key));
    return undefined;
  }
  const earlier = seen.get(field.name);
  seen.set(field.name, key);
  if (earlier !== undefined) {
    // The same spelling twice is YAML's duplicate key, reported already; two spellings are one field set twice.
    if (earlier !== key) ctx.sink.at(keyNode, fieldPath, `'${earlier}' and '${key}' both set ${field.name}; keep one`);
    return undefined;
  }
  if (field.outputOnly) {
    ctx.sink.at(keyNode, fieldPath, `'${key}' is output only: Cloud Build sets it on the running build; remove it`);
    return undefined;
  }
  return field;
}

function unknownFieldMessage(ctx: WalkContext, message: MessageSchema, key: string): string {
  const valid = settableFields(message);
  let text = `unknown field '${key}' (valid: ${valid.join(", ")})${didYouMean(key, valid)}`;
  if (message.name === BUILD_MESSAGE) {
    const options = ctx.schema.message(BUILD_OPTIONS_MESSAGE);
    const step = ctx.schema.message(BUILD_STEP_MESSAGE);
    if (options.fields.has(key)) text += "; it belongs under options:";
    else if (step.fields.has(key)) text += "; it belongs in a step under steps:";
  }
  return text;
}

function settableFields(message: MessageSchema): string[] {
  return [...message.fields.values()].filter((field) => !field.outputOnly).map((field) => field.name);
}

function checkRequired(
  ctx: WalkContext,
  node: Node,
  message: MessageSchema,
  path: string,
  seen: ReadonlyMap<string, string>,
): void {
  const extra = REQUIRED_IN_CONFIG[message.name] ?? {};
  for (const field of message.fields.values()) {
    const hint = extra[field.name] ?? (field.required ? `${field.name} is required` : undefined);
    if (hint === undefined) continue;
    const value = ctx.view.field(node, field.name)?.value;
    if (!seen.has(field.name) || isNullNode(value)) ctx.sink.at(node, childPath(path, field.name), hint);
  }
}

function checkField(ctx: WalkContext, node: Node | null, field: FieldSchema, path: string): void {
  if (isNullNode(node)) return; // An empty value leaves the field unset, as in the API's JSON.
  if (field.map) {
    checkMap(ctx, node, field.type, path);
    return;
  }
  if (!field.repeated) {
    checkValue(ctx, node, field.type, path);
    return;
  }
  if (!isSeq(node)) {
    ctx.sink.at(
      node,
      path,
      `expected a list, got ${describeNode(node)}; write ${field.name}: [...] or one '- item' a line`,
    );
    return;
  }
  ctx.view.items(node).forEach((item, index) => {
    const itemPath = childPath(path, index);
    if (isNullNode(item)) ctx.sink.at(item ?? node, itemPath, "empty list item; remove it or give it a value");
    else checkValue(ctx, item, field.type, itemPath);
  });
}

function checkMap(ctx: WalkContext, node: Node | null, type: FieldType, path: string): void {
  if (!isMap(node)) {
    ctx.sink.at(node, path, `expected a mapping of names to values, got ${describeNode(node)}`);
    return;
  }
  for (const pair of ctx.view.pairs(node)) {
    const key = keyText(pair.key);
    const entryPath = childPath(path, key ?? "?");
    const value = ctx.view.deref(pair.value) ?? null;
    if (!isScalar(pair.key) || typeof pair.key.value !== "string") {
      ctx.sink.at(pair.key as Node, entryPath, `a key here must be a string; quote it: '${key ?? ""}'`);
    } else if (isNullNode(value)) {
      ctx.sink.at(pair.key as Node, entryPath, "give it a value ('' for empty)");
    } else {
      checkValue(ctx, value, type, entryPath);
    }
  }
}

function checkValue(ctx: WalkContext, node: Node | null, type: FieldType, path: string): void {
  if (type.kind === "message") {
    checkMessage(ctx, node, ctx.schema.message(type.name), path);
    return;
  }
  const problem = valueProblem(node, type);
  if (problem !== undefined) ctx.sink.at(node, path, problem);
}
