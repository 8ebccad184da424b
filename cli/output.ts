import { displayPath } from "../shared/display-path.js";
import { TwinedError } from "../shared/errors/index.js";

/** Where the CLI writes; injected so tests can capture it. */
export interface CliOutput {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

/**
 * One line per error. With a file position it reads like a compiler's (`octue.yaml:3:16: Class: message`); with only
 * a JSON pointer the pointer follows (`Class: message (at /height)`).
 */
export function describeError(error: unknown): string {
  if (error instanceof TwinedError) {
    const file = error.location?.file;
    if (file !== undefined) {
      const line = error.location?.line;
      const column = error.location?.column;
      const position = line === undefined ? "" : column === undefined ? `:${line}` : `:${line}:${column}`;
      return `${displayPath(file)}${position}: ${error.name}: ${error.message}`;
    }
    if (error.pointer !== undefined && error.pointer !== "")
      return `${error.name}: ${error.message} (at ${error.pointer})`;
    return `${error.name}: ${error.message}`;
  }
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
