import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { pubsubTrigger } from "../../functions/pubsub-trigger.js";
import { startTracing, traceExportersFrom } from "../../platform/tracing.js";
import { InMemoryEventBus } from "../../shared/adapters/embedded/in-memory-event-bus/in-memory-event-bus.js";
import { NetworkClient } from "../../shared/client/index.js";
import type { BusMessage } from "../../shared/ports/index.js";
import {
  activeTraceparent,
  contextFromAttributes,
  formatTraceparent,
  inSpan,
  parseTraceparent,
  TRACE_ATTRIBUTE,
  traceHttpRequests,
  traceIdOf,
  withTraceAttribute,
} from "../../shared/tracing/index.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

let servers: Server[] = [];
let stopTracing: (() => Promise<void>) | undefined;

afterEach(async () => {
  await stopTracing?.();
  stopTracing = undefined;
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  servers = [];
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function inMemoryTracing(): Promise<InMemorySpanExporter> {
  const exporter = new InMemorySpanExporter();
  const tracing = await startTracing({ serviceName: "test", spanProcessors: [new SimpleSpanProcessor(exporter)] });
  stopTracing = () => tracing.shutdown();
  return exporter;
}

describe("the W3C trace context of messages and requests", () => {
  it("reads and writes traceparent, refusing anything malformed or all zeros", () => {
    const parsed = parseTraceparent(TRACEPARENT);
    expect(parsed).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, isRemote: true });
    expect(formatTraceparent(parsed ?? trace.wrapSpanContext({} as never).spanContext())).toBe(TRACEPARENT);
    for (const bad of [
      undefined,
      "",
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      `00-${"0".repeat(32)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${"0".repeat(16)}-01`,
      `00-${TRACE_ID}-${SPAN_ID}`,
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    }
    expect(traceIdOf({ [TRACE_ATTRIBUTE]: TRACEPARENT })).toBe(TRACE_ID);
    expect(traceIdOf({})).toBeUndefined();
  });

  it("adds nothing to a message's attributes without an active trace", () => {
    const attributes = { question_uuid: "q" };
    expect(withTraceAttribute(attributes)).toBe(attributes);
    expect(activeTraceparent()).toBeUndefined();
  });

  it("adds the active span as googclient_traceparent, keeping one already there (a replayed dead letter)", async () => {
    await inMemoryTracing();
    await context.with(contextFromAttributes({ [TRACE_ATTRIBUTE]: TRACEPARENT }), async () => {
      expect(withTraceAttribute({ question_uuid: "q" })).toEqual({
        question_uuid: "q",
        [TRACE_ATTRIBUTE]: TRACEPARENT,
      });
      const kept = { [TRACE_ATTRIBUTE]: `00-${"1".repeat(32)}-${SPAN_ID}-01` };
      expect(withTraceAttribute(kept)).toBe(kept);
    });
  });

  it("publishes on the in-memory bus with the publisher's context, as Pub/Sub's client does", async () => {
    const exporter = await inMemoryTracing();
    const bus = new InMemoryEventBus();
    await bus.ensureTopic("t");
    await bus.ensureSubscription("s", "t");
    const received: BusMessage[] = [];
    const subscriber = bus.subscribe("s", async (message) => {
      received.push(message);
    });
    await inSpan("publisher", {}, () => bus.publish("t", Buffer.from("{}"), { attributes: { question_uuid: "q" } }));
    await bus.publish("t", Buffer.from("{}"), { attributes: { question_uuid: "r" } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await subscriber.close();
    await bus.close();
    const publisher = exporter.getFinishedSpans().find((span) => span.name === "publisher");
    expect(received.map((message) => message.attributes)).toEqual([
      { question_uuid: "q", [TRACE_ATTRIBUTE]: formatTraceparent(publisher?.spanContext() ?? ({} as never)) },
      { question_uuid: "r" },
    ]);
  });
});

describe("traceparent over HTTP", () => {
  it("continues the caller's trace in a span of POST /questions, and answers with that span's traceparent", async () => {
    const exporter = await inMemoryTracing();
    const middleware = traceHttpRequests();
    const seen: (string | undefined)[] = [];
    const app = express();
    app.use(middleware);
    app.use(express.json());
    app.post("/questions", (_request, response) => {
      seen.push(activeTraceparent());
      response.status(201).json({});
    });
    app.post("/questions/:uuid/cancel", (_request, response) => {
      seen.push(activeTraceparent());
      response.status(202).json({});
    });
    const url = await listen(createServer(app));
    const client = new NetworkClient(url);

    // The client sends the active context; the body parser runs before the route, in the caller's context still.
    const asked = await inSpan("asker", {}, async (asker) => {
      const response = await fetch(`${url}/questions`, {
        method: "POST",
        headers: { "content-type": "application/json", traceparent: activeTraceparent() ?? "" },
        body: JSON.stringify({ question: 1 }),
      });
      return { asker: asker.spanContext(), header: response.headers.get("traceparent") };
    });
    const intake = exporter.getFinishedSpans().find((span) => span.name === "question-intake POST /questions");
    expect(intake?.parentSpanContext?.spanId).toBe(asked.asker.spanId);
    expect(intake?.spanContext().traceId).toBe(asked.asker.traceId);
    expect(intake?.attributes["http.response.status_code"]).toBe(201);
    expect(asked.header).toBe(formatTraceparent(intake?.spanContext() ?? ({} as never)));
    expect(seen[0]).toBe(asked.header);

    // Other routes only pass the caller's context on (what they publish carries it), and NetworkClient sends it.
    await context.with(contextFromAttributes({ [TRACE_ATTRIBUTE]: TRACEPARENT }), () =>
      client.cancel("x").catch(() => undefined),
    );
    expect(seen[1]).toBe(TRACEPARENT);
    // Without a caller's trace, there is none to continue.
    await client.cancel("x").catch(() => undefined);
    expect(seen[2]).toBeUndefined();
  });
});

describe("a pushed delivery (Cloud Functions)", () => {
  it("runs its handler in the context of the message's googclient_traceparent", async () => {
    await inMemoryTracing();
    const seen: (string | undefined)[] = [];
    const app = express();
    app.use(express.raw({ type: () => true }));
    app.post(
      "/",
      pubsubTrigger({
        handle: async () => {
          seen.push(trace.getSpanContext(context.active())?.traceId);
        },
        deadLetter: async () => {},
      }),
    );
    const url = await listen(createServer(app));
    const body = (attributes: Record<string, string>) =>
      JSON.stringify({ message: { data: "", messageId: "1", attributes }, subscription: "s" });
    const post = (attributes: Record<string, string>) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: body(attributes) });
    expect((await post({ [TRACE_ATTRIBUTE]: TRACEPARENT })).status).toBe(204);
    expect((await post({})).status).toBe(204);
    expect(seen).toEqual([TRACE_ID, undefined]);
  });
});

describe("where spans are exported", () => {
  it("exports nowhere by default, to Cloud Trace when asked, and over OTLP/HTTP to a collector's address", () => {
    const warnings: string[] = [];
    const warn = (text: string) => warnings.push(text);
    expect(traceExportersFrom({}, warn)).toEqual([]);
    expect(traceExportersFrom({ TWINED_TRACE_EXPORTER: "none" }, warn)).toEqual([]);
    expect(traceExportersFrom({ TWINED_TRACE_EXPORTER: "cloud-trace", GOOGLE_CLOUD_PROJECT: "p" }, warn)).toEqual([
      "cloud-trace",
    ]);
    expect(traceExportersFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, warn)).toEqual(["otlp"]);
    expect(
      traceExportersFrom(
        { TWINED_TRACE_EXPORTER: "cloud-trace,otlp", GOOGLE_CLOUD_PROJECT: "p", OTEL_EXPORTER_OTLP_ENDPOINT: "x" },
        warn,
      ),
    ).toEqual(["cloud-trace", "otlp"]);
    expect(warnings).toEqual([]);
    expect(traceExportersFrom({ TWINED_TRACE_EXPORTER: "cloud-trace" }, warn)).toEqual([]);
    expect(traceExportersFrom({ TWINED_TRACE_EXPORTER: "jaeger" }, warn)).toEqual([]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain("GOOGLE_CLOUD_PROJECT");
    expect(warnings[1]).toContain("cloud-trace, otlp or none");
  });

  it("loads no SDK and exports nothing when the environment names no exporter", async () => {
    const tracing = await startTracing({ serviceName: "test", env: {} });
    stopTracing = () => tracing.shutdown();
    expect(tracing.exporters).toEqual([]);
    await inSpan("nothing", {}, async (span) => expect(span.isRecording()).toBe(false));
  });

  it("sends spans as OTLP/HTTP JSON to OTEL_EXPORTER_OTLP_ENDPOINT (a stand-in collector on loopback)", async () => {
    const received: { path: string | undefined; body: string }[] = [];
    const collector = createServer(async (request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      received.push({ path: request.url, body: Buffer.concat(chunks).toString("utf8") });
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    const endpoint = await listen(collector);
    const tracing = await startTracing({
      serviceName: "twined-otlp-test",
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
    });
    stopTracing = () => tracing.shutdown();
    expect(tracing.exporters).toEqual(["otlp"]);
    const traceId = await inSpan("exported", {}, async (span) => span.spanContext().traceId);
    await tracing.flush();
    expect(received.map((each) => each.path)).toEqual(["/v1/traces"]);
    const body = received[0]?.body ?? "";
    expect(body).toContain('"exported"');
    expect(body).toContain(traceId);
    expect(body).toContain("twined-otlp-test");
  });
});
