import { afterEach, describe, expect, it } from "vitest";
import { cloudLoggingLogger } from "../../../../shared/adapters/google/cloud-logging/index.js";
import { topicNames } from "../../../../shared/control-plane/index.js";
import { QuestionReconciler } from "../../../../shared/control-plane/question-reconciler/handler.js";
import {
  type EventBus,
  type JobLauncher,
  processLogger,
  type QuestionRecord,
  type QuestionStore,
  useProcessLogger,
} from "../../../../shared/ports/index.js";

const QUESTION = "8b7c4e6f-1d2a-4f3b-9c8d-7e6f5a4b3c2d";

/** A question stuck `received` for an hour, whose message cannot be sent on: the bus is down. */
function failingReconciler(log?: ReturnType<typeof cloudLoggingLogger>) {
  const stuck = {
    questionUuid: QUESTION,
    status: "received",
    statusTimes: { received: new Date(Date.now() - 3_600_000).toISOString() },
    updatedAt: new Date(Date.now() - 3_600_000).toISOString(),
  } as unknown as QuestionRecord;
  const questions = {
    list: async ({ status }: { status: string }) => (status === "received" ? [stuck] : []),
  } as unknown as QuestionStore;
  const bus = {
    publish: async () => {
      throw new Error("Pub/Sub is unavailable");
    },
  } as unknown as EventBus;
  const launcher = {} as JobLauncher;
  return new QuestionReconciler({
    questions,
    bus,
    topics: topicNames("test"),
    launcher,
    ...(log === undefined ? {} : { log }),
  });
}

const original = processLogger();
afterEach(() => {
  useProcessLogger(original);
});

describe("the question reconciler's log", () => {
  it("logs a question's trouble as an ERROR labelled with the question, to the logger it is given", async () => {
    const lines: string[] = [];
    const log = cloudLoggingLogger({ stream: { write: (text: string) => lines.push(text) } });
    const report = await failingReconciler(log).reconcile();
    expect(report.examined).toBe(1);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        severity: "ERROR",
        message: expect.stringContaining("Pub/Sub is unavailable"),
        "logging.googleapis.com/labels": { question_uuid: QUESTION },
      }),
    ]);
  });

  it("logs to the process's logger when it is given none", async () => {
    const lines: string[] = [];
    useProcessLogger(cloudLoggingLogger({ stream: { write: (text: string) => lines.push(text) } }));
    await failingReconciler().reconcile();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ severity: "ERROR" });
  });
});
