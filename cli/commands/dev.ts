import { type Command, InvalidArgumentError, Option } from "commander";
import { topicNames } from "../../shared/control-plane/topic-names.js";
import { pubSubResourceNameProblem } from "../../shared/identity/pubsub-names.js";
import type { DevOptions } from "../actions/dev.js";
import type { CliOutput } from "../output.js";

export function registerDevCommand(program: Command, output: CliOutput, setExitCode: (code: number) => void): void {
  program
    .command("dev")
    .description("run a whole Twined network on this machine until Ctrl-C: HTTP API, control plane and job runner")
    .option("--port <port>", "the HTTP port (0 picks a free one)", port, 7070)
    .option("--host <address>", "the address to listen on", "127.0.0.1")
    .option("--data-dir <dir>", "where questions, revisions and job files are kept", ".twined")
    .option("--cpus <n>", "CPUs the network's jobs may use at once (default: this machine's)", positiveInteger)
    .option("--isolated-jobs", "run each question's runner in a process of its own (slower to start)")
    .option(
      "--warm-starts",
      "fork each question's app process from a Python that already imported its revision's app (jobs on this machine; per service: warm_start: true in octue.yaml)",
    )
    .option(
      "--no-spare-harnesses",
      "start each question's Python when the question arrives, instead of keeping one started for each revision's next question",
    )
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
    .addOption(
      new Option(
        "--environment <name>",
        "one lowercase word naming the network's topics: <name>.octue.twined.services (Octue's services topic) and the rest",
      )
        .env("TWINED_ENVIRONMENT")
        .default(DEFAULT_ENVIRONMENT)
        .argParser(environmentName),
    )
    .addOption(
      new Option(
        "--services-topic <topic>",
        "the services topic Octue parents publish questions on (default: <environment>.octue.twined.services)",
      )
        .env("TWINED_SERVICES_TOPIC_NAME")
        .argParser(servicesTopicName),
    )
    .addOption(
      new Option("--launcher <launcher>", "local: jobs run on this machine; kueue: as Kubernetes Jobs queued by Kueue")
        .choices(["local", "kueue"])
        .default("local"),
    )
    .addOption(new Option("--kubeconfig <file>", "the cluster's kubeconfig (with --launcher kueue)").env("KUBECONFIG"))
    .option("--context <name>", "the kubeconfig context to use (default: its current context)")
    .option(
      "--namespace <namespace>",
      "the namespace of the Jobs and the LocalQueue (with --launcher kueue)",
      "default",
    )
    .option(
      "--local-queue <name>",
      "the Kueue LocalQueue questions are queued in (with --launcher kueue)",
      "local-queue",
    )
    .option(
      "--priority-classes <list>",
      "name=value,… the only classes question priorities map to (with --launcher kueue); omit it to use the cluster's own WorkloadPriorityClasses, followed as they change",
    )
    .option(
      "--job-network-url <url>",
      "the address the cluster's pods reach this network at (default: the address it listens on)",
    )
    .option(
      "--allow-push-to <entries>",
      "hosts, addresses or CIDR ranges (comma-separated) that push endpoints may name although private",
      commaSeparated,
    )
    .addOption(
      new Option(
        "--log-format <format>",
        "text: readable lines; json: one JSON object per line with Cloud Logging's fields (severity, labels, trace)",
      )
        .choices(["text", "json"])
        .default("text"),
    )
    .addOption(
      new Option(
        "--token <token>",
        "the bearer token requests must carry (default beyond loopback: one made and kept in the data directory)",
      ).env("TWINED_TOKEN"),
    )
    .addHelpText(
      "after",
      "\nWith --backend emulators, an Octue parent reaches the network with its default settings (the services topic\nmain.octue.twined.services); the start-up message prints what it needs (GOOGLE_CLOUD_PROJECT, PUBSUB_EMULATOR_HOST,\nTWINED_SERVICES_TOPIC_NAME).\n\nListening beyond loopback (--host 0.0.0.0), the network answers only requests with its token\n(Authorization: Bearer <token>; the twined command sends TWINED_TOKEN). On loopback it answers only requests\naddressed to it.\n\nWith --launcher kueue, revisions must be images ('twined revision register --image'); each question becomes a\nJob question-<uuid> that reads its question from this network and sends its events back to it.",
    )
    .action(async (options: DevOptions) => {
      const { runDevNetwork } = await import("../actions/dev.js");
      setExitCode(await runDevNetwork(options, output));
    });
}

/**
 * Octue's environment when nothing is set: an Octue parent with its defaults then finds the network. The embedded
 * network's own constant is not imported: this module loads with every command, the network only with `dev`.
 */
const DEFAULT_ENVIRONMENT = "main";

function environmentName(value: string): string {
  // An empty TWINED_ENVIRONMENT is none, as a deployed network reads it.
  if (value === "") return DEFAULT_ENVIRONMENT;
  try {
    topicNames(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
  return value;
}

function servicesTopicName(value: string): string | undefined {
  if (value === "") return undefined;
  const problem = pubSubResourceNameProblem(value);
  if (problem !== undefined) throw new InvalidArgumentError(`the services topic ${problem}`);
  return value;
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

function commaSeparated(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ""),
  ];
}
