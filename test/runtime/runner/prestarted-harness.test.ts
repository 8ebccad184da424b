import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { answerQuestion } from "../../../runtime/runner/answer-question.js";
import { PrestartedHarness } from "../../../runtime/runner/prestarted-harness.js";
import { makeService, question, RecordingSink, SERVICE_SRUID } from "../service-fixture.js";

/** Answers with the harness's own pid, so a test can tell which process ran the question. */
const PID_APP = ["import os", "def run(analysis):", "    analysis.output_values = {'pid': os.getpid()}", ""].join("\n");
const twine = {
  input_values_schema: { type: "object", required: ["n"], properties: { n: { type: "integer" } } },
  output_values_schema: {},
};

function prestart(directory: string, env: NodeJS.ProcessEnv, python = process.env.TWINED_PYTHON ?? "python3") {
  return { prestarted: new PrestartedHarness({ python, cwd: directory, env }) };
}

async function ask(
  service: ReturnType<typeof makeService>,
  prestarted: PrestartedHarness,
  env: NodeJS.ProcessEnv,
  inputValues: unknown = { n: 1 },
  python?: string,
) {
  let output = "";
  const final = await answerQuestion({
    configuration: service.configuration,
    question: question({ input_values: inputValues }, true),
    serviceSruid: SERVICE_SRUID,
    sink: new RecordingSink(),
    workingDirectory: service.directory,
    env,
    prestarted,
    resolvePython: false,
    ...(python === undefined ? {} : { python }),
    onOutput: (_stream, text) => {
      output += text;
    },
  });
  return { final, output };
}

describe("a harness started before its question (ask-local)", () => {
  it("answers the question it was started for, in that process", async () => {
    const service = makeService({ app: PID_APP, twine });
    const env = { ...process.env };
    const { prestarted } = prestart(service.directory, env);
    const pid = prestarted.harness.pid;
    const { final } = await ask(service, prestarted, env);
    expect(final.event).toMatchObject({ kind: "result", output_values: { pid } });
    // It ended on its own, having answered: not stopped as an unused one is.
    expect(await prestarted.harness.exited).toEqual({ code: 0, signal: null });
  });

  it("is stopped, and a fresh process answers, when the question needs another environment (credentials)", async () => {
    const service = makeService({ app: PID_APP, twine });
    const { prestarted } = prestart(service.directory, { ...process.env });
    const pid = prestarted.harness.pid;
    const { final } = await ask(service, prestarted, { ...process.env });
    expect(final.event.kind).toBe("result");
    expect((final.event as { output_values: { pid: number } }).output_values.pid).not.toBe(pid);
    // Stopped, not answered: killed by the signal, or (once the harness handles SIGTERM) ended with a failure status.
    expect((await prestarted.harness.exited).code).not.toBe(0);
  });

  it("is stopped, and what it printed never shown, when the question is refused before Python is needed", async () => {
    const service = makeService({ app: PID_APP, twine });
    const env = { ...process.env };
    const { prestarted } = prestart(service.directory, env, "/nonexistent/python3");
    const { final, output } = await ask(service, prestarted, env, { n: "one" }, "/nonexistent/python3");
    expect(final.event).toMatchObject({ kind: "exception", exception_type: "InvalidValuesContents" });
    await prestarted.harness.exited;
    expect(output).toBe("");
  });

  it("is not given out once it has ended: the question's own start reports an interpreter that cannot start", async () => {
    const service = makeService({ app: PID_APP, twine });
    const env = { ...process.env };
    const { prestarted } = prestart(service.directory, env, "/nonexistent/python3");
    await prestarted.harness.exited;
    const { final, output } = await ask(service, prestarted, env, { n: 1 }, "/nonexistent/python3");
    expect(final.event).toMatchObject({ kind: "exception", exception_type: "ServiceCrashed" });
    expect(output.match(/cannot start \/nonexistent\/python3/g)).toHaveLength(1);
  });

  it("gives what it printed before the question arrived, and all it prints after, to the question that claims it", async () => {
    const service = makeService({ app: `${PID_APP}    print("from the app")\n`, twine });
    // An interpreter that says something as it starts, long before any question is known.
    const python = path.join(service.directory, "talkative-python");
    writeFileSync(python, `#!/bin/sh\necho "starting up" >&2\nexec ${process.env.TWINED_PYTHON ?? "python3"} "$@"\n`);
    chmodSync(python, 0o755);
    const env = { ...process.env };
    const { prestarted } = prestart(service.directory, env, python);
    const { final, output } = await ask(service, prestarted, env, undefined, python);
    expect(final.event.kind).toBe("result");
    expect(output).toContain("starting up\n");
    expect(output).toContain("from the app\n");
  });
});
