import type { Command } from "commander";
import { NAMESPACE_PLACEHOLDER } from "../../shared/config/namespace-placeholder.js";
import type { StartServiceOptions } from "../actions/network.js";
import type { AnswerOptions } from "../actions/service.js";
import type { InitServiceOptions } from "../actions/service-init.js";
import type { ServiceTagOptions } from "../actions/service-tag.js";
import { networkOption, withRunOptions } from "../options.js";
import type { CliOutput } from "../output.js";

export function registerServiceCommands(
  program: Command,
  output: CliOutput,
  setExitCode: (code: number) => void,
): void {
  const service = program.command("service").description("work with a service: octue.yaml, twine.json and app.py");

  withRunOptions(
    service
      .command("answer")
      .description(
        "answer one Octue-format question and write every event as a JSON line on stdout (a job's entry point)",
      )
      .option("-q, --question <json>", "the question envelope {event, attributes}: inline JSON or @file.json")
      .option(
        "--question-uuid <uuid>",
        "read the question from the network and send every event to it (a job on a cluster); see below",
      )
      .option(
        "--network <url>",
        "the Twined network's address: where children are asked (and, with --question-uuid, where the question is read)",
      ),
  )
    .addHelpText(
      "after",
      [
        "",
        "Give exactly one of --question and --question-uuid. The service answers as the question's recipient.",
        "",
        "With --question-uuid the network is found from the environment: TWINED_NETWORK_URL (or --network), an",
        "embedded network's HTTP API; else GOOGLE_CLOUD_PROJECT (with TWINED_ENVIRONMENT, TWINED_SERVICES_TOPIC_NAME,",
        "TWINED_FIRESTORE_DATABASE, TWINED_FIRESTORE_COLLECTION_PREFIX): the question from Firestore, the events to the",
        "services topic, and child questions to TWINED_QUESTIONS_URL (the network's questions API) with an identity",
        "token of the job's own Google service account. Every event is also written to stdout.",
        "",
        "Exit status: 0 result, 1 exception, 2 usage error (including an invalid or unknown question, or no network).",
      ].join("\n"),
    )
    .action(async (options: AnswerOptions) => {
      const { answerFromCommandLine } = await import("../actions/service.js");
      setExitCode(await answerFromCommandLine(options, output));
    });

  service
    .command("init")
    .description("create a new service from a template (one of the example services), under your own service ID")
    .argument("[template]", "the template to start from (see --list)")
    .argument("[dir]", "the folder to create (default: the template's name)")
    .option("--namespace <namespace>", "your organisation's namespace, the first part of the service ID")
    .option("--name <name>", "the service's name, the second part of the service ID (default: made from DIR's name)")
    .option("--list", "list the templates")
    .addHelpText(
      "after",
      [
        "",
        "The new octue.yaml names the service <namespace>/<name> (edit its 'namespace' and 'name' to change it). The",
        "name is DIR's name lowercased, each run of characters other than a-z and 0-9 made one '-' (My_Service gives",
        "my-service), unless --name gives one. Both parts are lowercase letters a-z, digits and single hyphens.",
        "Without --namespace it is asked for when run in a terminal; otherwise it is written as",
        `${NAMESPACE_PLACEHOLDER}, which 'twined service validate' (and every command that runs the service) points at`,
        "until you replace it. A template of several services (child-services) keeps each service's own name, puts",
        "all of them in the namespace, and points the parent's children at them.",
        "",
        "Beside each service's octue.yaml it also writes a Dockerfile (Twined's default image), a .dockerignore and a",
        "cloudbuild.yaml that builds and registers a revision on every push; see docs/deploying-services.md.",
        "",
        "Exit status: 0 created, 1 no namespace given at the prompt, 2 usage error (unknown template, folder not",
        "empty, invalid --namespace or --name).",
      ].join("\n"),
    )
    .action(async (template: string | undefined, dir: string | undefined, options: InitServiceOptions) => {
      const { initService } = await import("../actions/service-init.js");
      const { terminalNamespacePrompt } = await import("../namespace-prompt.js");
      setExitCode(await initService(template, dir, options, output, terminalNamespacePrompt()));
    });

  service
    .command("tag")
    .description("print the revision tag a build of the service at this branch and commit registers")
    .argument("[dir]", "the service's folder, where pyproject.toml or setup.py is (default: the current folder)")
    .requiredOption("--branch <name>", "the branch that was pushed (Cloud Build's $BRANCH_NAME)")
    .requiredOption("--commit <sha>", "the commit that was pushed, 7 to 40 hex characters (Cloud Build's $COMMIT_SHA)")
    .option("--default-branch <name>", "the branch whose builds become the service's default revision", "main")
    .addHelpText(
      "after",
      [
        "",
        "On the default branch the tag is the package's version when it declares one ([project] or [tool.poetry]",
        "version in pyproject.toml, or a literal version= in setup.py), else the commit's first 7 characters. A version",
        "worked out at build time (dynamic) cannot be read, so the commit is used, with a note on stderr.",
        "On any other branch it is <branch>-<commit's first 7 characters>, the branch lowercased, each run of",
        "characters other than a-z and 0-9 made one '-', at most 40 characters: feature/New_UI at 1a2b3c4d... gives",
        "feature-new-ui-1a2b3c4.",
        "",
        "Prints only the tag. Exit status: 0 printed, 2 usage error (an empty branch, a commit that is not 7-40 hex",
        "characters, or a declared version that is not a valid revision tag).",
      ].join("\n"),
    )
    .action(async (dir: string | undefined, options: ServiceTagOptions) => {
      const { printServiceTag } = await import("../actions/service-tag.js");
      setExitCode(printServiceTag(dir, options, output));
    });

  service
    .command("validate")
    .description("check a service's configuration, twine and app without running it")
    .argument("[dir]", "the service's folder (default: the current folder)")
    .option(
      "-c, --service-config <file>",
      "the service configuration file (default: DIR/octue.yaml, or OCTUE_SERVICE_CONFIGURATION_PATH when no DIR is given)",
    )
    .addHelpText("after", "\nExit status: 0 valid, 1 problems found (each printed with its location), 2 usage error.")
    .action(async (dir: string | undefined, options: { serviceConfig?: string }) => {
      const { validateService } = await import("../actions/service-validate.js");
      setExitCode(validateService(dir, options.serviceConfig, output));
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
