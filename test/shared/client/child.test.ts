import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import express, { type Response } from "express";
import { afterEach, describe, expect, it } from "vitest";
import { Child } from "../../../shared/client/index.js";
import { AnswerTimedOut, AskAborted, InvalidServiceID, RemoteException } from "../../../shared/errors/index.js";
import { rejectionOf } from "../../support/error-of.js";

/** One thing the fake network streams for a question: an event, a status change, a pause, or a dropped connection. */
type Step =
  | { readonly event: Record<string, unknown> }
  | { readonly status: string }
  | { readonly wait: number }
  | { readonly drop: true }
  /** From here on, `GET /questions/{uuid}` answers with this. */
  | { readonly summary: Record<string, unknown> };

interface Asked {
  readonly uuid: string;
  readonly body: Record<string, unknown>;
  readonly steps: readonly Step[];
  /** Where the stream resumed (the `after` of each events request). */
  readonly follows: number[];
  summary: Record<string, unknown>;
}

/**
 * A scripted stand-in for a network's HTTP API: each question asked gets the steps `script` returns for it, streamed
 * as Server-Sent Events the way the real API streams them (events with ids, status changes without).
 */
class FakeNetwork {
  readonly asked: Asked[] = [];
  readonly cancelled: { uuid: string; reason: string }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** What `GET /datasets` answers; without it the route is unknown, as on a network older than datasets. */
  datasets: Record<string, unknown> | undefined;
  private server: Server | undefined;

  constructor(private readonly script: (body: Record<string, unknown>, index: number) => Step[]) {}

  async start(): Promise<string> {
    const app = express();
    app.use(express.json());
    app.post("/questions", (request, response) => {
      const body = request.body as Record<string, unknown>;
      const uuid = typeof body.question_uuid === "string" ? body.question_uuid : crypto.randomUUID();
      const steps = this.script(body, this.asked.length);
      this.asked.push({ uuid, body, steps, follows: [], summary: { question_uuid: uuid, status: "received" } });
      response.status(202).json({ question_uuid: uuid, recipient: "testing/svc:1.0.0", status: "received" });
    });
    app.get("/datasets", (_request, response) => {
      if (this.datasets === undefined)
        response.status(404).json({ error: { type: "NotFound", message: "", details: {} } });
      else response.json(this.datasets);
    });
    app.get("/questions/:uuid/events", (request, response) => {
      const asked = this.find(request.params.uuid);
      const after = Number(request.query.after ?? 0);
      asked.follows.push(after);
      void this.stream(asked, after, response);
    });
    app.get("/questions/:uuid", (request, response) => {
      response.json(this.find(request.params.uuid).summary);
    });
    app.post("/questions/:uuid/cancel", (request, response) => {
      this.cancelled.push({ uuid: request.params.uuid, reason: String(request.body?.reason) });
      response.status(202).json({ question_uuid: request.params.uuid, status: "cancelled" });
    });
    this.server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => this.server?.once("listening", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private find(uuid: string): Asked {
    const asked = this.asked.find((each) => each.uuid === uuid);
    if (asked === undefined) throw new Error(`unknown question ${uuid}`);
    return asked;
  }

  private async stream(asked: Asked, after: number, response: Response): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    response.writeHead(200, { "content-type": "text/event-stream" });
    let sequence = 0;
    let dropped = asked.follows.length > 1 ? Number.POSITIVE_INFINITY : 0;
    try {
      for (const step of asked.steps) {
        if ("wait" in step) await new Promise((resolve) => setTimeout(resolve, step.wait));
        else if ("summary" in step) asked.summary = { question_uuid: asked.uuid, ...step.summary };
        else if ("status" in step) response.write(`event: status\ndata: ${JSON.stringify(step)}\n\n`);
        else if ("drop" in step) {
          if (dropped++ === 0) return void response.destroy();
        } else if (++sequence > after) {
          const kind = String(step.event.kind);
          const attributes = { question_uuid: asked.uuid, sender: "testing/svc:1.0.0", sender_type: "CHILD" };
          const data = { sequence, event: step.event, attributes };
          response.write(`id: ${sequence}\nevent: ${kind}\ndata: ${JSON.stringify(data)}\n\n`);
        }
        if (response.destroyed) return;
      }
      response.end();
    } finally {
      this.inFlight--;
    }
  }
}

const acknowledged: Step = { event: { kind: "delivery_acknowledgement" } };
const result = (values: unknown): Step => ({ event: { kind: "result", output_values: values } });
const failure = (type: string): Step => ({
  event: {
    kind: "exception",
    exception_type: type,
    exception_message: `${type} happened`,
    exception_traceback: ['  File "app.py", line 3, in run\n'],
  },
});

let fake: FakeNetwork | undefined;

async function network(script: (body: Record<string, unknown>, index: number) => Step[]) {
  fake = new FakeNetwork(script);
  return { fake, url: await fake.start() };
}

afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

describe("Child", () => {
  it("asks with the wire fields, passes on logs, monitor messages and statuses, and returns the answer", async () => {
    const { fake, url } = await network(() => [
      { status: "queued" },
      { status: "running" },
      acknowledged,
      { event: { kind: "log_record", log_record: { msg: "working", levelname: "INFO" } } },
      { event: { kind: "monitor_message", data: { progress: 0.5 } } },
      result({ sum: 3 }),
    ]);
    const logs: unknown[] = [];
    const monitors: unknown[] = [];
    const statuses: string[] = [];
    const child = new Child({ id: "testing/svc", network: url, asker: "testing/asker:2.0.0" });
    const { answer, questionUuid, recipient } = await child.ask({
      inputValues: { a: 1, b: 2 },
      priority: 5,
      cpus: 2,
      memory: "1Gi",
      onLog: (record) => logs.push(record.msg),
      onMonitorMessage: (data) => monitors.push(data),
      onStatus: (status) => statuses.push(status),
    });
    expect(answer).toEqual({ output_values: { sum: 3 }, output_manifest: null });
    expect(recipient).toBe("testing/svc:1.0.0");
    expect(questionUuid).toBe(fake.asked[0]?.uuid);
    expect(fake.asked[0]?.body).toEqual({
      recipient: "testing/svc",
      sender: "testing/asker:2.0.0",
      // Named by the asker, so that asking again after a dropped connection asks once.
      question_uuid: questionUuid,
      input_values: { a: 1, b: 2 },
      priority: 5,
      cpus: 2,
      memory: "1Gi",
    });
    expect(logs).toEqual(["working"]);
    expect(monitors).toEqual([{ progress: 0.5 }]);
    expect(statuses).toEqual(["queued", "running"]);
  });

  it("names local datasets by absolute paths to a network whose jobs read this machine's disk", async () => {
    const { fake, url } = await network(() => [acknowledged, result(null)]);
    fake.datasets = { reads_local_files: true, uploads_location: null };
    await new Child({ id: "testing/svc", network: url }).ask({
      inputManifest: {
        id: "0d0c6f8e-3f55-4f4e-9a3b-1c2d3e4f5a6b",
        datasets: { raw: "data/raw", cleaned: { path: "../cleaned", files: [] }, there: "/srv/x", cloud: "gs://b/raw" },
      },
    });
    expect(fake.asked[0]?.body.input_manifest).toEqual({
      id: "0d0c6f8e-3f55-4f4e-9a3b-1c2d3e4f5a6b",
      datasets: {
        raw: path.resolve("data/raw"),
        cleaned: { path: path.resolve("../cleaned"), files: [] },
        there: "/srv/x",
        cloud: "gs://b/raw",
      },
    });
  });

  it("asks falsy input values too", async () => {
    const { fake, url } = await network(() => [acknowledged, result(null)]);
    await new Child({ id: "testing/svc", network: url }).ask({ inputValues: 0 });
    expect(fake.asked[0]?.body.input_values).toBe(0);
  });

  it("re-raises a remote exception under the remote type, with its message and traceback", async () => {
    const { url } = await network(() => [acknowledged, failure("ValueError")]);
    const error = await rejectionOf(new Child({ id: "testing/svc", network: url }).ask());
    expect(error).toBeInstanceOf(RemoteException);
    expect(error).toMatchObject({
      name: "ValueError",
      remoteType: "ValueError",
      remoteMessage: "ValueError happened",
      remoteTraceback: ['  File "app.py", line 3, in run\n'],
    });
    expect(error.message).toMatch(/traceback was captured from the remote service 'testing\/svc:1.0.0'/);
  });

  it("returns the error instead of raising it when raiseErrors is false", async () => {
    const { fake, url } = await network(() => [acknowledged, failure("KeyError")]);
    const outcome = await new Child({ id: "testing/svc", network: url }).ask({ raiseErrors: false });
    expect(outcome.answer).toBeUndefined();
    expect(outcome.error).toBeInstanceOf(RemoteException);
    expect(outcome.questionUuid).toBe(fake.asked[0]?.uuid);
  });

  it("retries a failed question as new questions with a growing retry_count, until one is answered", async () => {
    const { fake, url } = await network((_body, index) => [acknowledged, index < 2 ? failure("IOError") : result(7)]);
    const questionUuid = crypto.randomUUID();
    const { answer } = await new Child({ id: "testing/svc", network: url }).ask({ maxRetries: 3, questionUuid });
    expect(answer?.output_values).toBe(7);
    expect(fake.asked.map((asked) => asked.body.retry_count)).toEqual([undefined, 1, 2]);
    expect(fake.asked[0]?.uuid).toBe(questionUuid);
    expect(new Set(fake.asked.map((asked) => asked.uuid)).size).toBe(3);
  });

  it("stops retrying at a prevented exception type or class, and never retries a rejected question", async () => {
    const prevented = await network(() => [acknowledged, failure("PermissionError")]);
    const child = new Child({ id: "testing/svc", network: prevented.url });
    await expect(child.ask({ maxRetries: 3, preventRetriesWhen: ["PermissionError"] })).rejects.toThrow(
      RemoteException,
    );
    expect(prevented.fake.asked).toHaveLength(1);
    await prevented.fake.stop();

    const timedOut = await network(() => [acknowledged, { wait: 2_000 }]);
    const timing = new Child({ id: "testing/svc", network: timedOut.url });
    await expect(timing.ask({ timeout: 0.2, maxRetries: 2, preventRetriesWhen: [AnswerTimedOut] })).rejects.toThrow(
      AnswerTimedOut,
    );
    expect(timedOut.fake.asked).toHaveLength(1);
    await timedOut.fake.stop();

    // Retrying invalid inputs cannot help.
    const rejected = await network(() => [{ summary: { status: "rejected" } }, failure("InvalidValuesContents")]);
    const rejecting = new Child({ id: "testing/svc", network: rejected.url });
    await expect(rejecting.ask({ maxRetries: 3 })).rejects.toMatchObject({
      name: "InvalidValuesContents",
      status: "rejected",
    });
    expect(rejected.fake.asked).toHaveLength(1);
  });

  it("gives up and cancels when a started service stops showing signs of life", async () => {
    const { fake, url } = await network(() => [
      { status: "queued" },
      { wait: 600 },
      { status: "running" },
      acknowledged,
      { event: { kind: "heartbeat" } },
      { wait: 5_000 },
    ]);
    const started = Date.now();
    const error = await rejectionOf(
      new Child({ id: "testing/svc", network: url }).ask({ maximumHeartbeatInterval: 0.4 }),
    );
    expect(error).toBeInstanceOf(AnswerTimedOut);
    expect(error).toMatchObject({ reason: "heartbeat", seconds: 0.4 });
    // Waiting in the queue (600 ms, longer than the interval) did not count against the service.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fake.cancelled).toEqual([{ uuid: fake.asked[0]?.uuid, reason: expect.stringMatching(/No heartbeat/) }]);
  });

  it("gives up and cancels at the timeout", async () => {
    const { fake, url } = await network(() => [acknowledged, { wait: 5_000 }]);
    const error = await rejectionOf(new Child({ id: "testing/svc", network: url }).ask({ timeout: 0.3 }));
    expect(error).toMatchObject({ name: "AnswerTimedOut", reason: "timeout" });
    expect(fake.cancelled.map((each) => each.uuid)).toEqual([fake.asked[0]?.uuid]);
  });

  it("stops waiting and cancels when its signal is aborted", async () => {
    const { fake, url } = await network(() => [acknowledged, { wait: 5_000 }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort("no longer needed"), 200);
    await expect(new Child({ id: "testing/svc", network: url }).ask({ signal: controller.signal })).rejects.toThrow(
      AskAborted,
    );
    expect(fake.cancelled[0]?.reason).toMatch(/no longer needed/);
  });

  it("resumes a dropped event stream after the last event it saw", async () => {
    const { fake, url } = await network(() => [
      acknowledged,
      { event: { kind: "log_record", log_record: { msg: "one" } } },
      { wait: 100 },
      { drop: true },
      { event: { kind: "log_record", log_record: { msg: "two" } } },
      result("done"),
    ]);
    const logs: unknown[] = [];
    const { answer } = await new Child({ id: "testing/svc", network: url }).ask({
      onLog: (record) => logs.push(record.msg),
    });
    expect(answer?.output_values).toBe("done");
    expect(logs).toEqual(["one", "two"]);
    expect(fake.asked[0]?.follows).toEqual([0, 2]);
  });

  it("answers from the network's record when the stream ends without a final event", async () => {
    const { url } = await network(() => [
      acknowledged,
      { summary: { status: "succeeded", answer: { output_values: [1, 2] } } },
    ]);
    const { answer } = await new Child({ id: "testing/svc", network: url }).ask();
    expect(answer).toEqual({ output_values: [1, 2], output_manifest: null });
  });

  it("asks many questions with at most `concurrency` in flight, returning answers in asking order", async () => {
    const { fake, url } = await network((body) => [acknowledged, { wait: 100 }, result(body.input_values)]);
    const child = new Child({ id: "testing/svc", network: url });
    const results = await child.askMultiple(
      [1, 2, 3, 4, 5].map((n) => ({ inputValues: n })),
      { concurrency: 2 },
    );
    expect(results.map((each) => each.answer?.output_values)).toEqual([1, 2, 3, 4, 5]);
    expect(fake.maxInFlight).toBe(2);
  });

  it("returns only the question UUID when asked asynchronously", async () => {
    const { fake, url } = await network(() => [acknowledged, result(1)]);
    const outcome = await new Child({ id: "testing/svc", network: url }).ask({ asynchronous: true });
    expect(outcome).toEqual({ questionUuid: fake.asked[0]?.uuid, recipient: "testing/svc:1.0.0", answer: undefined });
    expect(fake.asked[0]?.follows).toEqual([]);
  });

  it("refuses an invalid service id before asking anything", () => {
    expect(() => new Child({ id: "Not A Service" })).toThrow(InvalidServiceID);
  });
});
