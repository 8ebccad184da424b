#!/usr/bin/env node
import module from "node:module";
import { CLOSED_PIPE_STATUS, endQuietlyOnClosedOutput } from "./closed-pipe.js";
import { asksLocally, keepEarlyHarness } from "./early-harness.js";

// Node 22.1 and later keep the compiled code of the modules between runs (Node 20 has no such cache): a start of
// `twined` then mostly reads instead of compiling.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const outputClosed = endQuietlyOnClosedOutput();
const argv = process.argv.slice(2);

if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  // Asked by scripts and installers, often: answered without loading the command tree.
  const { TWINED_VERSION } = await import("../shared/version.js");
  process.stdout.write(`${TWINED_VERSION}\n`);
} else {
  // Python's start and the harness's imports then overlap with loading the command tree, not only the runner.
  const early = asksLocally(argv) ? await startHarnessEarly() : undefined;
  try {
    const { runCommandLine } = await import("./command-line.js");
    const status = await runCommandLine(argv);
    process.exitCode = outputClosed() ? CLOSED_PIPE_STATUS : status;
  } finally {
    // Unused when the arguments were refused before the question was asked.
    await early?.release();
  }
}

async function startHarnessEarly() {
  const { prestartHarness } = await import("./prestart-harness.js");
  const harness = prestartHarness();
  keepEarlyHarness(harness);
  return harness;
}
