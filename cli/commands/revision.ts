import type { Command } from "commander";
import type { NetworkOption } from "../actions/network.js";
import type { RevisionRegisterOptions } from "../actions/revision-register.js";
import { networkOption } from "../options.js";
import type { CliOutput } from "../output.js";

/** Revisions live in a running network (`twined dev`, or deployed): every subcommand talks to it over HTTP. */
export function registerRevisionCommands(
  program: Command,
  output: CliOutput,
  setExitCode: (code: number) => void,
): void {
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
}
