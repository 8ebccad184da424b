import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { EmulatorBackend } from "../../dev/emulator-backend.js";
import { DEFAULT_ENVIRONMENT, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import { startTracing } from "../../platform/tracing.js";
import { cloudLoggingLogger } from "../../shared/adapters/google/cloud-logging/index.js";
import { isLoopback, loopbackHosts } from "../../shared/control-plane/http/allowed-hosts.js";
import { answerMalformedRequestsAsJson } from "../../shared/control-plane/http/malformed-requests.js";
import { type TopicNames, topicNames } from "../../shared/control-plane/topic-names.js";
import { displayPath } from "../../shared/display-path.js";
import { InvalidDevOptions, InvalidPushEndpointAllowList } from "../../shared/errors/index.js";
import { definedProperties } from "../../shared/objects/index.js";
import type { EventSink, JobLauncher, Logger } from "../../shared/ports/index.js";
import { logOutput, useProcessLogger } from "../../shared/ports/index.js";
import { listening } from "../listening.js";
import { type NetworkToken, networkToken } from "../network-token-file.js";
import { type CliOutput, describeError, EXIT } from "../output.js";

export interface DevOptions {
  port: number;
  host: string;
  dataDir: string;
  cpus?: number;
  isolatedJobs?: boolean;
  warmStarts?: boolean;
  /** False with `--no-spare-harnesses`. */
  spareHarnesses?: boolean;
  backend: "embedded" | "emulators";
  project: string;
  /** One lowercase word naming the network's topics (`--environment`, `TWINED_ENVIRONMENT`); default `main`. */
  environment?: string;
  /** The services topic instead of `<environment>.octue.twined.services` (`TWINED_SERVICES_TOPIC_NAME`). */
  servicesTopic?: string;
  launcher: "local" | "kueue";
  kubeconfig?: string;
  context?: string;
  namespace: string;
  localQueue: string;
  priorityClasses?: string;
  jobNetworkUrl?: string;
  /** The bearer token the network requires; made and kept in the data directory when it listens beyond loopback. */
  token?: string;
  /** Hosts, addresses and CIDR ranges push endpoints may name although private (`--allow-push-to`). */
  allowPushTo?: string[];
  /** `json`: everything it prints is a JSON line with Cloud Logging's fields (on stdout); `text` (the default): as ever. */
  logFormat?: "json" | "text";
}

/**
 * What `twined dev` prints, through one logger in JSON mode; in text mode the lines it has always written, start-up
 * and status on stdout, the rest on stderr.
 */
interface DevLog {
  readonly say: (message: string, severity?: "INFO" | "NOTICE") => void;
  readonly warn: (message: string, severity?: "WARNING" | "ERROR") => void;
  readonly jobOutput: (questionUuid: string, text: string) => void;
  /** The JSON logger, which the network's own lines go through too; undefined in text mode. */
  readonly json: Logger | undefined;
}

function devLog(options: DevOptions, output: CliOutput): DevLog {
  if (options.logFormat !== "json") {
    return {
      say: (message) => output.stdout.write(`${message}\n`),
      warn: (message) => output.stderr.write(`${message}\n`),
      jobOutput: (questionUuid, text) => output.stderr.write(prefixLines(`[${questionUuid.slice(0, 8)}] `, text)),
      json: undefined,
    };
  }
  const json = cloudLoggingLogger({ stream: output.stdout, projectId: options.project });
  return {
    say: (message, severity = "INFO") => json.log(severity, message),
    warn: (message, severity = "WARNING") => json.log(severity, message),
    jobOutput: (questionUuid, text) => logOutput(json, text, "INFO", { labels: { question_uuid: questionUuid } }),
    json,
  };
}

/** Runs the embedded network and its HTTP API until SIGINT or SIGTERM, then shuts both down cleanly. */
export async function runDevNetwork(options: DevOptions, output: CliOutput): Promise<number> {
  const log = devLog(options, output);
  // In JSON mode the network's own lines (a failed reconciler pass, a 500) are JSON too.
  const previousLogger = log.json === undefined ? undefined : useProcessLogger(log.json);
  try {
    return await runLoggedDevNetwork(options, log);
  } finally {
    if (previousLogger !== undefined) useProcessLogger(previousLogger);
  }
}

async function runLoggedDevNetwork(options: DevOptions, log: DevLog): Promise<number> {
  const tracing = await startTracing({
    serviceName: "twined-dev",
    onWarning: (text) => log.warn(text),
  });
  let backend: EmulatorBackend | undefined;
  if (options.backend === "emulators") {
    try {
      // Loaded only here: the Google client libraries take a while to load, and the embedded network needs none.
      const { emulatorBackend } = await import("../../dev/emulator-backend.js");
      backend = await emulatorBackend(options.project);
    } catch (error) {
      log.warn(describeError(error), "ERROR");
      return EXIT.usage;
    }
    log.warn(`Using the ${backend.description}`);
  }
  let launcher: ((sink: EventSink) => JobLauncher) | undefined;
  let token: NetworkToken | undefined;
  const topics = devTopicNames(options);
  let previousTopics: ServedTopics | undefined;
  try {
    previousTopics = servedTopics(options.dataDir);
    mkdirSync(options.dataDir, { recursive: true });
    // Beyond loopback anyone who reaches the port could read every question and run code: a token is required.
    // An empty TWINED_TOKEN is no token.
    const given = options.token === "" ? undefined : options.token;
    token = !isLoopback(options.host) || given !== undefined ? networkToken(options.dataDir, given) : undefined;
    launcher = await kueueLauncherFor(options, () => jobNetworkUrl, token?.token);
  } catch (error) {
    log.warn(describeError(error), "ERROR");
    backend?.stop();
    return EXIT.usage;
  }
  let jobNetworkUrl = options.jobNetworkUrl;
  let network: Awaited<ReturnType<typeof startEmbeddedNetwork>>;
  try {
    network = await startEmbeddedNetwork({
      ...definedProperties({ launcher }),
      dataDirectory: options.dataDir,
      environment: options.environment ?? DEFAULT_ENVIRONMENT,
      ...definedProperties({ servicesTopic: options.servicesTopic }),
      ...(backend === undefined
        ? {}
        : { eventBus: backend.eventBus, stores: backend.stores, storage: backend.storage }),
      ...definedProperties({ cpuQuota: options.cpus, networkToken: token?.token }),
      // Served beyond loopback, askers elsewhere must not have events pushed to this machine's own services.
      pushEndpoints: { allowList: options.allowPushTo ?? [], allowLoopback: isLoopback(options.host) },
      ...(options.isolatedJobs === true ? { jobs: "process" as const } : {}),
      ...(options.warmStarts === true ? { warmStarts: true } : {}),
      ...(options.spareHarnesses === false ? { spareHarnesses: false } : {}),
      onJobOutput: log.jobOutput,
      onDeadLetter: (reason) => log.warn(`dead letter: ${reason}`),
    });
  } catch (error) {
    // A bad --allow-push-to entry, before anything was opened.
    if (!(error instanceof InvalidPushEndpointAllowList)) throw error;
    log.warn(`--allow-push-to: ${describeError(error)}`, "ERROR");
    backend?.stop();
    return EXIT.usage;
  }
  // On loopback the network answers only requests addressed to it (DNS rebinding, other sites' pages), and the jobs'
  // own address for it when one is given (--job-network-url).
  let allowedHosts: ReadonlySet<string> | undefined;
  const server = createHttpApi(network, {
    allowedHosts: () => allowedHosts,
    dashboard: true,
    ...definedProperties({ token: token?.token }),
  }).listen(options.port, options.host);
  answerMalformedRequestsAsJson(server);
  try {
    await listening(server);
  } catch (error) {
    await network.close();
    backend?.stop();
    log.warn(`cannot listen on ${options.host}:${options.port}: ${describeError(error)}`, "ERROR");
    return EXIT.usage;
  }
  const { port } = server.address() as AddressInfo;
  if (isLoopback(options.host)) {
    const jobsHost = URL.canParse(options.jobNetworkUrl ?? "")
      ? [new URL(options.jobNetworkUrl ?? "").host.toLowerCase()]
      : [];
    allowedHosts = new Set([...loopbackHosts(port), ...jobsHost]);
  }
  network.setNetworkUrl(`http://${options.host}:${port}`);
  jobNetworkUrl ??= `http://${options.host}:${port}`;
  const recovered = await network.recover();
  if (recovered.failed.length + recovered.resumed.length > 0) {
    log.say(
      `Recovered from a network that stopped on this data: ${recovered.resumed.length} unfinished question(s) resumed, ${recovered.failed.length} that were running failed (NetworkStopped).`,
      "NOTICE",
    );
  }
  const url = `http://${options.host}:${port}`;
  log.say(
    `Twined network listening on ${url} (data in ${displayPath(options.dataDir)}; the question dashboard at /). Ctrl-C stops it.`,
  );
  const served: ServedTopics = { environment: options.environment ?? DEFAULT_ENVIRONMENT, services: topics.services };
  if (previousTopics !== undefined && !sameTopics(previousTopics, served)) {
    log.say(describeTopicChange(previousTopics, served), "NOTICE");
  }
  writeFileSync(path.join(options.dataDir, SERVED_TOPICS_FILE), `${JSON.stringify(served)}\n`);
  // The token in full only the once it is made; in JSON mode that is one NOTICE line.
  if (token !== undefined) log.say(describeToken(token).trimEnd(), "NOTICE");
  const revisions = (await network.revisions.list()).map((revision) => revision.sruid);
  log.say(
    backend === undefined
      ? describeEmbeddedAccess(url, token !== undefined)
      : describeOctueAccess({ projectId: backend.projectId, pubsubHost: backend.pubsubHost, topics, revisions }),
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  log.say(`Stopping (${signal})…`);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await network.close();
  await tracing.shutdown();
  backend?.stop();
  return EXIT.ok;
}

/** The topics `twined dev` runs on: `<environment>.…`, the services topic overridden as Octue allows. */
export function devTopicNames(options: Pick<DevOptions, "environment" | "servicesTopic">): TopicNames {
  return topicNames(options.environment ?? DEFAULT_ENVIRONMENT, {
    TWINED_SERVICES_TOPIC_NAME: options.servicesTopic,
  });
}

/** Which topics a data directory's network last served on, kept there so that a restart can tell it changed. */
interface ServedTopics {
  readonly environment: string;
  readonly services: string;
}

const SERVED_TOPICS_FILE = "served-topics.json";

/** What a data directory made before `twined dev` recorded its topics was served on: there was no other choice. */
const UNRECORDED_TOPICS: ServedTopics = { environment: "local", services: "local.octue.twined.services" };

/** The topics the network in `dataDir` last served on; undefined for a new data directory. */
function servedTopics(dataDir: string): ServedTopics | undefined {
  const file = path.join(dataDir, SERVED_TOPICS_FILE);
  if (existsSync(file)) {
    let kept: Partial<ServedTopics> = {};
    try {
      kept = JSON.parse(readFileSync(file, "utf8")) as Partial<ServedTopics>;
    } catch {
      // Said below.
    }
    if (typeof kept?.environment === "string" && typeof kept.services === "string") {
      return { environment: kept.environment, services: kept.services };
    }
    throw new InvalidDevOptions(
      `${displayPath(file)} is not the record twined dev keeps of the topics this data directory was served on; delete it and the next start writes it again`,
    );
  }
  const made = ["twined.sqlite", "jobs", "network-token"].some((name) => existsSync(path.join(dataDir, name)));
  return made ? UNRECORDED_TOPICS : undefined;
}

function sameTopics(a: ServedTopics, b: ServedTopics): boolean {
  return a.environment === b.environment && a.services === b.services;
}

/**
 * A restart on other topics keeps the questions and revisions (they are not kept by topic), but whoever was told the
 * old services topic no longer reaches the network: said at start-up, with how to keep the old topics.
 */
function describeTopicChange(previous: ServedTopics, now: ServedTopics): string {
  const keepOld =
    previous.services === `${previous.environment}.octue.twined.services`
      ? `--environment ${previous.environment}`
      : `--environment ${previous.environment} and TWINED_SERVICES_TOPIC_NAME=${previous.services}`;
  return `This data directory was last served on the topics of environment '${previous.environment}' (services topic ${previous.services}); it now serves '${now.environment}' (services topic ${now.services}). Its questions and revisions are kept and unfinished ones resume on the new topics, but Octue parents set to ${previous.services} no longer reach it, and messages left on the old topics (on the emulators) are not read. To keep the old topics, restart with ${keepOld}.`;
}

/** What an Octue parent needs to ask this network over the Pub/Sub emulator, ready to paste. */
function describeOctueAccess(access: {
  projectId: string;
  pubsubHost: string;
  topics: TopicNames;
  revisions: readonly string[];
}): string {
  const asking =
    access.revisions.length === 0
      ? "none is registered yet ('twined service start' or 'twined revision register' registers one; 'twined revision list' lists them)"
      : `${access.revisions.slice(0, 10).join(", ")}${access.revisions.length > 10 ? `, and ${access.revisions.length - 10} more ('twined revision list')` : ""}`;
  return [
    "Octue parents reach it over the Pub/Sub emulator with these settings (set before Python imports octue):",
    `  export GOOGLE_CLOUD_PROJECT=${access.projectId}`,
    `  export PUBSUB_EMULATOR_HOST=${access.pubsubHost}`,
    `  export TWINED_SERVICES_TOPIC_NAME=${access.topics.services}`,
    `and a child backend {"name": "GCPPubSubBackend", "project_id": "${access.projectId}"}, asking a service revision by its full id (namespace/name:tag): ${asking}.`,
  ].join("\n");
}

/** The embedded bus is in this process: Octue parents, which ask over Pub/Sub, cannot reach it; HTTP clients can. */
function describeEmbeddedAccess(url: string, tokenRequired: boolean): string {
  return [
    "Octue parents cannot reach this network: they ask over Pub/Sub, and its bus is in memory; run 'twined dev --backend emulators' for them.",
    `The twined command and Twined jobs reach it over HTTP with${tokenRequired ? " TWINED_TOKEN (above) and" : ""}:`,
    `  export TWINED_NETWORK_URL=${url}`,
  ].join("\n");
}

/**
 * The Kueue launcher `--launcher kueue` asks for, checked against the cluster before the network starts (a wrong
 * kubeconfig is a usage error now, not a failed question later); undefined for the local launcher.
 */
async function kueueLauncherFor(
  options: DevOptions,
  networkUrl: () => string | undefined,
  token: string | undefined,
): Promise<((sink: EventSink) => JobLauncher) | undefined> {
  // --kubeconfig is left out: it may come from KUBECONFIG, which a local network simply does not use.
  const kueueOnly = ["context", "priorityClasses", "jobNetworkUrl"] as const;
  if (options.launcher !== "kueue") {
    const given = kueueOnly.filter((name) => options[name] !== undefined);
    if (given.length > 0) {
      throw new InvalidDevOptions(`--${kebab(given[0] ?? "")} only applies with --launcher kueue`);
    }
    return undefined;
  }
  if (options.kubeconfig === undefined) {
    throw new InvalidDevOptions("--launcher kueue needs --kubeconfig FILE (or KUBECONFIG) naming the cluster");
  }
  const { KueueJobLauncher, loadClusterAccess } = await import("../../shared/adapters/google/kueue/index.js");
  const { parsePriorityClasses } = await import("../../platform/job-launcher-settings.js");
  const kubeConfig = await loadClusterAccess({
    kind: "kubeconfig",
    file: options.kubeconfig,
    ...definedProperties({ context: options.context }),
  });
  const priorityClasses = parsePriorityClasses(options.priorityClasses ?? "", "--priority-classes");
  return (sink) =>
    new KueueJobLauncher({
      kubeConfig,
      sink,
      settings: {
        environment: (): Record<string, string> => {
          const url = networkUrl();
          if (url === undefined) return {};
          return { TWINED_NETWORK_URL: url, ...(token === undefined ? {} : { TWINED_TOKEN: token }) };
        },
        computeProvider: "GOOGLE_KUEUE",
        namespace: options.namespace,
        localQueue: options.localQueue,
        priorityClasses,
        ttlSecondsAfterFinished: 3600,
      },
    });
}

/** How clients get the token: in full only the once it is made, afterwards where it is kept. */
function describeToken({ token, file, created }: NetworkToken): string {
  if (file === undefined)
    return "Requests must carry the token given (Authorization: Bearer …; TWINED_TOKEN for twined).\n";
  if (!created) {
    return `Requests must carry the network's token, kept in ${displayPath(file)}: export TWINED_TOKEN="$(cat ${displayPath(file)})"\n`;
  }
  return `Requests must carry this network's token (shown this once; kept in ${displayPath(file)}, readable by you only):\n  export TWINED_TOKEN=${token}\n`;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

function prefixLines(prefix: string, text: string): string {
  return text.replace(/^(?=.)/gm, prefix);
}
