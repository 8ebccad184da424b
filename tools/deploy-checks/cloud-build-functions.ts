import { isScalar, type Node } from "yaml";
import type { WalkContext } from "./cloud-build-walk.js";
import { childPath, keyText, stringValue } from "./cloud-build-yaml.js";

export interface RuntimeSchedule {
  readonly id: string;
  /** ISO date (or month, where Google gives only that) on which deprecation begins. */
  readonly deprecated: string;
  /** ISO date (or month) from which new deploys with the runtime fail. */
  readonly decommissioned: string;
}

/**
 * Node.js rows of the "Cloud Run functions runtime support schedule"
 * (https://cloud.google.com/functions/docs/runtime-support, as published in 2026). Only dates read from that page are
 * here; runtimes it does not list (other languages included) are not judged.
 */
export const FUNCTION_RUNTIMES: readonly RuntimeSchedule[] = [
  { id: "nodejs24", deprecated: "2028-04-30", decommissioned: "2028-10-31" },
  { id: "nodejs22", deprecated: "2027-04-30", decommissioned: "2027-10-31" },
  { id: "nodejs20", deprecated: "2026-04-30", decommissioned: "2026-10-30" },
  { id: "nodejs18", deprecated: "2025-04-30", decommissioned: "2025-10-30" },
  { id: "nodejs16", deprecated: "2024-01-30", decommissioned: "2025-01-30" },
  { id: "nodejs14", deprecated: "2024-01-30", decommissioned: "2025-01-30" },
  { id: "nodejs12", deprecated: "2024-01-30", decommissioned: "2025-01-30" },
  { id: "nodejs10", deprecated: "2024-01-30", decommissioned: "2025-01-30" },
  { id: "nodejs8", deprecated: "2020-06-05", decommissioned: "2021-02" },
  { id: "nodejs6", deprecated: "2019-04-17", decommissioned: "2020-08" },
];

/** One word of a command line, with the YAML string it was written in (to point at it). */
interface Word {
  readonly text: string;
  readonly raw: string;
  readonly node: Node;
  readonly path: string;
  readonly occurrence: number;
}

/** Finds `gcloud functions deploy` in each step, however it is run, and judges its `--runtime` against the schedule. */
export function checkFunctionDeploys(ctx: WalkContext, root: Node, today: string): void {
  ctx.view.items(ctx.view.field(root, "steps")?.value).forEach((step, index) => {
    for (const command of stepCommands(ctx, step, childPath("steps", index))) checkCommand(ctx, command, today);
  });
}

function stepCommands(ctx: WalkContext, step: Node | null, path: string): Word[][] {
  const commands: Word[][] = [];
  const argv: Word[] = [];
  const addString = (node: Node | null, nodePath: string): void => {
    const text = stringValue(node);
    if (text === undefined || !node) return;
    // A string with spaces is a shell line (`bash -c '…'`, a script): split it into commands and words.
    if (/\s/.test(text.trim())) commands.push(...shellCommands(text, node, nodePath));
    else argv.push({ text, raw: text, node, path: nodePath, occurrence: 0 });
  };
  const entrypoint = ctx.view.field(step, "entrypoint");
  if (entrypoint) addString(entrypoint.value, childPath(path, keyText(entrypoint.pair.key) ?? "entrypoint"));
  ctx.view.items(ctx.view.field(step, "args")?.value).forEach((arg, index) => {
    addString(arg, childPath(childPath(path, "args"), index));
  });
  const script = ctx.view.field(step, "script");
  if (script && isScalar(script.value))
    commands.push(...shellCommands(String(script.value.value), script.value, childPath(path, "script")));
  return [argv, ...commands];
}

function shellCommands(text: string, node: Node, path: string): Word[][] {
  const seen = new Map<string, number>();
  const joined = text.replace(/\\\r?\n/g, " ");
  return joined.split(/\r?\n|;|&&|\|\|?/).map((command) =>
    command
      .split(/\s+/)
      .filter((raw) => raw !== "")
      .map((raw) => {
        const occurrence = seen.get(raw) ?? 0;
        seen.set(raw, occurrence + 1);
        return { text: raw.replace(/^["']|["']$/g, ""), raw, node, path, occurrence };
      }),
  );
}

function checkCommand(ctx: WalkContext, words: readonly Word[], today: string): void {
  const start = words.findIndex((word, index) => word.text === "functions" && words[index + 1]?.text === "deploy");
  const deploy = words[start];
  if (!deploy) return;
  const runtime = findRuntime(words.slice(start + 2));
  if (!runtime) {
    const suggestion = supportedRuntimes("nodejs", today)[0] ?? "nodejs22";
    const message = `gcloud functions deploy without --runtime; name the runtime: --runtime=${suggestion}`;
    ctx.sink.inScalar(deploy.node, deploy.raw, deploy.occurrence, deploy.path, message);
    return;
  }
  const message = runtimeProblem(runtime.value, today);
  if (message !== undefined)
    ctx.sink.inScalar(runtime.word.node, runtime.word.raw, runtime.word.occurrence, runtime.word.path, message);
}

function findRuntime(words: readonly Word[]): { value: string; word: Word } | undefined {
  for (const [index, word] of words.entries()) {
    if (word.text.startsWith("--runtime=")) return { value: word.text.slice("--runtime=".length), word };
    const next = words[index + 1];
    if (word.text === "--runtime" && next) return { value: next.text, word: next };
  }
  return undefined;
}

/** What is wrong with deploying `runtime` on `today` (an ISO date), or undefined if nothing is known to be. */
export function runtimeProblem(runtime: string, today: string): string | undefined {
  if (runtime.includes("$")) return undefined; // A substitution: its value is not known here.
  const schedule = FUNCTION_RUNTIMES.find((entry) => entry.id === runtime);
  if (!schedule || today < schedule.deprecated) return undefined;
  const family = /^[a-z]+/.exec(runtime)?.[0] ?? runtime;
  const instead = supportedRuntimes(family, today).join(" or ");
  const use = instead === "" ? "" : `; use ${instead}`;
  if (today >= schedule.decommissioned) {
    return `runtime ${runtime} was decommissioned on ${schedule.decommissioned} (deprecated since ${schedule.deprecated}): deploys with it fail${use}`;
  }
  return `runtime ${runtime} is deprecated since ${schedule.deprecated} and will be decommissioned on ${schedule.decommissioned}, when deploys with it start to fail${use}`;
}

function supportedRuntimes(family: string, today: string): string[] {
  const version = (id: string) => Number(id.slice(family.length));
  return FUNCTION_RUNTIMES.filter((entry) => entry.id.startsWith(family) && today < entry.deprecated)
    .map((entry) => entry.id)
    .sort((a, b) => version(a) - version(b));
}
