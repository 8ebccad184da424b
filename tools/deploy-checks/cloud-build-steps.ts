import { isMap, isSeq, type Node } from "yaml";
import { didYouMean } from "./cloud-build-suggest.js";
import type { WalkContext } from "./cloud-build-walk.js";
import { childPath, isNullNode, keyText, stringValue } from "./cloud-build-yaml.js";

/**
 * Rules between fields that the proto cannot express: step ids and waitFor order, script against args and
 * entrypoint, KEY=value env entries, and secretEnv names that availableSecrets must define.
 */
export function checkSteps(ctx: WalkContext, root: Node): void {
  const steps = ctx.view.field(root, "steps");
  const source = ctx.view.field(root, "source");
  // gcloud refuses both before it sends the build (config.py FinalizeCloudbuildConfig).
  if (source) ctx.sink.at(source.pair.key as Node, "source", "a build config cannot specify source; remove it");
  const items = ctx.view.items(steps?.value);
  if (items.length === 0) {
    const at = (steps?.pair.key as Node | undefined) ?? root;
    ctx.sink.at(at, "steps", "a build config must list at least one step under steps:");
    return;
  }
  checkIdsAndWaitFor(ctx, items);
  const secrets = definedSecretEnv(ctx, root);
  items.forEach((step, index) => {
    const path = childPath("steps", index);
    checkScript(ctx, step, path);
    checkEnv(ctx, ctx.view.field(step, "env")?.value, childPath(path, "env"));
    checkSecretEnv(ctx, ctx.view.field(step, "secretEnv")?.value, childPath(path, "secretEnv"), secrets);
  });
  const options = ctx.view.field(root, "options")?.value;
  checkEnv(ctx, ctx.view.field(options, "env")?.value, "options.env");
  checkSecretEnv(ctx, ctx.view.field(options, "secretEnv")?.value, "options.secretEnv", secrets);
}

function checkIdsAndWaitFor(ctx: WalkContext, steps: readonly (Node | null)[]): void {
  const allIds = new Map<string, number>();
  steps.forEach((step, index) => {
    const id = stringValue(ctx.view.field(step, "id")?.value);
    if (id !== undefined && !allIds.has(id)) allIds.set(id, index);
  });
  const earlier = new Map<string, number>();
  steps.forEach((step, index) => {
    const path = childPath("steps", index);
    checkWaitFor(ctx, step, index, earlier, allIds);
    const idNode = ctx.view.field(step, "id")?.value;
    const id = stringValue(idNode);
    if (id === undefined) return;
    const first = earlier.get(id);
    if (first === undefined) earlier.set(id, index);
    else
      ctx.sink.at(
        idNode,
        childPath(path, "id"),
        `step id '${id}' is already used by steps[${first}]; ids must be unique`,
      );
  });
}

function checkWaitFor(
  ctx: WalkContext,
  step: Node | null,
  stepIndex: number,
  earlier: ReadonlyMap<string, number>,
  allIds: ReadonlyMap<string, number>,
): void {
  const path = childPath("steps", stepIndex);
  const entries = ctx.view.items(ctx.view.field(step, "waitFor")?.value);
  entries.forEach((entry, index) => {
    const name = stringValue(entry);
    const entryPath = childPath(childPath(path, "waitFor"), index);
    if (name === undefined) return; // The type check reports non-strings.
    if (name === "-") {
      if (entries.length > 1) ctx.sink.at(entry, entryPath, "'-' (start at once) must be the only entry of waitFor");
      return;
    }
    if (earlier.has(name)) return;
    ctx.sink.at(entry, entryPath, waitForProblem(name, stepIndex, earlier, allIds.get(name)));
  });
}

function waitForProblem(name: string, stepIndex: number, earlier: ReadonlyMap<string, number>, at?: number): string {
  if (at === stepIndex) return `a step cannot wait for itself ('${name}')`;
  if (at !== undefined) {
    return `'${name}' is steps[${at}], which comes later; a step can only wait for steps defined before it`;
  }
  const ids = [...earlier.keys()];
  return `unknown step id '${name}' (earlier ids: ${ids.join(", ") || "none"})${didYouMean(name, ids)}`;
}

function checkScript(ctx: WalkContext, step: Node | null, path: string): void {
  const script = ctx.view.field(step, "script");
  if (!script || isNullNode(script.value)) return;
  const keyNode = script.pair.key as Node;
  const scriptPath = childPath(path, keyText(script.pair.key) ?? "script");
  for (const other of ["args", "entrypoint"]) {
    if (!isNullNode(ctx.view.field(step, other)?.value)) {
      ctx.sink.at(
        keyNode,
        scriptPath,
        `a step has either script or ${other}, not both; move the ${other} into the script`,
      );
    }
  }
}

function checkEnv(ctx: WalkContext, env: Node | null | undefined, path: string): void {
  if (!isSeq(env)) return;
  ctx.view.items(env).forEach((entry, index) => {
    const text = stringValue(entry);
    if (text !== undefined && !/^[^=\s]+=/.test(text)) {
      ctx.sink.at(entry, childPath(path, index), `env entry '${text}' must look like KEY=value`);
    }
  });
}

/** Names that availableSecrets (or the older secrets field) turn into environment variables. */
function definedSecretEnv(ctx: WalkContext, root: Node): Set<string> {
  const names = new Set<string>();
  const available = ctx.view.field(root, "availableSecrets")?.value;
  for (const secret of ctx.view.items(ctx.view.field(available, "secretManager")?.value)) {
    const env = stringValue(ctx.view.field(secret, "env")?.value);
    if (env !== undefined) names.add(env);
  }
  const mapKeys = (map: Node | null | undefined) =>
    isMap(map) ? ctx.view.pairs(map).map((pair) => keyText(pair.key)) : [];
  for (const inline of ctx.view.items(ctx.view.field(available, "inline")?.value)) {
    for (const key of mapKeys(ctx.view.field(inline, "envMap")?.value)) if (key !== undefined) names.add(key);
  }
  for (const secret of ctx.view.items(ctx.view.field(root, "secrets")?.value)) {
    for (const key of mapKeys(ctx.view.field(secret, "secretEnv")?.value)) if (key !== undefined) names.add(key);
  }
  return names;
}

function checkSecretEnv(
  ctx: WalkContext,
  list: Node | null | undefined,
  path: string,
  defined: ReadonlySet<string>,
): void {
  ctx.view.items(list).forEach((entry, index) => {
    const name = stringValue(entry);
    if (name === undefined || defined.has(name)) return;
    const message = `secret env '${name}' is not defined; add it to availableSecrets.secretManager (env: ${name}) or availableSecrets.inline envMap${didYouMean(name, defined)}`;
    ctx.sink.at(entry, childPath(path, index), message);
  });
}
