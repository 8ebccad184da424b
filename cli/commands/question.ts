import { type Command, InvalidArgumentError } from "commander";
import { loadServiceConfiguration } from "../../shared/config/index.js";
import { ServiceConfigurationNotFound, TwinedError } from "../../shared/errors/index.js";
import { createQuestionAttributes } from "../../shared/events/index.js";
import type { JsonSource } from "../../shared/twine/index.js";
import { jsonArgument } from "../json-argument.js";
import { type CliOutput, describeError, EXIT } from "../output.js";
import { localIdentity, runServiceQuestion } from "../run-service-question.js";
import { TerminalEventSink } from "../terminal-event-sink.js";

/** The SRUID a local asker uses, as Octue's `Child` does by default. */
const LOCAL_ASKER_SRUID = "local/local:local";

interface AskLocalOptions {
  inputValues?: JsonSource;
  inputManifest?: JsonSource;
  serviceConfig?: string;
  childrenEmulators?: string;
  json?: boolean;
  heartbeatInterval?: number;
  timeout?: number;
  revisionTag?: string;
}

export function registerQuestionCommands(
  program: Command,
  output: CliOutput,
  setExitCode: (code: number) => void,
): void {
  const question = program.command("question").description("ask services questions");

  question
    .command("ask-local")
    .description("answer one question with the service in the current folder, without any network")
    .option("-i, --input-values <json>", "input values: inline JSON or @file.json", (value: string) =>
      jsonArgument(value, "--input-values"),
    )
    .option("-m, --input-manifest <json>", "input manifest: inline JSON or @file.json", (value: string) =>
      jsonArgument(value, "--input-manifest"),
    )
    .option(
      "-c, --service-config <file>",
      "the service configuration (default: octue.yaml, or OCTUE_SERVICE_CONFIGURATION_PATH)",
    )
    .option(
      "--children-emulators <file>",
      "a JSON file of scripted events per child key, to answer the app's child questions",
    )
    .option(
      "--revision-tag <tag>",
      "the revision tag to answer as (default: OCTUE_SERVICE_REVISION_TAG, or a generated one)",
    )
    .option("--heartbeat-interval <seconds>", "seconds between heartbeats", positiveSeconds, 60)
    .option("--timeout <seconds>", "cancel the question if it runs longer than this", positiveSeconds)
    .option("--json", "print every event as a JSON line on stderr instead of coloured logs")
    .addHelpText(
      "after",
      "\nThe final event (result or exception) is printed as JSON on stdout; logs and monitor messages go to stderr.\nExit status: 0 result, 1 exception, 2 usage error.",
    )
    .action(async (options: AskLocalOptions) => {
      setExitCode(await askLocal(options, output));
    });
}

async function askLocal(options: AskLocalOptions, output: CliOutput): Promise<number> {
  let loaded: ReturnType<typeof loadServiceConfiguration>;
  let inputValues: unknown;
  let inputManifest: unknown;
  try {
    loaded = loadServiceConfiguration(options.serviceConfig);
    inputValues = options.inputValues?.load("input_values").value;
    inputManifest = options.inputManifest?.load("input_manifest").value;
  } catch (error) {
    output.stderr.write(`${describeError(error)}\n`);
    return usageOrInvalid(error);
  }
  for (const warning of loaded.warnings) {
    output.stderr.write(`warning: ${warning.location.file}:${warning.location.line}: ${warning.message}\n`);
  }
  const identity = localIdentity(loaded, options.revisionTag, output);
  const question = {
    event: {
      kind: "question" as const,
      ...(inputValues === undefined ? {} : { input_values: inputValues }),
      ...(inputManifest === undefined ? {} : { input_manifest: inputManifest as never }),
    },
    attributes: createQuestionAttributes({ sender: LOCAL_ASKER_SRUID, recipient: identity.sruid }),
  };
  try {
    const final = await runServiceQuestion(
      loaded,
      question,
      identity.sruid,
      new TerminalEventSink(output.stderr, { json: options.json === true }),
      {
        childrenEmulators: options.childrenEmulators,
        heartbeatIntervalSeconds: options.heartbeatInterval,
        timeoutSeconds: options.timeout,
      },
      output,
    );
    output.stdout.write(`${JSON.stringify(final.event, null, 2)}\n`);
    return final.event.kind === "result" ? EXIT.ok : EXIT.invalid;
  } catch (error) {
    output.stderr.write(`${describeError(error)}\n`);
    return usageOrInvalid(error);
  }
}

/** Missing files are usage errors; anything else Twined rejects is invalid input. */
export function usageOrInvalid(error: unknown): number {
  const missing = error instanceof ServiceConfigurationNotFound || (error instanceof TwinedError && "code" in error);
  return missing ? EXIT.usage : EXIT.invalid;
}

export function positiveSeconds(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new InvalidArgumentError(`expected a positive number of seconds, got '${value}'`);
  }
  return number;
}
