import { type DeadLetterSummary, NetworkClient } from "../../shared/client/index.js";
import { NetworkRequestFailed } from "../../shared/errors/index.js";
import { type CliOutput, describeError, EXIT } from "../output.js";
import type { NetworkOption } from "./network.js";

export interface DeadLettersListOptions extends NetworkOption {
  all?: boolean;
  limit: number;
  json?: boolean;
}

export interface DeadLettersReplayOptions extends NetworkOption {
  all?: boolean;
}

/** The longest reason a table line shows; `--json` has it whole. */
const REASON_WIDTH = 60;

export async function listDeadLetters(options: DeadLettersListOptions, output: CliOutput): Promise<number> {
  let letters: DeadLetterSummary[];
  try {
    letters = await new NetworkClient(options.network).listDeadLetters({
      limit: options.limit,
      pending: options.all !== true,
    });
  } catch (error) {
    return report(error, output);
  }
  if (options.json === true) {
    output.stdout.write(`${JSON.stringify(letters, null, 2)}\n`);
    return EXIT.ok;
  }
  if (letters.length === 0) {
    output.stdout.write(
      options.all === true ? "No dead letters.\n" : "No dead letters waiting (--all lists replayed ones too).\n",
    );
    return EXIT.ok;
  }
  output.stdout.write(
    table([
      ["ID", "REASON", "TOPIC", "FIRST SEEN", "ATTEMPTS", "QUESTION", "REPLAYED"],
      ...letters.map((letter) => [
        letter.id,
        shorten(letter.reason, REASON_WIDTH),
        letter.topic ?? "-",
        letter.first_seen_at,
        String(letter.attempts),
        letter.question_uuid ?? "-",
        letter.replayed_at ?? "no",
      ]),
    ]),
  );
  return EXIT.ok;
}

export async function replayDeadLetters(
  ids: readonly string[],
  options: DeadLettersReplayOptions,
  output: CliOutput,
): Promise<number> {
  if (ids.length > 0 === (options.all === true)) {
    output.stderr.write("error: name the dead letters to replay (their IDs), or give --all, not both\n");
    return EXIT.usage;
  }
  try {
    const client = new NetworkClient(options.network);
    const outcome = await client.replayDeadLetters(options.all === true ? { all: true } : { ids });
    output.stdout.write(`Replayed ${outcome.replayed.length}${list(outcome.replayed)}\n`);
    if (outcome.already_replayed.length > 0) {
      output.stdout.write(`Already replayed, so not sent again: ${outcome.already_replayed.join(", ")}\n`);
    }
    for (const skipped of outcome.skipped) output.stdout.write(`Skipped ${skipped.id}: ${skipped.reason}\n`);
    return EXIT.ok;
  } catch (error) {
    return report(error, output);
  }
}

/** Prints the error; a request the network calls malformed, or a network out of reach, is a usage error. */
function report(error: unknown, output: CliOutput): number {
  output.stderr.write(`${describeError(error)}\n`);
  if (error instanceof NetworkRequestFailed) {
    return error.status === undefined || error.remoteType === "InvalidDeadLetterRequest" ? EXIT.usage : EXIT.invalid;
  }
  return EXIT.invalid;
}

function list(ids: readonly string[]): string {
  return ids.length === 0 ? "" : `: ${ids.join(", ")}`;
}

function shorten(text: string, width: number): string {
  const line = text.replace(/\s+/g, " ");
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/** Rows as columns padded to their widest cell, two spaces apart. */
function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}
