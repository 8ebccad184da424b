import { type Command, InvalidArgumentError } from "commander";
import type { DashboardOptions } from "../actions/dashboard.js";
import type { CliOutput } from "../output.js";

export function registerDashboardCommand(
  program: Command,
  output: CliOutput,
  setExitCode: (code: number) => void,
): void {
  program
    .command("dashboard")
    .description("serve the question dashboard of a deployed network on this machine until Ctrl-C")
    .requiredOption(
      "--network <url>",
      "the network's questions API (the URL twined question ask --network takes)",
      networkUrl,
    )
    .option(
      "--registry <url>",
      "the network's revision-registry function (default: beside a …-question-intake URL, else the network)",
      networkUrl,
    )
    .option("--port <port>", "the local HTTP port (0 picks a free one)", port, 7071)
    .option("--host <address>", "the loopback address to listen on", "127.0.0.1")
    .addHelpText(
      "after",
      "\nThe page's calls are passed on to the network with a bearer token: TWINED_ID_TOKEN if set\n(gcloud auth print-identity-token), else TWINED_TOKEN (a twined dev beyond loopback), else an identity token for\nthe function called, minted from your Google credentials (gcloud auth application-default login) and renewed\nbefore it expires. Only the calls the page makes are passed on. It listens on loopback only.",
    )
    .action(async (options: DashboardOptions) => {
      const { runDashboard } = await import("../actions/dashboard.js");
      setExitCode(await runDashboard(options, output));
    });
}

function networkUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`expected the network's URL (https://…), got '${value}'`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new InvalidArgumentError(`expected an http(s) URL, got '${value}'`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new InvalidArgumentError(
      "the URL must not carry credentials (user:password@); the token is sent as a header",
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw new InvalidArgumentError(`expected the network's base URL without a query or fragment, got '${value}'`);
  }
  return url;
}

function port(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65_535) {
    throw new InvalidArgumentError(`expected a port number from 0 to 65535, got '${value}'`);
  }
  return number;
}
