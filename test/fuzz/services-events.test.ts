/**
 * Fuzzes Octue events as they arrive on the services topic: real events (Octue's own fixtures and events of questions
 * this network holds) mutated in their body, their attributes or both, and bodies that are not events at all.
 *
 * Two properties. Decoding (`decodeEvent`, raw and as a push envelope): an event comes back, or `InvalidEvent`; a
 * decoded event encodes and decodes again to itself. Through an embedded network's bus (question intake, answer
 * forwarder and the dead-letter path together): no handler ever fails in a way that makes the bus redeliver (a crash,
 * for a message that can never succeed); a message that does not decode changes no question and ends as exactly one
 * of a recorded dead letter (with its data) or an `exception` answer to its asker, unless no subscription takes it
 * (its sender_type is neither PARENT nor CHILD); and nothing rejects unhandled.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { deadLetterSubscription, networkSubscriptions } from "../../platform/network-wiring.js";
import { decodeEvent, type EventEnvelope, encodeEvent, type ParentAttributes } from "../../shared/events/index.js";
import { InstantJobs } from "../support/instant-jobs.js";
import { storeQuestion } from "../support/stored-question.js";
import { fuzzJsonValue, weighted } from "./support/arbitraries.js";
import { fuzz, testTimeoutMs } from "./support/fuzz-run.js";
import { describeThrown, untypedErrorProblem } from "./support/inspection.js";
import { type FindingTally, violation } from "./support/known-findings.js";
import {
  heldQuestions,
  INSTANT_SERVICE,
  INSTANT_TWINE,
  validEvents,
  type WireMessage,
  wireMessage,
} from "./support/octue-events.js";
import { RecordingBus } from "./support/recording-bus.js";

let network: EmbeddedNetwork;
let dataDirectory = "";
let bus: RecordingBus;
let subscriptions: string[] = [];
/** Questions the network holds, that the fuzzed response events answer. */
let held: ParentAttributes[] = [];

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  dataDirectory = mkdtempSync(path.join(tmpdir(), "twined-fuzz-events-"));
  bus = new RecordingBus();
  network = await startEmbeddedNetwork({
    dataDirectory,
    databasePath: ":memory:",
    eventBus: bus,
    launcher: (sink, observer) => new InstantJobs(sink, observer),
  });
  subscriptions = [
    ...networkSubscriptions(network.topics).map((spec) => spec.subscription),
    deadLetterSubscription(network.topics),
  ];
  await network.revisions.register(
    { ...INSTANT_SERVICE, twine: INSTANT_TWINE, source: { kind: "image", image: "registry.example/fuzz/instant:1" } },
    { makeDefault: true },
  );
  held = heldQuestions();
  for (const attributes of held) await storeQuestion(network.questions, { attributes });
});

afterAll(async () => {
  await network.close();
  rmSync(dataDirectory, { recursive: true, force: true });
  process.off("unhandledRejection", onUnhandled);
});

// --- The events fuzzed ------------------------------------------------------------------------------------------

/** What `decodeEvent` may be handed: a message's data in every form Pub/Sub clients use, and odd attributes. */
function decodeInput(
  events: ReturnType<typeof validEvents>,
): fc.Arbitrary<{ readonly data: unknown; readonly attributes: unknown; readonly push: boolean }> {
  return fc
    .record({
      message: wireMessage(events),
      dataForm: weighted({ buffer: 5, uint8array: 2, base64: 3, text: 1, null: 1, undefined: 1, number: 1 }),
      attributes: fc.oneof(
        { weight: 8, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom(null, [], "x", 1, true) },
        { weight: 1, arbitrary: fuzzJsonValue() },
      ),
      push: fc.boolean(),
    })
    .map(({ message, dataForm, attributes, push }) => {
      const data =
        dataForm === "buffer"
          ? message.data
          : dataForm === "uint8array"
            ? new Uint8Array(message.data)
            : dataForm === "base64"
              ? message.data.toString("base64")
              : dataForm === "text"
                ? message.data.toString("utf8")
                : dataForm === "null"
                  ? null
                  : dataForm === "undefined"
                    ? undefined
                    : 42;
      return { data, attributes: attributes === undefined ? message.attributes : attributes, push };
    });
}

// --- What must hold ---------------------------------------------------------------------------------------------

function decodes(message: WireMessage): { envelope?: EventEnvelope; error?: unknown } {
  try {
    return { envelope: decodeEvent({ data: message.data, attributes: message.attributes }) };
  } catch (error) {
    return { error };
  }
}

async function snapshot(): Promise<string> {
  const questions = await network.questions.list({ limit: 100_000 });
  const events = await Promise.all(
    held.map(
      async (question) =>
        (await network.questions.events({ questionUuid: question.question_uuid, limit: 100_000 })).length,
    ),
  );
  return JSON.stringify({
    questions: questions.map((question) => [question.questionUuid, question.status, question.updatedAt]),
    events,
  });
}

async function deadLetterIds(): Promise<Set<string>> {
  return new Set((await network.deadLetters.list({ limit: 100_000 })).map((letter) => letter.id));
}

async function checkDelivery(message: WireMessage, findings: FindingTally): Promise<void> {
  await bus.settled(subscriptions);
  const before = await snapshot();
  const lettersBefore = await deadLetterIds();
  bus.clearLog();
  try {
    await bus.publish(network.topics.services, message.data, {
      attributes: message.attributes,
      ...(message.orderingKey === undefined ? {} : { orderingKey: message.orderingKey }),
    });
  } catch (error) {
    // Pub/Sub refuses such a message too (an attribute over its limits): nothing reaches the network.
    const problem = untypedErrorProblem(error);
    if (problem !== undefined) violation(`publishing failed untyped: ${problem}`);
    findings.outcome(`refused by the bus: ${(error as Error).name}`);
    return;
  }
  await bus.settled(subscriptions);
  const failures = bus.failuresSinceClear();
  if (failures.length > 0) {
    violation(`a handler failed, so the message would be redelivered for ever: ${failures.join("; ")}`);
  }
  if (unhandled.length > 0) violation(`an unhandled rejection: ${describeThrown(unhandled[0])}`);
  if (bus.redeliveries > 0) {
    // An earlier message, nacked, was handled again meanwhile: what changed may not be this one's doing.
    findings.outcome("not judged: an earlier message was redelivered meanwhile");
    return;
  }
  const decoded = decodes(message);
  const newLetters = (await network.deadLetters.list({ limit: 100_000 })).filter(
    (letter) => !lettersBefore.has(letter.id),
  );
  // The first message logged is the one published here.
  const answers = bus.log
    .slice(1)
    .filter(
      (published) =>
        published.topic === network.topics.services &&
        published.attributes.sender_type === "CHILD" &&
        published.attributes.question_uuid === message.attributes.question_uuid &&
        (JSON.parse(published.data.toString("utf8")) as { kind?: unknown }).kind === "exception",
    );
  const senderType = message.attributes.sender_type;
  const taken = senderType === "PARENT" || senderType === "CHILD";
  if (decoded.error === undefined) {
    findings.outcome(
      `valid ${decoded.envelope?.event.kind}${answers.length > 0 ? ", answered with an exception" : ""}`,
    );
    // A valid event may still be one the network cannot take (its uuid is another question's event's): then it is
    // a dead letter with a typed reason, and it changed nothing.
    for (const letter of newLetters) {
      if (!/^[A-Z]\w+: \S/.test(letter.reason)) {
        violation(`a dead letter's reason names no typed error: ${letter.reason}`);
      }
      findings.outcome(`valid, dead-lettered: ${letter.reason.split(":")[0]}`);
    }
    if (newLetters.length > 0 && (await snapshot()) !== before) {
      violation(`a dead-lettered event changed the questions: ${newLetters.map((letter) => letter.reason).join("; ")}`);
    }
    return;
  }
  const problem = untypedErrorProblem(decoded.error);
  if (problem !== undefined) violation(`decodeEvent: ${problem}`);
  const after = await snapshot();
  if (after !== before) violation(`a message that does not decode changed the questions: ${before} → ${after}`);
  if (!taken) {
    findings.outcome("taken by no subscription");
    if (newLetters.length > 0 || bus.log.length > 1) {
      violation(
        `a message no subscription takes had effects: ${newLetters.length} dead letter(s), ${bus.log.length - 1} message(s)`,
      );
    }
    return;
  }
  const lettered = newLetters.filter((letter) => letter.data.equals(message.data));
  if (lettered.length + answers.length !== 1 || newLetters.length !== lettered.length) {
    violation(
      `a rejected ${senderType} message should end as exactly one dead letter or one exception answer; got ${newLetters.length} dead letter(s) (${lettered.length} with its data) and ${answers.length} answer(s) (${(decoded.error as Error).message})`,
    );
  }
  const letter = lettered[0];
  if (letter !== undefined && !/^[A-Z]\w+: \S/.test(letter.reason)) {
    violation(`the dead letter's reason does not name a typed error: ${letter.reason}`);
  }
  findings.outcome(letter === undefined ? `${senderType} rejected, answered` : `${senderType} rejected, dead-lettered`);
}

function checkDecode(
  input: { readonly data: unknown; readonly attributes: unknown; readonly push: boolean },
  findings: FindingTally,
): void {
  const message = input.push
    ? { message: { data: input.data, attributes: input.attributes, messageId: "1" } }
    : { data: input.data, attributes: input.attributes };
  let envelope: EventEnvelope;
  try {
    envelope = decodeEvent(message as Parameters<typeof decodeEvent>[0]);
  } catch (error) {
    const problem = untypedErrorProblem(error);
    if (problem !== undefined) violation(`decodeEvent: ${problem}`);
    findings.outcome(
      `rejected: ${(error as Error).name} at ${(error as { pointer?: string }).pointer ?? "?"}`.slice(0, 60),
    );
    return;
  }
  findings.outcome(`decoded ${envelope.event.kind}`);
  let again: EventEnvelope;
  try {
    const encoded = encodeEvent(envelope);
    again = decodeEvent({ data: encoded.data, attributes: encoded.attributes });
  } catch (error) {
    const problem = untypedErrorProblem(error);
    if (problem !== undefined) violation(`encodeEvent or decodeEvent of a decoded event: ${problem}`);
    // A decoded event may be over Pub/Sub's limits once its attributes are written out again: refused, typed.
    findings.outcome(`decoded, not re-encodable: ${(error as Error).name}`);
    return;
  }
  if (JSON.stringify(again) !== JSON.stringify(envelope)) {
    violation(
      `an event decoded, encoded and decoded again is not the same: ${JSON.stringify(envelope).slice(0, 800)} → ${JSON.stringify(again).slice(0, 800)}`,
    );
  }
}

function describeMessage(message: WireMessage): string {
  return JSON.stringify({
    data: message.data.toString("utf8").slice(0, 1500),
    attributes: Object.fromEntries(
      Object.entries(message.attributes).map(([key, value]) => [key, value.slice(0, 100)]),
    ),
    orderingKey: message.orderingKey,
  });
}

describe("fuzzing Octue events on the services topic", () => {
  it(
    "decodes an event or refuses it with InvalidEvent, and what it decodes encodes back to itself",
    async () => {
      const report = await fuzz({
        surface: "events-decode",
        msPerInputWorstCase: 20,
        arbitrary: decodeInput(validEvents(held)),
        check: checkDecode,
      });
      expect(report.inputs).toBeGreaterThan(0);
    },
    testTimeoutMs("events-decode", 20),
  );

  it(
    "handles every message without a crash, and ends each it cannot process as a dead letter or an answered exception",
    async () => {
      const report = await fuzz({
        surface: "events-network",
        msPerInputWorstCase: 200,
        arbitrary: wireMessage(validEvents(held)),
        check: checkDelivery,
        inputTimeoutMs: 20_000,
        describeInput: describeMessage,
      });
      expect(report.inputs).toBeGreaterThan(0);
    },
    testTimeoutMs("events-network", 200),
  );
});
