import path from "node:path";
import { SourceFileNotFound } from "../../shared/errors/index.js";
import { JsonSource, loadTwine, type Twine } from "../../shared/twine/index.js";
import { type CliOutput, describeError, EXIT } from "../output.js";
import { DATA_OPTIONS } from "../twine-data-options.js";

export function checkTwine(
  twinePath: string,
  options: Record<string, JsonSource | undefined>,
  output: CliOutput,
): number {
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
