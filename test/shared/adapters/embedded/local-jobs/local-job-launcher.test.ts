import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { InProcessJobExecutor } from "../../../../../runtime/jobs/in-process-job-executor.js";
import { LocalJobLauncher, ProcessJobExecutor } from "../../../../../shared/adapters/embedded/local-jobs/index.js";
import type { ChildEventEnvelope, ExceptionEvent } from "../../../../../shared/events/index.js";
import { createQuestionAttributes } from "../../../../../shared/events/index.js";
import { definedProperties } from "../../../../../shared/objects/index.js";
import type { EventSink, JobExecutor, JobSpec, RevisionRecord } from "../../../../../shared/ports/index.js";

class Sink implements EventSink {
  readonly events: ChildEventEnvelope[] = [];
  private waiters: (() => void)[] = [];
  async emit(envelope: ChildEventEnvelope): Promise<void> {
    this.events.push(envelope);
    for (const wake of this.waiters.splice(0)) wake();
  }
  of(questionUuid: string): ChildEventEnvelope[] {
    return this.events.filter((envelope) => envelope.attributes.question_uuid === questionUuid);
  }
  /** Waits until the question has its final event, and returns it. */
  async final(questionUuid: string): Promise<ChildEventEnvelope> {
    for (;;) {
      const final = this.of(questionUuid).find((each) => ["result", "exception"].includes(each.event.kind));
      if (final !== undefined) return final;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

function service(app: string): RevisionRecord {
  const directory = mkdtempSync(path.join(tmpdir(), "twined-job-"));
  writeFileSync(path.join(directory, "octue.yaml"), "services:\n  - namespace: testing\n    name: job\n");
  writeFileSync(
    path.join(directory, "twine.json"),
    JSON.stringify({ input_values_schema: {}, output_values_schema: {} }),
  );
  writeFileSync(path.join(directory, "app.py"), app);
  return {
    namespace: "testing",
    name: "job",
    revisionTag: "1.0.0",
    sruid: "testing/job:1.0.0",
    twine: {},
    source: { kind: "directory", path: directory },
    isDefault: true,
    registeredAt: new Date().toISOString(),
  };
}

function job(revision: RevisionRecord, options: Partial<JobSpec> & { input?: unknown } = {}): JobSpec {
  return {
    question: {
      event: { kind: "question", input_values: options.input ?? { n: 1 } },
      attributes: createQuestionAttributes({ sender: "local/local:local", recipient: revision.sruid }),
    },
    revision,
    priority: options.priority ?? 0,
    cpus: options.cpus ?? 1,
    ...definedProperties({ timeoutSeconds: options.timeoutSeconds }),
  };
}

function launcher(executor: JobExecutor, sink: Sink, cpuQuota: number, log: string[] = []) {
  return new LocalJobLauncher({
    sink,
    cpuQuota,
    jobsDirectory: mkdtempSync(path.join(tmpdir(), "twined-jobs-")),
    executor,
    observer: {
      onQueued: (uuid) => log.push(`queued ${uuid}`),
      onStarted: (uuid) => log.push(`started ${uuid}`),
      onFinished: (uuid, outcome) => log.push(`finished ${uuid}${outcome.cancelled ? " (cancelled)" : ""}`),
    },
  });
}

const echo = "def run(analysis):\n    analysis.output_values = {'echo': analysis.input_values}\n";
const sleeper = "import time\ndef run(analysis):\n    time.sleep(float(analysis.input_values.get('seconds', 30)))\n";

const executors: [string, () => JobExecutor][] = [
  ["its own process", () => new ProcessJobExecutor({ terminationGraceMs: 2_000 })],
  ["the launcher's process", () => new InProcessJobExecutor({ terminationGraceMs: 2_000 })],
];

describe.each(executors)("LocalJobLauncher running each job in %s", (_name, executor) => {
  it("runs a question and passes its events on in order", async () => {
    const sink = new Sink();
    const log: string[] = [];
    const jobs = launcher(executor(), sink, 2, log);
    const spec = job(service(echo), { input: 0 });
    const uuid = spec.question.attributes.question_uuid;
    expect(await jobs.launch(spec)).toEqual({ launched: true });
    expect(await jobs.launch(spec)).toEqual({ launched: false });
    const final = await sink.final(uuid);
    expect(final.event).toEqual({ kind: "result", output_values: { echo: 0 } });
    expect(sink.of(uuid).map((each) => each.event.kind)).toEqual(["delivery_acknowledgement", "result"]);
    await jobs.close();
    expect(log).toEqual([`queued ${uuid}`, `started ${uuid}`, `finished ${uuid}`]);
    expect(jobs.phase(uuid)).toBe("finished");
  }, 30_000);

  it("keeps jobs beyond the CPU quota queued and admits them by priority", async () => {
    const sink = new Sink();
    const log: string[] = [];
    const jobs = launcher(executor(), sink, 1, log);
    const revision = service(sleeper);
    const first = job(revision, { input: { seconds: 0.5 } });
    const low = job(revision, { input: { seconds: 0 }, priority: 0 });
    const high = job(revision, { input: { seconds: 0 }, priority: 10 });
    for (const spec of [first, low, high]) await jobs.launch(spec);
    expect(jobs.phase(low.question.attributes.question_uuid)).toBe("queued");
    for (const spec of [first, low, high]) await sink.final(spec.question.attributes.question_uuid);
    await jobs.close();
    const starts = log.filter((line) => line.startsWith("started")).map((line) => line.split(" ")[1]);
    expect(starts).toEqual([first, high, low].map((spec) => spec.question.attributes.question_uuid));
    const finishedFirst = log.indexOf(`finished ${first.question.attributes.question_uuid}`);
    expect(finishedFirst).toBeLessThan(log.indexOf(`started ${high.question.attributes.question_uuid}`));
  }, 60_000);

  it("cancels a queued job without running it, and a running one through its runner", async () => {
    const sink = new Sink();
    const log: string[] = [];
    const jobs = launcher(executor(), sink, 1, log);
    const revision = service(sleeper);
    const running = job(revision);
    const waiting = job(revision);
    await jobs.launch(running);
    await jobs.launch(waiting);
    const waitingUuid = waiting.question.attributes.question_uuid;
    expect(await jobs.cancel(waitingUuid, "not needed")).toBe(true);
    const waitingFinal = (await sink.final(waitingUuid)).event as ExceptionEvent;
    expect(waitingFinal.exception_type).toBe("QuestionCancelled");
    expect(log).not.toContain(`started ${waitingUuid}`);

    const runningUuid = running.question.attributes.question_uuid;
    while (!sink.of(runningUuid).some((each) => each.event.kind === "delivery_acknowledgement")) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await jobs.cancel(runningUuid)).toBe(true);
    const runningFinal = (await sink.final(runningUuid)).event as ExceptionEvent;
    expect(runningFinal.exception_type).toBe("QuestionCancelled");
    expect(await jobs.cancel(runningUuid)).toBe(false);
    await jobs.close();
  }, 60_000);

  it("answers for a job that ends without answering", async () => {
    const sink = new Sink();
    const silent: JobExecutor = {
      start: () => ({ stop: () => {}, ended: Promise.resolve({ exitCode: 3 }) }),
    };
    const jobs = launcher(silent, sink, 1);
    const spec = job(service(echo));
    await jobs.launch(spec);
    const final = (await sink.final(spec.question.attributes.question_uuid)).event as ExceptionEvent;
    expect(final.exception_type).toBe("ServiceCrashed");
    expect(final.exception_message).toMatch(/exit code 3/);
    await jobs.close();
  }, 30_000);

  it("answers for a job whose app process is killed", async () => {
    const sink = new Sink();
    const jobs = launcher(executor(), sink, 1);
    const spec = job(service("import os, signal\ndef run(analysis):\n    os.kill(os.getpid(), signal.SIGKILL)\n"));
    await jobs.launch(spec);
    const final = (await sink.final(spec.question.attributes.question_uuid)).event as ExceptionEvent;
    expect(final.exception_type).toBe("ServiceCrashed");
    await jobs.close();
  }, 30_000);

  it("refuses image revisions and jobs larger than the quota", async () => {
    const jobs = launcher(executor(), new Sink(), 2);
    const revision = service(echo);
    await expect(jobs.launch(job({ ...revision, source: { kind: "image", image: "x/y:1" } }))).rejects.toThrow(
      /image revision/,
    );
    await expect(jobs.launch(job(revision, { cpus: 3 }))).rejects.toThrow(/asks for 3 CPUs but the local quota is 2/);
    await jobs.close();
  });
});
