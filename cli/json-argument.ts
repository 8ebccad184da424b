import path from "node:path";
import { JsonSource } from "../shared/twine/json-source.js";

/**
 * A command-line datum: inline JSON text, or `@path` to a JSON file. Inline text is named after its flag, so an error
 * in it reads `--input-values:1:11: …`.
 */
export function jsonArgument(value: string, flag: string): JsonSource {
  if (value.startsWith("@")) return JsonSource.file(path.resolve(value.slice(1)));
  return JsonSource.text(value, flag);
}
