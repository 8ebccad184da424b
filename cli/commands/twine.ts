import { type Command, Option } from "commander";
import type { StrandName } from "../../shared/errors/index.js";
import type { JsonSource } from "../../shared/twine/json-source.js";
import { jsonArgument } from "../json-argument.js";
import type { CliOutput } from "../output.js";

/** The data flags of `twine check`, in the order they are checked. */
export const DATA_OPTIONS: readonly { flag: string; key: string; strand: StrandName }[] = [
  { flag: "--configuration-values", key: "configurationValues", strand: "configuration_values" },
  { flag: "--configuration-manifest", key: "configurationManifest", strand: "configuration_manifest" },
  { flag: "--input-values", key: "inputValues", strand: "input_values" },
  { flag: "--input-manifest", key: "inputManifest", strand: "input_manifest" },
  { flag: "--output-values", key: "outputValues", strand: "output_values" },
  { flag: "--output-manifest", key: "outputManifest", strand: "output_manifest" },
  { flag: "--monitor-message", key: "monitorMessage", strand: "monitor_message" },
  { flag: "--children", key: "children", strand: "children" },
];

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
