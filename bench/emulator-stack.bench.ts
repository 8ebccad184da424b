/**
 * The control plane on the Google stack (Pub/Sub and Firestore emulators) side by side with the embedded one (in-memory
 * bus and SQLite), in one run: questions per second with jobs that answer at once, the added latency of a trivial
 * question over its app's own run time, and what one question costs on the control path (publishes, store reads and
 * writes, handler invocations, which are Cloud Function invocations when deployed).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { hasGcloud, type RunningEmulator, startEmulator } from "../dev/emulators.js";
import { type NetworkStores, startEmbeddedNetwork } from "../platform/embedded-network.js";
import { createHttpApi } from "../platform/http-api.js";
import { InMemoryEventBus } from "../shared/adapters/embedded/in-memory-event-bus/in-memory-event-bus.js";
import { openSqliteStores } from "../shared/adapters/embedded/sqlite/index.js";
import { openFirestoreStores } from "../shared/adapters/google/firestore/index.js";
import { PubSubEventBus } from "../shared/adapters/google/pubsub/index.js";
import { Child, NetworkClient } from "../shared/client/index.js";
import { createQuestionAttributes, deriveResponseAttributes, renewEventIdentity } from "../shared/events/index.js";
import type {
  BusSubscriber,
  EventBus,
  MessageHandler,
  OutgoingMessage,
  PublishOptions,
  QuestionStore,
  RevisionStore,
  SubscriptionOptions,
} from "../shared/ports/index.js";
import { InstantJobs, latencySummary, median, PYTHON, round, timeProcess, trivialService } from "./support.js";

const QUESTIONS = 100;
const LATENCY_ROUNDS = 15;
const CHATTY_LINES = 2000;
const CHATTY_ROUNDS = 5;
const PROJECT = "twined-bench";

/** Counts what passes through a bus: messages published, and handler invocations. */
class CountingBus implements EventBus {
  publishes = 0;
  invocations = 0;
  constructor(private readonly bus: EventBus) {}
  ensureTopic(topic: string) {
    return this.bus.ensureTopic(topic);
  }
  ensureSubscription(subscription: string, topic: string, options?: SubscriptionOptions) {
    return this.bus.ensureSubscription(subscription, topic, options);
  }
  deleteSubscription(subscription: string) {
    return this.bus.deleteSubscription(subscription);
  }
  publish(topic: string, data: Buffer, options?: PublishOptions) {
    this.publishes++;
    return this.bus.publish(topic, data, options);
  }
  /** One request, however many messages: what a publish costs. */
  publishAll(topic: string, messages: readonly OutgoingMessage[]) {
    this.publishes++;
    return this.bus.publishAll(topic, messages);
  }
  subscribe(subscription: string, handler: MessageHandler): BusSubscriber {
    return this.bus.subscribe(subscription, (message) => {
      this.invocations++;
      return handler(message);
    });
  }
  close() {
    return this.bus.close();
  }
}

/** Counts store calls that read and that write, whatever the store. */
function countingStores(stores: NetworkStores): NetworkStores & { reads: number; writes: number } {
  const counts = { reads: 0, writes: 0 };
  const wrap = <T extends object>(target: T, writes: readonly string[]): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== "function" || property === "close") return value;
        return (...args: unknown[]) => {
          if (writes.includes(String(property))) counts.writes++;
          else counts.reads++;
          return (value as (...parameters: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  return {
    questions: wrap<QuestionStore>(stores.questions, ["create", "transition", "appendEvent", "recordEvents"]),
    revisions: wrap<RevisionStore>(stores.revisions, ["register", "setDefault"]),
    close: () => stores.close(),
    get reads() {
      return counts.reads;
    },
    get writes() {
      return counts.writes;
    },
  };
}

interface Stack {
  readonly name: string;
  bus(): EventBus;
  stores(environment: string): NetworkStores;
}

async function throughput(stack: Stack) {
  const environment = `b${randomBytes(4).toString("hex")}`;
  const bus = new CountingBus(stack.bus());
  const stores = countingStores(stack.stores(environment));
  const network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-bench-stack-")),
    environment,
    eventBus: bus,
    stores,
    launcher: (sink, observer) => new InstantJobs(sink, observer),
  });
  await network.revisions.register(
    {
      namespace: "bench",
      name: "noop",
      revisionTag: "1",
      twine: { input_values_schema: { type: "object" } },
      source: { kind: "image", image: "none" },
    },
    { makeDefault: true },
  );
  const before = { publishes: bus.publishes, invocations: bus.invocations, reads: stores.reads, writes: stores.writes };
  const start = performance.now();
  await Promise.all(
    Array.from({ length: QUESTIONS }, (_, n) => network.intake.ask({ recipient: "bench/noop", input_values: { n } })),
  );
  for (;;) {
    const done = await network.questions.list({ recipient: "bench/noop:1", status: "succeeded", limit: QUESTIONS });
    if (done.length === QUESTIONS) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const elapsed = performance.now() - start;
  // Let the last deliveries' acknowledgements settle before reading the counters.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const perQuestion = (now: number, then: number) => round((now - then) / QUESTIONS);
  const result = {
    questionsPerSecond: round((QUESTIONS / elapsed) * 1000),
    perQuestion: {
      publishes: perQuestion(bus.publishes, before.publishes),
      handlerInvocations: perQuestion(bus.invocations, before.invocations),
      storeReads: perQuestion(stores.reads, before.reads),
      storeWrites: perQuestion(stores.writes, before.writes),
    },
  };
  await network.close();
  return result;
}

async function latency(stack: Stack, service: string, bare: readonly number[]) {
  const environment = `l${randomBytes(4).toString("hex")}`;
  const network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-bench-stack-")),
    environment,
    eventBus: stack.bus(),
    stores: stack.stores(environment),
    cpuQuota: 2,
  });
  const server = createHttpApi(network, { pollIntervalMs: 50 }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  network.setNetworkUrl(url);
  await new NetworkClient(url).registerRevision("bench", "trivial", "1.0.0", {
    twine: JSON.parse(readFileSync(path.join(service, "twine.json"), "utf8")) as Record<string, unknown>,
    source: { kind: "directory", path: service },
    default: true,
  });
  const child = new Child({ id: "bench/trivial", network: url });
  await child.ask({ inputValues: { numbers: [1] } });
  const times: number[] = [];
  for (let round = 0; round < LATENCY_ROUNDS; round++) {
    const start = performance.now();
    await child.ask({ inputValues: { numbers: [1, 2, 3] } });
    times.push(performance.now() - start);
  }
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await network.close();
  return latencySummary(times, bare);
}

/** A service whose app logs `CHATTY_LINES` lines, each a `log_record` event on the way to its asker. */
function chattyService(): string {
  const directory = mkdtempSync(path.join(tmpdir(), "twined-bench-chatty-"));
  writeFileSync(path.join(directory, "octue.yaml"), "services:\n  - namespace: bench\n    name: chatty\n");
  writeFileSync(
    path.join(directory, "twine.json"),
    JSON.stringify({ input_values_schema: { type: "object" }, output_values_schema: { type: "object" } }),
  );
  writeFileSync(
    path.join(directory, "app.py"),
    [
      "import logging",
      "logger = logging.getLogger(__name__)",
      "def run(analysis):",
      `    for line in range(${CHATTY_LINES}):`,
      "        logger.info('line %d of the chatty app', line)",
      `    analysis.output_values = {'lines': ${CHATTY_LINES}}`,
    ].join("\n"),
  );
  return directory;
}

/**
 * One question at a time whose app logs `CHATTY_LINES` lines, asked with `Child` over HTTP: wall time (median of
 * `CHATTY_ROUNDS`, after one untimed question that warms the process up as a running network is), and the events the
 * store recorded per second of it.
 */
async function chatty(stack: Stack, service: string) {
  const environment = `c${randomBytes(4).toString("hex")}`;
  const network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-bench-stack-")),
    environment,
    eventBus: stack.bus(),
    stores: stack.stores(environment),
  });
  const server = createHttpApi(network, { pollIntervalMs: 50 }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  network.setNetworkUrl(url);
  await new NetworkClient(url).registerRevision("bench", "chatty", "1.0.0", {
    twine: JSON.parse(readFileSync(path.join(service, "twine.json"), "utf8")) as Record<string, unknown>,
    source: { kind: "directory", path: service },
    default: true,
  });
  const child = new Child({ id: "bench/chatty", network: url });
  const times: number[] = [];
  let events = 0;
  for (let round = -1; round < CHATTY_ROUNDS; round++) {
    const start = performance.now();
    const { questionUuid } = await child.ask({ inputValues: {}, onLog: () => {} });
    if (round < 0) continue;
    times.push(performance.now() - start);
    events = (await network.questions.events({ questionUuid, limit: CHATTY_LINES * 2 })).length;
  }
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await network.close();
  const ms = median(times);
  return { wallMs: round(ms), eventsRecorded: events, eventsPerSecond: round((events / ms) * 1000) };
}

/**
 * The floor a stack's store sets, without bus or handlers: `QUESTIONS` questions' four writes (create, validated,
 * dispatched, the two events with the final status) made directly, all at once; and a chatty question's events
 * recorded directly, in writes of 200 as the answer forwarder makes them under load.
 */
async function storeFloor(stack: Stack) {
  const stores = stack.stores(`f${randomBytes(4).toString("hex")}`);
  try {
    const ask = async () => {
      const attributes = createQuestionAttributes({ sender: "bench/asker:1.0.0", recipient: "bench/instant:1.0.0" });
      const questionUuid = attributes.question_uuid;
      await stores.questions.create({
        questionUuid,
        recipient: attributes.recipient,
        sender: attributes.sender,
        parentQuestionUuid: undefined,
        originatorQuestionUuid: attributes.originator_question_uuid,
        question: { kind: "question", input_values: {} },
        attributes,
        pushEndpoint: undefined,
        timeoutSeconds: undefined,
        priority: 0,
        resources: { cpus: 1 },
      });
      return attributes;
    };
    let start = performance.now();
    await Promise.all(
      Array.from({ length: QUESTIONS }, async () => {
        const attributes = await ask();
        const questionUuid = attributes.question_uuid;
        await stores.questions.transition(questionUuid, "validated");
        await stores.questions.transition(questionUuid, "dispatched");
        const response = deriveResponseAttributes(attributes);
        await stores.questions.recordEvents(
          questionUuid,
          [
            { event: { kind: "delivery_acknowledgement" }, attributes: { ...renewEventIdentity(response), order: 0 } },
            { event: { kind: "result", output_values: {} }, attributes: { ...renewEventIdentity(response), order: 1 } },
          ],
          { to: "succeeded", outcome: { answer: { output_values: {} } } },
        );
      }),
    );
    const questionsPerSecond = (QUESTIONS / (performance.now() - start)) * 1000;
    const chatty = await ask();
    const response = deriveResponseAttributes(chatty);
    const lines = Array.from({ length: CHATTY_LINES }, (_, line) => ({
      event: {
        kind: "log_record" as const,
        log_record: { msg: `line ${line} of the chatty app`, levelname: "INFO", levelno: 20, name: "app" },
      },
      attributes: { ...renewEventIdentity(response), order: line + 1 },
    }));
    start = performance.now();
    for (let index = 0; index < lines.length; index += 200) {
      await stores.questions.recordEvents(chatty.question_uuid, lines.slice(index, index + 200));
    }
    const chattyWritesMs = performance.now() - start;
    return { questionsPerSecond: round(questionsPerSecond), chattyEventWritesMs: round(chattyWritesMs) };
  } finally {
    await stores.close();
  }
}

export async function benchEmulatorStack(): Promise<Record<string, unknown>> {
  if (!hasGcloud()) return { error: "gcloud is not installed: the emulators cannot run" };
  const emulators: RunningEmulator[] = [];
  try {
    for (const kind of ["pubsub", "firestore"] as const) emulators.push(await startEmulator(kind, PROJECT));
    process.env.PUBSUB_EMULATOR_HOST = emulators[0]?.host;
    process.env.FIRESTORE_EMULATOR_HOST = emulators[1]?.host;
    process.env.METADATA_SERVER_DETECTION = "none";
    const stacks: Stack[] = [
      {
        name: "embedded",
        bus: () => new InMemoryEventBus(),
        stores: () => openSqliteStores(":memory:"),
      },
      {
        name: "emulators",
        bus: () => new PubSubEventBus({ projectId: PROJECT }),
        stores: (environment) => openFirestoreStores({ projectId: PROJECT, collectionPrefix: environment }),
      },
    ];
    const service = trivialService();
    const bare = Array.from({ length: 10 }, () => timeProcess(PYTHON, ["bare.py", '{"numbers": [1, 2, 3]}'], service));
    const chattyApp = chattyService();
    const report: Record<string, unknown> = {
      questions: QUESTIONS,
      chattyLines: CHATTY_LINES,
      latencyRounds: LATENCY_ROUNDS,
      bareAppP50Ms: round(median(bare)),
    };
    for (const stack of stacks) {
      report[stack.name] = {
        storeFloor: await storeFloor(stack),
        ...(await throughput(stack)),
        latency: await latency(stack, service, bare),
        chatty: await chatty(stack, chattyApp),
      };
    }
    const wall = (name: string) => (report[name] as { chatty: { wallMs: number } }).chatty.wallMs;
    report.chattyEmulatorsOverEmbedded = round(wall("emulators") / wall("embedded"));
    return report;
  } finally {
    for (const emulator of emulators) emulator.stop();
  }
}
