import { TwinedError } from "../../../shared/errors/index.js";

/**
 * A line of a JavaScript stack trace (`    at fn (/path/file.js:12:34)`), raw, inside JSON text (where the newline
 * before it is the two characters `\n`) or in an HTML error page (Express's default: `<br> &nbsp; &nbsp;at …`).
 */
const STACK_FRAME =
  /(?:^|\n|\\n|<br>)(?:[ \t]|&nbsp;)*at [^\n<]*?(?:[\w./-]+:\d+:\d+|\(native\)|\((?:<|&lt;)anonymous(?:>|&gt;)\))/;

/** Whether `text` shows a stack trace. */
export function hasStackTrace(text: string): boolean {
  return STACK_FRAME.test(text);
}

/** What the value is, in a few words, for a violation message. */
export function describeThrown(error: unknown): string {
  if (error instanceof Error) return `${error.constructor.name} (name ${error.name}): ${error.message.slice(0, 500)}`;
  return `a thrown ${typeof error}: ${String(error).slice(0, 200)}`;
}

/**
 * Why `error` is not what the project promises to throw (one of its own error classes, with a message saying what is
 * wrong), or undefined when it is.
 */
export function untypedErrorProblem(error: unknown): string | undefined {
  if (!(error instanceof TwinedError)) return `an untyped error escaped: ${describeThrown(error)}`;
  if (error.message.trim() === "") return `${error.name} was thrown with an empty message`;
  try {
    error.where();
  } catch (whereError) {
    return `${error.name}.where() itself threw ${describeThrown(whereError)}`;
  }
  return undefined;
}

/** The names of the error classes a JavaScript engine or Node throws on its own: never the project's. */
export const BUILT_IN_ERROR_NAMES: ReadonlySet<string> = new Set([
  "Error",
  "TypeError",
  "RangeError",
  "ReferenceError",
  "SyntaxError",
  "EvalError",
  "URIError",
  "AggregateError",
]);
