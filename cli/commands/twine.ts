import { type Command, Option } from "commander";
import type { JsonSource } from "../../shared/twine/json-source.js";
import { jsonArgument } from "../json-argument.js";
import type { CliOutput } from "../output.js";
import { DATA_OPTIONS } from "../twine-data-options.js";

export function registerTwineCommands(program: Command, output: CliOutput, setExitCode: (code: number) => void): void {
  const twine = program.command("twine").description("work with twine files");

  const check = twine
    .command("check")
    .description("validate a twine, then each datum given against its strand")
    .argument("<twine>", "the twine file (twine.json)");
  for (const option of DATA_OPTIONS) {
    check.addOption(
      new Option(`${option.flag} <json>`, `${option.strand} data: inline JSON, or @file.json`).argParser(
        (value: string) => jsonArgument(value, option.flag),
      ),
    );
  }
  check
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        `  twined twine check twine.json --input-values '{"height": 3}'`,
        "  twined twine check twine.json --input-manifest @manifest.json",
        "",
        "Exit status: 0 all valid, 1 the twine or a datum is invalid, 2 usage error (including a missing file).",
      ].join("\n"),
    )
    .action(async (twinePath: string, options: Record<string, JsonSource | undefined>) => {
      const { checkTwine } = await import("../actions/twine-check.js");
      setExitCode(checkTwine(twinePath, options, output));
    });
}
