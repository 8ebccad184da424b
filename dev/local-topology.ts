import { type ChildProcess, spawn } from "node:child_process";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { type AddressInfo, connect } from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PubSub } from "@google-cloud/pubsub";
import { NETWORK_FUNCTIONS } from "../platform/function-catalog.js";
import { deadLetterKeeperSubscription, networkSubscriptions } from "../platform/network-wiring.js";
import { PubSubEventBus } from "../shared/adapters/google/pubsub/index.js";
import { topicNames } from "../shared/control-plane/index.js";
import { packageRoot } from "../shared/package-root.js";
import { freePort } from "./emulators.js";

/** The functions askers call over HTTP; the Pub/Sub-triggered ones come from the subscription table. */
const ASKERS_FUNCTIONS = NETWORK_FUNCTIONS.filter((each) => each.caller === "askers").map((each) => each.target);
const SCHEDULED_FUNCTIONS = NETWORK_FUNCTIONS.filter((each) => each.caller === "scheduler").map((each) => each.target);

export interface LocalTopologyOptions {
  readonly projectId: string;
  /** `host:port` of the Pub/Sub and Firestore emulators. */
  readonly pubsubHost: string;
  readonly firestoreHost: string;
  /** Names the topics and subscriptions; unique per run when the emulators are shared. */
  readonly environment: string;
  /** The services topic instead of `<environment>.octue.twined.services` (Octue's `TWINED_SERVICES_TOPIC_NAME`). */
  readonly servicesTopic?: string;
  readonly pushSecret: string;
  /** CPUs the launcher function's local jobs may use at once. */
  readonly cpus?: number;
  /** Push every message twice (through a duplicating proxy), as at-least-once delivery may. */
  readonly duplicateDeliveries?: boolean;
  /**
   * Also serve the functions Cloud Scheduler calls (the reconciler), to be called by hand at `functionUrls`; off by
   * default, as each function is a process of its own.
   */
  readonly scheduledFunctions?: boolean;
  /** More environment for every function (e.g. the reconciler's `TWINED_RECONCILER_…` limits). */
  readonly functionEnvironment?: Readonly<Record<string, string>>;
  /** What the function servers print. */
  readonly onOutput?: (functionName: string, text: string) => void;
  /**
   * The Storage emulator (`http://host:port`) and the prefix of the network's buckets there (`<prefix>-outputs`,
   * `-uploads`, `-diagnostics`); its URLs are signed with `signer`, a throwaway key.
   */
  readonly storage?: {
    readonly host: string;
    readonly bucketPrefix: string;
    readonly signer: { readonly clientEmail: string; readonly privateKey: string };
  };
}

export interface LocalTopology {
  /** One address for the whole HTTP API: `/registry/…` reaches the registry function, the rest the intake. */
  readonly url: string;
  /** Each function's own server. */
  readonly functionUrls: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * A local copy of a deployed network: every function as its own Functions Framework server, fed by emulator push
 * subscriptions with the production filters, ordering and dead-lettering (and the dead-letter keeper by the kept
 * subscription), and one gateway in front of the HTTP functions (what a load balancer does in the cloud).
 */
export async function startLocalTopology(options: LocalTopologyOptions): Promise<LocalTopology> {
  const topics = topicNames(options.environment, { TWINED_SERVICES_TOPIC_NAME: options.servicesTopic });
  const gatewayPort = await freePort();
  const url = `http://127.0.0.1:${gatewayPort}`;
  const specs = networkSubscriptions(topics);
  const keeper = deadLetterKeeperSubscription(topics);
  const http = [...ASKERS_FUNCTIONS, ...(options.scheduledFunctions === true ? SCHEDULED_FUNCTIONS : [])];
  const names = [...new Set([...http, ...[...specs, keeper].map((spec) => spec.functionName)])];
  const processes: ChildProcess[] = [];
  const proxies: Server[] = [];
  const functionUrls: Record<string, string> = {};
  const pubsub = new PubSub({ projectId: options.projectId, apiEndpoint: options.pubsubHost, emulatorMode: true });
  const bus = new PubSubEventBus({ projectId: options.projectId, pubsub });
  let gateway: Server | undefined;
  const close = async () => {
    gateway?.closeAllConnections();
    for (const server of [gateway, ...proxies]) {
      await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
    }
    for (const spec of [...specs, keeper]) await bus.deleteSubscription(spec.subscription).catch(() => undefined);
    await bus.close();
    await Promise.all(processes.map(stopProcess));
  };
  try {
    const ports = await Promise.all(names.map(() => freePort()));
    names.forEach((name, index) => {
      functionUrls[name] = `http://127.0.0.1:${ports[index]}`;
      processes.push(startFunction(name, ports[index] ?? 0, url, options));
    });
    await Promise.all(names.map((name) => waitUntilServing(functionUrls[name] ?? "", name)));

    for (const topic of Object.values(topics)) await bus.ensureTopic(topic);
    // No dead-letter policy: a dead letter of a dead letter would come back forever.
    await bus.ensureSubscription(keeper.subscription, keeper.topic, {
      ...keeper.options,
      pushEndpoint: functionUrls[keeper.functionName] ?? "",
      retryPolicy: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 10 },
    });
    for (const spec of specs) {
      let endpoint = functionUrls[spec.functionName] ?? "";
      if (options.duplicateDeliveries === true) {
        const proxy = await duplicatingProxy(endpoint);
        proxies.push(proxy.server);
        endpoint = proxy.url;
      }
      await bus.ensureSubscription(spec.subscription, spec.topic, {
        ...spec.options,
        pushEndpoint: endpoint,
        retryPolicy: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 10 },
        deadLetterPolicy: { deadLetterTopic: topics.deadLetters, maxDeliveryAttempts: 10 },
      });
    }
    gateway = createServer((request, response) => {
      const toRegistry = request.url?.startsWith("/registry") === true;
      const target = functionUrls[toRegistry ? "revision-registry" : "question-intake"] ?? "";
      const route = toRegistry ? (request.url ?? "").slice("/registry".length) || "/" : (request.url ?? "/");
      forward(request, response, `${target}${route}`);
    });
    const listening = gateway;
    await new Promise<void>((resolve) => listening.listen(gatewayPort, "127.0.0.1", resolve));
    return { url, functionUrls, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function startFunction(name: string, port: number, networkUrl: string, options: LocalTopologyOptions): ChildProcess {
  const built = !fileURLToPath(import.meta.url).endsWith(".ts");
  const root = packageRoot();
  const source = built ? path.join(root, "dist", "functions", "index.js") : path.join(root, "functions", "index.ts");
  const framework = path.join(root, "node_modules", "@google-cloud", "functions-framework", "build", "src", "main.js");
  const loader = built
    ? []
    : ["--import", pathToFileURL(path.join(root, "node_modules", "tsx", "dist", "loader.mjs")).href];
  const child = spawn(
    process.execPath,
    [...loader, framework, `--target=${name}`, `--port=${port}`, `--source=${source}`],
    {
      cwd: root,
      env: {
        ...process.env,
        PUBSUB_EMULATOR_HOST: options.pubsubHost,
        FIRESTORE_EMULATOR_HOST: options.firestoreHost,
        METADATA_SERVER_DETECTION: "none",
        GOOGLE_CLOUD_PROJECT: options.projectId,
        TWINED_ENVIRONMENT: options.environment,
        // Set, never inherited: the functions must use the topic the subscriptions here were made for.
        TWINED_SERVICES_TOPIC_NAME: topicNames(options.environment, {
          TWINED_SERVICES_TOPIC_NAME: options.servicesTopic,
        }).services,
        TWINED_FIRESTORE_COLLECTION_PREFIX: options.environment,
        TWINED_PUSH_SECRET: options.pushSecret,
        TWINED_LAUNCHER: name === "kueue-launcher" ? "local" : "none",
        TWINED_LOCAL_CPUS: String(options.cpus ?? 2),
        // Only the launcher runs jobs, but every function answers for them: they read askers' local paths.
        TWINED_JOBS_READ_LOCAL_FILES: "1",
        TWINED_NETWORK_URL: networkUrl,
        ...storageEnvironment(options.storage),
        ...options.functionEnvironment,
        NO_COLOR: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const relay = (chunk: Buffer) => options.onOutput?.(name, chunk.toString("utf8"));
  child.stdout?.on("data", relay);
  child.stderr?.on("data", relay);
  return child;
}

/** Waits until the server accepts connections (a request would be handled, and a Pub/Sub function would act on it). */
async function waitUntilServing(url: string, name: string): Promise<void> {
  const { port } = new URL(url);
  // Every function is a Node process of its own, all starting at once: on a busy 2-core machine that takes a while.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(port), "127.0.0.1");
      socket.once("connect", () => {
        socket.end();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (accepted) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the ${name} function did not start serving on ${url} within 60 s`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("close", () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Streams a request to `target` and its response back (event streams included). */
function forward(request: IncomingMessage, response: ServerResponse, target: string): void {
  const outgoing = httpRequest(target, { method: request.method, headers: request.headers }, (answer) => {
    response.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(response);
  });
  outgoing.on("error", (error) => {
    response.writeHead(502, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: { type: "BadGateway", message: error.message, details: {} } }));
  });
  request.pipe(outgoing);
}

/** A push endpoint that passes every delivery on twice, at once, and answers with the first answer. */
async function duplicatingProxy(target: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const send = () =>
        fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body }).then(
          (answer) => answer.status,
          () => 502,
        );
      void Promise.all([send(), send()]).then(([first]) => {
        response.writeHead(first ?? 502);
        response.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** What the functions (and the jobs they run) need to use the Storage emulator as the network's buckets. */
function storageEnvironment(storage: LocalTopologyOptions["storage"]): Record<string, string> {
  if (storage === undefined) return {};
  return {
    STORAGE_EMULATOR_HOST: storage.host,
    TWINED_STORAGE_SIGNER: JSON.stringify({
      client_email: storage.signer.clientEmail,
      private_key: storage.signer.privateKey,
    }),
    TWINED_OUTPUTS_LOCATION: `gs://${storage.bucketPrefix}-outputs`,
    TWINED_UPLOADS_LOCATION: `gs://${storage.bucketPrefix}-uploads`,
    TWINED_DIAGNOSTICS_LOCATION: `gs://${storage.bucketPrefix}-diagnostics`,
  };
}
