import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RevisionNotFound } from "../../shared/errors/index.js";
import type { ExceptionEvent } from "../../shared/events/index.js";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../shared/platform/embedded-network.js";
import type { QuestionRecord } from "../../shared/ports/index.js";
import { waitFor } from "../support/wait-for.js";

let network: EmbeddedNetwork | undefined;

afterEach(async () => {
  await network?.close();
  network = undefined;
});

async function start(options: Parameters<typeof startEmbeddedNetwork>[0] = {}): Promise<EmbeddedNetwork> {
  network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-network-")),
    databasePath: ":memory:",
    cpuQuota: 2,
    ...options,
  });
  return network;
}

/** Registers a copy of an example service folder as a revision. */
async function register(network: EmbeddedNetwork, example: string, name: string, tag: string, makeDefault = true) {
  const directory = path.join(mkdtempSync(path.join(tmpdir(), "twined-revision-")), name);
  cpSync(path.resolve("examples", example), directory, { recursive: true });
  const twine = JSON.parse(readFileSync(path.join(directory, "twine.json"), "utf8")) as Record<string, unknown>;
  return network.revisions.register(
    { namespace: "examples", name, revisionTag: tag, twine, source: { kind: "directory", path: directory } },
    { makeDefault },
  );
}

async function settled(network: EmbeddedNetwork, questionUuid: string): Promise<QuestionRecord> {
  let question: QuestionRecord | undefined;
  await waitFor(
    async () => {
      question = await network.questions.get(questionUuid);
      return (
        question !== undefined &&
        ["succeeded", "failed", "cancelled", "timed_out", "rejected"].includes(question.status)
      );
    },
    { timeoutMs: 30_000, description: `question ${questionUuid} to end` },
  );
  return question as QuestionRecord;
}

const locations = {
  locations: [
    { longitude: 0, latitude: 0 },
    { longitude: 1, latitude: 1 },
  ],
};

describe("the embedded network", () => {
  it("answers a question asked of a service's default revision, recording its events in order", async () => {
    const net = await start();
    await register(net, "child-services/elevation", "elevation", "0.1.0");
    const asked = await net.intake.ask({ recipient: "examples/elevation", input_values: locations });
    expect(asked).toMatchObject({ recipient: "examples/elevation:0.1.0", status: "received" });
    const question = await settled(net, asked.questionUuid);
    expect(question.status).toBe("succeeded");
    expect(question.answer).toEqual({ output_values: [3542, 548] });
    expect(Object.keys(question.statusTimes)).toEqual(
      expect.arrayContaining(["received", "validated", "dispatched", "running", "succeeded"]),
    );
    const events = await net.questions.events({ questionUuid: asked.questionUuid });
    expect(events.map((each) => each.sequence)).toEqual(events.map((_, index) => index + 1));
    expect(events[0]?.envelope.event.kind).toBe("delivery_acknowledgement");
    expect(events.at(-1)?.envelope.event.kind).toBe("result");
  }, 60_000);

  it("rejects invalid inputs at once, answering the asker without running anything", async () => {
    const net = await start();
    await register(net, "child-services/elevation", "elevation", "0.1.0");
    const asked = await net.intake.ask({ recipient: "examples/elevation:0.1.0", input_values: { locations: "here" } });
    const question = await settled(net, asked.questionUuid);
    expect(question.status).toBe("rejected");
    expect(question.error?.type).toBe("InvalidValuesContents");
    await waitFor(async () => (await net.questions.events({ questionUuid: asked.questionUuid })).length > 0);
    const [event] = await net.questions.events({ questionUuid: asked.questionUuid });
    expect((event?.envelope.event as ExceptionEvent | undefined)?.exception_message).toMatch(/at \/locations/);
    expect(net.launcher.phase(asked.questionUuid)).toBeUndefined();
  }, 30_000);

  it("refuses a question for an unknown revision immediately", async () => {
    const net = await start();
    await expect(net.intake.ask({ recipient: "examples/nothing" })).rejects.toThrow(RevisionNotFound);
    await register(net, "child-services/elevation", "elevation", "0.1.0");
    await expect(net.intake.ask({ recipient: "examples/elevation:9.9.9" })).rejects.toThrow(/no such revision/);
  });

  it("runs each question once and ends it once when every message is delivered twice, shuffled", async () => {
    const starts: string[] = [];
    const net = await start({ bus: { duplicateDeliveries: true, shuffle: true } });
    await register(net, "child-services/wind-speed", "wind-speed", "0.1.0");
    const original = net.launcher.launch.bind(net.launcher);
    net.launcher.launch = async (spec) => {
      const outcome = await original(spec);
      if (outcome.launched) starts.push(spec.question.attributes.question_uuid);
      return outcome;
    };
    const asked = await Promise.all(
      [1, 2, 3].map(() => net.intake.ask({ recipient: "examples/wind-speed", input_values: locations })),
    );
    for (const each of asked) expect((await settled(net, each.questionUuid)).status).toBe("succeeded");
    expect(starts.sort()).toEqual(asked.map((each) => each.questionUuid).sort());
    for (const each of asked) {
      const events = await net.questions.events({ questionUuid: each.questionUuid });
      expect(events.filter((event) => event.envelope.event.kind === "result")).toHaveLength(1);
      expect(new Set(events.map((event) => event.envelope.attributes.uuid)).size).toBe(events.length);
    }
  }, 90_000);

  it("returns the existing question when the same question UUID is asked again", async () => {
    const net = await start();
    await register(net, "child-services/elevation", "elevation", "0.1.0");
    const body = {
      recipient: "examples/elevation",
      input_values: locations,
      question_uuid: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    };
    const first = await net.intake.ask(body);
    const second = await net.intake.ask(body);
    expect(second.questionUuid).toBe(first.questionUuid);
    expect((await settled(net, first.questionUuid)).status).toBe("succeeded");
    expect(await net.questions.list({ recipient: "examples/elevation:0.1.0" })).toHaveLength(1);
  }, 60_000);

  it("cancels a question while it runs", async () => {
    const net = await start();
    await register(net, "fractal", "fractal", "0.1.0");
    const asked = await net.intake.ask({ recipient: "examples/fractal" });
    await waitFor(async () => (await net.questions.get(asked.questionUuid))?.status === "running", {
      timeoutMs: 20_000,
    });
    await net.intake.cancel(asked.questionUuid, "changed my mind");
    const question = await settled(net, asked.questionUuid);
    expect(question.status).toBe("cancelled");
    expect(question.error?.message).toMatch(/changed my mind/);
  }, 60_000);

  it("cancels a question while it waits for quota, without ever running it", async () => {
    const net = await start({ cpuQuota: 1 });
    await register(net, "fractal", "fractal", "0.1.0");
    const running = await net.intake.ask({ recipient: "examples/fractal" });
    const waiting = await net.intake.ask({ recipient: "examples/fractal" });
    await waitFor(async () => (await net.questions.get(waiting.questionUuid))?.status === "queued", {
      timeoutMs: 20_000,
    });
    await net.intake.cancel(waiting.questionUuid, "not needed any more");
    const cancelled = await settled(net, waiting.questionUuid);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.statusTimes.running).toBeUndefined();
    await waitFor(async () => (await net.questions.events({ questionUuid: waiting.questionUuid })).length > 0);
    const [event] = await net.questions.events({ questionUuid: waiting.questionUuid });
    expect(event?.envelope.event).toMatchObject({ kind: "exception", exception_type: "QuestionCancelled" });
    await net.intake.cancel(running.questionUuid);
    expect((await settled(net, running.questionUuid)).status).toBe("cancelled");
  }, 60_000);

  it("stops a question at its deadline", async () => {
    const net = await start();
    await register(net, "fractal", "fractal", "0.1.0");
    const asked = await net.intake.ask({ recipient: "examples/fractal", timeout_seconds: 1 });
    const question = await settled(net, asked.questionUuid);
    expect(question.status).toBe("timed_out");
    expect(question.error?.type).toBe("QuestionTimedOut");
  }, 60_000);
});
