/**
 * The fields Kubernetes knows, read from kubernetes-models' generated type definitions, to reject unknown fields.
 *
 * kubernetes-models validates types, enums and required fields but lets unknown fields through (a real apiserver with
 * `fieldValidation=Strict` rejects them; the default silently drops them, which hides typos such as
 * `imagePullPolicyy`). The package ships its schemas only as compiled validators, so the field lists come from its
 * `.d.ts` files, which are generated from the same OpenAPI document: the TypeScript compiler reads them once per
 * process (about a second) and the result is a small tree walked for every request.
 */
import { createRequire } from "node:module";
import path from "node:path";
import ts from "typescript";
import { isRecord, type JsonObject } from "./json.js";
import type { StatusCause } from "./status.js";

export type FieldShape =
  | { readonly kind: "leaf" }
  | { readonly kind: "open" }
  | { readonly kind: "object"; readonly type: string }
  | { readonly kind: "array"; readonly items: FieldShape }
  | { readonly kind: "map"; readonly values: FieldShape };

/** Object types by name, each the shapes of its fields. */
export type FieldTree = ReadonlyMap<string, ReadonlyMap<string, FieldShape>>;

/**
 * The root types checked, by the name used in `unknownFields`: what the fake serves, and the objects the deployment
 * (infra/compute/kubernetes) creates.
 */
export type RootType =
  | "Job"
  | "Pod"
  | "PodTemplateSpec"
  | "ObjectMeta"
  | "Namespace"
  | "ServiceAccount"
  | "Role"
  | "RoleBinding"
  | "ClusterRole"
  | "ClusterRoleBinding";

interface LoadedTree {
  readonly tree: FieldTree;
  readonly roots: Readonly<Record<RootType, string>>;
}

let loaded: LoadedTree | undefined;

function build(): LoadedTree {
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve("kubernetes-models/package.json"));
  const files = {
    Job: "batch/v1/Job.d.ts",
    Pod: "v1/Pod.d.ts",
    PodTemplateSpec: "v1/PodTemplateSpec.d.ts",
    Namespace: "v1/Namespace.d.ts",
    ServiceAccount: "v1/ServiceAccount.d.ts",
    Role: "rbac.authorization.k8s.io/v1/Role.d.ts",
    RoleBinding: "rbac.authorization.k8s.io/v1/RoleBinding.d.ts",
    ClusterRole: "rbac.authorization.k8s.io/v1/ClusterRole.d.ts",
    ClusterRoleBinding: "rbac.authorization.k8s.io/v1/ClusterRoleBinding.d.ts",
  };
  const program = ts.createProgram(
    Object.values(files).map((file) => path.join(root, file)),
    // Only es5's lib, for Array: the definitions use nothing else, and the DOM lib would double the time.
    {
      lib: ["lib.es5.d.ts"],
      types: [],
      skipLibCheck: true,
      noEmit: true,
      moduleResolution: ts.ModuleResolutionKind.Node10,
    },
  );
  const checker = program.getTypeChecker();
  const tree = new Map<string, Map<string, FieldShape>>();
  const names = new Map<ts.Type, string>();

  const declaredType = (file: string, interfaceName: string): ts.Type => {
    const source = program.getSourceFile(path.join(root, file));
    const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    const symbol = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((each) => each.name === interfaceName);
    if (symbol === undefined) throw new Error(`kubernetes-models: ${interfaceName} not found in ${file}`);
    return checker.getDeclaredTypeOfSymbol(symbol);
  };

  const shapeOf = (raw: ts.Type): FieldShape => {
    let type = checker.getNonNullableType(raw);
    if (type.isUnion()) {
      // IntOrString and Quantity are `string | number`; enums are unions of literals: all leaves.
      const objects = type.types.filter((member) => member.flags & ts.TypeFlags.Object);
      if (objects.length === 0) return { kind: "leaf" };
      type = objects[0] as ts.Type;
    }
    if (!(type.flags & ts.TypeFlags.Object)) return { kind: "leaf" };
    if (checker.isArrayType(type)) {
      const [element] = checker.getTypeArguments(type as ts.TypeReference);
      return { kind: "array", items: element === undefined ? { kind: "open" } : shapeOf(element) };
    }
    const properties = checker.getPropertiesOfType(type);
    const index = type.getStringIndexType();
    if (properties.length === 0)
      return index === undefined ? { kind: "open" } : { kind: "map", values: shapeOf(index) };
    return { kind: "object", type: register(type) };
  };

  const register = (type: ts.Type): string => {
    const known = names.get(type);
    if (known !== undefined) return known;
    const base = type.getSymbol()?.getName() ?? "Anonymous";
    let name = base;
    for (let n = 2; tree.has(name); n++) name = `${base}${n}`;
    names.set(type, name);
    const fields = new Map<string, FieldShape>();
    tree.set(name, fields);
    for (const property of checker.getPropertiesOfType(type)) {
      fields.set(property.getName(), shapeOf(checker.getTypeOfSymbol(property)));
    }
    return name;
  };

  const job = register(declaredType(files.Job, "IJob"));
  const pod = register(declaredType(files.Pod, "IPod"));
  const template = register(declaredType(files.PodTemplateSpec, "IPodTemplateSpec"));
  const meta = tree.get(template)?.get("metadata");
  if (meta?.kind !== "object") throw new Error("kubernetes-models: PodTemplateSpec.metadata is not an object type");
  return {
    tree,
    roots: {
      Job: job,
      Pod: pod,
      PodTemplateSpec: template,
      ObjectMeta: meta.type,
      Namespace: register(declaredType(files.Namespace, "INamespace")),
      ServiceAccount: register(declaredType(files.ServiceAccount, "IServiceAccount")),
      Role: register(declaredType(files.Role, "IRole")),
      RoleBinding: register(declaredType(files.RoleBinding, "IRoleBinding")),
      ClusterRole: register(declaredType(files.ClusterRole, "IClusterRole")),
      ClusterRoleBinding: register(declaredType(files.ClusterRoleBinding, "IClusterRoleBinding")),
    },
  };
}

/** Loads the tree (once per process). Call early so the first request does not pay for it. */
export function loadFieldTree(): LoadedTree {
  loaded ??= build();
  return loaded;
}

/** Every field of `value` that the Kubernetes type `root` does not declare, as 422 causes. */
export function unknownFields(value: unknown, root: RootType, basePath = ""): StatusCause[] {
  const { tree, roots } = loadFieldTree();
  const causes: StatusCause[] = [];
  const join = (prefix: string, key: string): string => (prefix === "" ? key : `${prefix}.${key}`);
  const walk = (current: unknown, shape: FieldShape, at: string): void => {
    if (shape.kind === "array") {
      if (Array.isArray(current)) {
        for (const [index, item] of current.entries()) walk(item, shape.items, `${at}[${index}]`);
      }
    } else if (shape.kind === "map") {
      if (isRecord(current))
        for (const [key, item] of Object.entries(current)) walk(item, shape.values, `${at}[${key}]`);
    } else if (shape.kind === "object" && isRecord(current)) {
      const fields = tree.get(shape.type);
      if (fields === undefined) return;
      for (const [key, item] of Object.entries(current as JsonObject)) {
        const field = fields.get(key);
        const where = join(at, key);
        if (field === undefined) {
          causes.push({ reason: "FieldValueInvalid", field: where, message: `unknown field "${where}"` });
        } else walk(item, field, where);
      }
    }
  };
  walk(value, { kind: "object", type: roots[root] }, basePath);
  return causes;
}
