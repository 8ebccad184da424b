import type { AddressInfo } from "node:net";
import { dashboardFolder } from "../../platform/http-api.js";
import type { IdentityToken } from "../../shared/client/index.js";
import { isLoopback, loopbackHosts } from "../../shared/control-plane/http/allowed-hosts.js";
import { dashboardProxy } from "../../shared/control-plane/http/dashboard-proxy.js";
import { answerMalformedRequestsAsJson } from "../../shared/control-plane/http/malformed-requests.js";
import { listening } from "../listening.js";
import { type CliOutput, describeError, EXIT } from "../output.js";

export interface DashboardOptions {
  /** The network's questions API (`https://…` deployed, or a `twined dev` elsewhere). */
  network: URL;
  /** The revision-registry function (deployed); by default beside a `…-question-intake` URL, else the network itself. */
  registry?: URL;
  port: number;
  host: string;
}

/** Where the proxy's bearer tokens come from, said without the tokens themselves. */
interface BearerToken {
  readonly token: (audience: URL) => Promise<string | undefined>;
  readonly source: string;
}

/**
 * The token the page's calls carry: `TWINED_ID_TOKEN` as given, else `TWINED_TOKEN` (a `twined dev` beyond loopback),
 * else, for an https network, an identity token for the function called (its URL is the audience) minted from
 * Application Default Credentials and renewed before it expires (the client keeps it until shortly before then).
 */
async function bearerToken(network: URL, env: NodeJS.ProcessEnv): Promise<BearerToken> {
  const identity = env.TWINED_ID_TOKEN || undefined;
  if (identity !== undefined) return { token: async () => identity, source: "TWINED_ID_TOKEN" };
  const networkToken = env.TWINED_TOKEN || undefined;
  if (networkToken !== undefined) return { token: async () => networkToken, source: "TWINED_TOKEN" };
  if (network.protocol !== "https:") return { token: async () => undefined, source: "no token (plain http)" };
  const { googleIdentityToken } = await import("../../runtime/children/google-identity-token.js");
  const tokens = new Map<string, IdentityToken>();
  return {
    token: async (audience) => {
      const key = audience.href.replace(/\/+$/, "");
      let identityToken = tokens.get(key);
      if (identityToken === undefined) {
        identityToken = googleIdentityToken(key);
        tokens.set(key, identityToken);
      }
      return typeof identityToken === "string" ? identityToken : await identityToken();
    },
    source: "identity tokens from your Google credentials (gcloud auth application-default login)",
  };
}

/**
 * A deployed network's registry is a function of its own, named like its questions API
 * (`…/main-twined-question-intake` → `…/main-twined-revision-registry`); elsewhere the network serves `/registry`.
 */
export function defaultRegistry(network: URL): URL {
  const path = network.pathname.replace(/\/+$/, "");
  if (!path.endsWith("-question-intake")) return network;
  const registry = new URL(network.href);
  registry.pathname = `${path.slice(0, -"-question-intake".length)}-revision-registry`;
  return registry;
}

/** Serves the dashboard on loopback, passing its calls on to the network, until SIGINT or SIGTERM. */
export async function runDashboard(options: DashboardOptions, output: CliOutput): Promise<number> {
  if (!isLoopback(options.host)) {
    output.stderr.write(
      `--host ${options.host}: the dashboard listens on loopback only (127.0.0.1, localhost or ::1): every call it passes on carries your identity. To reach it from elsewhere, use an SSH tunnel.\n`,
    );
    return EXIT.usage;
  }
  const token = await bearerToken(options.network, process.env);
  const registry = options.registry ?? defaultRegistry(options.network);
  let allowedHosts: ReadonlySet<string> | undefined;
  const server = dashboardProxy({
    network: options.network,
    registry,
    bearerToken: token.token,
    dashboard: dashboardFolder(),
    // Until the port is known nothing is allowed: an empty set, not undefined (which lets everything through).
    allowedHosts: () => allowedHosts ?? new Set(),
  }).listen(options.port, options.host);
  answerMalformedRequestsAsJson(server);
  try {
    await listening(server);
  } catch (error) {
    output.stderr.write(`cannot listen on ${options.host}:${options.port}: ${describeError(error)}\n`);
    return EXIT.usage;
  }
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  // `--host 127.0.0.2` answers to its own address too.
  allowedHosts = new Set([...loopbackHosts(port), `${host.toLowerCase()}:${port}`]);
  output.stdout.write(
    `Twined dashboard for ${options.network.href} at http://${host}:${port}/ (its calls carry ${token.source}). Ctrl-C stops it.\n`,
  );
  if (registry.href !== options.network.href) output.stdout.write(`The registry is read from ${registry.href}.\n`);
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  // Fails early where it can: no Google credentials here is said now, not at the page's first call.
  await token.token(options.network).catch((error: unknown) => {
    output.stderr.write(
      `warning: ${describeError(error)}\nOn this machine: gcloud auth application-default login, or TWINED_ID_TOKEN=$(gcloud auth print-identity-token).\n`,
    );
  });
  const signal = await stopped;
  output.stdout.write(`Stopping (${signal})…\n`);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  return EXIT.ok;
}
