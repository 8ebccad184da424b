import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { KueueLauncher } from "../../functions/kueue-launcher/handler.js";
import { InProcessJobExecutor } from "../../runtime/jobs/in-process-job-executor.js";
import { openFirestoreStores } from "../adapters/firestore/index.js";
import { LocalJobLauncher } from "../adapters/local-jobs/index.js";
import { PubSubEventBus } from "../adapters/pubsub/index.js";
import { publishEvent, type TopicNames, topicNames } from "../control-plane/index.js";
import { NonRetryableError, TwinedError } from "../errors/index.js";
import type { BusMessage, EventSink, JobLauncher } from "../ports/index.js";
import type { NetworkStores } from "./embedded-network.js";
import { buildNetworkHandlers, type NetworkHandlers, recordDeadLetter } from "./network-wiring.js";

/** A deployment setting (an environment variable) that is missing or malformed. */
export class InvalidDeploymentSetting extends TwinedError {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

/** How a function finds its network, from its environment (set by the deployment, or by `npm run functions:start`). */
export interface GoogleCloudSettings {
  /** `GOOGLE_CLOUD_PROJECT`. */
  readonly projectId: string;
  /** `TWINED_ENVIRONMENT`, one lowercase word naming the network's topics; default `main`. */
  readonly environment: string;
  /** `TWINED_PUSH_SECRET`, which signs events pushed to askers' endpoints. */
  readonly pushSecret: string;
  /** `TWINED_FIRESTORE_DATABASE`; default `(default)`. */
  readonly firestoreDatabase: string | undefined;
  /** `TWINED_FIRESTORE_COLLECTION_PREFIX`: lets several networks share one database; default none. */
  readonly collectionPrefix: string | undefined;
  /**
   * `TWINED_LAUNCHER`: `local` runs jobs in the launcher function's own process (the local copy of the topology);
   * `none` (the default until the Kueue launcher lands) refuses to launch, saying so.
   */
  readonly launcher: "local" | "none";
  /** `TWINED_NETWORK_URL`: the intake's address, for services that ask children (local launcher). */
  readonly networkUrl: string | undefined;
  /** `TWINED_LOCAL_CPUS`: the local launcher's CPU quota; default this machine's. */
  readonly localCpus: number | undefined;
}

/** Every environment variable a function reads; the deployment must set the required ones. */
export const FUNCTION_ENVIRONMENT = [
  "GOOGLE_CLOUD_PROJECT",
  "TWINED_ENVIRONMENT",
  "TWINED_PUSH_SECRET",
  "TWINED_FIRESTORE_DATABASE",
  "TWINED_FIRESTORE_COLLECTION_PREFIX",
  "TWINED_LAUNCHER",
  "TWINED_NETWORK_URL",
  "TWINED_LOCAL_CPUS",
  "TWINED_SERVICES_TOPIC_NAME",
] as const;

export function readGoogleCloudSettings(env: Readonly<Record<string, string | undefined>> = process.env) {
  const projectId = env.GOOGLE_CLOUD_PROJECT;
  if (projectId === undefined || projectId === "") {
    throw new InvalidDeploymentSetting("GOOGLE_CLOUD_PROJECT", "not set; set it to the Google Cloud project's id");
  }
  const pushSecret = env.TWINED_PUSH_SECRET;
  if (pushSecret === undefined || pushSecret.length < 16) {
    throw new InvalidDeploymentSetting(
      "TWINED_PUSH_SECRET",
      "must be set to a secret of at least 16 characters (it signs the events pushed to askers' endpoints)",
    );
  }
  const launcher = env.TWINED_LAUNCHER ?? "none";
  if (launcher !== "local" && launcher !== "none") {
    throw new InvalidDeploymentSetting("TWINED_LAUNCHER", `'${launcher}' is not a launcher; use 'local' or 'none'`);
  }
  const localCpus = env.TWINED_LOCAL_CPUS === undefined ? undefined : Number(env.TWINED_LOCAL_CPUS);
  if (localCpus !== undefined && !(Number.isInteger(localCpus) && localCpus >= 1)) {
    throw new InvalidDeploymentSetting("TWINED_LOCAL_CPUS", `'${env.TWINED_LOCAL_CPUS}' is not a whole number ≥ 1`);
  }
  const settings: GoogleCloudSettings = {
    projectId,
    environment: env.TWINED_ENVIRONMENT || "main",
    pushSecret,
    firestoreDatabase: env.TWINED_FIRESTORE_DATABASE || undefined,
    collectionPrefix: env.TWINED_FIRESTORE_COLLECTION_PREFIX || undefined,
    launcher,
    networkUrl: env.TWINED_NETWORK_URL || undefined,
    localCpus,
  };
  try {
    topicNames(settings.environment, env);
  } catch (error) {
    throw new InvalidDeploymentSetting("TWINED_ENVIRONMENT", error instanceof Error ? error.message : String(error));
  }
  return settings;
}

/** The network as one function process sees it: Pub/Sub, Firestore, and the control plane's handlers. */
export interface GoogleCloudNetwork {
  readonly settings: GoogleCloudSettings;
  readonly topics: TopicNames;
  readonly bus: PubSubEventBus;
  readonly stores: NetworkStores;
  readonly handlers: NetworkHandlers;
  deadLetter(reason: string, message: Pick<BusMessage, "data" | "attributes">): Promise<void>;
  close(): Promise<void>;
}

export function openGoogleCloudNetwork(
  settings: GoogleCloudSettings,
  env: Readonly<Record<string, string | undefined>> = process.env,
): GoogleCloudNetwork {
  const topics = topicNames(settings.environment, env);
  const bus = new PubSubEventBus({ projectId: settings.projectId });
  const stores = openFirestoreStores({
    projectId: settings.projectId,
    ...(settings.firestoreDatabase === undefined ? {} : { databaseId: settings.firestoreDatabase }),
    ...(settings.collectionPrefix === undefined ? {} : { collectionPrefix: settings.collectionPrefix }),
  });
  const sink: EventSink = { emit: (envelope) => publishEvent(bus, topics.services, envelope) };
  const jobs: JobLauncher =
    settings.launcher === "local"
      ? new LocalJobLauncher({
          sink,
          observer: KueueLauncher.observer(stores.questions),
          jobsDirectory: mkdtempSync(path.join(tmpdir(), "twined-jobs-")),
          executor: new InProcessJobExecutor(),
          ...(settings.localCpus === undefined ? {} : { cpuQuota: settings.localCpus }),
          networkUrl: () => settings.networkUrl,
        })
      : new UnavailableLauncher();
  const handlers = buildNetworkHandlers({
    questions: stores.questions,
    revisions: stores.revisions,
    bus,
    topics,
    jobs,
    pushSecret: settings.pushSecret,
  });
  return {
    settings,
    topics,
    bus,
    stores,
    handlers,
    deadLetter: (reason, message) => recordDeadLetter(bus, topics, reason, message),
    async close() {
      await jobs.close();
      await bus.close();
      await stores.close();
    },
  };
}

/** Stands in until the Kueue launcher is configured: every launch fails the question with the reason. */
class UnavailableLauncher implements JobLauncher {
  async launch(): Promise<{ launched: boolean }> {
    throw new NonRetryableError(
      "this network has no job launcher configured (TWINED_LAUNCHER); questions cannot be run until one is",
    );
  }
  async cancel(): Promise<boolean> {
    return false;
  }
  phase(): undefined {
    return undefined;
  }
  async close(): Promise<void> {}
}
