import { createInterface } from "node:readline/promises";
import type { AskNamespace } from "./actions/service-init.js";

/**
 * Asks for the namespace on the terminal, or undefined when stdin or stdout is not one (a script, a pipe): there
 * nobody can answer, so `service init` writes its placeholder instead of waiting.
 */
export function terminalNamespacePrompt(
  input: NodeJS.ReadStream = process.stdin,
  output: NodeJS.WriteStream = process.stdout,
): AskNamespace | undefined {
  if (input.isTTY !== true || output.isTTY !== true) return undefined;
  return async (suggestion) => {
    const readline = createInterface({ input, output });
    // Ctrl-C or Ctrl-D at the prompt gives up; without this, readline would only pause on Ctrl-C and wait.
    const closed = new Promise<undefined>((resolve) => readline.once("close", () => resolve(undefined)));
    readline.once("SIGINT", () => readline.close());
    try {
      const hint = suggestion === undefined ? "" : ` [${suggestion}]`;
      return await Promise.race([
        readline.question(`Your organisation's namespace (lowercase letters, digits, hyphens)${hint}: `),
        closed,
      ]);
    } catch {
      return undefined;
    } finally {
      readline.close();
    }
  };
}
