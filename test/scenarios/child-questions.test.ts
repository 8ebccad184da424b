import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../shared/platform/embedded-network.js";
import { createHttpApi } from "../../shared/platform/http-api.js";
import type { QuestionRecord } from "../../shared/ports/index.js";
import { waitFor } from "../support/wait-for.js";

let network: EmbeddedNetwork;
let server: Server;
const scratch = mkdtempSync(path.join(tmpdir(), "twined-tree-"));

beforeAll(async () => {
  network = await startEmbeddedNetwork({
    dataDirectory: path.join(scratch, ".twined"),
    databasePath: ":memory:",
    cpuQuota: 3,
  });
  server = createHttpApi(network, { pollIntervalMs: 20 }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  network.setNetworkUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  cpSync(path.resolve("examples/child-services"), path.join(scratch, "child-services"), { recursive: true });
  for (const name of ["parent", "elevation", "wind-speed"]) {
    const directory = path.join(scratch, "child-services", name);
    await network.revisions.register(
      {
        namespace: "examples",
        name,
        revisionTag: "0.1.0",
        twine: JSON.parse(readFileSync(path.join(directory, "twine.json"), "utf8")) as Record<string, unknown>,
        source: { kind: "directory", path: directory },
      },
      { makeDefault: true },
    );
  }
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await network.close();
});

describe("a service asking its children through the network", () => {
  it("answers with its children's answers, and the question tree can be queried", async () => {
    const inputs = JSON.parse(
      readFileSync(path.join(scratch, "child-services", "parent", "data", "input", "values.json"), "utf8"),
    ) as unknown;
    const asked = await network.intake.ask({ recipient: "examples/parent", input_values: inputs });
    let parent: QuestionRecord | undefined;
    await waitFor(
      async () => {
        parent = await network.questions.get(asked.questionUuid);
        return parent?.status === "succeeded" || parent?.status === "failed";
      },
      { timeoutMs: 45_000, intervalMs: 50 },
    );
    expect(parent?.error).toBeUndefined();
    expect(parent?.answer).toEqual({ output_values: { elevations: [3542, 548], wind_speeds: [59, 174] } });

    const children = await network.questions.list({ parentQuestionUuid: asked.questionUuid });
    expect(children.map((child) => child.recipient).sort()).toEqual([
      "examples/elevation:0.1.0",
      "examples/wind-speed:0.1.0",
    ]);
    for (const child of children) {
      expect(child).toMatchObject({
        status: "succeeded",
        sender: "examples/parent:0.1.0",
        originatorQuestionUuid: asked.questionUuid,
      });
    }
    const tree = await network.questions.list({ originatorQuestionUuid: asked.questionUuid });
    expect(tree).toHaveLength(3);
    const treeEvents = await network.questions.events({
      originatorQuestionUuid: asked.questionUuid,
      kinds: ["result"],
    });
    expect(treeEvents).toHaveLength(3);
    // The children's logs reach the parent's asker too, prefixed with the child and its question.
    const parentLogs = await network.questions.events({ questionUuid: asked.questionUuid, kinds: ["log_record"] });
    expect(
      parentLogs.some((event) => JSON.stringify(event.envelope.event).includes("[examples/elevation:0.1.0 |")),
    ).toBe(true);
  }, 60_000);
});
