import { mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import { FirestoreQuestionStore } from "../../shared/adapters/google/firestore/index.js";
import { PubSubEventBus } from "../../shared/adapters/google/pubsub/index.js";
import type { DeadLetterSummary } from "../../shared/client/index.js";
import { encodeQuestionReference, topicNames } from "../../shared/control-plane/index.js";
import { createQuestionAttributes } from "../../shared/events/index.js";
import type { EventBus, QuestionStore } from "../../shared/ports/index.js";
import { copyOfExample, registerFolder } from "../scenarios/scenario-services.js";
import { uniqueName, useEmulators } from "../support/emulators.js";
import { storeQuestion } from "../support/stored-question.js";
import { startTwined } from "../support/twined-process.js";
import { waitFor } from "../support/wait-for.js";
import { runTwined } from "./run-cli.js";

/** A running `twined dev` network, and a way in past its HTTP API: its bus and its question store. */
interface DevNetwork {
  readonly url: string;
  readonly bus: EventBus;
  readonly questions: QuestionStore;
  close(): Promise<void>;
}

/** What `twined dev` runs on the embedded backend, in this process: the test can reach its in-memory bus. */
async function embeddedDev(): Promise<DevNetwork> {
  const network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-dead-letters-cli-")),
    cpuQuota: 1,
  });
  const server: Server = createHttpApi(network).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  network.setNetworkUrl(url);
  return {
    url,
    bus: network.bus,
    questions: network.questions,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await network.close();
    },
  };
}

/** `twined dev --backend emulators` as its own process, on a project of its own; the test reaches its bus and store. */
async function emulatorsDev(): Promise<DevNetwork> {
  const project = uniqueName("deadletters");
  const twined = startTwined([
    "dev",
    ...[
      "--port",
      "0",
      "--data-dir",
      path.join(mkdtempSync(path.join(tmpdir(), "twined-dead-letters-cli-")), ".twined"),
    ],
    ...["--cpus", "1", "--backend", "emulators", "--project", project],
  ]);
  const pattern = /listening on (http:\/\/\S+) /;
  await waitFor(() => pattern.test(twined.output.stdout), {
    timeoutMs: 90_000,
    intervalMs: 50,
    description: () => `twined dev to listen (it printed: ${twined.output.stdout}${twined.output.stderr})`,
  });
  const bus = new PubSubEventBus({ projectId: project });
  const questions = new FirestoreQuestionStore({ projectId: project });
  return {
    url: pattern.exec(twined.output.stdout)?.[1] ?? "",
    bus,
    questions,
    async close() {
      twined.kill("SIGINT");
      await twined.exited;
      await bus.close();
      await questions.close();
    },
  };
}

const emulators = useEmulators();
const backends: [string, () => Promise<DevNetwork>][] = [["the embedded backend", embeddedDev]];
if (emulators.available) backends.push(["the emulators", emulatorsDev]);

describe.each(backends)("twined dead-letters on %s", (_name, start) => {
  // `twined dev` names its topics by Octue's default environment, `main`.
  const topics = topicNames("main");
  let network: DevNetwork;

  beforeAll(async () => {
    network = await start();
    await registerFolder(network.url, copyOfExample("child-services/elevation"), {
      namespace: "examples",
      name: "elevation",
      tag: "1.0.0",
    });
  }, 120_000);

  afterAll(async () => {
    await network?.close();
  });

  const twined = (...args: string[]) => runTwined(["dead-letters", ...args, "--network", network.url]);

  /** The dead letters `list --json` prints: pending ones, or all. */
  async function listed(...args: string[]): Promise<DeadLetterSummary[]> {
    const result = await twined("list", "--json", ...args);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    return JSON.parse(result.stdout) as DeadLetterSummary[];
  }

  async function untilListed(count: number, description: string): Promise<DeadLetterSummary[]> {
    let letters: DeadLetterSummary[] = [];
    await waitFor(
      async () => {
        letters = await listed();
        return letters.length === count;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: () => `${description} (listed: ${JSON.stringify(letters)})` },
    );
    return letters;
  }

  it("lists what could not be processed, replays it once fixed, and keeps what dies again", async () => {
    expect(await twined("list")).toMatchObject({
      code: 0,
      stdout: "No dead letters waiting (--all lists replayed ones too).\n",
    });

    // A message no handler can ever process.
    await network.bus.publish(topics.accepted, Buffer.from("{not json"), { attributes: { note: "a" } });
    const [malformed] = await untilListed(1, "the malformed message");
    expect(malformed).toMatchObject({
      reason: "InvalidEvent: an internal question message is not JSON",
      topic: topics.accepted,
      attempts: 1,
      question_uuid: null,
      attributes: { note: "a" },
      data: "{not json",
      replayed_at: null,
    });

    // A message about a question the network does not know yet: it fails now, and would not once the question is
    // stored (say the store had lost a write that is then restored).
    const attributes = createQuestionAttributes({ sender: "local/local:local", recipient: "examples/elevation:1.0.0" });
    const questionUuid = attributes.question_uuid;
    await network.bus.publish(topics.accepted, encodeQuestionReference({ question_uuid: questionUuid }), {
      attributes: { question_uuid: questionUuid },
      orderingKey: questionUuid,
    });
    const [early] = await untilListed(2, "the message about an unknown question");
    expect(early).toMatchObject({ topic: topics.accepted, question_uuid: questionUuid });
    expect(early?.reason).toMatch(/^QuestionNotFound: /);

    const table = await twined("list");
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID +REASON +TOPIC +FIRST SEEN +ATTEMPTS +QUESTION +REPLAYED$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${early?.id} +QuestionNotFound: No question .+ ${topics.accepted} +\\S+ +1 +${questionUuid} +no$`),
    );
    expect(lines[2]).toMatch(new RegExp(`^${malformed?.id} +InvalidEvent: .+ ${topics.accepted} +\\S+ +1 +- +no$`));

    await storeQuestion(network.questions, {
      attributes,
      event: { kind: "question", input_values: { locations: [{ longitude: 1, latitude: 1 }] } },
    });
    const replayed = await twined("replay", early?.id ?? "");
    expect(replayed).toMatchObject({ code: 0, stdout: `Replayed 1: ${early?.id}\n` });
    await waitFor(async () => (await network.questions.get(questionUuid))?.status === "succeeded", {
      timeoutMs: 90_000,
      intervalMs: 200,
      description: "the replayed question to be answered",
    });
    expect((await network.questions.get(questionUuid))?.answer).toEqual({ output_values: [548] });
    expect(await twined("replay", early?.id ?? "")).toMatchObject({
      code: 0,
      stdout: `Replayed 0\nAlready replayed, so not sent again: ${early?.id}\n`,
    });

    // The malformed one is still malformed: replayed, it dies again as a new dead letter.
    expect(await twined("replay", "--all")).toMatchObject({ code: 0, stdout: `Replayed 1: ${malformed?.id}\n` });
    const [again] = await untilListed(1, "the malformed message to die again");
    expect(again?.id).not.toBe(malformed?.id);
    expect(again).toMatchObject({ reason: malformed?.reason, topic: topics.accepted, data: "{not json" });
    const all = await listed("--all");
    expect(all.map((letter) => [letter.id, letter.replayed_at === null])).toEqual(
      expect.arrayContaining([
        [again?.id, true],
        [early?.id, false],
        [malformed?.id, false],
      ]),
    );
  }, 180_000);

  it("says what is wrong with a replay it cannot do", async () => {
    const neither = await twined("replay");
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/name the dead letters to replay \(their IDs\), or give --all, not both/);
    expect((await twined("replay", "1", "--all")).code).toBe(2);
    const unknown = await twined("replay", "12345");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No dead letter 12345 is kept/);
    const unreachable = await runTwined(["dead-letters", "list", "--network", "http://127.0.0.1:9"]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/cannot reach the Twined network/);
  }, 30_000);
});
