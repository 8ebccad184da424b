import { type Command, InvalidArgumentError, Option } from "commander";
import type { CliOutput } from "../output.js";

export interface DevOptions {
  port: number;
  host: string;
  dataDir: string;
  cpus?: number;
  isolatedJobs?: boolean;
  backend: "embedded" | "emulators";
  project: string;
}

export function registerDevCommand(program: Command, output: CliOutput, setExitCode: (code: number) => void): void {
  program
    .command("dev")
    .description("run a whole Twined network on this machine until Ctrl-C: HTTP API, control plane and job runner")
    .option("--port <port>", "the HTTP port (0 picks a free one)", port, 7070)
    .option("--host <address>", "the address to listen on", "127.0.0.1")
    .option("--data-dir <dir>", "where questions, revisions and job files are kept", ".twined")
    .option("--cpus <n>", "CPUs the network's jobs may use at once (default: this machine's)", positiveInteger)
    .option("--isolated-jobs", "run each question's runner in a process of its own (slower to start)")
    .addOption(
      new Option("--backend <backend>", "embedded: in-memory bus and SQLite; emulators: Google Pub/Sub and Firestore")
        .choices(["embedded", "emulators"])
        .default("embedded"),
    )
    .addOption(
      new Option("--project <id>", "the Google Cloud project id the emulators use")
        .env("GOOGLE_CLOUD_PROJECT")
        .default("twined-local"),
    )
    .action(async (options: DevOptions) => {
      const { runDevNetwork } = await import("../actions/dev.js");
      setExitCode(await runDevNetwork(options, output));
    });
}

function port(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65_535) {
    throw new InvalidArgumentError(`expected a port number from 0 to 65535, got '${value}'`);
  }
  return number;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new InvalidArgumentError(`expected a whole number ≥ 1, got '${value}'`);
  return number;
}
