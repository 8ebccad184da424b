import { type Command, InvalidArgumentError, Option } from "commander";

/** `--network`, which every command that talks to a running network takes: `twined dev`'s address unless told. */
export function networkOption(): Option {
  return new Option("--network <url>", "the network's address")
    .env("TWINED_NETWORK_URL")
    .default("http://127.0.0.1:7070");
}

/** The options every command that answers a question locally shares. */
export function withRunOptions(command: Command): Command {
  return command
    .option(
      "-c, --service-config <file>",
      "the service configuration (default: octue.yaml, or OCTUE_SERVICE_CONFIGURATION_PATH)",
    )
    .option(
      "--children-emulators <file>",
      "a JSON file of scripted events per child key, to answer the app's child questions",
    )
    .option("--heartbeat-interval <seconds>", "seconds between heartbeats", positiveSeconds, 60)
    .option("--timeout <seconds>", "cancel the question if it runs longer than this", positiveSeconds);
}

export function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    throw new InvalidArgumentError(`expected a positive number, got '${value}'`);
  return number;
}

export function integer(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number)) throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
  return number;
}

function positiveSeconds(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new InvalidArgumentError(`expected a positive number of seconds, got '${value}'`);
  }
  return number;
}
