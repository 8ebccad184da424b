/**
 * The network's deployment as the checks read it: cloudbuild.yaml with its substitutions applied as Cloud Build
 * would, and the two Terraform stacks evaluated with matching variables.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { definedProperties } from "../../shared/objects/index.js";
import { type StackEvaluator, TerraformStack } from "../../tools/deploy-checks/terraform-stack.js";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
export const PROJECT = "my-project";
/** What the checks take the project's number to be (data.google_project.current.number). */
export const PROJECT_NUMBER = "123456789012";

export interface BuildStep {
  readonly id: string;
  readonly name: string;
  readonly entrypoint?: string;
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly waitFor: readonly string[];
}

export interface NetworkBuild {
  readonly text: string;
  readonly substitutions: Readonly<Record<string, string>>;
  readonly steps: readonly BuildStep[];
}

export function loadNetworkBuild(): NetworkBuild {
  const text = readFileSync(path.join(ROOT, "cloudbuild.yaml"), "utf8");
  const parsed = parseYaml(text) as { substitutions?: Record<string, string>; steps: Partial<BuildStep>[] };
  return {
    text,
    substitutions: parsed.substitutions ?? {},
    steps: parsed.steps.map((step) => ({
      id: step.id ?? "",
      name: step.name ?? "",
      ...definedProperties({ entrypoint: step.entrypoint }),
      args: step.args ?? [],
      env: step.env ?? [],
      waitFor: step.waitFor ?? [],
    })),
  };
}

/** Cloud Build's substitution: `$NAME` and `${NAME}` replaced, `$$` left as one `$`; an unknown name is an error. */
export function substitute(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\{([A-Z_][A-Z0-9_]*)\}|\$([A-Z_][A-Z0-9_]*)/g, (whole, braced, bare) => {
    if (whole === "$$") return "$";
    const name = (braced ?? bare) as string;
    const value = values[name];
    if (value === undefined) throw new Error(`cloudbuild.yaml uses $${name}, which the check has no value for`);
    return value;
  });
}

/** The values a build of this network has: the file's substitutions (or overrides) and the built-ins it uses. */
export function buildValues(
  build: NetworkBuild,
  overrides: Readonly<Record<string, string>> = {},
): Readonly<Record<string, string>> {
  return { ...build.substitutions, PROJECT_ID: PROJECT, ...overrides };
}

/** The stage step's environment (the functions' settings), substituted. */
export function stageEnvironment(build: NetworkBuild, values: Readonly<Record<string, string>>) {
  const stage = build.steps.find((step) => step.id === "stage");
  if (stage === undefined) throw new Error("cloudbuild.yaml has no step with id 'stage'");
  return Object.fromEntries(
    stage.env.map((entry) => {
      const at = entry.indexOf("=");
      return [entry.slice(0, at), substitute(entry.slice(at + 1), values)];
    }),
  ) as Record<string, string>;
}

/** `--flag=value` (or `--flag value`) from a step's arguments; undefined when absent. */
export function flag(args: readonly string[], name: string): string | undefined {
  for (const [index, arg] of args.entries()) {
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
    if (arg === name) return args[index + 1] ?? "";
  }
  return undefined;
}

/** Providers' values the configuration does not decide, as they follow from it (emails, ids). */
function known(evaluator: () => StackEvaluator) {
  return (address: string, key: string | number | undefined, attribute: string): unknown => {
    const project = evaluator().variable("project");
    if (address.endsWith("google_service_account.twined") && (attribute === "email" || attribute === "name")) {
      const email = `${evaluator().variable("environment")}-twined-${key}@${project}.iam.gserviceaccount.com`;
      return attribute === "email" ? email : `projects/${project}/serviceAccounts/${email}`;
    }
    if (address.endsWith("google_pubsub_topic.network") && attribute === "id") {
      const topic = evaluator()
        .instances(address)
        .find((each) => each.key === key);
      return `projects/${project}/topics/${topic?.attributes.name}`;
    }
    if (address === "data.google_project.current" && attribute === "number") return PROJECT_NUMBER;
    return undefined;
  };
}

export async function loadStack(name: "durable" | "compute", variables: Readonly<Record<string, unknown>> = {}) {
  const stack = await TerraformStack.load(path.join(ROOT, "infra", name));
  let evaluator: StackEvaluator | undefined;
  evaluator = stack.evaluator({
    variables: { project: PROJECT, ...variables },
    known: known(() => evaluator as StackEvaluator),
  });
  return evaluator;
}
