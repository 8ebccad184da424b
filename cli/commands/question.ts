import type { Command } from "commander";
import type { AskLocalOptions } from "../actions/ask-local.js";
import { jsonArgument } from "../json-argument.js";
import { withRunOptions } from "../options.js";
import type { CliOutput } from "../output.js";

export function registerQuestionCommands(
  program: Command,
  output: CliOutput,
  setExitCode: (code: number) => void,
): void {
  const question = program.command("question").description("ask services questions");

  withRunOptions(
    question
      .command("ask-local")
      .description("answer one question with the service in the current folder, without any network")
      .option("-i, --input-values <json>", "input values: inline JSON or @file.json", (value: string) =>
        jsonArgument(value, "--input-values"),
      )
      .option("-m, --input-manifest <json>", "input manifest: inline JSON or @file.json", (value: string) =>
        jsonArgument(value, "--input-manifest"),
      ),
  )
    .option(
      "--revision-tag <tag>",
      "the revision tag to answer as (default: OCTUE_SERVICE_REVISION_TAG, or a generated one)",
    )
    .option("--json", "print every event as a JSON line on stderr instead of coloured logs")
    .option("-o, --output <file>", "write the final event to this file instead of stdout")
    .addHelpText(
      "after",
      "\nThe final event (result or exception) is printed as JSON on stdout; logs and monitor messages go to stderr.\nExit status: 0 result, 1 exception, 2 usage error.",
    )
    .action(async (options: AskLocalOptions) => {
      const { askLocal } = await import("../actions/ask-local.js");
      setExitCode(await askLocal(options, output));
    });
}
