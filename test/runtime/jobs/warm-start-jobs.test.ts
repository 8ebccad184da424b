import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { InProcessJobExecutor } from "../../../runtime/jobs/in-process-job-executor.js";
import { WarmStartBroker } from "../../../runtime/runner/warm-start-broker.js";
import { LocalJobLauncher, ProcessJobExecutor } from "../../../shared/adapters/embedded/local-jobs/index.js";
import type { ChildEventEnvelope } from "../../../shared/events/index.js";
import { createQuestionAttributes } from "../../../shared/events/index.js";
import type { EventSink, JobExecutor, JobSpec, RevisionRecord } from "../../../shared/ports/index.js";
import { folderRevision } from "./folder-revision.js";

class Sink implements EventSink {
  readonly events: ChildEventEnvelope[] = [];
  private waiters: (() => void)[] = [];
  async emit(envelope: ChildEventEnvelope): Promise<void> {
    this.events.push(envelope);
    for (const wake of this.waiters.splice(0)) wake();
  }
  async final(questionUuid: string): Promise<ChildEventEnvelope> {
    for (;;) {
      const final = this.events.find(
        (each) => each.attributes.question_uuid === questionUuid && ["result", "exception"].includes(each.event.kind),
      );
      if (final !== undefined) return final;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

/** A service whose app says which process it ran in and which process started that one. */
function service(warmStartInYaml: boolean): RevisionRecord {
  return folderRevision({
    name: "warm",
    app: "import os\ndef run(analysis):\n    analysis.output_values = {'pid': os.getpid(), 'parent': os.getppid()}\n",
    entry: warmStartInYaml ? "    warm_start: true\n" : "",
  });
}

async function askTwice(executor: JobExecutor, revision: RevisionRecord) {
  const sink = new Sink();
  const jobs = new LocalJobLauncher({
    sink,
    cpuQuota: 1,
    jobsDirectory: mkdtempSync(path.join(tmpdir(), "twined-warm-jobs-")),
    executor,
  });
  const answers: { pid: number; parent: number }[] = [];
  try {
    for (let index = 0; index < 2; index++) {
      const spec: JobSpec = {
        question: {
          event: { kind: "question", input_values: {} },
          attributes: createQuestionAttributes({ sender: "local/local:local", recipient: revision.sruid }),
        },
        revision,
        priority: 0,
        cpus: 1,
      };
      await jobs.launch(spec);
      const final = await sink.final(spec.question.attributes.question_uuid);
      expect(final.event.kind).toBe("result");
      answers.push((final.event as { output_values: { pid: number; parent: number } }).output_values);
    }
  } finally {
    await jobs.close();
  }
  return answers;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("warm starts of the local launcher's jobs", { timeout: 120_000 }, () => {
  it("fork a service's questions in the network's process when its octue.yaml says warm_start: true", async () => {
    const [first, second] = await askTwice(new InProcessJobExecutor(), service(true));
    expect(first?.parent).not.toBe(process.pid);
    expect(second?.parent).toBe(first?.parent);
    expect(second?.pid).not.toBe(first?.pid);
    // Closing the launcher stopped the zygote.
    expect(isAlive(first?.parent ?? 0)).toBe(false);
  });

  it("are off by default, and on for every service with the network-wide option", async () => {
    const [cold] = await askTwice(new InProcessJobExecutor(), service(false));
    expect(cold?.parent).toBe(process.pid);
    const [warm, again] = await askTwice(new InProcessJobExecutor({ warmStarts: true }), service(false));
    expect(warm?.parent).not.toBe(process.pid);
    expect(again?.parent).toBe(warm?.parent);
  });

  it("fork the questions of jobs run in processes of their own (--isolated-jobs) from a zygote in the network's process", async () => {
    const executor = new ProcessJobExecutor({
      terminationGraceMs: 2_000,
      warmStarts: new WarmStartBroker({ allServices: true }),
    });
    const [first, second] = await askTwice(executor, service(false));
    // The same zygote, which outlived the first job's process.
    expect(second?.parent).toBe(first?.parent);
    expect(second?.pid).not.toBe(first?.pid);
    expect(isAlive(first?.parent ?? 0)).toBe(false);
  });
});
