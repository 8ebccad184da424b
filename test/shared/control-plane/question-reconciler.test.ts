import { describe, expect, it } from "vitest";
import { InMemoryEventBus } from "../../../shared/adapters/embedded/in-memory-event-bus/in-memory-event-bus.js";
import { openSqliteStores } from "../../../shared/adapters/embedded/sqlite/index.js";
import { decodeQuestionReference, topicNames } from "../../../shared/control-plane/index.js";
import { QuestionReconciler } from "../../../shared/control-plane/question-reconciler/handler.js";
import {
  decodeEvent,
  deriveResponseAttributes,
  type EventEnvelope,
  renewEventIdentity,
} from "../../../shared/events/index.js";
import type { JobObservation, JobPhase, ObservableJobLauncher } from "../../../shared/ports/index.js";
import type { QuestionStatus } from "../../../shared/questions/index.js";
import { storeQuestion } from "../../support/stored-question.js";
import { waitFor } from "../../support/wait-for.js";

/**
 * A launcher whose jobs are whatever the test says they are: the reconciler's decisions are what is under test here;
 * the Kueue launcher's own observations are tested against the fake API server.
 */
class ScriptedLauncher implements ObservableJobLauncher {
  readonly jobs = new Map<string, JobObservation & { endedAt?: string }>();
  readonly released: string[] = [];
  async launch() {
    return { launched: true };
  }
  async cancel() {
    return false;
  }
  phase(): JobPhase | undefined {
    return undefined;
  }
  async close() {}
  async observeJobs() {
    return new Map(this.jobs);
  }
  async release(questionUuid: string) {
    this.released.push(questionUuid);
    return this.jobs.delete(questionUuid);
  }
}

async function setUp(options: { relaunches?: boolean } = {}) {
  const stores = openSqliteStores(":memory:");
  const bus = new InMemoryEventBus();
  const topics = topicNames("test");
  await bus.ensureTopic(topics.services);
  await bus.ensureSubscription("asker", topics.services);
  const toAsker: EventEnvelope[] = [];
  bus.subscribe("asker", (message) => {
    toAsker.push(decodeEvent({ data: message.data, attributes: message.attributes }));
  });
  // What the reconciler sends on to the validator and the launcher, by topic.
  const sentOn: { topic: string; questionUuid: string }[] = [];
  for (const topic of [topics.accepted, topics.validated]) {
    await bus.ensureTopic(topic);
    await bus.ensureSubscription(`${topic}.test`, topic);
    bus.subscribe(`${topic}.test`, (message) => {
      sentOn.push({ topic, questionUuid: decodeQuestionReference(message.data).question_uuid });
    });
  }
  const relaunched: string[] = [];
  const launcher = new ScriptedLauncher();
  // The store stamps status times with the real clock, so the reconciler's starts from it and is moved on by hand.
  let now = Date.now();
  const reconciler = new QuestionReconciler({
    questions: stores.questions,
    bus,
    topics,
    launcher,
    settings: {
      finalEventGraceSeconds: 30,
      launchGraceSeconds: 120,
      heartbeatLimitSeconds: 600,
      stallGraceSeconds: 60,
    },
    now: () => now,
    ...(options.relaunches === true
      ? { relaunch: async (questionUuid: string) => void relaunched.push(questionUuid) }
      : {}),
  });
  const ask = async (status: QuestionStatus = "dispatched") => {
    const attributes = await storeQuestion(stores.questions, { sender: "octue/asker:1.0.0" });
    if (status === "received") return attributes;
    for (const next of ["validated", "dispatched", "queued", "running"] as const) {
      await stores.questions.transition(attributes.question_uuid, next);
      if (next === status) break;
    }
    return attributes;
  };
  return {
    stores,
    launcher,
    reconciler,
    ask,
    toAsker,
    sentOn,
    relaunched,
    topics,
    secondsAgo: (seconds: number) => new Date(now - seconds * 1000).toISOString(),
    later: (seconds: number) => {
      now += seconds * 1000;
    },
    async close() {
      await bus.close();
      await stores.close();
    },
  };
}

describe("QuestionReconciler", () => {
  it("moves questions along as their jobs are admitted and start", async () => {
    const network = await setUp();
    const queued = await network.ask();
    const started = await network.ask();
    network.launcher.jobs.set(queued.question_uuid, { state: "queued", position: 3 });
    network.launcher.jobs.set(started.question_uuid, { state: "running" });
    const report = await network.reconciler.reconcile();
    expect(report.moved).toEqual(
      expect.arrayContaining([
        { questionUuid: queued.question_uuid, to: "queued" },
        { questionUuid: started.question_uuid, to: "running" },
      ]),
    );
    expect((await network.stores.questions.get(queued.question_uuid))?.status).toBe("queued");
    expect((await network.stores.questions.get(started.question_uuid))?.status).toBe("running");
    // A second pass with nothing new changes nothing.
    expect((await network.reconciler.reconcile()).moved).toEqual([]);
    await network.close();
  });

  it.each([
    ["OutOfMemory", "the service ran out of memory and was killed (exit code 137)"],
    ["Evicted", "Kueue evicted the job (Preempted)"],
    ["ImageUnavailable", "the service's image x could not be pulled (ImagePullBackOff)"],
  ])("fails a question whose job died (%s), tells the asker why and removes the job", async (type, message) => {
    const network = await setUp();
    const question = await network.ask("running");
    network.launcher.jobs.set(question.question_uuid, { state: "failed", failure: { type, message } });
    const report = await network.reconciler.reconcile();
    expect(report.failed).toEqual([{ questionUuid: question.question_uuid, type, message }]);
    const stored = await network.stores.questions.get(question.question_uuid);
    expect(stored?.status).toBe("failed");
    expect(stored?.error).toMatchObject({ type });
    await waitFor(() => network.toAsker.length === 1);
    const [exception] = network.toAsker;
    expect(exception?.event).toMatchObject({ kind: "exception", exception_type: type });
    expect(exception?.attributes).toMatchObject({
      question_uuid: question.question_uuid,
      recipient: "octue/asker:1.0.0",
      sender_type: "CHILD",
    });
    expect(JSON.stringify(exception?.event)).toContain(message);
    expect(network.launcher.released).toEqual([question.question_uuid]);
    // Reconciling again neither fails it twice nor sends a second exception.
    expect((await network.reconciler.reconcile()).failed).toEqual([]);
    expect(network.toAsker).toHaveLength(1);
    await network.close();
  });

  it("gives an ended job's final event time to arrive before failing its question", async () => {
    const network = await setUp();
    const question = await network.ask("running");
    network.launcher.jobs.set(question.question_uuid, { state: "succeeded", endedAt: network.secondsAgo(5) });
    expect((await network.reconciler.reconcile()).failed).toEqual([]);
    network.later(60);
    const report = await network.reconciler.reconcile();
    expect(report.failed).toMatchObject([{ questionUuid: question.question_uuid, type: "ServiceCrashed" }]);
    await network.close();
  });

  it("leaves answered questions alone, whatever their jobs look like", async () => {
    const network = await setUp();
    const question = await network.ask("running");
    await network.stores.questions.transition(question.question_uuid, "succeeded", { answer: { output_values: 1 } });
    network.launcher.jobs.set(question.question_uuid, {
      state: "failed",
      failure: { type: "JobFailed", message: "x" },
    });
    const report = await network.reconciler.reconcile();
    expect(report).toEqual({ examined: 0, moved: [], failed: [], resumed: [] });
    expect((await network.stores.questions.get(question.question_uuid))?.status).toBe("succeeded");
    await network.close();
  });

  it("fails a question whose job vanished, once a launch could no longer be on its way", async () => {
    const network = await setUp();
    const launching = await network.ask("dispatched");
    const deleted = await network.ask("running");
    network.later(1);
    // The dispatched question's Job may not exist yet; the running one's did, and is gone.
    expect((await network.reconciler.reconcile()).failed).toMatchObject([
      { questionUuid: deleted.question_uuid, type: "JobDeleted" },
    ]);
    network.later(121);
    const report = await network.reconciler.reconcile();
    expect(report.failed).toMatchObject([{ questionUuid: launching.question_uuid, type: "JobDeleted" }]);
    await network.close();
  });

  it("fails a running question whose heartbeats stopped, but not one that is only queued", async () => {
    const network = await setUp();
    const running = await network.ask("running");
    const waiting = await network.ask("queued");
    network.launcher.jobs.set(running.question_uuid, { state: "running" });
    network.launcher.jobs.set(waiting.question_uuid, { state: "queued" });
    await network.stores.questions.appendEvent({
      event: { kind: "heartbeat" },
      attributes: renewEventIdentity(deriveResponseAttributes(running)),
    });
    network.later(300);
    expect((await network.reconciler.reconcile()).failed).toEqual([]);
    network.later(3600);
    const report = await network.reconciler.reconcile();
    expect(report.failed).toMatchObject([{ questionUuid: running.question_uuid, type: "HeartbeatsStopped" }]);
    expect((await network.stores.questions.get(waiting.question_uuid))?.status).toBe("queued");
    await network.close();
  });

  it("sends on a question stuck received or validated, again after a doubling wait, until it moves", async () => {
    const network = await setUp();
    const received = await network.ask("received");
    const validated = await network.ask("validated");
    // A second over, as the store stamped the questions with the real clock just after the test's clock started.
    network.later(31);
    expect((await network.reconciler.reconcile()).resumed).toEqual([]);
    const sentAt: number[] = [];
    // Passes every 30 s for 8 minutes: sent at the grace (60 s), then after 60 s, 120 s and 240 s more.
    for (let second = 60; second <= 510; second += 30) {
      network.later(30);
      const report = await network.reconciler.reconcile();
      if (report.resumed.length > 0) {
        expect(report.resumed).toEqual([
          { questionUuid: received.question_uuid, from: "received" },
          { questionUuid: validated.question_uuid, from: "validated" },
        ]);
        sentAt.push(second);
      }
    }
    expect(sentAt).toEqual([60, 120, 240, 480]);
    await waitFor(() => network.sentOn.length === 8);
    const sends = (topic: string, questionUuid: string) =>
      network.sentOn.filter((sent) => sent.topic === topic && sent.questionUuid === questionUuid).length;
    expect(sends(network.topics.accepted, received.question_uuid)).toBe(4);
    expect(sends(network.topics.validated, validated.question_uuid)).toBe(4);
    // Once it moves on, its wait starts afresh at its new status.
    await network.stores.questions.transition(received.question_uuid, "validated");
    network.later(60);
    expect((await network.reconciler.reconcile()).resumed).toEqual([
      { questionUuid: received.question_uuid, from: "validated" },
    ]);
    await network.close();
  });

  it("launches again a question whose launch was lost or whose job went before it ran, and fails one that ran", async () => {
    const network = await setUp({ relaunches: true });
    const launching = await network.ask("dispatched");
    const waiting = await network.ask("queued");
    const running = await network.ask("running");
    network.later(1);
    const first = await network.reconciler.reconcile();
    // The queued question's Job was seen and is gone: nothing ran, so it is launched again at once. The dispatched
    // one's launch may still be on its way.
    expect(first.resumed).toEqual([{ questionUuid: waiting.question_uuid, from: "queued" }]);
    expect(first.failed).toMatchObject([{ questionUuid: running.question_uuid, type: "JobDeleted" }]);
    network.later(120);
    expect((await network.reconciler.reconcile()).resumed).toEqual([
      { questionUuid: launching.question_uuid, from: "dispatched" },
      { questionUuid: waiting.question_uuid, from: "queued" },
    ]);
    // Not again until twice the launch grace has passed.
    network.later(60);
    expect((await network.reconciler.reconcile()).resumed).toEqual([]);
    expect(network.relaunched).toEqual([waiting.question_uuid, launching.question_uuid, waiting.question_uuid]);
    // A job that now exists stops the relaunches.
    network.launcher.jobs.set(launching.question_uuid, { state: "queued", position: 0 });
    network.launcher.jobs.set(waiting.question_uuid, { state: "queued", position: 1 });
    network.later(600);
    expect((await network.reconciler.reconcile()).resumed).toEqual([]);
    expect((await network.stores.questions.get(launching.question_uuid))?.status).toBe("queued");
    await network.close();
  });
});
