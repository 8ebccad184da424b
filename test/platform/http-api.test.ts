import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import { jsonErrors } from "../../shared/control-plane/http/json-errors.js";
import { questionRoutes } from "../../shared/control-plane/question-intake/http-routes.js";
import {
  type ChildEventEnvelope,
  createQuestionAttributes,
  deriveResponseAttributes,
  type ParentAttributes,
} from "../../shared/events/index.js";
import { storeQuestion } from "../support/stored-question.js";
import { waitFor } from "../support/wait-for.js";

let network: EmbeddedNetwork;
let server: Server;
let base: string;
let serviceDirectory: string;
let twine: Record<string, unknown>;

beforeAll(async () => {
  network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-http-")),
    databasePath: ":memory:",
    cpuQuota: 2,
  });
  server = createHttpApi(network, { pollIntervalMs: 20 }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  serviceDirectory = path.join(mkdtempSync(path.join(tmpdir(), "twined-http-service-")), "elevation");
  cpSync(path.resolve("examples/child-services/elevation"), serviceDirectory, { recursive: true });
  twine = JSON.parse(readFileSync(path.join(serviceDirectory, "twine.json"), "utf8")) as Record<string, unknown>;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await network.close();
});

async function call(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

const locations = { locations: [{ longitude: 0, latitude: 0 }] };

describe("the HTTP API", () => {
  it("answers /healthz", async () => {
    expect(await call("GET", "/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  it("registers revisions and answers Octue's registry contract", async () => {
    const registration = { twine, source: { kind: "directory", path: serviceDirectory } };
    expect((await call("PUT", "/registry/examples/elevation/revisions/0.1.0", registration)).status).toBe(201);
    expect((await call("PUT", "/registry/examples/elevation/revisions/0.1.0", registration)).status).toBe(200);
    expect((await call("GET", "/registry/examples/elevation?revision_tag=0.1.0")).status).toBe(200);
    expect(await call("GET", "/registry/examples/elevation?revision_tag=9.9.9")).toMatchObject({
      status: 404,
      body: { error: { type: "RevisionNotFound" } },
    });
    expect((await call("GET", "/registry/examples/elevation")).status).toBe(404);
    const made = await call("PUT", "/registry/examples/elevation/default", { revision_tag: "0.1.0" });
    expect(made).toMatchObject({ status: 200, body: { is_default: true } });
    expect(await call("GET", "/registry/examples/elevation")).toMatchObject({
      status: 200,
      body: { revision_tag: "0.1.0" },
    });
    const listed = await call("GET", "/registry/examples/elevation/revisions");
    expect((listed.body?.revisions as unknown[] | undefined)?.length).toBe(1);
  });

  it("refuses an invalid registration with the reason", async () => {
    expect(
      await call("PUT", "/registry/examples/broken/revisions/1", {
        twine: { children: {} },
        source: { kind: "image", image: "x" },
      }),
    ).toMatchObject({ status: 400, body: { error: { type: "InvalidTwineContents" } } });
    expect(
      await call("PUT", "/registry/examples/broken/revisions/1", { twine: {}, source: { kind: "ftp" } }),
    ).toMatchObject({
      status: 400,
      body: { error: { type: "InvalidRegistration", details: { pointer: "/source" } } },
    });
    expect((await call("PUT", "/registry/Bad/name/revisions/1", { twine: {}, source: {} })).status).toBe(400);
  });

  it("takes a question, runs it and serves its status and events, also as a live stream", async () => {
    const asked = await call("POST", "/questions", { recipient: "examples/elevation", input_values: locations });
    expect(asked).toMatchObject({ status: 202, body: { recipient: "examples/elevation:0.1.0", status: "received" } });
    const uuid = String(asked.body?.question_uuid);

    const stream = await fetch(`${base}/questions/${uuid}/events`, { headers: { accept: "text/event-stream" } });
    expect(stream.headers.get("content-type")).toMatch(/text\/event-stream/);
    const streamed = await stream.text();
    const blocks = streamed.split("\n\n").filter(Boolean);
    const kinds = blocks
      .filter((block) => block.startsWith("id: "))
      .map((block) => block.match(/^event: (\w+)$/m)?.[1]);
    expect(kinds[0]).toBe("delivery_acknowledgement");
    expect(kinds.at(-1)).toBe("result");
    // Status changes are streamed too, without an id so that resuming by Last-Event-ID only counts events.
    const statuses = blocks
      .filter((block) => block.startsWith("event: status"))
      .map((block) => (JSON.parse(block.split("data: ")[1] ?? "{}") as { status: string }).status);
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses).size).toBe(statuses.length);

    await waitFor(async () => (await call("GET", `/questions/${uuid}`)).body?.status === "succeeded", {
      timeoutMs: 10_000,
    });
    expect((await call("GET", `/questions/${uuid}`)).body).toMatchObject({ answer: { output_values: [3542] } });
    const events = await call("GET", `/questions/${uuid}/events?kinds=result`);
    expect(events.body?.events).toEqual([
      expect.objectContaining({ event: { kind: "result", output_values: [3542] } }),
    ]);
    const listed = await call("GET", "/questions?recipient=examples/elevation:0.1.0&status=succeeded");
    const listedUuids = ((listed.body?.questions ?? []) as { question_uuid: string }[]).map(
      (each) => each.question_uuid,
    );
    expect(listedUuids).toContain(uuid);
  }, 30_000);

  it.each([
    [
      "an unknown field",
      { recipient: "examples/elevation", input_value: {} },
      400,
      "InvalidQuestionRequest",
      "/input_value",
    ],
    ["no recipient", {}, 400, "InvalidQuestionRequest", ""],
    ["an invalid service ID", { recipient: "Examples/x" }, 400, "InvalidServiceID", undefined],
    ["an unknown service", { recipient: "examples/nobody" }, 404, "RevisionNotFound", undefined],
  ])("refuses a question with %s", async (_case, body, status, type, pointer) => {
    const response = await call("POST", "/questions", body);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ error: { type } });
    if (pointer !== undefined) expect(response.body).toMatchObject({ error: { details: { pointer } } });
  });

  it("answers malformed JSON, unknown questions and unknown routes with JSON errors", async () => {
    expect(await call("POST", "/questions", "{not json")).toMatchObject({
      status: 400,
      body: { error: { type: "InvalidJson" } },
    });
    expect(await call("GET", "/questions/3fa85f64-5717-4562-b3fc-2c963f66afa6")).toMatchObject({
      status: 404,
      body: { error: { type: "QuestionNotFound" } },
    });
    expect(await call("GET", "/nowhere")).toMatchObject({ status: 404, body: { error: { type: "NotFound" } } });
    expect((await call("GET", "/questions?status=sleeping")).status).toBe(400);
  });

  it("answers a body it cannot read with the 4xx that says why, naming the limit, never a 500", async () => {
    const huge = JSON.stringify({
      recipient: "examples/elevation",
      input_values: { pad: "x".repeat(11 * 1024 * 1024) },
    });
    const tooLarge = await call("POST", "/questions", huge);
    expect(tooLarge).toMatchObject({
      status: 413,
      body: {
        error: { type: "RequestTooLarge", details: { limit: "request_body_bytes", maximum: 10 * 1024 * 1024 } },
      },
    });
    expect(JSON.stringify(tooLarge.body)).toMatch(/over the limit of 10485760 bytes/);
    expect(
      await call("POST", "/questions", "{}", { "content-type": "application/json; charset=latin1" }),
    ).toMatchObject({ status: 415, body: { error: { type: "UnsupportedCharset", details: { charset: "latin1" } } } });
    expect(await call("POST", "/questions", "{}", { "content-encoding": "compress" })).toMatchObject({
      status: 415,
      body: { error: { type: "UnsupportedEncoding", details: { encoding: "compress" } } },
    });
    // Nothing was asked by any of them.
    expect(await call("GET", "/questions?recipient=examples/elevation:0.1.0")).toMatchObject({ status: 200 });
  });
});

/** A question stored as the intake would, but never launched: nothing else sends its events. */
async function storedQuestion(): Promise<ParentAttributes> {
  return storeQuestion(network.questions, {
    sender: "tests/asker:1",
    recipient: "examples/image-only:1.0.0",
    event: { kind: "question", input_values: { n: 0 } },
  });
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

describe("the routes of jobs that reach their network over HTTP", () => {
  it("serves a question as it was asked, and its status, for its job to read", async () => {
    const question = await storedQuestion();
    expect(await call("GET", `/questions/${question.question_uuid}/question`)).toEqual({
      status: 200,
      body: { event: { kind: "question", input_values: { n: 0 } }, attributes: question, status: "received" },
    });
    expect(await call("GET", "/questions/3fa85f64-5717-4562-b3fc-2c963f66afa6/question")).toMatchObject({
      status: 404,
      body: { error: { type: "QuestionNotFound", details: { question_uuid: "3fa85f64-5717-4562-b3fc-2c963f66afa6" } } },
    });
  });

  it("takes a job's events, publishes them, and they are recorded like any other", async () => {
    const question = await storedQuestion();
    const uuid = question.question_uuid;
    const first = logRecord(question, "first");
    const second = logRecord(question, "second");
    expect(await call("POST", `/questions/${uuid}/events`, first)).toEqual({ status: 202, body: { accepted: true } });
    expect(await call("POST", `/questions/${uuid}/events`, second)).toEqual({ status: 202, body: { accepted: true } });
    const recorded = async () =>
      ((await call("GET", `/questions/${uuid}/events`)).body?.events ?? []) as ChildEventEnvelope[];
    await waitFor(async () => (await recorded()).length === 2);
    const events = await recorded();
    expect(events.map((each) => each.attributes.uuid)).toEqual([first.attributes.uuid, second.attributes.uuid]);
  });

  it.each([
    [
      "an event that breaks the protocol",
      (q: ParentAttributes) => ({ event: { kind: "log_record" }, attributes: deriveResponseAttributes(q) }),
      "/event",
    ],
    [
      "a parent's event",
      (q: ParentAttributes) => ({ event: { kind: "cancellation" }, attributes: q }),
      "/attributes/sender_type",
    ],
    [
      "another question's event",
      (q: ParentAttributes) => logRecord({ ...q, question_uuid: "0c4a6ab4-7a52-4d36-8a46-2a1ab2f1e9d3" }, "x"),
      "/attributes/question_uuid",
    ],
  ])("refuses %s with the reason and where it is", async (_case, make, pointer) => {
    const question = await storedQuestion();
    const response = await call("POST", `/questions/${question.question_uuid}/events`, make(question));
    expect(response).toMatchObject({ status: 400, body: { error: { type: "InvalidEvent" } } });
    expect(response.body).toMatchObject({ error: { details: { pointer: expect.stringMatching(`^${pointer}`) } } });
  });

  it("refuses events of an unknown question", async () => {
    const unknown = createQuestionAttributes({ sender: "tests/asker:1", recipient: "examples/nobody:1" });
    expect(await call("POST", `/questions/${unknown.question_uuid}/events`, logRecord(unknown, "lost"))).toMatchObject({
      status: 404,
      body: { error: { type: "QuestionNotFound" } },
    });
  });

  it("answers 501 where the network takes job events on Pub/Sub only", async () => {
    const question = await storedQuestion();
    const app = express();
    app.use(express.json());
    app.use("/questions", questionRoutes(network.intake, network.questions));
    app.use(jsonErrors());
    const bare = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => bare.once("listening", resolve));
    try {
      const response = await fetch(
        `http://127.0.0.1:${(bare.address() as AddressInfo).port}/questions/${question.question_uuid}/events`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(logRecord(question, "nowhere")),
        },
      );
      expect(response.status).toBe(501);
      expect(await response.json()).toMatchObject({
        error: { type: "NotImplemented", message: expect.stringMatching(/Pub\/Sub/) },
      });
    } finally {
      await new Promise((resolve) => bare.close(resolve));
    }
  });
});

describe("live event streams", () => {
  /** Serves the question routes alone, with the given wait for missing events. */
  async function routes(gapWaitMs: number) {
    const app = express();
    app.use(express.json());
    app.use("/questions", questionRoutes(network.intake, network.questions, { pollIntervalMs: 10, gapWaitMs }));
    app.use(jsonErrors());
    const bare = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => bare.once("listening", resolve));
    return { bare, url: `http://127.0.0.1:${(bare.address() as AddressInfo).port}` };
  }

  function numbered(question: ParentAttributes, order: number, event: ChildEventEnvelope["event"]): ChildEventEnvelope {
    return { event, attributes: { ...deriveResponseAttributes(question), order } };
  }

  /** Reads a stream to its end, returning the ids (sequences) of its events in the order they came. */
  async function readStream(url: string): Promise<{ ids: number[] }> {
    const response = await fetch(url, { headers: { accept: "text/event-stream" } });
    const text = await response.text();
    return { ids: [...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1])) };
  }

  it("sends a question's events in their order, holding one back until the event before it arrives", async () => {
    const question = await storedQuestion();
    const uuid = question.question_uuid;
    const { bare, url } = await routes(60_000);
    try {
      await network.questions.appendEvent(numbered(question, 0, { kind: "delivery_acknowledgement" }));
      await network.questions.appendEvent(numbered(question, 2, { kind: "heartbeat" }));
      const reading = readStream(`${url}/questions/${uuid}/events`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await network.questions.appendEvent(numbered(question, 3, { kind: "result", output_values: 1 }));
      await network.questions.appendEvent(numbered(question, 1, { kind: "heartbeat" }));
      expect((await reading).ids).toEqual([1, 2, 3, 4]);
    } finally {
      await new Promise((resolve) => bare.close(resolve));
    }
  });

  it("ends with the final event that arrived first, wherever a later one is placed", async () => {
    const question = await storedQuestion();
    const { bare, url } = await routes(60_000);
    try {
      await network.questions.appendEvent(numbered(question, 0, { kind: "delivery_acknowledgement" }));
      // The network's own word (no order, so placed last) arrives before the job's own final event.
      const cancelled: ChildEventEnvelope = {
        event: {
          kind: "exception",
          exception_type: "QuestionCancelled",
          exception_message: "changed my mind",
          exception_traceback: [],
        },
        attributes: deriveResponseAttributes(question),
      };
      await network.questions.appendEvent(cancelled);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await network.questions.appendEvent(
        numbered(question, 1, {
          kind: "exception",
          exception_type: "QuestionCancelled",
          exception_message: "SIGTERM",
          exception_traceback: [],
        }),
      );
      const response = await fetch(`${url}/questions/${question.question_uuid}/events`, {
        headers: { accept: "text/event-stream" },
      });
      const text = await response.text();
      expect(text.match(/^event: exception$/gm)).toHaveLength(1);
      expect(text).toContain("changed my mind");
      expect(text).not.toContain("SIGTERM");
    } finally {
      await new Promise((resolve) => bare.close(resolve));
    }
  });

  it("goes on without a missing event once it has waited long enough", async () => {
    const question = await storedQuestion();
    const { bare, url } = await routes(200);
    try {
      await network.questions.appendEvent(numbered(question, 0, { kind: "delivery_acknowledgement" }));
      await network.questions.appendEvent(numbered(question, 2, { kind: "result", output_values: 1 }));
      expect((await readStream(`${url}/questions/${question.question_uuid}/events`)).ids).toEqual([1, 3]);
    } finally {
      await new Promise((resolve) => bare.close(resolve));
    }
  });
});
