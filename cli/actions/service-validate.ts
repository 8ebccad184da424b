import path from "node:path";
import { displayPath } from "../../shared/display-path.js";
import { ServiceConfigurationNotFound } from "../../shared/errors/index.js";
import { definedProperties } from "../../shared/objects/index.js";
import { checkService, type ServiceProblem } from "../../shared/service/index.js";
import { type CliOutput, describeError, EXIT } from "../output.js";

// Its own module, importing only what checking needs: `twined service validate` is run often, and loading the
// runner, the job connections and the loggers that answering needs would cost it more than the check itself.

export function validateService(dir: string | undefined, configFile: string | undefined, output: CliOutput): number {
  const cwd = path.resolve(dir ?? ".");
  const configurationPath = configFile ?? (dir === undefined ? undefined : "octue.yaml");
  const check = checkService({ cwd, ...definedProperties({ configurationPath }) });

  for (const warning of check.warnings) {
    output.stderr.write(`${formatLocation(warning.location)}warning: ${warning.message}\n`);
  }
  const [first] = check.problems;
  if (check.problems.length === 1 && first?.error instanceof ServiceConfigurationNotFound) {
    output.stderr.write(`${describeError(first.error)}\n`);
    return EXIT.usage;
  }
  for (const problem of check.problems) output.stdout.write(`${formatProblem(problem)}\n`);
  if (check.problems.length > 0) {
    output.stdout.write(`${check.problems.length} problem${check.problems.length === 1 ? "" : "s"} found\n`);
    return EXIT.invalid;
  }
  const configuration = check.configuration?.configuration;
  const app = check.app;
  output.stdout.write(
    `ok: ${configuration?.namespace}/${configuration?.name} (${displayPath(configuration?.path ?? "")}; app ${app?.kind === "class" ? "class App" : "function run"} in ${displayPath(app?.file ?? "")}:${app?.line})\n`,
  );
  return EXIT.ok;
}

function formatProblem(problem: ServiceProblem): string {
  if (problem.location === undefined) return describeError(problem.error);
  return `${formatLocation(problem.location)}${problem.error.name}: ${problem.error.message}`;
}

function formatLocation(location: { file?: string; line?: number; column?: number }): string {
  if (location.file === undefined) return "";
  const line = location.line === undefined ? "" : `:${location.line}`;
  const column = location.line !== undefined && location.column !== undefined ? `:${location.column}` : "";
  return `${displayPath(location.file)}${line}${column}: `;
}

/** Writes each event envelope as one JSON line: what a job's log collector or a wrapping process reads. */
