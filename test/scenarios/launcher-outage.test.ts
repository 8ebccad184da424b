import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import { openFirestoreStores } from "../../shared/adapters/google/firestore/index.js";
import { PubSubEventBus } from "../../shared/adapters/google/pubsub/index.js";
import { NetworkClient, type QuestionSummary } from "../../shared/client/index.js";
import { describeWithEmulators } from "../support/emulators.js";
import { waitFor } from "../support/wait-for.js";
import { copyOfExample, registerFolder } from "./scenario-services.js";

/** What takes questions in and answers for them: the intake (with the HTTP API), the answer forwarder, the keeper. */
const FRONT_SIDE = ["question-intake-events", "answer-forwarder", "dead-letter-keeper"];
/** What destroying compute takes away: the functions that validate and launch the questions the intake accepted. */
const LAUNCHER_SIDE = ["twine-validator", "kueue-launcher"];

/**
 * One network in two parts on the Pub/Sub and Firestore emulators, split as a deployed one is: the launcher side stops
 * (its subscribers close, its subscriptions stay, as the durable stack keeps them while compute is destroyed) and
 * starts again, while the front side goes on taking questions.
 */
describeWithEmulators("a network whose launcher side stops for a while", (info) => {
  const environment = `o${randomBytes(4).toString("hex")}`;
  const launcherData = mkdtempSync(path.join(tmpdir(), "twined-outage-launcher-"));
  const input = { locations: [{ longitude: 1, latitude: 1 }] };
  let front: EmbeddedNetwork;
  let launcher: EmbeddedNetwork | undefined;
  let server: Server;
  let client: NetworkClient;

  /** One part of the network: the given functions' subscribers, on the shared bus and stores. */
  const part = (functions: readonly string[], dataDirectory: string) =>
    startEmbeddedNetwork({
      environment,
      dataDirectory,
      functions,
      cpuQuota: 2,
      eventBus: new PubSubEventBus({ projectId: info.projectId }),
      stores: openFirestoreStores({ projectId: info.projectId, collectionPrefix: `${environment}_` }),
    });

  const startLauncherSide = async () => {
    launcher = await part(LAUNCHER_SIDE, launcherData);
    launcher.setNetworkUrl(client.baseUrl);
  };

  beforeAll(async () => {
    front = await part(FRONT_SIDE, mkdtempSync(path.join(tmpdir(), "twined-outage-front-")));
    server = createHttpApi(front, { pollIntervalMs: 100 }).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    client = new NetworkClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    front.setNetworkUrl(client.baseUrl);
    await startLauncherSide();
    await registerFolder(client.baseUrl, copyOfExample("child-services/elevation"), {
      namespace: "examples",
      name: "elevation",
      tag: "1.0.0",
    });
  }, 60_000);

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await launcher?.close();
    await front?.close();
  });

  async function ask(count: number): Promise<string[]> {
    const asked = await Promise.all(
      Array.from({ length: count }, () => client.ask({ recipient: "examples/elevation", input_values: input })),
    );
    return asked.map((question) => question.question_uuid);
  }

  async function untilAnswered(uuids: readonly string[]): Promise<QuestionSummary[]> {
    let questions: QuestionSummary[] = [];
    await waitFor(
      async () => {
        questions = await Promise.all(uuids.map((uuid) => client.question(uuid)));
        return questions.every((question) => question.status === "succeeded");
      },
      {
        timeoutMs: 90_000,
        intervalMs: 250,
        description: () => `every question to be answered (${questions.map((q) => q.status).join(", ")})`,
      },
    );
    return questions;
  }

  it("takes questions while it is stopped, and runs every one to its answer once it is back", async () => {
    // Working before: a question runs through both parts.
    await untilAnswered(await ask(1));

    await launcher?.close();
    launcher = undefined;
    const uuids = await ask(3);
    // Accepted by the intake, then held on the validator's subscription: nothing takes them while it is stopped.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const uuid of uuids) expect((await client.question(uuid)).status).toBe("received");

    await startLauncherSide();
    const answered = await untilAnswered(uuids);
    for (const question of answered) expect(question.answer).toEqual({ output_values: [548] });
    // Nothing was lost on the way, nor given up on.
    expect(await client.listDeadLetters({ pending: true })).toEqual([]);
  }, 150_000);
});
