import path from "node:path";
import { type Command, Option } from "commander";
import { SourceFileNotFound, type StrandName } from "../../shared/errors/index.js";
import { JsonSource, loadTwine, type Twine } from "../../shared/twine/index.js";
import { jsonArgument } from "../json-argument.js";
import { type CliOutput, describeError, EXIT } from "../output.js";

/** The data flags of `twine check`, in the order they are checked. */
const DATA_OPTIONS: readonly { flag: string; key: string; strand: StrandName }[] = [
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
    .action((twinePath: string, options: Record<string, JsonSource | undefined>) => {
      setExitCode(checkTwine(twinePath, options, output));
    });
}

function checkTwine(twinePath: string, options: Record<string, JsonSource | undefined>, output: CliOutput): number {
  let twine: Twine;
  try {
    twine = loadTwine(JsonSource.file(path.resolve(twinePath)));
  } catch (error) {
    output.stdout.write(`${describeError(error)}\n`);
    return error instanceof SourceFileNotFound ? EXIT.usage : EXIT.invalid;
  }

  const failures: string[] = [];
  let missingFile = false;
  for (const option of DATA_OPTIONS) {
    const source = options[option.key];
    if (source === undefined) continue;
    try {
      if (option.strand === "monitor_message") twine.validateMonitorMessage(source);
      else twine.validate(option.strand, source);
    } catch (error) {
      missingFile ||= error instanceof SourceFileNotFound;
      const description = describeError(error);
      failures.push(description.startsWith(option.flag) ? description : `${option.flag}: ${description}`);
    }
  }
  if (failures.length === 0) {
    output.stdout.write("ok\n");
    return EXIT.ok;
  }
  for (const failure of failures) output.stdout.write(`${failure}\n`);
  return missingFile ? EXIT.usage : EXIT.invalid;
}
