import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { InProcessJobExecutor } from "../runtime/jobs/in-process-job-executor.js";
import { jobDatasets, storageSigner } from "../runtime/jobs/job-datasets.js";
import { LocalJobLauncher } from "../shared/adapters/embedded/local-jobs/index.js";
import { cloudLoggingLogger } from "../shared/adapters/google/cloud-logging/index.js";
import { openFirestoreStores } from "../shared/adapters/google/firestore/index.js";
import { PubSubEventBus } from "../shared/adapters/google/pubsub/index.js";
import { type TopicNames, topicNames } from "../shared/control-plane/index.js";
import { KueueLauncher } from "../shared/control-plane/kueue-launcher/handler.js";
import { PushEndpointGuard } from "../shared/control-plane/push-endpoints/push-endpoint-guard.js";
import { parsePushEndpointAllowList } from "../shared/control-plane/push-endpoints/push-endpoint-policy.js";
import type { QuestionReconcilerSettings } from "../shared/control-plane/question-reconciler/handler.js";
import { InvalidDeploymentSetting, NonRetryableError } from "../shared/errors/index.js";
import { definedProperties } from "../shared/objects/index.js";
import type { BusMessage, DatasetStore, EventSink, JobLauncher, Logger } from "../shared/ports/index.js";
import { batchingEventSink, logOutput, processLogger } from "../shared/ports/index.js";
import { parseStorageUri, signedUrlLifetimeProblem } from "../shared/storage/index.js";
import { DeferredDatasetStore } from "./deferred-dataset-store.js";
import { DeferredJobLauncher } from "./deferred-job-launcher.js";
import type { NetworkStores } from "./embedded-network.js";
import {
  JOB_LAUNCHER_ENVIRONMENT,
  type JobLauncherSettings,
  jobContainerSettings,
  readJobLauncherSettings,
} from "./job-launcher-settings.js";
import { buildNetworkHandlers, type NetworkHandlers, recordDeadLetter } from "./network-wiring.js";

/** How a function finds its network, from its environment (set by the deployment, or by `npm run functions:start`). */
export interface GoogleCloudSettings {
  /** `GOOGLE_CLOUD_PROJECT`. */
  readonly projectId: string;
  /** `TWINED_ENVIRONMENT`, one lowercase word naming the network's topics; default `main`. */
  readonly environment: string;
  /** `TWINED_PUSH_SECRET`, which signs events pushed to askers' endpoints. */
  readonly pushSecret: string;
  /**
   * `TWINED_PUSH_ENDPOINT_ALLOW_LIST`: comma-separated hostnames (exact, any case), addresses and CIDR ranges that
   * askers' push endpoints may name or resolve to although private (an internal receiver); default none. Pushes go
   * over https only, to public addresses and these; never to the metadata server.
   */
  readonly pushEndpointAllowList: readonly string[];
  /** `TWINED_FIRESTORE_DATABASE`; default `(default)`. */
  readonly firestoreDatabase: string | undefined;
  /** `TWINED_FIRESTORE_COLLECTION_PREFIX`: lets several networks share one database; default none. */
  readonly collectionPrefix: string | undefined;
  /**
   * `TWINED_LAUNCHER`: `kueue` (Kubernetes Jobs through Kueue) or `cloud-run` (Cloud Run Jobs) in production; `local`
   * runs jobs in the launcher function's own process (the local copy of the topology); `none` (the default) refuses
   * to launch, saying so. The rest of the launcher's settings: see `readJobLauncherSettings`.
   */
  readonly launcher: JobLauncherSettings;
  /** `TWINED_NETWORK_URL`: the intake's address, for services that ask children (local launcher). */
  readonly networkUrl: string | undefined;
  /**
   * The reconciler's limits, each in seconds: `TWINED_RECONCILER_HEARTBEAT_LIMIT_SECONDS` (a running question silent
   * this long is failed; default 600), `TWINED_RECONCILER_STALL_GRACE_SECONDS` (a question still `received` or
   * `validated` this long is sent on again; default 120), `TWINED_RECONCILER_LAUNCH_GRACE_SECONDS` (a `dispatched`
   * question with no job this long is launched again; default 120).
   */
  readonly reconciler: Partial<
    Pick<QuestionReconcilerSettings, "heartbeatLimitSeconds" | "stallGraceSeconds" | "launchGraceSeconds">
  >;
  /**
   * `TWINED_OUTPUTS_LOCATION`, `TWINED_UPLOADS_LOCATION`, `TWINED_DIAGNOSTICS_LOCATION`: the durable stack's buckets
   * (`gs://…`), for output datasets of services that name no `output_location`, askers' uploaded datasets and crash
   * diagnostics. `TWINED_SIGNED_URL_SECONDS`: how long signed output URLs last; default 7 days.
   */
  readonly storage: StorageSettings;
  /**
   * Whether the network's jobs run where its askers' local paths are: with `TWINED_LAUNCHER=local`, or
   * `TWINED_JOBS_READ_LOCAL_FILES=1` on every function of the local topology (where only the launcher function runs jobs).
   */
  readonly readsLocalFiles: boolean;
}

export interface StorageSettings {
  readonly outputsLocation: string | undefined;
  readonly uploadsLocation: string | undefined;
  readonly diagnosticsLocation: string | undefined;
  readonly signedUrlSeconds: number | undefined;
}

/** Every environment variable a function reads; the deployment must set the required ones. */
export const FUNCTION_ENVIRONMENT = [
  "GOOGLE_CLOUD_PROJECT",
  "TWINED_ENVIRONMENT",
  "TWINED_PUSH_SECRET",
  "TWINED_PUSH_ENDPOINT_ALLOW_LIST",
  "TWINED_FIRESTORE_DATABASE",
  "TWINED_FIRESTORE_COLLECTION_PREFIX",
  "TWINED_NETWORK_URL",
  "TWINED_SERVICES_TOPIC_NAME",
  "TWINED_TRACE_EXPORTER",
  "TWINED_RECONCILER_HEARTBEAT_LIMIT_SECONDS",
  "TWINED_RECONCILER_STALL_GRACE_SECONDS",
  "TWINED_RECONCILER_LAUNCH_GRACE_SECONDS",
  "TWINED_OUTPUTS_LOCATION",
  "TWINED_UPLOADS_LOCATION",
  "TWINED_DIAGNOSTICS_LOCATION",
  "TWINED_SIGNED_URL_SECONDS",
  "TWINED_JOBS_READ_LOCAL_FILES",
  ...JOB_LAUNCHER_ENVIRONMENT,
] as const;

/** A setting in seconds, when set: a positive number. */
function positiveSeconds(variable: string, text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const seconds = Number(text);
  if (!(seconds > 0)) throw new InvalidDeploymentSetting(variable, `'${text}' is not a positive number of seconds`);
  return seconds;
}

/** The allow-list's entries, each checked now so that a bad one fails the deployment rather than every question. */
function readPushEndpointAllowList(text: string | undefined): readonly string[] {
  const entries = (text ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  try {
    parsePushEndpointAllowList(entries);
  } catch (error) {
    throw new InvalidDeploymentSetting(
      "TWINED_PUSH_ENDPOINT_ALLOW_LIST",
      `${error instanceof Error ? error.message : String(error)} (a comma-separated list of hostnames, addresses and CIDR ranges)`,
    );
  }
  return entries;
}

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
  const reconciler = definedProperties({
    heartbeatLimitSeconds: positiveSeconds(
      "TWINED_RECONCILER_HEARTBEAT_LIMIT_SECONDS",
      env.TWINED_RECONCILER_HEARTBEAT_LIMIT_SECONDS,
    ),
    stallGraceSeconds: positiveSeconds(
      "TWINED_RECONCILER_STALL_GRACE_SECONDS",
      env.TWINED_RECONCILER_STALL_GRACE_SECONDS,
    ),
    launchGraceSeconds: positiveSeconds(
      "TWINED_RECONCILER_LAUNCH_GRACE_SECONDS",
      env.TWINED_RECONCILER_LAUNCH_GRACE_SECONDS,
    ),
  });
  const launcher = readJobLauncherSettings(env);
  const settings: GoogleCloudSettings = {
    projectId,
    environment: env.TWINED_ENVIRONMENT || "main",
    pushSecret,
    pushEndpointAllowList: readPushEndpointAllowList(env.TWINED_PUSH_ENDPOINT_ALLOW_LIST),
    firestoreDatabase: env.TWINED_FIRESTORE_DATABASE || undefined,
    collectionPrefix: env.TWINED_FIRESTORE_COLLECTION_PREFIX || undefined,
    launcher,
    networkUrl: env.TWINED_NETWORK_URL || undefined,
    reconciler,
    storage: readStorageSettings(env),
    readsLocalFiles: launcher.kind === "local" || env.TWINED_JOBS_READ_LOCAL_FILES === "1",
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
  /** Cloud Storage, loaded when a request first needs it (signing an answer's outputs, reading a stored answer). */
  readonly datasets: DatasetStore;
  readonly handlers: NetworkHandlers;
  /** Publishes a message that can never be processed on the dead-letters topic, naming the topic it came from. */
  deadLetter(reason: string, message: Pick<BusMessage, "data" | "attributes">, topic?: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * What a deployed function logs with: one JSON object per line on stderr, which Cloud Logging parses (severity,
 * labels, the active span's trace). `functionName` labels every line (`function`); without it, the
 * `FUNCTION_TARGET` the Functions Framework was started with does, when set.
 */
export function functionLogger(
  functionName?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  stream: { write(text: string): unknown } = process.stderr,
): Logger {
  const name = functionName ?? (env.FUNCTION_TARGET || undefined);
  return cloudLoggingLogger({
    stream,
    projectId: env.GOOGLE_CLOUD_PROJECT || undefined,
    ...(name === undefined ? {} : { labels: { function: name } }),
  });
}

export function openGoogleCloudNetwork(
  settings: GoogleCloudSettings,
  env: Readonly<Record<string, string | undefined>> = process.env,
  log: Logger = processLogger(),
): GoogleCloudNetwork {
  const topics = topicNames(settings.environment, env);
  const bus = new PubSubEventBus({ projectId: settings.projectId });
  const stores = openFirestoreStores({
    projectId: settings.projectId,
    ...definedProperties({ databaseId: settings.firestoreDatabase, collectionPrefix: settings.collectionPrefix }),
  });
  const sink: EventSink = batchingEventSink(bus, topics.services);
  const jobs = openJobLauncher(settings, sink, stores, env, log);
  const handlers = buildNetworkHandlers({
    questions: stores.questions,
    revisions: stores.revisions,
    deadLetters: stores.deadLetters,
    bus,
    topics,
    jobs,
    pushSecret: settings.pushSecret,
    // Deployed functions push from inside the project's network as its service account: https to public addresses.
    pushEndpoints: new PushEndpointGuard({
      allowLoopback: false,
      allowList: settings.pushEndpointAllowList,
      allowListSetting: "TWINED_PUSH_ENDPOINT_ALLOW_LIST",
    }),
    readsLocalFiles: settings.readsLocalFiles,
    reconciler: settings.reconciler,
  });
  const datasets = new DeferredDatasetStore(async () => {
    const { CloudStorageDatasetStore } = await import("../shared/adapters/google/cloud-storage/index.js");
    // On the emulators the functions sign (askers' outputs, diagnostics) with the network's throwaway key, as its jobs do.
    return new CloudStorageDatasetStore({
      projectId: settings.projectId,
      ...definedProperties({ signer: storageSigner(env) }),
    });
  });
  return {
    settings,
    topics,
    bus,
    stores,
    datasets,
    handlers,
    deadLetter: (reason, message, topic) => recordDeadLetter(bus, topics, reason, message, topic),
    async close() {
      await jobs.close();
      await bus.close();
      await stores.close();
      await datasets.close();
    },
  };
}

/** The environment a cloud network's jobs get: how to read their question and where to send their events. */
export function cloudJobEnvironment(
  settings: GoogleCloudSettings,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const environment: Record<string, string> = {
    GOOGLE_CLOUD_PROJECT: settings.projectId,
    TWINED_ENVIRONMENT: settings.environment,
    // Always named, as Octue's Jobs do: a service built on Octue's SDK reads it.
    TWINED_SERVICES_TOPIC_NAME: topicNames(settings.environment, env).services,
  };
  if (settings.storage.outputsLocation !== undefined) {
    environment.TWINED_OUTPUTS_LOCATION = settings.storage.outputsLocation;
  }
  if (settings.storage.diagnosticsLocation !== undefined) {
    environment.TWINED_DIAGNOSTICS_LOCATION = settings.storage.diagnosticsLocation;
  }
  if (settings.storage.signedUrlSeconds !== undefined) {
    environment.TWINED_SIGNED_URL_SECONDS = String(settings.storage.signedUrlSeconds);
  }
  // Where the job asks its children (the questions API); not TWINED_NETWORK_URL, which would make the job read its
  // question over HTTP too.
  if (settings.networkUrl !== undefined) environment.TWINED_QUESTIONS_URL = settings.networkUrl;
  if (settings.firestoreDatabase !== undefined) environment.TWINED_FIRESTORE_DATABASE = settings.firestoreDatabase;
  if (settings.collectionPrefix !== undefined)
    environment.TWINED_FIRESTORE_COLLECTION_PREFIX = settings.collectionPrefix;
  // The jobs export their spans where the functions do, so a question's trace holds its job's own.
  if (env.TWINED_TRACE_EXPORTER) environment.TWINED_TRACE_EXPORTER = env.TWINED_TRACE_EXPORTER;
  return environment;
}

function openJobLauncher(
  settings: GoogleCloudSettings,
  sink: EventSink,
  stores: NetworkStores,
  env: Readonly<Record<string, string | undefined>>,
  log: Logger,
): JobLauncher {
  const launcher = settings.launcher;
  switch (launcher.kind) {
    case "none":
      return new UnavailableLauncher();
    case "local":
      return new LocalJobLauncher({
        sink,
        observer: KueueLauncher.observer(stores.questions),
        jobsDirectory: mkdtempSync(path.join(tmpdir(), "twined-jobs-")),
        // Its jobs reach storage as a cloud job would, from the environment a launcher gives one.
        executor: new InProcessJobExecutor({
          datasets: () => jobDatasets({ ...env, ...cloudJobEnvironment(settings, env) }, settings.networkUrl),
        }),
        ...definedProperties({ cpuQuota: launcher.cpus }),
        networkUrl: () => settings.networkUrl,
        onOutput: (questionUuid, text) => logOutput(log, text, "INFO", { labels: { question_uuid: questionUuid } }),
      });
    case "kueue":
      return new DeferredJobLauncher(async () => {
        const { KueueJobLauncher } = await import("../shared/adapters/google/kueue/index.js");
        return new KueueJobLauncher({
          kubeConfig: launcher.cluster,
          sink,
          // Says once when the cluster's WorkloadPriorityClasses cannot be read (no RBAC, no Kueue CRDs).
          log,
          settings: {
            ...jobContainerSettings(launcher, cloudJobEnvironment(settings, env), "GOOGLE_KUEUE"),
            namespace: launcher.namespace,
            localQueue: launcher.localQueue,
            priorityClasses: launcher.priorityClasses,
            ttlSecondsAfterFinished: launcher.ttlSecondsAfterFinished,
            ...definedProperties({ serviceAccountName: launcher.serviceAccount }),
          },
        });
      });
    case "cloud-run":
      return new DeferredJobLauncher(async () => {
        const { CloudRunJobLauncher } = await import("../shared/adapters/google/cloud-run/index.js");
        return new CloudRunJobLauncher({
          project: settings.projectId,
          region: launcher.region,
          ...definedProperties({ serviceAccount: launcher.serviceAccount }),
          settings: jobContainerSettings(launcher, cloudJobEnvironment(settings, env), "GOOGLE_CLOUD_RUN"),
          sink,
          // Another function instance may have launched it: the question's attributes come from the store.
          questionAttributes: async (questionUuid) => (await stores.questions.get(questionUuid))?.attributes,
          onOutput: (questionUuid, text) =>
            logOutput(log, text, "WARNING", { labels: { question_uuid: questionUuid } }),
        });
      });
  }
}

/** Stands in until the Kueue launcher is configured: every launch fails the question with the reason. */
class UnavailableLauncher implements JobLauncher {
  async launch(): Promise<{ launched: boolean }> {
    throw new NonRetryableError(
      "this network has no job launcher configured; set TWINED_LAUNCHER to kueue or cloud-run (and their settings) on the kueue-launcher function",
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

function readStorageSettings(env: Readonly<Record<string, string | undefined>>): StorageSettings {
  const location = (name: string, given: string | undefined): string | undefined => {
    const value = given || undefined;
    if (value === undefined) return undefined;
    try {
      parseStorageUri(value, "prefix");
    } catch (error) {
      throw new InvalidDeploymentSetting(name, error instanceof Error ? error.message : String(error));
    }
    return value;
  };
  const seconds = env.TWINED_SIGNED_URL_SECONDS || undefined;
  const signedUrlSeconds = seconds === undefined ? undefined : Number(seconds);
  const lifetimeProblem = signedUrlSeconds === undefined ? undefined : signedUrlLifetimeProblem(signedUrlSeconds);
  if (lifetimeProblem !== undefined) throw new InvalidDeploymentSetting("TWINED_SIGNED_URL_SECONDS", lifetimeProblem);
  return {
    outputsLocation: location("TWINED_OUTPUTS_LOCATION", env.TWINED_OUTPUTS_LOCATION),
    uploadsLocation: location("TWINED_UPLOADS_LOCATION", env.TWINED_UPLOADS_LOCATION),
    diagnosticsLocation: location("TWINED_DIAGNOSTICS_LOCATION", env.TWINED_DIAGNOSTICS_LOCATION),
    signedUrlSeconds,
  };
}
