import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cloudLoggingLogger,
  LABELS_FIELD,
  SPAN_ID_FIELD,
  TRACE_FIELD,
  TRACE_SAMPLED_FIELD,
} from "../../../../../shared/adapters/google/cloud-logging/index.js";

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (text: string) => lines.push(text) }, entries: () => lines.map(parse) };
}

function parse(line: string): Record<string, unknown> {
  expect(line.endsWith("\n")).toBe(true);
  expect(line.slice(0, -1)).not.toContain("\n");
  return JSON.parse(line) as Record<string, unknown>;
}

describe("cloudLoggingLogger", () => {
  it("writes one JSON object per line with Cloud Logging's severity and message, and none of pino's own fields", () => {
    const out = capture();
    const log = cloudLoggingLogger({ stream: out.stream });
    log.debug("d");
    log.info("i");
    log.notice("n");
    log.warning("w");
    log.error("e\nwith a second line");
    log.critical("c");
    const entries = out.entries();
    expect(entries.map((each) => [each.severity, each.message])).toEqual([
      ["DEBUG", "d"],
      ["INFO", "i"],
      ["NOTICE", "n"],
      ["WARNING", "w"],
      ["ERROR", "e\nwith a second line"],
      ["CRITICAL", "c"],
    ]);
    for (const entry of entries) {
      expect(Object.keys(entry).sort()).toEqual(["message", "severity", "time"]);
      expect(new Date(String(entry.time)).toISOString()).toBe(entry.time);
    }
  });

  it("labels lines with the logger's labels, a child's and a line's own, as strings only", () => {
    const out = capture();
    const log = cloudLoggingLogger({ stream: out.stream, labels: { function: "question-reconciler" } });
    const question = log.child({ question_uuid: "8b7c4e6f-1d2a-4f3b-9c8d-7e6f5a4b3c2d" });
    question.warning("stuck", { labels: { sruid: "octue/example:1.0.0" }, fields: { attempt: 2 } });
    log.info("plain");
    const [first, second] = out.entries();
    expect(first).toMatchObject({
      severity: "WARNING",
      message: "stuck",
      attempt: 2,
      [LABELS_FIELD]: {
        function: "question-reconciler",
        question_uuid: "8b7c4e6f-1d2a-4f3b-9c8d-7e6f5a4b3c2d",
        sruid: "octue/example:1.0.0",
      },
    });
    expect(second?.[LABELS_FIELD]).toEqual({ function: "question-reconciler" });
    for (const value of Object.values(first?.[LABELS_FIELD] as object)) expect(typeof value).toBe("string");
  });

  it("names the span a line gives", () => {
    const out = capture();
    const log = cloudLoggingLogger({ stream: out.stream, projectId: "my-project" });
    const span = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1 };
    log.info("traced", { span });
    log.info("unsampled", { span: { ...span, traceFlags: 0 } });
    const [traced, unsampled] = out.entries();
    expect(traced).toMatchObject({
      [TRACE_FIELD]: "projects/my-project/traces/4bf92f3577b34da6a3ce929d0e0e4736",
      [SPAN_ID_FIELD]: "00f067aa0ba902b7",
      [TRACE_SAMPLED_FIELD]: true,
    });
    expect(unsampled?.[TRACE_SAMPLED_FIELD]).toBe(false);
  });

  describe("with a tracer provider registered", () => {
    const contextManager = new AsyncLocalStorageContextManager();
    const provider = new BasicTracerProvider();
    beforeAll(() => {
      context.setGlobalContextManager(contextManager.enable());
      trace.setGlobalTracerProvider(provider);
    });
    afterAll(async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
    });

    it("names the active span's trace (32 hex), span (16 hex) and whether it is sampled; outside a span, none", async () => {
      const out = capture();
      const log = cloudLoggingLogger({ stream: out.stream, projectId: "my-project" });
      const tracer = trace.getTracer("test");
      let ids: { traceId: string; spanId: string } | undefined;
      await tracer.startActiveSpan("work", async (span) => {
        await Promise.resolve();
        ids = span.spanContext();
        log.error("inside");
        span.end();
      });
      log.info("outside");
      const [inside, outside] = out.entries();
      expect(inside?.[TRACE_FIELD]).toBe(`projects/my-project/traces/${ids?.traceId}`);
      expect(inside?.[TRACE_FIELD]).toMatch(/^projects\/my-project\/traces\/[0-9a-f]{32}$/);
      expect(inside?.[SPAN_ID_FIELD]).toMatch(/^[0-9a-f]{16}$/);
      expect(inside?.[SPAN_ID_FIELD]).toBe(ids?.spanId);
      expect(inside?.[TRACE_SAMPLED_FIELD]).toBe(true);
      expect(outside).not.toHaveProperty(TRACE_FIELD);
      expect(outside).not.toHaveProperty(SPAN_ID_FIELD);
    });
  });
});
