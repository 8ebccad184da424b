import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTracing, type Tracing } from "../../../../platform/tracing.js";
import { InMemoryEventBus } from "../../../../shared/adapters/embedded/in-memory-event-bus/in-memory-event-bus.js";
import { openSqliteStores } from "../../../../shared/adapters/embedded/sqlite/index.js";
import { questionsApi } from "../../../../shared/control-plane/http/apps.js";
import { topicNames } from "../../../../shared/control-plane/index.js";
import { QuestionIntake } from "../../../../shared/control-plane/question-intake/handler.js";
import { createQuestionAttributes, encodeEvent, type ParentAttributes } from "../../../../shared/events/index.js";
import type { BusMessage } from "../../../../shared/ports/index.js";
import { inSpan, TRACEPARENT_HEADER } from "../../../../shared/tracing/index.js";

/*
 * Each question keeps the ID of the trace it was asked in, and the API shows it as `trace_id`. Tracing is a process's
 * global state: the first describe runs before it is started (no trace ID), the second after.
 */

const stores = openSqliteStores(":memory:");
const bus = new InMemoryEventBus();
const topics = topicNames("tracetest");
const exporter = new InMemorySpanExporter();
const intake = new QuestionIntake({ questions: stores.questions, revisions: stores.revisions, bus, topics });
const TRACE_ID = /^[0-9a-f]{32}$/;
let server: Server;
let base: string;
let tracing: Tracing | undefined;

beforeAll(async () => {
  for (const topic of Object.values(topics)) await bus.ensureTopic(topic);
  await stores.revisions.register(
    { namespace: "tests", name: "traced", revisionTag: "1.0.0", twine: {}, source: { kind: "image", image: "x" } },
    { makeDefault: true },
  );
  server = questionsApi({ intake, questions: stores.questions, publishEvent: async () => {} }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await tracing?.shutdown();
  await new Promise((resolve) => server.close(resolve));
  await bus.close();
  await stores.close();
});

interface QuestionJson {
  readonly question_uuid: string;
  readonly trace_id?: string;
}

async function ask(
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ question: QuestionJson; traceparent: string | null }> {
  const response = await fetch(`${base}/questions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ recipient: "tests/traced", input_values: {}, ...body }),
  });
  expect(response.status).toBe(202);
  const { question_uuid } = (await response.json()) as QuestionJson;
  // The answer to POST says only which question; its trace ID is in the question as the API shows it.
  const question = (await (await fetch(`${base}/questions/${question_uuid}`)).json()) as QuestionJson;
  return { question, traceparent: response.headers.get(TRACEPARENT_HEADER) };
}

async function shown(questionUuid: string): Promise<{ one: QuestionJson; listed: QuestionJson | undefined }> {
  const one = (await (await fetch(`${base}/questions/${questionUuid}`)).json()) as QuestionJson;
  const list = (await (await fetch(`${base}/questions?limit=100`)).json()) as { questions: QuestionJson[] };
  return { one, listed: list.questions.find((question) => question.question_uuid === questionUuid) };
}

/** A question for tests/traced as the services topic delivers it. */
function delivered(attributes: ParentAttributes): BusMessage {
  const encoded = encodeEvent({ event: { kind: "question", input_values: {} }, attributes });
  return { ...encoded, id: randomUUID(), publishTime: new Date(), deliveryAttempt: 1 };
}

describe("a question asked on a network that does not trace", () => {
  it("has no trace ID, even when its asker sends a traceparent", async () => {
    const { question } = await ask({}, { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" });
    expect(question).not.toHaveProperty("trace_id");
    const { one, listed } = await shown(question.question_uuid);
    expect(one).not.toHaveProperty("trace_id");
    expect(listed).not.toHaveProperty("trace_id");
    expect(await stores.questions.get(question.question_uuid)).not.toHaveProperty("traceId");
  });
});

describe("a question asked on a network that traces", () => {
  beforeAll(async () => {
    tracing = await startTracing({ serviceName: "twined-test", spanProcessors: [new SimpleSpanProcessor(exporter)] });
  });

  it("keeps the trace of its intake span, and the API shows it in the question and the list", async () => {
    const { question, traceparent } = await ask();
    expect(question.trace_id).toMatch(TRACE_ID);
    // The response names the intake's span, whose trace the question keeps.
    expect(traceparent?.split("-")[1]).toBe(question.trace_id);
    expect(await stores.questions.get(question.question_uuid)).toMatchObject({ traceId: question.trace_id });
    const { one, listed } = await shown(question.question_uuid);
    expect(one.trace_id).toBe(question.trace_id);
    expect(listed?.trace_id).toBe(question.trace_id);
    const intakeSpan = exporter.getFinishedSpans().find((span) => span.name === "question-intake POST /questions");
    expect(intakeSpan?.spanContext().traceId).toBe(question.trace_id);
  });

  it("joins its asker's trace when the asker sends a traceparent", async () => {
    const { question } = await ask({}, { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" });
    expect(question.trace_id).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
  });

  it("keeps its first trace ID when it is asked again with the same UUID", async () => {
    const questionUuid = randomUUID();
    const first = await ask({ question_uuid: questionUuid });
    const again = await ask(
      { question_uuid: questionUuid },
      { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
    );
    expect(first.question.trace_id).toMatch(TRACE_ID);
    expect(again.question.trace_id).toBe(first.question.trace_id);
    expect((await shown(questionUuid)).one.trace_id).toBe(first.question.trace_id);
  });

  it("keeps the trace of the span it arrives in from the services topic", async () => {
    const attributes = createQuestionAttributes({ sender: "tests/asker:1.0.0", recipient: "tests/traced" });
    const traceId = await inSpan("question-intake", {}, async (span) => {
      await intake.handleServicesMessage(delivered(attributes));
      return span.spanContext().traceId;
    });
    expect(traceId).toMatch(TRACE_ID);
    expect((await stores.questions.get(attributes.question_uuid))?.traceId).toBe(traceId);
  });

  it("has no trace ID when it is asked outside any span", async () => {
    const attributes = createQuestionAttributes({ sender: "tests/asker:1.0.0", recipient: "tests/traced" });
    await intake.handleServicesMessage(delivered(attributes));
    expect(await stores.questions.get(attributes.question_uuid)).not.toHaveProperty("traceId");
  });
});
