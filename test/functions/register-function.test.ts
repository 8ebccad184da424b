import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import type { Request, Response } from "express";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

// The functions read their settings at their first request: each test sets them first.
const SETTINGS = ["GOOGLE_CLOUD_PROJECT", "TWINED_PUSH_SECRET", "TWINED_RECONCILER_HEARTBEAT_LIMIT_SECONDS"] as const;
const saved = Object.fromEntries(SETTINGS.map((name) => [name, process.env[name]]));
const PUSH_SECRET = "s3cr3t-push-value-0123456789";

const contextManager = new AsyncLocalStorageContextManager();
const provider = new BasicTracerProvider();
let stderr: string[] = [];

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});
afterEach(() => {
  vi.restoreAllMocks();
  for (const name of SETTINGS) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

function captureStderr() {
  stderr = [];
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
    stderr.push(String(chunk));
    return true;
  });
}

/** Each line the function wrote, parsed: every one must be JSON. */
function entries(): Record<string, unknown>[] {
  return stderr
    .join("")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Calls a registered function with a fake request inside a span; resolves with the status it answered. */
async function call(functionName: string, body: unknown): Promise<{ status: number }> {
  const { getFunction } = await import("@google-cloud/functions-framework/testing");
  const handler = getFunction(functionName) as ((request: Request, response: Response) => unknown) | undefined;
  if (handler === undefined) throw new Error(`${functionName} is not registered`);
  let status = 0;
  const ended = new Promise<void>((resolve) => {
    const response = {
      status(code: number) {
        status = code;
        return response;
      },
      type: () => response,
      set: () => response,
      setHeader: () => response,
      getHeader: () => undefined,
      send: () => resolve(),
      json: () => resolve(),
      end: () => resolve(),
    };
    const request = {
      method: "POST",
      url: "/",
      headers: { "content-type": "application/json" },
      body,
      rawBody: Buffer.from(JSON.stringify(body)),
    };
    void trace.getTracer("test").startActiveSpan("push", async (span) => {
      await handler(request as unknown as Request, response as unknown as Response);
      span.end();
    });
  });
  await ended;
  return { status };
}

describe("a deployed function's log", () => {
  it("is a JSON line: a subscription function's settings error, as an ERROR labelled with the function, in its trace, without the secret", async () => {
    process.env.GOOGLE_CLOUD_PROJECT = "my-project";
    process.env.TWINED_PUSH_SECRET = PUSH_SECRET;
    process.env.TWINED_RECONCILER_HEARTBEAT_LIMIT_SECONDS = "-1";
    await import("../../functions/index.js");
    captureStderr();
    const message = { message: { data: Buffer.from("{}").toString("base64"), attributes: {}, messageId: "1" } };
    const { status } = await call("twine-validator", message);
    expect(status).toBe(500);
    const lines = entries();
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({
      severity: "ERROR",
      "logging.googleapis.com/labels": { function: "twine-validator" },
      "logging.googleapis.com/trace_sampled": true,
    });
    expect(line?.message).toMatch(/TWINED_RECONCILER_HEARTBEAT_LIMIT_SECONDS/);
    expect(line?.["logging.googleapis.com/trace"]).toMatch(/^projects\/my-project\/traces\/[0-9a-f]{32}$/);
    expect(line?.["logging.googleapis.com/spanId"]).toMatch(/^[0-9a-f]{16}$/);
    expect(stderr.join("")).not.toContain(PUSH_SECRET);
  });

  it("is a JSON line: an HTTP function's 500 (a push secret too short), labelled with the function, without the secret", async () => {
    process.env.GOOGLE_CLOUD_PROJECT = "my-project";
    process.env.TWINED_PUSH_SECRET = "too-short-1234";
    await import("../../functions/index.js");
    captureStderr();
    const { status } = await call("question-reconciler", {});
    expect(status).toBe(500);
    const [line, ...rest] = entries();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      severity: "ERROR",
      "logging.googleapis.com/labels": { function: "question-reconciler" },
    });
    expect(line?.message).toMatch(/InvalidDeploymentSetting: TWINED_PUSH_SECRET: must be set to a secret/);
    expect(line?.["logging.googleapis.com/trace"]).toMatch(/^projects\/my-project\/traces\/[0-9a-f]{32}$/);
    expect(stderr.join("")).not.toContain("too-short-1234");
  });
});
