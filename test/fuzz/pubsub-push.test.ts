/**
 * Fuzzes what Pub/Sub pushes to the Pub/Sub-triggered functions, through the Functions Framework as deployed: wrapped
 * pushes (`{message: {data, attributes, messageId}, subscription}`), unwrapped ones (the body is the data, the
 * attributes are headers), and Eventarc CloudEvents in binary and structured mode; carrying valid and mutated Octue
 * events, internal question references and junk, with bad base64, missing or non-string attributes, huge and empty
 * bodies, wrong CloudEvent types and subscriptions of other functions.
 *
 * The function here is `pubsubTrigger` wired as `registerSubscriptionFunction` wires it, but on the embedded network's
 * adapters (SQLite, the in-memory bus) instead of Firestore and Pub/Sub, which would need the emulators.
 *
 * Property (functions/pubsub-trigger.ts): every delivery is acknowledged with 204, having been handled or recorded as
 * exactly one dead letter with a typed reason; a dead-lettered delivery changed no question and published nothing
 * else; never a 5xx (no transient failure is possible here) or an unhandled rejection. A 4xx can only come from the
 * Functions Framework's own body parsing, before Twined's code runs; it is counted and must have had no effect.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as functions from "@google-cloud/functions-framework";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pubsubTrigger } from "../../functions/pubsub-trigger.js";
import {
  buildNetworkHandlers,
  deadLetterKeeperSubscription,
  type NetworkHandlers,
  networkSubscriptions,
  recordDeadLetter,
  type SubscriptionSpec,
} from "../../platform/network-wiring.js";
import { openSqliteStores, type SqliteStores } from "../../shared/adapters/embedded/sqlite/index.js";
import { type TopicNames, topicNames } from "../../shared/control-plane/index.js";
import { KueueLauncher } from "../../shared/control-plane/kueue-launcher/handler.js";
import { PushEndpointGuard } from "../../shared/control-plane/push-endpoints/push-endpoint-guard.js";
import { MESSAGE_PUBLISHED, type PushedDelivery } from "../../shared/control-plane/pushed-message.js";
import { InvalidPushRequest } from "../../shared/errors/index.js";
import type { ParentAttributes } from "../../shared/events/index.js";
import { batchingEventSink } from "../../shared/ports/index.js";
import { InstantJobs } from "../support/instant-jobs.js";
import { storeQuestion } from "../support/stored-question.js";
import {
  applyJsonMutation,
  fuzzString,
  type JsonMutation,
  jsonMutation,
  jsonTextOf,
  mutatedJson,
  weighted,
} from "./support/arbitraries.js";
import { fuzz, testTimeoutMs } from "./support/fuzz-run.js";
import { keepAliveAgent, type RawResponse, sendRaw } from "./support/http-client.js";
import { describeThrown, hasStackTrace } from "./support/inspection.js";
import { type FindingTally, violation } from "./support/known-findings.js";
import {
  heldQuestions,
  INSTANT_SERVICE,
  INSTANT_TWINE,
  validEvents,
  type WireMessage,
  wireMessage,
  withinPubSubLimits,
} from "./support/octue-events.js";
import { RecordingBus } from "./support/recording-bus.js";

/** The Functions Framework target the fuzzed requests reach; the path's first segment names the Twined function. */
const TARGET = "twined-fuzz-pubsub-trigger";

let stores: SqliteStores;
let bus: RecordingBus;
let topics: TopicNames;
let handlers: NetworkHandlers;
let server: Server;
let port = 0;
let held: ParentAttributes[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

function specsOf(functionName: string): SubscriptionSpec[] {
  return [...networkSubscriptions(topics), deadLetterKeeperSubscription(topics)].filter(
    (spec) => spec.functionName === functionName,
  );
}

/** What `registerSubscriptionFunction` (functions/register-function.ts) registers, on this file's network. */
const subscriptionFunction: functions.HttpFunction = async (request, response) => {
  const functionName = request.path.split("/")[1] ?? "";
  const specs = specsOf(functionName);
  const specFor = (origin: Omit<PushedDelivery, "message"> | undefined): SubscriptionSpec | undefined =>
    specs.length === 1
      ? specs[0]
      : specs.find((each) => each.subscription === origin?.subscription || each.topic === origin?.topic);
  await pubsubTrigger({
    handle: (message, origin) => {
      const spec = specFor(origin);
      if (spec === undefined) {
        throw new InvalidPushRequest(
          `${functionName} handles ${specs.map((each) => each.subscription).join(" and ")}; this delivery came from ${origin.subscription ?? origin.topic ?? "an unnamed subscription"}`,
        );
      }
      return spec.handle(handlers, message);
    },
    deadLetter: (reason, message, origin) => recordDeadLetter(bus, topics, reason, message, specFor(origin)?.topic),
  })(request, response);
};

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  stores = openSqliteStores(":memory:");
  bus = new RecordingBus();
  topics = topicNames("fuzz");
  for (const topic of Object.values(topics)) await bus.ensureTopic(topic);
  handlers = buildNetworkHandlers({
    questions: stores.questions,
    revisions: stores.revisions,
    deadLetters: stores.deadLetters,
    bus,
    topics,
    jobs: new InstantJobs(batchingEventSink(bus, topics.services), KueueLauncher.observer(stores.questions)),
    pushSecret: "fuzz",
    // As deployed (https to public addresses only), resolving no name: the fuzzing never reaches beyond this machine.
    pushEndpoints: new PushEndpointGuard({ allowLoopback: false, resolve: async () => [] }),
  });
  await stores.revisions.register(
    { ...INSTANT_SERVICE, twine: INSTANT_TWINE, source: { kind: "image", image: "registry.example/fuzz/instant:1" } },
    { makeDefault: true },
  );
  held = heldQuestions();
  for (const attributes of held) await storeQuestion(stores.questions, { attributes });
  functions.http(TARGET, subscriptionFunction);
  server = getTestServer(TARGET).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  keepAliveAgent.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await bus.close();
  await stores.close();
  process.off("unhandledRejection", onUnhandled);
});

// --- The deliveries fuzzed ----------------------------------------------------------------------------------------

const FUNCTION_NAMES = [
  "question-intake-events",
  "twine-validator",
  "kueue-launcher",
  "answer-forwarder",
  "dead-letter-keeper",
] as const;
type FunctionName = (typeof FUNCTION_NAMES)[number];

type Mode = "wrapped" | "unwrapped" | "ce-binary" | "ce-structured";

interface PushInput {
  readonly functionName: FunctionName;
  readonly mode: Mode;
  readonly message: WireMessage;
  /** Which of the function's subscriptions (or another function's, or junk) the delivery names. */
  readonly subscription: string;
  readonly messageId: string;
  readonly dataForm: "base64" | "raw" | "absent" | "number";
  readonly edits: readonly JsonMutation[];
  readonly contentType: string | undefined;
  readonly ceType: string;
  /** The body as built, or emptied, cut in half, replaced by junk, carrying a 2 MB event or one full of '&'. */
  readonly body: "built" | "empty" | "truncated" | "junk" | "huge" | "ampersands";
}

/** The internal topics' bodies: which question to work on. */
function referenceMessage(): fc.Arbitrary<WireMessage> {
  const [first, second] = heldQuestions() as [ParentAttributes, ParentAttributes];
  return mutatedJson([
    { question_uuid: first.question_uuid },
    { question_uuid: second.question_uuid, reason: "fuzzing" },
    { question_uuid: "0b0b0b0b-0000-4000-8000-000000000000" },
  ]).map((value) => ({ data: Buffer.from(jsonTextOf(value) ?? ""), attributes: {} }));
}

/** Subscription names a delivery may carry: each function's own (short and full), others', and junk. */
function subscriptionNames(): string[] {
  const environment = topicNames("fuzz");
  const names = [...networkSubscriptions(environment), deadLetterKeeperSubscription(environment)].map(
    (spec) => spec.subscription,
  );
  return [...names, ...names.map((name) => `projects/fuzz/subscriptions/${name}`), "", "projects/fuzz/subscriptions/"];
}

function pushInput(): fc.Arbitrary<PushInput> {
  const events = validEvents(heldQuestions());
  const envelopeKeys = ["message", "data", "attributes", "messageId", "message_id", "subscription", "deliveryAttempt"];
  return fc.record({
    functionName: fc.constantFrom(...FUNCTION_NAMES),
    mode: weighted<Mode>({ wrapped: 6, unwrapped: 2, "ce-binary": 1, "ce-structured": 1 }),
    message: fc
      .oneof({ weight: 3, arbitrary: wireMessage(events) }, { weight: 1, arbitrary: referenceMessage() })
      .map(withinPubSubLimits),
    subscription: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...subscriptionNames()) },
      { weight: 1, arbitrary: fuzzString(30) },
    ),
    messageId: fc.oneof({ weight: 8, arbitrary: fc.nat().map(String) }, { weight: 1, arbitrary: fuzzString(20) }),
    dataForm: weighted({ base64: 12, raw: 1, absent: 1, number: 1 }),
    edits: fc.oneof(
      { weight: 3, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.array(jsonMutation(undefined, envelopeKeys), { minLength: 1, maxLength: 3 }) },
    ),
    contentType: fc.oneof(
      { weight: 12, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          "application/json",
          "application/json; charset=latin1",
          "text/plain",
          "application/octet-stream",
          "application/x-www-form-urlencoded",
          "application/cloudevents+json",
        ),
      },
    ),
    ceType: fc.oneof(
      { weight: 8, arbitrary: fc.constant(MESSAGE_PUBLISHED) },
      { weight: 1, arbitrary: fc.constantFrom("google.cloud.storage.object.v1.finalized", "", "x") },
    ),
    body: weighted({ built: 40, empty: 1, truncated: 1, junk: 1, huge: 1, ampersands: 1 }),
  });
}

/** Header names HTTP allows; an attribute with another name cannot be a header, in Pub/Sub's push either. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

function wrappedBody(input: PushInput): unknown {
  const data =
    input.dataForm === "base64"
      ? input.message.data.toString("base64")
      : input.dataForm === "raw"
        ? input.message.data.toString("utf8")
        : input.dataForm === "number"
          ? 42
          : undefined;
  const wrapped = {
    message: {
      ...(data === undefined ? {} : { data }),
      attributes: input.message.attributes,
      messageId: input.messageId,
      publishTime: "2024-04-11T09:26:39.144Z",
      ...(input.message.orderingKey === undefined ? {} : { orderingKey: input.message.orderingKey }),
    },
    subscription: input.subscription,
    deliveryAttempt: 1,
  };
  const edited = input.edits.reduce(applyJsonMutation, structuredClone(wrapped));
  // Edits may put any value in the attributes; Pub/Sub never delivers an attribute over its limits, so none is sent.
  const message = (edited as { message?: unknown } | null)?.message;
  if (typeof message === "object" && message !== null && "attributes" in message) {
    const attributes = message.attributes;
    if (typeof attributes === "object" && attributes !== null && !Array.isArray(attributes)) {
      const strings = Object.entries(attributes).filter(([, value]) => typeof value === "string") as [string, string][];
      const kept = withinPubSubLimits({ data: Buffer.alloc(0), attributes: Object.fromEntries(strings) }).attributes;
      for (const [key, value] of strings) {
        if (kept[key] !== value) delete (attributes as Record<string, unknown>)[key];
      }
    }
  }
  return edited;
}

/** A log record whose text has many '&': an unwrapped push's body is parsed as a URL-encoded form by default. */
const AMPERSAND_EVENT = Buffer.from(JSON.stringify({ kind: "log_record", log_record: { msg: "a&b".repeat(1001) } }));

/** A log record of 2 MB: big, but well within Pub/Sub's 10 MB. */
const HUGE_EVENT = Buffer.from(JSON.stringify({ kind: "log_record", log_record: { msg: "x".repeat(2_000_000) } }));

function request(given: PushInput): { headers: Record<string, string>; body: Buffer } {
  const data = given.body === "huge" ? HUGE_EVENT : given.body === "ampersands" ? AMPERSAND_EVENT : undefined;
  const input = data === undefined ? given : { ...given, message: { ...given.message, data } };
  const topic = specsOf(input.functionName)[0]?.topic ?? "";
  const headers: Record<string, string> = {};
  let body: Buffer;
  switch (input.mode) {
    case "wrapped":
      headers["content-type"] = "application/json";
      body = Buffer.from(jsonTextOf(wrappedBody(input)) ?? "");
      break;
    case "ce-binary":
      Object.assign(headers, {
        "content-type": "application/json",
        "ce-type": input.ceType,
        "ce-source": `//pubsub.googleapis.com/projects/fuzz/topics/${topic}`,
        "ce-id": input.messageId.replace(/[^\x20-\x7e]/g, "?"),
        "ce-specversion": "1.0",
      });
      body = Buffer.from(jsonTextOf(wrappedBody(input)) ?? "");
      break;
    case "ce-structured":
      headers["content-type"] = "application/cloudevents+json";
      body = Buffer.from(
        jsonTextOf({
          specversion: "1.0",
          type: input.ceType,
          source: `//pubsub.googleapis.com/projects/fuzz/topics/${topic}`,
          id: input.messageId,
          data: wrappedBody(input),
        }) ?? "",
      );
      break;
    case "unwrapped":
      // As Pub/Sub sends a push with `noWrapper` and `writeMetadata`: its default content type, attributes as headers.
      headers["content-type"] = "application/x-www-form-urlencoded";
      for (const [name, value] of Object.entries(input.message.attributes)) {
        if (HEADER_NAME.test(name) && HEADER_VALUE.test(value)) headers[name.toLowerCase()] = value;
      }
      Object.assign(headers, {
        "x-goog-pubsub-message-id": input.messageId.replace(/[^\x20-\x7e]/g, "?"),
        "x-goog-pubsub-subscription-name": input.subscription.replace(/[^\x20-\x7e]/g, "?"),
        "x-goog-pubsub-publish-time": "2024-04-11T09:26:39.144Z",
      });
      body = input.message.data;
      break;
  }
  if (input.contentType !== undefined) headers["content-type"] = input.contentType;
  if (input.body === "empty") body = Buffer.alloc(0);
  if (input.body === "truncated") body = body.subarray(0, Math.floor(body.length / 2));
  if (input.body === "junk") body = Buffer.from("{not a push");
  return { headers, body };
}

// --- What must hold -----------------------------------------------------------------------------------------------

async function snapshot(): Promise<string> {
  const questions = await stores.questions.list({ limit: 100_000 });
  const events = await Promise.all(
    held.map(
      async (question) =>
        (await stores.questions.events({ questionUuid: question.question_uuid, limit: 100_000 })).length,
    ),
  );
  const letters = await stores.deadLetters.list({ limit: 100_000 });
  return JSON.stringify({
    questions: questions.map((question) => [question.questionUuid, question.status, question.updatedAt]),
    events,
    deadLetters: letters.map((letter) => letter.id),
  });
}

function describeResponse(response: RawResponse): string {
  return `${response.status} ${String(response.headers["content-type"] ?? "")} ${response.body.toString("utf8").slice(0, 500)}`;
}

async function checkPush(input: PushInput, findings: FindingTally): Promise<void> {
  const { headers, body } = request(input);
  const before = await snapshot();
  bus.clearLog();
  let response: RawResponse;
  try {
    response = await sendRaw(port, { method: "POST", path: `/${input.functionName}`, headers, body });
  } catch (error) {
    violation(`no answer: ${describeThrown(error)}`);
  }
  // The handlers' own publishing is batched on the next turn: let it happen before looking.
  await new Promise((resolve) => setImmediate(resolve));
  if (unhandled.length > 0) violation(`an unhandled rejection: ${describeThrown(unhandled[0])}`);
  const refusedByFramework = response.status >= 400 && response.status < 500;
  if (!refusedByFramework && hasStackTrace(response.body.toString("utf8"))) {
    violation(`the body shows a stack trace: ${describeResponse(response)}`);
  }
  const deadLetters = bus.log.filter((message) => message.topic === topics.deadLetters);
  const others = bus.log.filter((message) => message.topic !== topics.deadLetters);
  const after = await snapshot();
  if (response.status >= 500) violation(`answered ${describeResponse(response)}`);
  if (refusedByFramework) {
    // The Functions Framework's own body parsers refused it, before pubsubTrigger ran: nothing may have happened.
    const problem = `the Functions Framework answered ${describeResponse(response)}`;
    if (bus.log.length > 0 || after !== before) violation(`${problem}, and the delivery had effects`);
    findings.known("push-body-refused-by-framework", problem);
    return;
  }
  if (response.status !== 204) violation(`a delivery is acknowledged with 204, not ${describeResponse(response)}`);
  if (deadLetters.length > 1) violation(`one delivery made ${deadLetters.length} dead letters`);
  const [letter] = deadLetters;
  if (letter === undefined) {
    findings.outcome(`${input.functionName}: handled`);
    return;
  }
  const reason = letter.attributes.twined_dead_letter_reason ?? "";
  findings.outcome(`${input.functionName}: dead-lettered (${reason.split(":")[0]})`);
  if (!/^[A-Z]\w+: \S/.test(reason)) violation(`the dead letter's reason does not name a typed error: '${reason}'`);
  if (others.length > 0) {
    violation(
      `a dead-lettered delivery also published ${others.map((message) => `${message.topic} ${message.data.toString("utf8").slice(0, 200)}`).join("; ")}`,
    );
  }
  if (after !== before) violation(`a dead-lettered delivery changed the store: ${before} → ${after}`);
}

function describePush(input: PushInput): string {
  const { headers, body } = request(input);
  return JSON.stringify({
    path: `/${input.functionName}`,
    headers,
    body: body.toString("utf8").slice(0, 2000),
  });
}

describe("fuzzing pushed Pub/Sub deliveries", () => {
  it(
    "acknowledges every delivery, handled or as one dead letter, never with a 5xx",
    async () => {
      const report = await fuzz({
        surface: "pubsub-push",
        msPerInputWorstCase: 100,
        arbitrary: pushInput(),
        check: checkPush,
        inputTimeoutMs: 20_000,
        describeInput: describePush,
      });
      expect(report.inputs).toBeGreaterThan(0);
    },
    testTimeoutMs("pubsub-push", 100),
  );
});
