import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerFromCommandLine } from "../../../cli/actions/service.js";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../../platform/embedded-network.js";
import { createHttpApi } from "../../../platform/http-api.js";
import { readJobCloudSettings } from "../../../runtime/jobs/google-job-connection.js";
import { InProcessJobExecutor } from "../../../runtime/jobs/in-process-job-executor.js";
import { openJobConnection } from "../../../runtime/jobs/open-job-connection.js";
import { LocalJobLauncher } from "../../../shared/adapters/embedded/local-jobs/index.js";
import { openFirestoreStores } from "../../../shared/adapters/google/firestore/index.js";
import { PubSubEventBus } from "../../../shared/adapters/google/pubsub/index.js";
import { NetworkClient } from "../../../shared/client/index.js";
import {
  InvalidDeploymentSetting,
  InvalidEvent,
  JobNetworkNotConfigured,
  NetworkRequestFailed,
  QuestionNotFound,
} from "../../../shared/errors/index.js";
import {
  type ChildEventEnvelope,
  createQuestionAttributes,
  decodeEvent,
  deriveResponseAttributes,
  type ParentAttributes,
} from "../../../shared/events/index.js";
import type { BusMessage, JobLauncher, JobSpec, NewQuestion } from "../../../shared/ports/index.js";
import { jobContainer } from "../../../shared/ports/index.js";
import { runTwined } from "../../cli/run-cli.js";
import { describeWithEmulators, uniqueName } from "../../support/emulators.js";
import { rejectionOf } from "../../support/error-of.js";
import { startTwined } from "../../support/twined-process.js";
import { waitFor } from "../../support/wait-for.js";

const scratch = mkdtempSync(path.join(tmpdir(), "twined-job-connection-"));
const ASKER = "testing/jobs:1.0.0";
const locations = {
  locations: [
    { longitude: 0, latitude: 0 },
    { longitude: 1, latitude: 1 },
  ],
};

function copyOf(example: string): string {
  const directory = path.join(scratch, path.basename(example));
  cpSync(path.resolve("examples", example), directory, { recursive: true });
  return directory;
}

function twineOf(directory: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(directory, "twine.json"), "utf8")) as Record<string, unknown>;
}

/** The events a job wrote to stdout, one JSON line each. */
function jsonLines(stdout: string): ChildEventEnvelope[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as ChildEventEnvelope);
}

function newQuestion(attributes: ParentAttributes, inputValues: unknown): NewQuestion {
  return {
    questionUuid: attributes.question_uuid,
    recipient: attributes.recipient,
    sender: attributes.sender,
    parentQuestionUuid: undefined,
    originatorQuestionUuid: attributes.originator_question_uuid,
    question: { kind: "question", input_values: inputValues },
    attributes,
    pushEndpoint: undefined,
    timeoutSeconds: undefined,
    priority: 0,
    resources: { cpus: 1 },
  };
}

function logRecord(question: ParentAttributes, message: string): ChildEventEnvelope {
  return {
    event: {
      kind: "log_record",
      log_record: { msg: message, levelno: 20, levelname: "INFO", name: "app", created: 0 },
    },
    attributes: deriveResponseAttributes(question),
  };
}

/**
 * Stands in for a cluster: jobs of image revisions are only recorded (the test runs them, as a pod would), those of
 * service folders run here as usual.
 */
class ClusterStandIn implements JobLauncher {
  readonly imageJobs: JobSpec[] = [];
  constructor(private readonly local: LocalJobLauncher) {}
  async launch(spec: JobSpec): Promise<{ launched: boolean }> {
    if (spec.revision.source.kind !== "image") return this.local.launch(spec);
    this.imageJobs.push(spec);
    return { launched: true };
  }
  cancel(questionUuid: string, reason?: string): Promise<boolean> {
    return this.local.cancel(questionUuid, reason);
  }
  phase(questionUuid: string) {
    return this.local.phase(questionUuid);
  }
  close(): Promise<void> {
    return this.local.close();
  }
}

describe("a job that reaches an embedded network over HTTP", () => {
  let network: EmbeddedNetwork;
  let cluster: ClusterStandIn;
  let server: Server;
  let base: string;
  let parent: string;
  let elevation: string;

  beforeAll(async () => {
    network = await startEmbeddedNetwork({
      dataDirectory: path.join(scratch, ".twined"),
      databasePath: ":memory:",
      launcher: (sink, observer) => {
        cluster = new ClusterStandIn(
          new LocalJobLauncher({
            sink,
            observer,
            cpuQuota: 4,
            jobsDirectory: path.join(scratch, "jobs"),
            executor: new InProcessJobExecutor(),
            networkUrl: () => base,
          }),
        );
        return cluster;
      },
    });
    server = createHttpApi(network, { pollIntervalMs: 20 }).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    parent = copyOf("child-services/parent");
    elevation = copyOf("child-services/elevation");
    const windSpeed = copyOf("child-services/wind-speed");
    for (const [name, directory] of [
      ["elevation", elevation],
      ["wind-speed", windSpeed],
    ] as const) {
      await network.revisions.register(
        {
          namespace: "examples",
          name,
          revisionTag: "0.1.0",
          twine: twineOf(directory),
          source: { kind: "directory", path: directory },
        },
        { makeDefault: true },
      );
    }
    await network.revisions.register(
      {
        namespace: "examples",
        name: "parent",
        revisionTag: "0.1.0",
        twine: twineOf(parent),
        source: { kind: "image", image: "europe-west1-docker.pkg.dev/tests/services/parent:0.1.0" },
      },
      { makeDefault: true },
    );
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await network.close();
  });

  it("reads its question, asks its children and sends every event back, as the job container runs it", async () => {
    const client = new NetworkClient(base);
    const asked = await client.ask({ recipient: "examples/parent", input_values: locations, sender: ASKER });
    const questionUuid = asked.question_uuid;
    await waitFor(() => cluster.imageJobs.some((spec) => spec.question.attributes.question_uuid === questionUuid), {
      timeoutMs: 10_000,
      description: "the launch of the parent's job",
    });
    const spec = cluster.imageJobs.find((each) => each.question.attributes.question_uuid === questionUuid);
    if (spec === undefined) throw new Error("no job");
    const container = jobContainer(spec, {
      environment: { TWINED_NETWORK_URL: base },
      computeProvider: "GOOGLE_KUEUE",
      heartbeatIntervalSeconds: 1,
    });
    expect(container.args.slice(0, 2)).toEqual(["--question-uuid", questionUuid]);

    const env = { ...process.env, ...Object.fromEntries(container.env.map(({ name, value }) => [name, value])) };
    const job = startTwined([...container.command.slice(1), ...container.args], parent, env);
    const exitCode = await job.exited;
    expect({ exitCode, stderr: job.output.stderr }).toMatchObject({ exitCode: 0 });

    // Its log collector's copy, on stdout…
    const printed = jsonLines(job.output.stdout);
    expect(printed[0]?.event.kind).toBe("delivery_acknowledgement");
    expect(printed.at(-1)?.event).toEqual({
      kind: "result",
      output_values: { elevations: [3542, 548], wind_speeds: [59, 174] },
    });
    // …and the network's, recorded in the same order, which ends the question.
    await waitFor(async () => (await client.question(questionUuid)).status === "succeeded", { timeoutMs: 10_000 });
    const recorded = await client.queryEvents({ question_uuid: questionUuid });
    expect(recorded.map((each) => each.attributes.uuid)).toEqual(printed.map((each) => each.attributes.uuid));
    const children = await client.listQuestions({ parent_question_uuid: questionUuid });
    expect(children.map((each) => [each.recipient, each.status]).sort()).toEqual([
      ["examples/elevation:0.1.0", "succeeded"],
      ["examples/wind-speed:0.1.0", "succeeded"],
    ]);
  }, 90_000);

  it("refuses an unknown question, naming it, and sends nothing", async () => {
    const unknown = "0d9b8c4e-3f7a-4d7e-9a51-6c2f0e1b7a42";
    const result = await runTwined(["service", "answer", "--question-uuid", unknown, "--network", base], elevation);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(unknown);
    expect(result.stderr).toMatch(/QuestionNotFound/);
    expect(result.stdout).toBe("");
  });

  it("does not run a question that ended before its job started, and sends nothing", async () => {
    const attributes = createQuestionAttributes({ sender: ASKER, recipient: "examples/elevation:0.1.0" });
    await network.questions.create(newQuestion(attributes, locations));
    const client = new NetworkClient(base);
    await client.cancel(attributes.question_uuid, "cancelled while its job was being made");
    const result = await runTwined(
      ["service", "answer", "--question-uuid", attributes.question_uuid, "--network", base],
      elevation,
    );
    expect(result).toMatchObject({ code: 0, stdout: "" });
    expect(result.stderr).toContain(`question ${attributes.question_uuid} has already ended (cancelled)`);
    const events = await client.queryEvents({ question_uuid: attributes.question_uuid });
    expect(events.map((each) => each.event.kind)).toEqual(["exception"]);
  });

  it("tells the asker when the service's configuration cannot be loaded", async () => {
    const attributes = createQuestionAttributes({ sender: ASKER, recipient: "examples/elevation:0.1.0" });
    await network.questions.create(newQuestion(attributes, locations));
    const result = await runTwined(
      ["service", "answer", "--question-uuid", attributes.question_uuid, "--network", base, "-c", "missing.yaml"],
      elevation,
    );
    expect(result.code).toBe(2);
    expect(jsonLines(result.stdout).map((each) => each.event.kind)).toEqual(["exception"]);
    const client = new NetworkClient(base);
    await waitFor(async () => (await client.queryEvents({ question_uuid: attributes.question_uuid })).length === 1);
  });
});

describe("twined service answer: choosing how to get the question", () => {
  const output = () => {
    const captured = { stdout: "", stderr: "" };
    return {
      captured,
      sink: {
        stdout: { write: (text: string) => (captured.stdout += text) },
        stderr: { write: (text: string) => (captured.stderr += text) },
      },
    };
  };

  it("wants exactly one of --question and --question-uuid", async () => {
    for (const args of [[], ["--question", "{}", "--question-uuid", "0d9b8c4e-3f7a-4d7e-9a51-6c2f0e1b7a42"]]) {
      const result = await runTwined(["service", "answer", ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/exactly one of --question .* and --question-uuid/);
    }
  });

  it("refuses a question UUID that is not one", async () => {
    const { captured, sink } = output();
    expect(await answerFromCommandLine({ questionUuid: "../etc" }, sink, { TWINED_NETWORK_URL: "http://x" })).toBe(2);
    expect(captured.stderr).toMatch(/'..\/etc' is not a UUID/);
  });

  it("names both variables when the job's environment names no network", async () => {
    const { captured, sink } = output();
    const uuid = "0d9b8c4e-3f7a-4d7e-9a51-6c2f0e1b7a42";
    expect(await answerFromCommandLine({ questionUuid: uuid }, sink, {})).toBe(2);
    expect(captured.stderr).toMatch(/JobNetworkNotConfigured/);
    expect(captured.stderr).toMatch(/TWINED_NETWORK_URL/);
    expect(captured.stderr).toMatch(/GOOGLE_CLOUD_PROJECT/);
    expect(await rejectionOf(openJobConnection({}, { questionUuid: uuid }))).toBeInstanceOf(JobNetworkNotConfigured);
  });
});

/** A network that answers with whatever the test scripts, counting requests by route. */
async function scriptedNetwork(answer: (request: IncomingMessage, body: string, count: number) => [number, unknown]) {
  const counts = new Map<string, number>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      const key = `${request.method} ${request.url}`;
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      const [status, json] = answer(request, body, count);
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
    });
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe("the HTTP job connection", () => {
  const question = createQuestionAttributes({ sender: ASKER, recipient: "examples/elevation:0.1.0" });
  const uuid = question.question_uuid;
  const envelope = { event: { kind: "question", input_values: locations }, attributes: question };
  const quick = { retries: 3, minTimeoutMs: 1 };

  it("retries transient failures, reading and sending, and never a refusal", async () => {
    const network = await scriptedNetwork((request, _body, count) => {
      if (request.method === "GET")
        return count < 3 ? [503, { error: { type: "Busy", message: "busy" } }] : [200, envelope];
      if (JSON.parse(_body).event.log_record.msg === "refused")
        return [400, { error: { type: "InvalidEvent", message: "no" } }];
      return count === 1 ? [429, {}] : [202, { accepted: true }];
    });
    try {
      const connection = await openJobConnection(
        { TWINED_NETWORK_URL: network.url },
        { questionUuid: uuid, http: quick },
      );
      expect(connection.question).toEqual(envelope);
      expect(network.counts.get(`GET /questions/${uuid}/question`)).toBe(3);
      await connection.sink.emit(logRecord(question, "accepted"));
      expect(network.counts.get(`POST /questions/${uuid}/events`)).toBe(2);
      const refusal = await rejectionOf(connection.sink.emit(logRecord(question, "refused")));
      expect(refusal).toBeInstanceOf(NetworkRequestFailed);
      expect((refusal as NetworkRequestFailed).status).toBe(400);
      expect(network.counts.get(`POST /questions/${uuid}/events`)).toBe(3);
      await connection.close();
    } finally {
      await network.close();
    }
  });

  it("gives up on a network that stays down, and says where it was looking", async () => {
    const network = await scriptedNetwork(() => [500, {}]);
    await network.close();
    const error = await rejectionOf(
      openJobConnection({}, { questionUuid: uuid, networkUrl: network.url, http: quick }),
    );
    expect(error).toBeInstanceOf(NetworkRequestFailed);
    expect(String(error)).toContain(network.url);
  });

  it.each([
    [
      "a question the network does not know",
      [404, { error: { type: "QuestionNotFound", message: "?" } }],
      QuestionNotFound,
    ],
    ["an event that is no question", [200, { ...envelope, event: { kind: "heartbeat" } }], InvalidEvent],
    [
      "another question",
      [200, { ...envelope, attributes: { ...question, question_uuid: "0d9b8c4e-3f7a-4d7e-9a51-6c2f0e1b7a42" } }],
      InvalidEvent,
    ],
    [
      "a question that breaks the protocol",
      [200, { ...envelope, attributes: { ...question, sender_type: "SOMEONE" } }],
      InvalidEvent,
    ],
  ] as const)("refuses %s", async (_case, reply, type) => {
    const network = await scriptedNetwork(() => [reply[0], reply[1]]);
    try {
      const error = await rejectionOf(
        openJobConnection({ TWINED_NETWORK_URL: network.url }, { questionUuid: uuid, http: quick }),
      );
      expect(error).toBeInstanceOf(type);
      expect(network.counts.get(`GET /questions/${uuid}/question`)).toBe(1);
    } finally {
      await network.close();
    }
  });
});

describe("a job's Google Cloud settings", () => {
  it("reads the functions' variables, without a push secret", () => {
    expect(readJobCloudSettings({ GOOGLE_CLOUD_PROJECT: "p" })).toEqual({
      projectId: "p",
      environment: "main",
      firestoreDatabase: undefined,
      collectionPrefix: undefined,
      servicesTopic: "main.octue.twined.services",
    });
    expect(
      readJobCloudSettings({
        GOOGLE_CLOUD_PROJECT: "p",
        TWINED_ENVIRONMENT: "staging",
        TWINED_SERVICES_TOPIC_NAME: "octue.services",
        TWINED_FIRESTORE_DATABASE: "twined",
        TWINED_FIRESTORE_COLLECTION_PREFIX: "a_",
      }),
    ).toMatchObject({
      environment: "staging",
      servicesTopic: "octue.services",
      firestoreDatabase: "twined",
      collectionPrefix: "a_",
    });
  });

  it("names a malformed setting", () => {
    const error = (() => {
      try {
        readJobCloudSettings({ GOOGLE_CLOUD_PROJECT: "p", TWINED_ENVIRONMENT: "Not One Word" });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidDeploymentSetting);
    expect(error).toMatchObject({ setting: "TWINED_ENVIRONMENT" });
  });
});

describeWithEmulators("a job that reaches a network on Google Cloud (emulators)", (info) => {
  const prefix = uniqueName("jobs").replace("-", "_");
  const topic = uniqueName("jobs.services");
  const subscription = uniqueName("jobs.services.all");
  const env = {
    GOOGLE_CLOUD_PROJECT: info.projectId,
    TWINED_FIRESTORE_COLLECTION_PREFIX: prefix,
    TWINED_SERVICES_TOPIC_NAME: topic,
  };
  const stores = openFirestoreStores({ projectId: info.projectId, collectionPrefix: prefix });
  let bus: PubSubEventBus;
  const received: BusMessage[] = [];
  const eventsOf = (questionUuid: string) =>
    received.map((message) => decodeEvent(message)).filter((each) => each.attributes.question_uuid === questionUuid);

  beforeAll(async () => {
    bus = new PubSubEventBus({ projectId: info.projectId });
    await bus.ensureTopic(topic);
    await bus.ensureSubscription(subscription, topic, { enableMessageOrdering: true });
    bus.subscribe(subscription, (message) => {
      received.push(message);
    });
  });

  afterAll(async () => {
    await bus.close();
    await stores.close();
  });

  it("reads its question from Firestore and publishes its events on the services topic", async () => {
    const attributes = createQuestionAttributes({ sender: ASKER, recipient: "examples/elevation:0.1.0" });
    await stores.questions.create(newQuestion(attributes, locations));
    const connection = await openJobConnection(env, { questionUuid: attributes.question_uuid });
    expect(connection.question).toEqual({ event: { kind: "question", input_values: locations }, attributes });
    const sent = logRecord(attributes, "hello");
    await connection.sink.emit(sent);
    await connection.close();
    await waitFor(() => eventsOf(attributes.question_uuid).length === 1, { timeoutMs: 10_000 });
    expect(eventsOf(attributes.question_uuid)).toEqual([sent]);
    expect(received.at(-1)?.attributes).toMatchObject({
      sender_type: "CHILD",
      question_uuid: attributes.question_uuid,
    });
  });

  it("refuses a question that is not in Firestore", async () => {
    const uuid = "0d9b8c4e-3f7a-4d7e-9a51-6c2f0e1b7a42";
    const error = await rejectionOf(openJobConnection(env, { questionUuid: uuid }));
    expect(error).toBeInstanceOf(QuestionNotFound);
    expect(error).toMatchObject({ questionUuid: uuid });
  });

  it("answers end to end as a job process, its events on the topic and on stdout", async () => {
    const attributes = createQuestionAttributes({ sender: ASKER, recipient: "examples/elevation:0.1.0" });
    await stores.questions.create(newQuestion(attributes, locations));
    const directory = copyOf("child-services/elevation");
    const job = startTwined(["service", "answer", "--question-uuid", attributes.question_uuid], directory, {
      ...process.env,
      TWINED_NETWORK_URL: "",
      ...env,
    });
    const exitCode = await job.exited;
    expect({ exitCode, stderr: job.output.stderr }).toMatchObject({ exitCode: 0 });
    const printed = jsonLines(job.output.stdout);
    expect(printed.at(-1)?.event).toEqual({ kind: "result", output_values: [3542, 548] });
    await waitFor(() => eventsOf(attributes.question_uuid).length === printed.length, { timeoutMs: 10_000 });
    expect(eventsOf(attributes.question_uuid).map((each) => each.attributes.uuid)).toEqual(
      printed.map((each) => each.attributes.uuid),
    );
  }, 60_000);
});
