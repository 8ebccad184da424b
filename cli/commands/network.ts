import type { Command } from "commander";
import type {
  AskOptions,
  EventsGetOptions,
  NetworkOption,
  ReplayOptions,
  StartServiceOptions,
} from "../actions/network.js";
import type { RevisionRegisterOptions } from "../actions/revision-register.js";
import { jsonArgument } from "../json-argument.js";
import { integer, networkOption, positiveNumber } from "../options.js";
import type { CliOutput } from "../output.js";

/** Commands that talk to a running network (`twined dev`, or a deployed one) over its HTTP API. */
export function registerNetworkCommands(
  program: Command,
  output: CliOutput,
  setExitCode: (code: number) => void,
): void {
  const question = program.commands.find((command) => command.name() === "question") ?? program.command("question");
  const service = program.commands.find((command) => command.name() === "service") ?? program.command("service");

  question
    .command("ask")
    .description("ask a service on the network a question and wait for the answer, showing its logs as it runs")
    .argument("<service-id>", "namespace/name (its default revision) or namespace/name:tag")
    .option("-i, --input-values <json>", "input values: inline JSON or @file.json", (value: string) =>
      jsonArgument(value, "--input-values"),
    )
    .option("-m, --input-manifest <json>", "input manifest: inline JSON or @file.json", (value: string) =>
      jsonArgument(value, "--input-manifest"),
    )
    .option("--asynchronous", "print the question UUID and return at once")
    .option("--timeout <seconds>", "give up (and cancel the question) after this long; default a day", positiveNumber)
    .option(
      "--max-heartbeat-interval <seconds>",
      "give up (and cancel) if the running service shows no sign of life for this long; default 360",
      positiveNumber,
    )
    .option("--push-endpoint <url>", "also POST every event of the question to this URL")
    .option("--priority <n>", "higher runs first when the network is busy", integer)
    .option("--cpus <n>", "CPUs the question's job needs", integer)
    .option("--memory <quantity>", "memory the job needs, e.g. 2Gi")
    .option("--ephemeral-storage <quantity>", "disk the job needs, e.g. 1Gi")
    .option("--json", "print events as JSON lines on stderr instead of coloured logs")
    .addOption(networkOption())
    .addHelpText(
      "after",
      "\nPrints the answer ({output_values, output_manifest}) as JSON on stdout.\nExit status: 0 answered; 1 the service raised, or the question was rejected, timed out or cancelled; 2 usage error, invalid service ID or network unreachable.",
    )
    .action(async (serviceId: string, options: AskOptions) => {
      const { ask } = await import("../actions/network.js");
      setExitCode(await ask(serviceId, options, output));
    });

  question
    .command("status")
    .description("show a question's status, answer or error")
    .argument("<question-uuid>")
    .addOption(networkOption())
    .action(async (uuid: string, options: NetworkOption) => {
      const { status } = await import("../actions/network.js");
      setExitCode(await status(uuid, options, output));
    });

  question
    .command("cancel")
    .description("cancel a question that has not finished")
    .argument("<question-uuid>")
    .addOption(networkOption())
    .action(async (uuid: string, options: NetworkOption) => {
      const { cancel } = await import("../actions/network.js");
      setExitCode(await cancel(uuid, options, output));
    });

  question
    .command("events")
    .description("work with recorded events")
    .command("get")
    .description("print the recorded events of a question, or of every question below a parent or originator")
    .option("--question-uuid <uuid>", "one question's events")
    .option("--parent-question-uuid <uuid>", "the events of the questions asked by this question")
    .option("--originator-question-uuid <uuid>", "the events of the whole question tree")
    .option("-k, --kinds <kinds>", "only these kinds, comma-separated (e.g. log_record,result)")
    .option("-e, --exclude-kinds <kinds>", "leave out these kinds, comma-separated")
    .option("-l, --limit <n>", "at most this many events", integer, 1000)
    .addOption(networkOption())
    .action(async (options: EventsGetOptions) => {
      const { getEvents } = await import("../actions/network.js");
      setExitCode(await getEvents(options, output));
    });

  const events = question.commands.find((command) => command.name() === "events");
  events
    ?.command("replay")
    .description("show a finished question's logs and monitor messages again, then print its answer")
    .argument("<question-uuid>")
    .option("--json", "print events as JSON lines on stderr instead of coloured logs")
    .addOption(networkOption())
    .addHelpText(
      "after",
      "\nExit status: 0 it was answered, 1 it ended with an exception or has no final event, 2 usage error.",
    )
    .action(async (uuid: string, options: ReplayOptions) => {
      const { replay } = await import("../actions/network.js");
      setExitCode(await replay(uuid, options, output));
    });

  const revision = program.command("revision").description("service revisions registered with the network");
  revision
    .command("list")
    .description("list revisions, newest first")
    .argument("[service-id]", "only this service's revisions (namespace/name)")
    .addOption(networkOption())
    .action(async (serviceId: string | undefined, options: NetworkOption) => {
      const { listRevisions } = await import("../actions/network.js");
      setExitCode(await listRevisions(serviceId, options, output));
    });
  revision
    .command("register")
    .description("register the service in this folder as a revision whose jobs run a container image")
    .requiredOption("--image <image>", "the image its jobs run: [host/]path[:tag][@sha256:digest]")
    .requiredOption("--tag <tag>", "the revision tag, e.g. 1.2.0")
    .option("--default", "make this revision the service's default")
    .option(
      "-c, --service-config <file>",
      "the service configuration (default: octue.yaml, or OCTUE_SERVICE_CONFIGURATION_PATH)",
    )
    .addOption(networkOption())
    .addHelpText(
      "after",
      "\nThe twine is checked here first. Set TWINED_ID_TOKEN to send it as a bearer token (a registry behind IAM).\nPrints the revision's SRUID. Exit status: 0 registered, 1 invalid twine or refused by the network, 2 usage error (bad image reference or tag, network unreachable).",
    )
    .action(async (options: RevisionRegisterOptions) => {
      const { registerImageRevision } = await import("../actions/revision-register.js");
      setExitCode(await registerImageRevision(options, output));
    });
  revision
    .command("set-default")
    .description("make a revision its service's default (what namespace/name questions go to)")
    .argument("<sruid>", "namespace/name:tag")
    .addOption(networkOption())
    .action(async (sruid: string, options: NetworkOption) => {
      const { setDefaultRevision } = await import("../actions/network.js");
      setExitCode(await setDefaultRevision(sruid, options, output));
    });

  service
    .command("start")
    .description("register the service in this folder as a revision of the running network, and serve it until Ctrl-C")
    .option(
      "-c, --service-config <file>",
      "the service configuration (default: octue.yaml, or OCTUE_SERVICE_CONFIGURATION_PATH)",
    )
    .option("--revision-tag <tag>", "the revision tag (default: OCTUE_SERVICE_REVISION_TAG, or a generated one)")
    .option("--default", "make this revision the service's default")
    .addOption(networkOption())
    .action(async (options: StartServiceOptions) => {
      const { startService } = await import("../actions/network.js");
      setExitCode(await startService(options, output));
    });
}
