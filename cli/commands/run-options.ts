import { type Command, InvalidArgumentError } from "commander";

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

function positiveSeconds(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new InvalidArgumentError(`expected a positive number of seconds, got '${value}'`);
  }
  return number;
}
