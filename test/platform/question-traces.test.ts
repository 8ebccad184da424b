import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { context } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { emulatorStorage } from "../../dev/emulator-storage.js";
import { type EmbeddedNetworkOptions, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import { startTracing, type Tracing } from "../../platform/tracing.js";
import { openFirestoreStores } from "../../shared/adapters/google/firestore/index.js";
import { PubSubEventBus } from "../../shared/adapters/google/pubsub/index.js";
import { Child } from "../../shared/client/index.js";
import {
  type ChildEventEnvelope,
  createQuestionAttributes,
  deriveResponseAttributes,
  renewEventIdentity,
} from "../../shared/events/index.js";
import { contextFromAttributes, SPAN_ATTRIBUTES, TRACE_ATTRIBUTE } from "../../shared/tracing/index.js";
import { copyOfExample, registerFolder } from "../scenarios/scenario-services.js";
import { describeWithEmulators } from "../support/emulators.js";
import { waitFor } from "../support/wait-for.js";

const locations = {
  locations: [
    { longitude: 0, latitude: 0 },
    { longitude: 1, latitude: 1 },
  ],
};
/** What every question of the tree goes through once it is asked, in the network's process. */
const PIPELINE = ["twine-validator", "kueue-launcher", "job queued", "job"];

const exporter = new InMemorySpanExporter();
let tracing: Tracing;

beforeAll(async () => {
  tracing = await startTracing({ serviceName: "twined-test", spanProcessors: [new SimpleSpanProcessor(exporter)] });
});
afterAll(async () => {
  await tracing?.shutdown();
});
beforeEach(() => exporter.reset());

interface TracedNetwork {
  readonly url: string;
  close(): Promise<void>;
}

/** An embedded network behind its HTTP API, with the `traceparent` middleware in front of it. */
async function startTracedNetwork(options: EmbeddedNetworkOptions): Promise<TracedNetwork> {
  const network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-traces-")),
    databasePath: ":memory:",
    cpuQuota: 4,
    ...options,
  });
  // The HTTP API reads the callers' traceparent itself.
  const server: Server = createHttpApi(network, { pollIntervalMs: 20 }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  network.setNetworkUrl(url);
  for (const name of ["elevation", "wind-speed", "parent"]) {
    await registerFolder(url, copyOfExample(`child-services/${name}`), { namespace: "examples", name, tag: "0.1.0" });
  }
  return {
    url,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await network.close();
    },
  };
}

const spanId = (span: ReadableSpan) => span.spanContext().spanId;
const parentId = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const questionOf = (span: ReadableSpan) => span.attributes[SPAN_ATTRIBUTES.questionUuid];

/** The spans of one question, by name; fails naming what is missing. */
function spansOf(spans: readonly ReadableSpan[], questionUuid: string, name: string): ReadableSpan[] {
  return spans.filter((span) => span.name === name && questionOf(span) === questionUuid);
}

function only(spans: readonly ReadableSpan[], what: string): ReadableSpan {
  expect(spans, what).toHaveLength(1);
  return spans[0] as ReadableSpan;
}

/**
 * Asks examples/parent (which asks examples/elevation and examples/wind-speed) and returns the tree's question UUIDs
 * once every span of the pipeline, down to the forwarding of each question's result, has ended.
 */
async function askParent(url: string, jobsInProcess: boolean): Promise<{ parent: string; children: string[] }> {
  const asked = await new Child({ id: "examples/parent", network: url, asker: "testing/traces:1.0.0" }).ask({
    inputValues: locations,
  });
  const parent = asked.questionUuid;
  let children: string[] = [];
  await waitFor(
    () => {
      const spans = exporter.getFinishedSpans();
      children = [
        ...new Set(
          spans
            .filter((span) => span.attributes[SPAN_ATTRIBUTES.parentQuestionUuid] === parent)
            .map((span) => String(questionOf(span))),
        ),
      ];
      const names = jobsInProcess ? [...PIPELINE, "runner"] : PIPELINE;
      return (
        children.length === 2 &&
        [parent, ...children].every((question) =>
          [...names, "answer-forwarder"].every((name) => spansOf(spans, question, name).length > 0),
        )
      );
    },
    { timeoutMs: 30_000, intervalMs: 20, description: () => describeSpans(exporter.getFinishedSpans()) },
  );
  return { parent, children };
}

function describeSpans(spans: readonly ReadableSpan[]): string {
  return spans
    .map(
      (span) =>
        `${span.name} ${String(questionOf(span) ?? "")} ${span.spanContext().traceId} ${spanId(span)} <- ${parentId(span) ?? "root"}`,
    )
    .join("\n");
}

/** The assertions every platform shares: one trace, each question's pipeline chained span to span. */
function expectOneTrace(tree: { parent: string; children: string[] }, jobsInProcess: boolean): void {
  try {
    expectTreeSpans(tree, jobsInProcess);
  } catch (error) {
    // The spans, to see what went wrong.
    if (error instanceof Error) error.message += `\n${describeSpans(exporter.getFinishedSpans())}`;
    throw error;
  }
}

function expectTreeSpans(tree: { parent: string; children: string[] }, jobsInProcess: boolean): void {
  const spans = exporter.getFinishedSpans();
  const byId = new Map(spans.map((span) => [spanId(span), span]));
  // The asker had no trace: the intake of the parent's POST /questions is the root.
  const roots = spans.filter((span) => span.name === "question-intake POST /questions" && parentId(span) === undefined);
  const root = only(roots, "one question asked without a trace");
  const traceId = root.spanContext().traceId;
  const questions = [tree.parent, ...tree.children];
  const ofTree = spans.filter((span) => questions.includes(String(questionOf(span))));
  expect(new Set(ofTree.map((span) => span.spanContext().traceId))).toEqual(new Set([traceId]));

  const childIntakes = spans.filter(
    (span) =>
      span.name === "question-intake POST /questions" && span !== root && span.spanContext().traceId === traceId,
  );
  expect(childIntakes).toHaveLength(2);
  for (const question of questions) {
    const validator = only(spansOf(spans, question, "twine-validator"), `the validation of ${question}`);
    const launcher = only(spansOf(spans, question, "kueue-launcher"), `the launch of ${question}`);
    const queued = only(spansOf(spans, question, "job queued"), `the time ${question} was queued`);
    const job = only(spansOf(spans, question, "job"), `the job of ${question}`);
    // Each step is the child of the one that published its message.
    const intake = byId.get(parentId(validator) ?? "");
    expect(intake?.name).toBe("question-intake POST /questions");
    if (question === tree.parent) expect(intake).toBe(root);
    else expect(childIntakes).toContain(intake);
    expect(parentId(launcher)).toBe(spanId(validator));
    expect(parentId(queued)).toBe(spanId(launcher));
    expect(parentId(job)).toBe(spanId(launcher));
    const forwarded = spansOf(spans, question, "answer-forwarder");
    expect(forwarded.length).toBeGreaterThan(0);
    if (jobsInProcess) {
      const runner = only(spansOf(spans, question, "runner"), `the runner of ${question}`);
      expect(parentId(runner)).toBe(spanId(job));
      // Every event the job sent (acknowledgement, heartbeats, logs, result) is forwarded in the runner's trace.
      for (const span of forwarded) expect(parentId(span)).toBe(spanId(runner));
      if (question === tree.parent) {
        for (const intake of childIntakes) expect(parentId(intake)).toBe(spanId(runner));
      }
    } else if (question === tree.parent) {
      // The job's process has no SDK of its own here: its context is the one it was handed, the job's span.
      for (const intake of childIntakes) expect(parentId(intake)).toBe(spanId(job));
    }
  }
}

describe("one trace per question tree, on the embedded network", () => {
  it("traces a parent and its two children as one tree, jobs in the network's process", async () => {
    const network = await startTracedNetwork({ jobs: "in-process" });
    try {
      const tree = await askParent(network.url, true);
      expectOneTrace(tree, true);
    } finally {
      await network.close();
    }
  }, 120_000);

  it("hands the trace to jobs in processes of their own, whose child questions join it", async () => {
    const network = await startTracedNetwork({ jobs: "process" });
    try {
      const tree = await askParent(network.url, false);
      expectOneTrace(tree, false);
    } finally {
      await network.close();
    }
  }, 120_000);
});

describe("the embedded network's event sink", () => {
  it("keeps each event's own trace, though events emitted in one turn are published as one batch", async () => {
    const network = await startEmbeddedNetwork({
      dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-traces-")),
      databasePath: ":memory:",
    });
    try {
      await network.bus.ensureSubscription("probe", network.topics.services);
      const received: Record<string, string>[] = [];
      const subscriber = network.bus.subscribe("probe", async (message) => {
        received.push({ ...message.attributes });
      });
      const question = createQuestionAttributes({ sender: "testing/a:1.0.0", recipient: "testing/b:1.0.0" });
      const heartbeat = () =>
        ({
          event: { kind: "heartbeat" },
          attributes: renewEventIdentity(deriveResponseAttributes(question)),
        }) as ChildEventEnvelope;
      const traceparents = [`00-${"a".repeat(32)}-${"1".repeat(16)}-01`, `00-${"b".repeat(32)}-${"2".repeat(16)}-01`];
      await Promise.all(
        traceparents.map((traceparent) =>
          context.with(contextFromAttributes({ [TRACE_ATTRIBUTE]: traceparent }), () =>
            network.events.emit(heartbeat()),
          ),
        ),
      );
      await waitFor(() => received.length === 2);
      await subscriber.close();
      expect(received.map((attributes) => attributes[TRACE_ATTRIBUTE])).toEqual(traceparents);
    } finally {
      await network.close();
    }
  });
});

describeWithEmulators("one trace per question tree, on Pub/Sub and Firestore (emulators)", (info) => {
  it("traces a parent and its two children as one tree through Pub/Sub's googclient_traceparent", async () => {
    const environment = `t${randomBytes(4).toString("hex")}`;
    const network = await startTracedNetwork({
      environment,
      eventBus: new PubSubEventBus({ projectId: info.projectId }),
      stores: openFirestoreStores({ projectId: info.projectId, collectionPrefix: environment }),
      storage: () => emulatorStorage(info.projectId, `${environment}-twined`),
    });
    try {
      const tree = await askParent(network.url, true);
      expectOneTrace(tree, true);
    } finally {
      await network.close();
    }
  }, 180_000);
});
