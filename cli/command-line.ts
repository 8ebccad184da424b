import { describeError, EXIT } from "./output.js";
import { runCli } from "./program.js";

// The whole command line behind `twined` (cli/main.ts), loaded unless the command needs none of it.

/** Node's exit status for a top-level await that never settled. */
const UNSETTLED_TOP_LEVEL_AWAIT = 13;

// runCli catches what a command throws; this catches what escapes it (a rejected promise nobody awaited, an error
// thrown in a callback), so that no stack trace reaches the user either (TWINED_DEBUG=1 shows it).
const failed = (error: unknown) => {
  process.stderr.write(`error: ${describeError(error)}\n`);
  if (process.env.TWINED_DEBUG === "1" && error instanceof Error && error.stack !== undefined) {
    process.stderr.write(`${error.stack}\n`);
  }
  process.exit(EXIT.invalid);
};

// Node ends a process whose event loop empties while the command is still awaited (exit status 13, no message): a
// promise that can never settle, such as a fetch whose connection the server dropped as it accepted it (Node 20's
// undici). The user learns that the command did not finish, not a bare 13.
let finished = false;
function reportUnsettledCommand(code: number): void {
  // Node 20 passes 0 here and has set process.exitCode to 13; later Nodes pass 13.
  if (finished || (code !== UNSETTLED_TOP_LEVEL_AWAIT && process.exitCode !== UNSETTLED_TOP_LEVEL_AWAIT)) return;
  process.stderr.write(
    "error: the command stopped before it finished: what it was waiting for can no longer arrive (a connection closed without an answer, say); try again\n",
  );
  process.exitCode = EXIT.invalid;
}

/** Runs one command with the process's own streams, and returns its exit status. */
export async function runCommandLine(argv: readonly string[]): Promise<number> {
  process.on("uncaughtException", failed);
  process.on("unhandledRejection", failed);
  process.on("exit", reportUnsettledCommand);
  const status = await runCli(argv, { stdout: process.stdout, stderr: process.stderr });
  finished = true;
  return status;
}
