import type { Command } from "commander";
import type { DeadLettersListOptions, DeadLettersReplayOptions } from "../actions/dead-letters.js";
import { integer, networkOption } from "../options.js";
import type { CliOutput } from "../output.js";

/** Messages the network could not process: see them, and send them again once what stopped them is fixed. */
export function registerDeadLetterCommands(
  program: Command,
  output: CliOutput,
  setExitCode: (code: number) => void,
): void {
  const deadLetters = program
    .command("dead-letters")
    .description("list the messages the network could not process, and replay them");

  deadLetters
    .command("list")
    .description("list dead letters, newest first: those not yet replayed, or --all")
    .option("--all", "also those already replayed")
    .option("-l, --limit <n>", "at most this many", integer, 100)
    .option("--json", "print them as JSON (with their attributes and data) instead of a table")
    .addOption(networkOption())
    .addHelpText(
      "after",
      "\nEach line: ID, reason, topic, first seen, delivery attempts, question UUID, when it was replayed.\nExit status: 0 listed (even none), 1 the network refused, 2 usage error or network unreachable.",
    )
    .action(async (options: DeadLettersListOptions) => {
      const { listDeadLetters } = await import("../actions/dead-letters.js");
      setExitCode(await listDeadLetters(options, output));
    });

  deadLetters
    .command("replay")
    .description("send dead letters again, each to the topic it was first published on")
    .argument("[ids...]", "the dead letters' IDs, as 'dead-letters list' shows them")
    .option("--all", "every dead letter not yet replayed")
    .addOption(networkOption())
    .addHelpText(
      "after",
      "\nA replayed message goes through the network's handlers as the first time; one that fails again becomes a new dead letter.\nExit status: 0 replayed, 1 an ID is unknown or cannot be replayed, 2 usage error or network unreachable.",
    )
    .action(async (ids: string[], options: DeadLettersReplayOptions) => {
      const { replayDeadLetters } = await import("../actions/dead-letters.js");
      setExitCode(await replayDeadLetters(ids, options, output));
    });
}
