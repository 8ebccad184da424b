import path from "node:path";
import type { Command } from "commander";
import { ServiceConfigurationNotFound } from "../../shared/errors/index.js";
import { checkService, type ServiceProblem } from "../../shared/service/index.js";
import { type CliOutput, describeError, displayPath, EXIT } from "../output.js";

export function registerServiceCommands(
  program: Command,
  output: CliOutput,
  setExitCode: (code: number) => void,
): void {
  const service = program.command("service").description("work with a service: octue.yaml, twine.json and app.py");

  service
    .command("validate")
    .description("check a service's configuration, twine and app without running it")
    .argument("[dir]", "the service's folder (default: the current folder)")
    .option(
      "-c, --service-config <file>",
      "the service configuration file (default: DIR/octue.yaml, or OCTUE_SERVICE_CONFIGURATION_PATH when no DIR is given)",
    )
    .addHelpText("after", "\nExit status: 0 valid, 1 problems found (each printed with its location), 2 usage error.")
    .action((dir: string | undefined, options: { serviceConfig?: string }) => {
      setExitCode(validateService(dir, options.serviceConfig, output));
    });
}

function validateService(dir: string | undefined, configFile: string | undefined, output: CliOutput): number {
  const cwd = path.resolve(dir ?? ".");
  const configurationPath = configFile ?? (dir === undefined ? undefined : "octue.yaml");
  const check = checkService({ cwd, ...(configurationPath === undefined ? {} : { configurationPath }) });

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
