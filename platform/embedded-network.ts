import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { InProcessJobExecutor } from "../runtime/jobs/in-process-job-executor.js";
import { WarmStartBroker } from "../runtime/runner/warm-start-broker.js";
import {
  InMemoryEventBus,
  type InMemoryEventBusOptions,
} from "../shared/adapters/embedded/in-memory-event-bus/in-memory-event-bus.js";
import { LocalJobLauncher, ProcessJobExecutor } from "../shared/adapters/embedded/local-jobs/index.js";
import { QuestionChangeNotifier } from "../shared/adapters/embedded/question-changes/question-change-notifier.js";
import { openSqliteStores, SqliteDeadLetterStore } from "../shared/adapters/embedded/sqlite/index.js";
import type { DeadLetterKeeper } from "../shared/control-plane/dead-letters/handler.js";
import { type TopicNames, topicNames } from "../shared/control-plane/index.js";
import { KueueLauncher } from "../shared/control-plane/kueue-launcher/handler.js";
import { PushEndpointGuard } from "../shared/control-plane/push-endpoints/push-endpoint-guard.js";
import type { QuestionIntake } from "../shared/control-plane/question-intake/handler.js";
import { isObservable, type QuestionReconcilerSettings } from "../shared/control-plane/question-reconciler/handler.js";
import {
  type RestartRecoveryReport,
  recoverAfterRestart,
} from "../shared/control-plane/question-reconciler/restart-recovery.js";
import { definedProperties } from "../shared/objects/index.js";
import type {
  BusMessage,
  BusSubscriber,
  DeadLetterStore,
  EventBus,
  EventSink,
  JobLauncher,
  JobObserver,
  QuestionChanges,
  QuestionStore,
  RevisionStore,
  SubscriptionOptions,
} from "../shared/ports/index.js";
import { batchingEventSink } from "../shared/ports/index.js";
import { withTraceAttribute } from "../shared/tracing/index.js";
import { folderStorage, type NetworkStorage, runnerDatasets } from "./network-storage.js";
import {
  buildNetworkHandlers,
  deadLetterKeeperSubscription,
  guarded,
  networkSubscriptions,
  recordDeadLetter,
} from "./network-wiring.js";
import { RepeatingTask } from "./repeating-task.js";

export interface EmbeddedNetworkOptions {
  /** Where the database and job files live; default `.twined` in the working directory. */
  readonly dataDirectory?: string;
  /** `":memory:"` keeps questions and revisions in memory only (tests). */
  readonly databasePath?: string;
  /**
   * One lowercase word naming the network's topics (`<environment>.octue.twined.services`, …); default `main`, as
   * Octue's parents name the services topic when nothing is set.
   */
  readonly environment?: string;
  /** The services topic instead of `<environment>.octue.twined.services` (Octue's `TWINED_SERVICES_TOPIC_NAME`). */
  readonly servicesTopic?: string;
  /** CPUs the network's jobs may use at once; default: this machine's. */
  readonly cpuQuota?: number;
  readonly heartbeatIntervalSeconds?: number;
  /**
   * Where each question's runner runs: inside this process (default; the app still gets its own Python process) or
   * in a `twined service answer` process of its own (slower to start, fully isolated).
   */
  readonly jobs?: "in-process" | "process";
  /**
   * Warm starts for every service (`twined dev --warm-starts`): each question's app process is forked from a Python in
   * this process's care that already imported its revision's app, so it pays neither Python's start nor the app's
   * imports (with either `jobs` setting). Without it, only services whose octue.yaml says `warm_start: true` get them.
   * Launchers whose jobs run elsewhere (`launcher`) have none. Default off.
   */
  readonly warmStarts?: boolean;
  /**
   * Whether each revision keeps a Python harness started for its next question once one has been answered (jobs run
   * in this process; see runtime/runner/spare-harnesses.ts), so that a question does not wait for Python to start.
   * Default on.
   */
  readonly spareHarnesses?: boolean;
  /** Signs pushed events; a random one is made when not given. */
  readonly pushSecret?: string;
  /**
   * Where questions' events may be pushed (`push_endpoint`). Always: https to public addresses; and, unless
   * `allowLoopback` is false (a network whose askers are not all on this machine), http or https to this machine's
   * loopback addresses. `allowList` adds hosts (exact names, any case) and addresses or CIDR ranges (`10.20.0.0/16`)
   * that may be private, over https only; the cloud metadata server is never allowed.
   * @throws InvalidPushEndpointAllowList (from `startEmbeddedNetwork`) for an entry that is none of these.
   */
  readonly pushEndpoints?: { readonly allowList?: readonly string[]; readonly allowLoopback?: boolean };
  /** Chaos and timing options of the in-memory bus (e.g. deliver every message twice, shuffled). */
  readonly bus?: InMemoryEventBusOptions;
  /** Another bus instead of the in-memory one (Google Pub/Sub, or its emulator); closed with the network. */
  readonly eventBus?: EventBus;
  /** Other stores instead of SQLite (Firestore, or its emulator); closed with the network. */
  readonly stores?: NetworkStores;
  /** What jobs print (the apps' output), by question. */
  readonly onJobOutput?: (questionUuid: string, text: string) => void;
  /**
   * Builds the job launcher instead of the local process launcher (benchmarks use one whose jobs answer at once).
   * It must send each job's events to `sink` and report job phases to `observer`.
   */
  readonly launcher?: (sink: EventSink, observer: JobObserver) => JobLauncher;
  /**
   * How often the question reconciler compares questions with their jobs, for launchers whose jobs run elsewhere
   * (Kueue, Cloud Run); default 2 s. The local launcher watches its own processes and needs no reconciler.
   */
  readonly reconcileIntervalMs?: number;
  readonly reconciler?: Partial<QuestionReconcilerSettings>;
  /**
   * Messages that could never be processed, with the reason; they are also published on the dead-letters topic, and
   * kept in the dead letter store from there.
   */
  readonly onDeadLetter?: (reason: string, message: BusMessage) => void;
  /**
   * Other dataset storage instead of the data directory's folder (Cloud Storage, or its emulator); closed with the
   * network. Built once the network knows its own address getter.
   */
  readonly storage?: (networkUrl: () => string | undefined) => NetworkStorage;
  /**
   * Whether questions may name paths on this machine; by default when jobs run here (the local launcher). False makes
   * the network behave as one whose jobs run elsewhere (askers must upload local datasets).
   */
  readonly readsLocalFiles?: boolean;
  /**
   * The functions whose subscriptions this process takes (`SubscriptionSpec.functionName`); default all. Several
   * processes on one bus and one set of stores then make one network, split as a deployed one is, and one part can
   * stop while the others go on: its subscriptions are still made, and hold its messages until it is back.
   */
  readonly functions?: readonly string[];
  /** The token the network's HTTP API requires (one reachable beyond loopback): its jobs present it when they call. */
  readonly networkToken?: string;
}

/** Where a network keeps questions and revisions, and its dead letters. */
export interface NetworkStores {
  readonly questions: QuestionStore;
  readonly revisions: RevisionStore;
  /** Without it, dead letters are kept in the data directory's SQLite database. */
  readonly deadLetters?: DeadLetterStore;
  close(): Promise<void>;
}

/**
 * A whole Twined network in one process: the five functions' handlers wired to a bus and stores (in memory and SQLite by
 * default; Pub/Sub and Firestore when given).
 */
export interface EmbeddedNetwork {
  readonly bus: EventBus;
  readonly topics: TopicNames;
  readonly questions: QuestionStore;
  /** Wakes live event streams as soon as a question changes. */
  readonly changes: QuestionChanges;
  readonly revisions: RevisionStore;
  /** Datasets: inputs read, outputs written, signed URLs served. */
  readonly storage: NetworkStorage;
  /** Whether questions may name paths on this machine: its jobs run here (the local launcher). */
  readonly readsLocalFiles: boolean;
  /**
   * Whether jobs can read the network's storage: always with the local launcher; with another launcher, only when the
   * storage was given (a cluster cannot see this machine's storage folder). Askers upload local datasets only then.
   */
  readonly jobsReachStorage: boolean;
  readonly intake: QuestionIntake;
  /** Lists and replays the network's dead letters (`/dead-letters`). */
  readonly deadLetters: DeadLetterKeeper;
  readonly launcher: JobLauncher;
  /** Publishes a service's response events on the services topic, as jobs do (also those posting over HTTP). */
  readonly events: EventSink;
  /** Tells jobs where the network's HTTP API is, so services can ask their children through it. */
  setNetworkUrl(url: string): void;
  /**
   * Ends or resumes every question this network's data directory holds unfinished from a network that stopped (see
   * `recoverAfterRestart`); call it once the network serves (its jobs may ask children through its address). Does
   * nothing for a launcher whose jobs run elsewhere, which the reconciler watches.
   */
  recover(): Promise<RestartRecoveryReport>;
  close(): Promise<void>;
}

/** The environment a network on this machine names its topics by unless told: Octue's own default. */
export const DEFAULT_ENVIRONMENT = "main";

// Locally there is nobody to protect from a hot retry loop but ourselves: retry soon, give up after a few attempts.
const LOCAL_DELIVERY: SubscriptionOptions = {
  retryPolicy: { minimumBackoffSeconds: 0.1, maximumBackoffSeconds: 5 },
};

/** The composition root of the embedded default: builds the adapters and wires every handler to its subscription. */
export async function startEmbeddedNetwork(options: EmbeddedNetworkOptions = {}): Promise<EmbeddedNetwork> {
  const startedAt = new Date().toISOString();
  // First, so that a bad allow-list entry fails before anything is opened. Askers' receivers run on this machine.
  const pushEndpoints = new PushEndpointGuard({
    allowLoopback: options.pushEndpoints?.allowLoopback ?? true,
    allowList: options.pushEndpoints?.allowList ?? [],
    allowListSetting: "pushEndpoints.allowList; twined dev --allow-push-to",
  });
  const dataDirectory = path.resolve(options.dataDirectory ?? ".twined");
  mkdirSync(dataDirectory, { recursive: true });
  const databasePath = options.databasePath ?? path.join(dataDirectory, "twined.sqlite");
  const stores = options.stores ?? openSqliteStores(databasePath);
  const deadLetters = deadLetterStore(stores, databasePath);
  const questions = new QuestionChangeNotifier(stores.questions);
  const bus = options.eventBus ?? new InMemoryEventBus(options.bus);
  const topics = topicNames(options.environment ?? DEFAULT_ENVIRONMENT, {
    TWINED_SERVICES_TOPIC_NAME: options.servicesTopic,
  });
  for (const topic of Object.values(topics)) await bus.ensureTopic(topic);

  let networkUrl: string | undefined;
  const storage = (options.storage ?? ((url) => folderStorage(dataDirectory, url)))(() => networkUrl);
  // Jobs on this machine read its local paths; jobs on a cluster (another launcher) cannot.
  const readsLocalFiles = options.readsLocalFiles ?? options.launcher === undefined;
  const jobsReachStorage = options.launcher === undefined || options.storage !== undefined;
  const sink: EventSink = emittedInContext(batchingEventSink(bus, topics.services));
  const observer = KueueLauncher.observer(questions);
  const launcher =
    options.launcher?.(sink, observer) ??
    new LocalJobLauncher({
      networkUrl: () => networkUrl,
      ...definedProperties({ networkToken: options.networkToken }),
      sink,
      observer,
      ...definedProperties({ cpuQuota: options.cpuQuota }),
      jobsDirectory: path.join(dataDirectory, "jobs"),
      executor:
        options.jobs === "process"
          ? new ProcessJobExecutor({
              env: { ...process.env, ...storage.jobEnvironment },
              warmStarts: new WarmStartBroker({ allServices: options.warmStarts === true }),
            })
          : new InProcessJobExecutor({
              datasets: async () => runnerDatasets(storage),
              ...definedProperties({ warmStarts: options.warmStarts, spareHarnesses: options.spareHarnesses }),
            }),
      ...definedProperties({
        heartbeatIntervalSeconds: options.heartbeatIntervalSeconds,
        onOutput: options.onJobOutput,
      }),
    });
  const handlers = buildNetworkHandlers({
    questions,
    revisions: stores.revisions,
    deadLetters: deadLetters.store,
    bus,
    topics,
    jobs: launcher,
    pushSecret: options.pushSecret ?? randomBytes(32).toString("hex"),
    pushEndpoints,
    readsLocalFiles,
    ...definedProperties({ reconciler: options.reconciler }),
  });
  const reconciling = isObservable(launcher)
    ? new RepeatingTask(() => handlers.reconciler.reconcile(), options.reconcileIntervalMs ?? 2000)
    : undefined;
  const deadLetter = async (reason: string, message: BusMessage, topic: string) => {
    options.onDeadLetter?.(reason, message);
    await recordDeadLetter(bus, topics, reason, message, topic);
  };

  const subscribers: BusSubscriber[] = [];
  // The keeper first, so that no dead letter the others make waits for it.
  const keeper = deadLetterKeeperSubscription(topics);
  const runs = (functionName: string) => options.functions === undefined || options.functions.includes(functionName);
  await bus.ensureSubscription(keeper.subscription, keeper.topic, { ...LOCAL_DELIVERY, ...keeper.options });
  if (runs(keeper.functionName)) {
    subscribers.push(bus.subscribe(keeper.subscription, (message) => keeper.handle(handlers, message)));
  }
  for (const spec of networkSubscriptions(topics)) {
    await bus.ensureSubscription(spec.subscription, spec.topic, { ...LOCAL_DELIVERY, ...spec.options });
    if (!runs(spec.functionName)) continue;
    const handle = guarded(
      (message) => spec.handle(handlers, message),
      (reason, message) => deadLetter(reason, message, spec.topic),
    );
    subscribers.push(bus.subscribe(spec.subscription, handle));
  }

  return {
    bus,
    topics,
    questions,
    changes: questions,
    revisions: stores.revisions,
    storage,
    readsLocalFiles,
    jobsReachStorage,
    intake: handlers.intake,
    deadLetters: handlers.deadLetters,
    launcher,
    events: sink,
    setNetworkUrl(url) {
      networkUrl = url;
    },
    async recover() {
      if (isObservable(launcher)) return { resumed: [], failed: [] };
      return recoverAfterRestart({ questions, bus, topics, launcher: handlers.launcher, startedAt });
    },
    async close() {
      await reconciling?.stop();
      await launcher.close();
      await Promise.all(subscribers.map((subscriber) => subscriber.close()));
      await bus.close();
      await stores.close();
      if (deadLetters.owned) await deadLetters.store.close();
      await storage.close();
    },
  };
}

/**
 * Each event carries the trace context it was emitted in (its job's), as `googclient_traceparent`: the batching sink
 * publishes the events of several jobs at once, in one context.
 */
function emittedInContext(sink: EventSink): EventSink {
  return { emit: (envelope) => sink.emit({ ...envelope, attributes: withTraceAttribute(envelope.attributes) }) };
}

/** The stores' dead letter store, or one on the data directory's database (which the network then closes). */
function deadLetterStore(stores: NetworkStores, databasePath: string): { store: DeadLetterStore; owned: boolean } {
  if (stores.deadLetters !== undefined) return { store: stores.deadLetters, owned: false };
  return { store: SqliteDeadLetterStore.open(databasePath), owned: true };
}
