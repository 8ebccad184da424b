import { mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../../../platform/embedded-network.js";
import { createHttpApi } from "../../../../platform/http-api.js";
import { createQuestionAttributes } from "../../../../shared/events/index.js";
import type { QuestionStore } from "../../../../shared/ports/index.js";

let network: EmbeddedNetwork;
let server: Server;
let base: string;
const uuids: Record<"root" | "child" | "grandchild" | "other", string> = {
  root: "",
  child: "",
  grandchild: "",
  other: "",
};
let between = "";

/** Stores a question as the intake would, as a child of `parent` when given. */
async function store(questions: QuestionStore, recipient: string, parent?: { uuid: string; originator: string }) {
  const attributes = createQuestionAttributes({
    sender: "local/local:local",
    recipient,
    ...(parent === undefined ? {} : { parentQuestionUuid: parent.uuid, originatorQuestionUuid: parent.originator }),
  });
  await questions.create({
    questionUuid: attributes.question_uuid,
    recipient,
    sender: attributes.sender,
    parentQuestionUuid: parent?.uuid,
    originatorQuestionUuid: parent?.originator ?? attributes.question_uuid,
    question: { kind: "question", input_values: {} },
    attributes,
    pushEndpoint: undefined,
    timeoutSeconds: undefined,
    priority: 0,
    resources: { cpus: 1 },
  });
  await new Promise((resolve) => setTimeout(resolve, 3));
  return attributes.question_uuid;
}

beforeAll(async () => {
  network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-list-")),
    databasePath: ":memory:",
    cpuQuota: 1,
  });
  server = createHttpApi(network).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  uuids.root = await store(network.questions, "octue/parent:1.0.0");
  uuids.child = await store(network.questions, "octue/child:1.0.0", { uuid: uuids.root, originator: uuids.root });
  uuids.grandchild = await store(network.questions, "octue/child:1.0.0", {
    uuid: uuids.child,
    originator: uuids.root,
  });
  between = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 3));
  uuids.other = await store(network.questions, "octue/parent:1.0.0");
  await network.questions.transition(uuids.child, "rejected");
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await network.close();
});

async function get(route: string) {
  const response = await fetch(`${base}${route}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function listed(route: string): Promise<{ uuids: string[]; next: unknown }> {
  const { status, body } = await get(route);
  expect(status).toBe(200);
  const questions = body.questions as { question_uuid: string }[];
  return { uuids: questions.map((question) => question.question_uuid), next: body.next_cursor };
}

describe("GET /questions", () => {
  it("keeps its filters, and pages newest first with a cursor", async () => {
    const { root, child, grandchild, other } = uuids;
    expect(await listed("/questions")).toEqual({ uuids: [other, grandchild, child, root], next: null });
    expect(await listed("/questions?recipient=octue/child:1.0.0&status=received")).toEqual({
      uuids: [grandchild],
      next: null,
    });
    expect((await listed(`/questions?parent_question_uuid=${root}`)).uuids).toEqual([child]);
    expect((await listed(`/questions?originator_question_uuid=${root}`)).uuids).toEqual([grandchild, child, root]);

    const first = await listed("/questions?limit=3");
    expect(first).toEqual({ uuids: [other, grandchild, child], next: child });
    expect(await listed(`/questions?limit=3&cursor=${child}`)).toEqual({ uuids: [root], next: null });
  });

  it("takes top-level questions only, and a time range", async () => {
    const { root, child, grandchild, other } = uuids;
    expect((await listed("/questions?top_level=true")).uuids).toEqual([other, root]);
    expect((await listed("/questions?top_level=false")).uuids).toEqual([other, grandchild, child, root]);
    expect((await listed(`/questions?created_from=${between}`)).uuids).toEqual([other]);
    expect((await listed(`/questions?created_before=${between}&top_level=true`)).uuids).toEqual([root]);
  });

  it("answers a bad parameter with a 400 naming it", async () => {
    for (const [query, pointer, message] of [
      ["status=sleeping", "/status", /unknown status 'sleeping'/],
      ["top_level=yes", "/top_level", /'top_level' must be true or false/],
      ["created_from=yesterday", "/created_from", /ISO-8601/],
      ["created_before=2026-02-30T25:00:00Z", "/created_before", /ISO-8601/],
      [`cursor=${crypto.randomUUID()}`, "/cursor", /no question .* to go on after/],
      ["limit=0", "/limit", /whole number from 1 to 10000/],
      ["sort=oldest", "/sort", /unknown query parameter 'sort'/],
      ["status=received&status=failed", "/status", /give 'status' once/],
      [`top_level=true&parent_question_uuid=${uuids.root}`, "/top_level", /has no parent/],
    ] as const) {
      const { status, body } = await get(`/questions?${query}`);
      expect({ query, status }).toEqual({ query, status: 400 });
      const error = body.error as { message: string; details: { pointer?: string } };
      expect(error.message).toMatch(message);
      expect(error.details.pointer).toBe(pointer);
    }
  });
});

describe("GET /questions/counts", () => {
  it("counts the questions a filter takes by status, and a parent's children", async () => {
    expect(await get("/questions/counts")).toEqual({
      status: 200,
      body: { counts: { received: 3, rejected: 1 }, total: 4 },
    });
    expect((await get("/questions/counts?top_level=true")).body).toEqual({ counts: { received: 2 }, total: 2 });
    expect((await get(`/questions/counts?parent_question_uuid=${uuids.root}`)).body).toEqual({
      counts: { rejected: 1 },
      total: 1,
    });
    expect((await get(`/questions/counts?created_from=${between}`)).body).toEqual({
      counts: { received: 1 },
      total: 1,
    });
  });

  it("refuses a page's parameters and bad filters", async () => {
    expect((await get("/questions/counts?limit=5")).status).toBe(400);
    expect((await get("/questions/counts?status=asleep")).status).toBe(400);
  });
});
