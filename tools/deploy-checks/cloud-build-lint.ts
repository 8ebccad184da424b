import { type Document, isMap, isScalar, LineCounter, type Node, parseAllDocuments } from "yaml";
import { checkFunctionDeploys } from "./cloud-build-functions.js";
import { loadCloudBuildSchema } from "./cloud-build-schema.js";
import { checkSteps } from "./cloud-build-steps.js";
import { checkSubstitutions, type SubstitutionSettings } from "./cloud-build-substitutions.js";
import { checkMessage, type WalkContext } from "./cloud-build-walk.js";
import { type CloudBuildProblem, ProblemSink, YamlView } from "./cloud-build-yaml.js";

export type { CloudBuildProblem } from "./cloud-build-yaml.js";

export interface CloudBuildLintOptions {
  /** Substitutions the trigger or `gcloud builds submit --substitutions` will provide, beyond the file's own (names only). */
  readonly substitutions?: readonly string[];
  /** The ISO date (YYYY-MM-DD) runtimes are judged on against their support schedule; defaults to today (UTC). */
  readonly today?: string;
}

/**
 * Lints a Cloud Build config (cloudbuild.yaml or .json) offline against the API's protobuf description of a Build and
 * the rules Cloud Build and gcloud apply on submission. Never throws for a bad file; throws CloudBuildSchemaError if
 * the linter cannot read its own schema.
 */
export function lintCloudBuild(text: string, file: string, options: CloudBuildLintOptions = {}): CloudBuildProblem[] {
  const schema = loadCloudBuildSchema();
  const lineCounter = new LineCounter();
  // Merge keys (`<<: *step`) are on because gcloud's YAML loader honours them.
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true });
  const sink = new ProblemSink(file, text, lineCounter);
  const list = Array.isArray(documents) ? documents : [];
  const [document, ...extra] = list;
  for (const other of extra) {
    const start = other.contents?.range?.[0] ?? other.range[0];
    sink.atOffset(start, "(yaml)", "a build config holds one YAML document; remove this one");
  }
  if (document && reportYamlErrors(sink, document, text)) {
    const ctx: WalkContext = { view: new YamlView(document), sink, schema };
    lintBuild(ctx, document.contents, options);
  } else if (!document) {
    sink.atOffset(0, "(root)", "the file is empty; a build config needs at least steps:");
  }
  return sortProblems(sink.problems);
}

/** `file:line:column: path: message`, as editors and CI annotations read it. */
export function formatCloudBuildProblem(problem: CloudBuildProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.path}: ${problem.message}`;
}

/** Reports the parser's errors and warnings; true if the tree is sound enough to lint (duplicate keys only). */
function reportYamlErrors(sink: ProblemSink, document: Document, text: string): boolean {
  let sound = true;
  for (const error of [...document.errors, ...document.warnings]) {
    if (error.code === "DUPLICATE_KEY") {
      const key = /^[^:\s]+/.exec(text.slice(error.pos[0]))?.[0] ?? "";
      sink.atOffset(error.pos[0], "(yaml)", `duplicate key '${key}': it is already set in this mapping; keep one`);
      continue;
    }
    if (document.errors.includes(error)) sound = false;
    sink.atOffset(
      error.pos[0],
      "(yaml)",
      `YAML ${document.errors.includes(error) ? "syntax error" : "warning"}: ${error.message}`,
    );
  }
  return sound;
}

function lintBuild(ctx: WalkContext, contents: Node | null, options: CloudBuildLintOptions): void {
  if (!isMap(contents)) {
    ctx.sink.at(contents, "(root)", "a build config must be a mapping with steps: at its top level");
    return;
  }
  checkMessage(ctx, contents, ctx.schema.build, "");
  checkSteps(ctx, contents);
  checkSubstitutions(ctx, contents, substitutionSettings(ctx, contents, options));
  checkFunctionDeploys(ctx, contents, options.today ?? new Date().toISOString().slice(0, 10));
}

function substitutionSettings(ctx: WalkContext, root: Node, options: CloudBuildLintOptions): SubstitutionSettings {
  const buildOptions = ctx.view.field(root, "options")?.value;
  const option = (name: string): unknown => {
    const value = ctx.view.field(buildOptions, name)?.value;
    return isScalar(value) ? value.value : undefined;
  };
  return {
    dynamic: option("dynamicSubstitutions") === true,
    allowLoose: option("substitutionOption") === "ALLOW_LOOSE",
    automap: option("automapSubstitutions") === true,
    provided: options.substitutions ?? [],
  };
}

function sortProblems(problems: readonly CloudBuildProblem[]): CloudBuildProblem[] {
  const unique = new Map(problems.map((problem) => [formatCloudBuildProblem(problem), problem]));
  return [...unique.values()].sort((a, b) => a.line - b.line || a.column - b.column);
}
