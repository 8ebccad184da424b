import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { InProcessJobExecutor } from "../../../runtime/jobs/in-process-job-executor.js";
import { type ChildEventEnvelope, createQuestionAttributes } from "../../../shared/events/index.js";
import type { JobContext, RevisionRecord } from "../../../shared/ports/index.js";
import { harnessProcesses } from "../../support/harness-processes.js";
import { folderRevision } from "./folder-revision.js";

/** A revision whose app answers with the process it ran in; its twine may name a credential. */
function revision(twine?: object): RevisionRecord {
  const app = "import os\ndef run(analysis):\n    analysis.output_values = {'pid': os.getpid()}\n";
  return folderRevision({ name: "spare", app, ...(twine === undefined ? {} : { twine }) });
}

/** Runs one question as the network's launcher would, and returns the pid its app answered from. */
async function ask(executor: InProcessJobExecutor, record: RevisionRecord): Promise<number> {
  const events = await askForEvents(executor, record);
  const final = events.at(-1)?.event;
  expect(final?.kind, JSON.stringify(final)).toBe("result");
  return (final as { output_values: { pid: number } }).output_values.pid;
}

/** Runs one question as the network's launcher would, and returns the events its job emitted once it has ended. */
async function askForEvents(executor: InProcessJobExecutor, record: RevisionRecord): Promise<ChildEventEnvelope[]> {
  const events: ChildEventEnvelope[] = [];
  const output: string[] = [];
  const context: JobContext = {
    directory: mkdtempSync(path.join(tmpdir(), "twined-spare-job-run-")),
    networkUrl: undefined,
    heartbeatIntervalSeconds: 30,
    emit: (envelope) => events.push(envelope as ChildEventEnvelope),
    output: (text) => output.push(text),
  };
  const job = executor.start(
    {
      question: {
        event: { kind: "question", input_values: {} },
        attributes: createQuestionAttributes({ sender: "local/local:local", recipient: record.sruid }),
      },
      revision: record,
      priority: 0,
      cpus: 1,
    },
    context,
  );
  const { exitCode } = await job.ended;
  expect(exitCode === 0 || events.at(-1)?.event.kind === "exception", output.join("")).toBe(true);
  return events;
}

describe("spare harnesses of a network's in-process jobs", { timeout: 60_000 }, () => {
  it("answer a revision's next question in a Python started before it was asked, then make another", async () => {
    const executor = new InProcessJobExecutor();
    const record = revision();
    try {
      const first = await ask(executor, record);
      const waiting = harnessProcesses();
      expect(waiting).toHaveLength(1);
      expect(waiting).not.toContain(first);
      const second = await ask(executor, record);
      expect(second).toBe(waiting[0]);
      // Used once: the next question gets a process of its own again.
      const next = harnessProcesses();
      expect(next).toHaveLength(1);
      expect(next).not.toContain(second);
    } finally {
      await executor.close();
    }
    expect(harnessProcesses()).toEqual([]);
  });

  it("never hold a question up when the spare died while it waited: the question ends, and the next has a spare", async () => {
    const executor = new InProcessJobExecutor();
    const record = revision();
    try {
      await ask(executor, record);
      const [spare] = harnessProcesses();
      process.kill(spare ?? 0, "SIGKILL");
      // Asked at once, before or after the network has seen the spare end: answered in a fresh process, or, if it
      // was given the dead spare, ended with the crash; either way it ends.
      const events = await askForEvents(executor, record);
      expect(["result", "exception"]).toContain(events.at(-1)?.event.kind);
      if (events.at(-1)?.event.kind === "exception") {
        expect(events.at(-1)?.event).toMatchObject({ exception_type: "ServiceCrashed" });
      }
      expect(harnessProcesses()).toHaveLength(1);
    } finally {
      await executor.close();
    }
  });

  it("are not made when turned off: each question's Python starts when it is asked", async () => {
    const executor = new InProcessJobExecutor({ spareHarnesses: false });
    const record = revision();
    try {
      await ask(executor, record);
      expect(harnessProcesses()).toEqual([]);
      await ask(executor, record);
      expect(harnessProcesses()).toEqual([]);
    } finally {
      await executor.close();
    }
  });

  it("are not made for a twine with credentials, whose questions each get their own environment", async () => {
    const executor = new InProcessJobExecutor({ env: { ...process.env, SPARE_TEST_TOKEN: "secret" } });
    const record = revision({
      credentials: [{ name: "SPARE_TEST_TOKEN" }],
      input_values_schema: {},
      output_values_schema: {},
    });
    try {
      await ask(executor, record);
      expect(harnessProcesses()).toEqual([]);
    } finally {
      await executor.close();
    }
  });

  it("are replaced, not used, when the network's environment changed since the spare was made", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, SPARE_TEST_SETTING: "before" };
    const executor = new InProcessJobExecutor({ env });
    const record = revision();
    try {
      await ask(executor, record);
      const [stale] = harnessProcesses();
      env.SPARE_TEST_SETTING = "after";
      const answeredBy = await ask(executor, record);
      expect(answeredBy).not.toBe(stale);
      expect(harnessProcesses()).not.toContain(stale);
    } finally {
      await executor.close();
    }
  });
});
