import type { Command } from "commander";
import type { AskLocalOptions } from "../actions/ask-local.js";
import type { AskOptions, EventsGetOptions, NetworkOption, ReplayOptions } from "../actions/network.js";
import type { QuestionDiagnosticsOptions } from "../actions/question-diagnostics.js";
import { takeEarlyHarness } from "../early-harness.js";
import { jsonArgument } from "../json-argument.js";
import { integer, networkOption, positiveNumber, withRunOptions } from "../options.js";
import type { CliOutput } from "../output.js";

/**
 * `ask-local` answers here, without a network; the others talk to a running one (`twined dev`, or a deployed one)
 * over its HTTP API.
 */
export function registerQuestionCommands(
  program: Command,
  output: CliOutput,
  setExitCode: (code: number) => void,
): void {
  const question = program.command("question").description("ask services questions");

  withRunOptions(
    question
      .command("ask-local")
      .description("answer one question with the service in the current folder, without any network")
      .option("-i, --input-values <json>", "input values: inline JSON or @file.json", (value: string) =>
        jsonArgument(value, "--input-values"),
      )
      .option("-m, --input-manifest <json>", "input manifest: inline JSON or @file.json", (value: string) =>
        jsonArgument(value, "--input-manifest"),
      ),
  )
    .option(
      "--revision-tag <tag>",
      "the revision tag to answer as (default: OCTUE_SERVICE_REVISION_TAG, or a generated one)",
    )
    .option("--json", "print every event as a JSON line on stderr instead of coloured logs")
    .option("-o, --output <file>", "write the final event to this file instead of stdout")
    .option(
      "--from-diagnostics <dir>",
      "replay a crashed question from its diagnostics (as 'twined question diagnostics UUID -o DIR' downloads them): its inputs, configuration and recorded child answers",
    )
    .addHelpText(
      "after",
      "\nThe final event (result or exception) is printed as JSON on stdout; logs and monitor messages go to stderr.\nWith --from-diagnostics, -i and -m replace the recorded inputs; the recorded configuration replaces the service's own, and the app's child questions get the recorded answers, in order.\nExit status: 0 result, 1 exception, 2 usage error.",
    )
    .action(async (options: AskLocalOptions) => {
      // Python started when the command began (main.ts), or starts now: either way while Node loads the runner and
      // checks the question, instead of after it.
      const prestarted = takeEarlyHarness() ?? (await import("../prestart-harness.js")).prestartHarness();
      try {
        const { askLocal } = await import("../actions/ask-local.js");
        setExitCode(await askLocal(options, output, prestarted));
      } finally {
        await prestarted.release();
      }
    });

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
    .option("--download-outputs <dir>", "download the answer's output datasets into DIR/<dataset key>/")
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
    .command("diagnostics")
    .description("download a failed question's crash diagnostics, to replay it with ask-local --from-diagnostics")
    .argument("<question>", "the question's UUID, or gs://<diagnostics_cloud_path>/<UUID> for a service's own")
    .option("-o, --output <dir>", "download into DIR/<question UUID>/", ".")
    .addOption(networkOption())
    .addHelpText(
      "after",
      "\nPrints the folder on stdout. Exit status: 0 downloaded; 1 there are none, or they could not be read; 2 usage error.",
    )
    .action(async (target: string, options: QuestionDiagnosticsOptions) => {
      const { questionDiagnostics } = await import("../actions/question-diagnostics.js");
      setExitCode(await questionDiagnostics(target, options, output));
    });

  const events = question.command("events").description("work with recorded events");
  events
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

  events
    .command("replay")
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
}
