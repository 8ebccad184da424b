import { isMap, isScalar, isSeq, type Node } from "yaml";
import { closest } from "./cloud-build-suggest.js";
import type { WalkContext } from "./cloud-build-walk.js";
import { childPath, keyText, stringValue, toCamelCase } from "./cloud-build-yaml.js";

/** What Cloud Build substitutes in every build (https://cloud.google.com/build/docs/configuring-builds/substitute-variable-values). */
export const BUILT_IN_SUBSTITUTIONS: readonly string[] = [
  ...["PROJECT_ID", "BUILD_ID", "PROJECT_NUMBER", "LOCATION", "TRIGGER_NAME", "COMMIT_SHA", "REVISION_ID"],
  ...["SHORT_SHA", "REPO_NAME", "REPO_FULL_NAME", "BRANCH_NAME", "TAG_NAME", "REF_NAME"],
  ...["TRIGGER_BUILD_CONFIG_PATH", "SERVICE_ACCOUNT_EMAIL", "SERVICE_ACCOUNT"],
  // Pull-request triggers add these; a config run by one may use them without defining them.
  ...["_HEAD_BRANCH", "_BASE_BRANCH", "_HEAD_REPO_URL", "_PR_NUMBER"],
];

/** gcloud's rule for the keys of `substitutions:` (config.py `_BUILTIN_SUBSTITUTION_REGEX`). */
const USER_SUBSTITUTION = /^_[A-Z0-9_]+$/;

export interface SubstitutionReference {
  readonly name: string;
  /** As written: `$_REGION`, `${_REGION}` or `${_REGION:-eu}`. */
  readonly token: string;
  /** A bash-style `${NAME…}` expansion, which only dynamicSubstitutions allows. */
  readonly expression: boolean;
}

/** The `$NAME` and `${…}` references in a string; `$$` is an escaped dollar and starts none. */
export function substitutionReferences(text: string): SubstitutionReference[] {
  const references: SubstitutionReference[] = [];
  for (let index = text.indexOf("$"); index >= 0; index = text.indexOf("$", index + 1)) {
    const next = text[index + 1];
    if (next === "$") {
      index++;
    } else if (next === "{") {
      const close = text.indexOf("}", index);
      if (close < 0) continue;
      const inner = text.slice(index + 2, close);
      // `${#VAR}` (length) and `${!VAR}` name the variable after the operator.
      const name = /^[#!]?([A-Za-z_][A-Za-z0-9_]*)/.exec(inner)?.[1];
      if (name !== undefined)
        references.push({ name, token: text.slice(index, close + 1), expression: inner !== name });
      index = close;
    } else {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(index + 1))?.[0];
      if (name !== undefined) references.push({ name, token: `$${name}`, expression: false });
    }
  }
  return references;
}

export interface SubstitutionSettings {
  readonly dynamic: boolean;
  readonly allowLoose: boolean;
  readonly automap: boolean;
  /** Names the trigger or `--substitutions` provide. */
  readonly provided: readonly string[];
}

interface Definitions {
  readonly known: ReadonlySet<string>;
  readonly invalidKeys: ReadonlySet<string>;
  /** The file's valid keys with their key nodes, for the unused check. */
  readonly own: ReadonlyMap<string, Node>;
}

/** Checks substitution keys, every `$NAME` in substituted strings, and substitutions defined but never used. */
export function checkSubstitutions(ctx: WalkContext, root: Node, settings: SubstitutionSettings): void {
  const definitions = readDefinitions(ctx, root, settings);
  const used = new Set<string>();
  const visit = (node: unknown, path: string, canonical: string): void => {
    const resolved = node as Node | null;
    if (isMap(resolved)) {
      for (const pair of resolved.items) {
        const key = keyText(pair.key);
        if (key !== undefined) visit(pair.value, childPath(path, key), childPath(canonical, toCamelCase(key)));
      }
    } else if (isSeq(resolved)) {
      for (const [index, item] of resolved.items.entries()) {
        visit(item, childPath(path, index), childPath(canonical, index));
      }
    } else if (isScalar(resolved) && typeof resolved.value === "string") {
      checkString(ctx, resolved, path, canonical, { settings, definitions, used, root });
    }
  };
  visit(root, "", "");
  if (settings.allowLoose) return;
  for (const [name, keyNode] of definitions.own) {
    if (used.has(name)) continue;
    const message = `substitution '${name}' is defined but never used; use it as \${${name}}, remove it, or set options.substitutionOption: ALLOW_LOOSE`;
    ctx.sink.at(keyNode, childPath("substitutions", name), message);
  }
}

function readDefinitions(ctx: WalkContext, root: Node, settings: SubstitutionSettings): Definitions {
  const known = new Set([...BUILT_IN_SUBSTITUTIONS, ...settings.provided]);
  const invalidKeys = new Set<string>();
  const own = new Map<string, Node>();
  const map = ctx.view.field(root, "substitutions")?.value;
  if (!isMap(map)) return { known, invalidKeys, own };
  for (const pair of ctx.view.pairs(map)) {
    const key = keyText(pair.key);
    if (key === undefined) continue;
    if (USER_SUBSTITUTION.test(key)) {
      known.add(key);
      own.set(key, pair.key as Node);
      continue;
    }
    invalidKeys.add(key);
    const fix = `_${key
      .replace(/^_+/, "")
      .toUpperCase()
      .replace(/[^A-Z0-9_]/g, "_")}`;
    const message = `substitution key '${key}' must match ^_[A-Z0-9_]+$ (start with _, then capitals, digits or _); rename it to '${fix}'`;
    ctx.sink.at(pair.key as Node, childPath("substitutions", key), message);
  }
  return { known, invalidKeys, own };
}

interface StringContext {
  readonly settings: SubstitutionSettings;
  readonly definitions: Definitions;
  readonly used: Set<string>;
  readonly root: Node;
}

function checkString(ctx: WalkContext, node: Node, path: string, canonical: string, context: StringContext): void {
  const text = stringValue(node) ?? "";
  const references = substitutionReferences(text);
  const script = /^steps\[(\d+)\]\.script$/.exec(canonical);
  if (script) {
    // Cloud Build does not substitute scripts; with automapSubstitutions the values arrive as environment variables.
    if (automapsStep(ctx, context, Number(script[1])))
      for (const reference of references) context.used.add(reference.name);
    return;
  }
  if (!isSubstituted(canonical, context.settings.dynamic)) return;
  const seen = new Map<string, number>();
  for (const reference of references) {
    context.used.add(reference.name);
    const occurrence = seen.get(reference.token) ?? 0;
    seen.set(reference.token, occurrence + 1);
    const message = referenceProblem(reference, context);
    if (message !== undefined) ctx.sink.inScalar(node, reference.token, occurrence, path, message);
  }
}

/** Strings Cloud Build does not substitute: secret payloads, and substitution values unless dynamicSubstitutions. */
function isSubstituted(canonical: string, dynamic: boolean): boolean {
  if (/^substitutions\./.test(canonical)) return dynamic;
  return !/^availableSecrets\.inline\[\d+\]\.envMap\.|^secrets\[\d+\]\.secretEnv\./.test(canonical);
}

function automapsStep(ctx: WalkContext, context: StringContext, index: number): boolean {
  const step = ctx.view.items(ctx.view.field(context.root, "steps")?.value)[index];
  const own = ctx.view.field(step, "automapSubstitutions")?.value;
  return isScalar(own) && typeof own.value === "boolean" ? own.value : context.settings.automap;
}

function referenceProblem(reference: SubstitutionReference, context: StringContext): string | undefined {
  const { name, token } = reference;
  if (reference.expression && !context.settings.dynamic) {
    return `'${token}' is a bash-style expansion, which Cloud Build only evaluates with options.dynamicSubstitutions: true`;
  }
  if (context.definitions.known.has(name)) return undefined;
  return `'${token}' is neither a built-in substitution nor defined${undefinedHint(name, token, context.definitions)}`;
}

function undefinedHint(name: string, token: string, definitions: Definitions): string {
  const bare = name.replace(/^_+/, "");
  const invalid = [...definitions.invalidKeys].find((key) => key === name || key === bare);
  if (invalid !== undefined) return `; substitutions: spells it '${invalid}', which must be renamed to '_${bare}'`;
  const suggestion = closest(name, definitions.known);
  const braced = token.startsWith("${");
  const guess = suggestion === undefined ? "" : `; did you mean '${braced ? `\${${suggestion}}` : `$${suggestion}`}'?`;
  if (name.startsWith("_")) {
    const define = `define it under substitutions: or pass it with --substitutions=${name}=VALUE`;
    return guess === "" ? `; ${define}` : `${guess} If not, ${define}`;
  }
  if (guess !== "") return guess;
  return `; a shell or environment variable is written $$${name}, and your own substitutions start with _ (e.g. _${name.toUpperCase()})`;
}
