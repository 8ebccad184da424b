/**
 * Throughput of the embedded control plane: questions per second through intake → twine validator → launcher →
 * answer forwarder, with jobs that answer at once, against the floor of the same store writes done directly (no bus,
 * no handlers), in one run. Also the per-question latency (received → succeeded), p50 and p99.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startEmbeddedNetwork } from "../platform/embedded-network.js";
import { openSqliteStores } from "../shared/adapters/embedded/sqlite/index.js";
import { createQuestionAttributes, deriveResponseAttributes, renewEventIdentity } from "../shared/events/index.js";
import { InstantJobs, percentile } from "./support.js";

const QUESTIONS = 300;
const TWINE = { input_values_schema: { type: "object", required: ["n"] }, output_values_schema: {} };

async function pipeline(): Promise<{ perSecond: number; p50: number; p99: number }> {
  const directory = mkdtempSync(path.join(tmpdir(), "twined-bench-pipeline-"));
  const network = await startEmbeddedNetwork({
    dataDirectory: directory,
    launcher: (sink, observer) => new InstantJobs(sink, observer),
  });
  await network.revisions.register(
    { namespace: "bench", name: "noop", revisionTag: "1", twine: TWINE, source: { kind: "image", image: "none" } },
    { makeDefault: true },
  );
  const start = performance.now();
  const asked = await Promise.all(
    Array.from({ length: QUESTIONS }, (_, n) => network.intake.ask({ recipient: "bench/noop", input_values: { n } })),
  );
  for (;;) {
    const done = await network.questions.list({ status: "succeeded", limit: QUESTIONS });
    if (done.length === QUESTIONS) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const elapsed = performance.now() - start;
  const latencies: number[] = [];
  for (const { questionUuid } of asked) {
    const question = await network.questions.get(questionUuid);
    const times = question?.statusTimes;
    if (times?.received !== undefined && times.succeeded !== undefined) {
      latencies.push(Date.parse(times.succeeded) - Date.parse(times.received));
    }
  }
  await network.close();
  return { perSecond: (QUESTIONS / elapsed) * 1000, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

/** The same persistence work per question, done directly: create, four transitions, two events. */
async function storeFloor(): Promise<number> {
  const stores = openSqliteStores(path.join(mkdtempSync(path.join(tmpdir(), "twined-bench-store-")), "db.sqlite"));
  const start = performance.now();
  for (let n = 0; n < QUESTIONS; n++) {
    const attributes = createQuestionAttributes({ sender: "local/local:local", recipient: "bench/noop:1" });
    const uuid = attributes.question_uuid;
    await stores.questions.create({
      questionUuid: uuid,
      recipient: attributes.recipient,
      sender: attributes.sender,
      parentQuestionUuid: undefined,
      originatorQuestionUuid: uuid,
      question: { kind: "question", input_values: { n } },
      attributes,
      pushEndpoint: undefined,
      timeoutSeconds: undefined,
      priority: 0,
      resources: { cpus: 1 },
    });
    for (const status of ["validated", "dispatched", "running"] as const)
      await stores.questions.transition(uuid, status);
    const response = deriveResponseAttributes(attributes);
    await stores.questions.appendEvent({
      event: { kind: "delivery_acknowledgement" },
      attributes: renewEventIdentity(response),
    });
    await stores.questions.appendEvent({
      event: { kind: "result", output_values: {} },
      attributes: renewEventIdentity(response),
    });
    await stores.questions.transition(uuid, "succeeded", { answer: { output_values: {} } });
  }
  const elapsed = performance.now() - start;
  await stores.close();
  return (QUESTIONS / elapsed) * 1000;
}

export async function benchPipeline(): Promise<Record<string, unknown>> {
  const floor = await storeFloor();
  const measured = await pipeline();
  return {
    questions: QUESTIONS,
    pipelineQuestionsPerSecond: Math.round(measured.perSecond),
    storeFloorQuestionsPerSecond: Math.round(floor),
    pipelineOverStoreFloor: Math.round((measured.perSecond / floor) * 100) / 100,
    latencyMs: { p50: measured.p50, p99: measured.p99 },
    note: "jobs answer instantly: the latency is all control plane (store, bus, four handlers), with all questions asked at once",
  };
}
