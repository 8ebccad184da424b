#!/usr/bin/env node
import { CLOSED_PIPE_STATUS, endQuietlyOnClosedOutput } from "./closed-pipe.js";
import { describeError, EXIT } from "./output.js";
import { runCli } from "./program.js";

/** Node's exit status for a top-level await that never settled. */
const UNSETTLED_TOP_LEVEL_AWAIT = 13;

const outputClosed = endQuietlyOnClosedOutput();

// runCli catches what a command throws; this catches what escapes it (a rejected promise nobody awaited, an error
// thrown in a callback), so that no stack trace reaches the user either (TWINED_DEBUG=1 shows it).
const failed = (error: unknown) => {
  process.stderr.write(`error: ${describeError(error)}\n`);
  if (process.env.TWINED_DEBUG === "1" && error instanceof Error && error.stack !== undefined) {
    process.stderr.write(`${error.stack}\n`);
  }
  process.exit(EXIT.invalid);
};
process.on("uncaughtException", failed);
process.on("unhandledRejection", failed);

// Node ends a process whose event loop empties while the command is still awaited (exit status 13, no message): a
// promise that can never settle, such as a fetch whose connection the server dropped as it accepted it (Node 20's
// undici). The user learns that the command did not finish, not a bare 13.
let finished = false;
process.on("exit", (code) => {
  // Node 20 passes 0 here and has set process.exitCode to 13; later Nodes pass 13.
  if (finished || (code !== UNSETTLED_TOP_LEVEL_AWAIT && process.exitCode !== UNSETTLED_TOP_LEVEL_AWAIT)) return;
  process.stderr.write(
    "error: the command stopped before it finished: what it was waiting for can no longer arrive (a connection closed without an answer, say); try again\n",
  );
  process.exitCode = EXIT.invalid;
});

const status = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
finished = true;
process.exitCode = outputClosed() ? CLOSED_PIPE_STATUS : status;
