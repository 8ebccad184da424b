import { existsSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { answerQuestion } from "../../../runtime/runner/answer-question.js";
import { WarmStarts } from "../../../runtime/runner/warm-starts.js";
import type { ServiceConfiguration } from "../../../shared/config/index.js";
import type { ChildEventEnvelope, ExceptionEvent, LogRecordEvent } from "../../../shared/events/index.js";
import { makeService, question, RecordingSink, SERVICE_SRUID } from "../service-fixture.js";

const anyValues = { input_values_schema: {}, output_values_schema: {} };

/** Reports where the question ran: its process, the process it was forked from, and what it was given. */
const PROCESSES_APP = [
  "import os",
  "def run(analysis):",
  "    analysis.output_values = {'pid': os.getpid(), 'parent': os.getppid()}",
  "",
].join("\n");

const pools: WarmStarts[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

function pool(): { warmStarts: WarmStarts; log: string[] } {
  const log: string[] = [];
  const warmStarts = new WarmStarts({ log: (text) => log.push(text) });
  pools.push(warmStarts);
  return { warmStarts, log };
}

async function ask(
  service: { directory: string; configuration: ServiceConfiguration },
  options: {
    warmStarts?: WarmStarts;
    inputValues?: unknown;
    signal?: AbortSignal;
    terminationGraceMs?: number;
  } = {},
) {
  const sink = new RecordingSink();
  let output = "";
  const final = await answerQuestion({
    configuration: service.configuration,
    question: question({ input_values: options.inputValues ?? {} }, true),
    serviceSruid: SERVICE_SRUID,
    sink,
    workingDirectory: service.directory,
    onOutput: (_stream, text) => {
      output += text;
    },
    ...(options.warmStarts === undefined ? {} : { warmStarts: options.warmStarts }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.terminationGraceMs === undefined ? {} : { terminationGraceMs: options.terminationGraceMs }),
  });
  return { final, sink, output };
}

function outputs(final: ChildEventEnvelope): Record<string, unknown> {
  expect(final.event.kind).toBe("result");
  return (final.event as { output_values: Record<string, unknown> }).output_values;
}

function exceptionOf(final: ChildEventEnvelope): ExceptionEvent {
  expect(final.event.kind).toBe("exception");
  return final.event as ExceptionEvent;
}

/** The parts of a question's events that do not depend on which process ran it or when. */
function comparable(sink: RecordingSink) {
  return sink.events.map(({ event }) =>
    event.kind === "log_record"
      ? {
          kind: event.kind,
          msg: (event as LogRecordEvent).log_record.msg,
          name: (event as LogRecordEvent).log_record.name,
        }
      : event,
  );
}

describe("warm starts", { timeout: 60_000 }, () => {
  it("answer with the same events, answer and output as a cold start, from a process forked off the zygote", async () => {
    const service = makeService({
      app: [
        "import logging, os",
        "logger = logging.getLogger('app')",
        "def run(analysis):",
        "    logger.info('summing %d numbers', len(analysis.input_values['numbers']))",
        "    analysis.send_monitor_message({'progress': 0.5})",
        "    print('printed by the app')",
        "    analysis.output_values = {'sum': sum(analysis.input_values['numbers'])}",
        "",
      ].join("\n"),
      twine: { ...anyValues, monitor_message_schema: {} },
    });
    const { warmStarts } = pool();
    const inputValues = { numbers: [1, 2, 3] };
    const cold = await ask(service, { inputValues });
    const warm = await ask(service, { inputValues, warmStarts });
    expect(warm.final.event).toEqual({ kind: "result", output_values: { sum: 6 } });
    expect(warm.final.event).toEqual(cold.final.event);
    expect(comparable(warm.sink)).toEqual(comparable(cold.sink));
    expect(warm.sink.kinds()).toEqual(["delivery_acknowledgement", "log_record", "monitor_message", "result"]);
    expect(warm.output).toBe("printed by the app\n");
    expect(warm.output).toBe(cold.output);

    // The pool forks: another app's question asked through it runs in a child of its zygote, not of this process.
    const where = outputs((await ask(makeService({ app: PROCESSES_APP, twine: anyValues }), { warmStarts })).final);
    expect(where.parent).not.toBe(process.pid);
  });

  it("share nothing between questions: module globals and environment changes of one are not seen by the next", async () => {
    const service = makeService({
      app: [
        "import os",
        "questions = []",
        "def run(analysis):",
        "    questions.append(analysis.id)",
        "    analysis.output_values = {",
        "        'questions': len(questions),",
        "        'variable': os.environ.get('SET_BY_AN_EARLIER_QUESTION'),",
        "        'pid': os.getpid(),",
        "        'parent': os.getppid(),",
        "    }",
        "    os.environ['SET_BY_AN_EARLIER_QUESTION'] = 'yes'",
        "",
      ].join("\n"),
      twine: anyValues,
    });
    const { warmStarts } = pool();
    const first = outputs((await ask(service, { warmStarts })).final);
    const second = outputs((await ask(service, { warmStarts })).final);
    expect(first).toMatchObject({ questions: 1, variable: null });
    expect(second).toMatchObject({ questions: 1, variable: null });
    expect(second.pid).not.toBe(first.pid);
    // Both forked from the same zygote, which is not this process.
    expect(second.parent).toBe(first.parent);
    expect(first.parent).not.toBe(process.pid);
  });

  it("report the app's exception with its type and traceback", async () => {
    const service = makeService({
      app: "def helper(x):\n    raise ValueError(f'x cannot be less than 10, got {x}.')\n\ndef run(analysis):\n    helper(3)\n",
      twine: anyValues,
    });
    const { warmStarts } = pool();
    const cold = exceptionOf((await ask(service)).final);
    const warm = exceptionOf((await ask(service, { warmStarts })).final);
    expect(warm.exception_type).toBe("ValueError");
    expect(warm.exception_message).toBe(`Error in <Service('${SERVICE_SRUID}')>: x cannot be less than 10, got 3.`);
    expect(warm).toEqual(cold);
  });

  it("cancel a question by killing its own process only: the zygote and its other questions carry on", async () => {
    const service = makeService({
      app: [
        "import os, signal, time",
        "def run(analysis):",
        "    if analysis.input_values == 'hang':",
        "        signal.signal(signal.SIGTERM, signal.SIG_IGN)",
        "        open('hanging', 'w').close()",
        "        time.sleep(600)",
        "    if analysis.input_values == 'wait':",
        "        open('waiting', 'w').close()",
        "        while not os.path.exists('cancelled'):",
        "            time.sleep(0.02)",
        "    analysis.output_values = {'parent': os.getppid()}",
        "",
      ].join("\n"),
      twine: anyValues,
    });
    const { warmStarts } = pool();
    const zygote = outputs((await ask(service, { warmStarts })).final).parent;
    const controller = new AbortController();
    const hanging = ask(service, {
      warmStarts,
      inputValues: "hang",
      signal: controller.signal,
      terminationGraceMs: 200,
    });
    const waiting = ask(service, { warmStarts, inputValues: "wait" });
    await until(() => existsSync(path.join(service.directory, "hanging")));
    await until(() => existsSync(path.join(service.directory, "waiting")));
    controller.abort("stopped by a test");
    expect(exceptionOf((await hanging).final).exception_type).toBe("QuestionCancelled");
    writeFileSync(path.join(service.directory, "cancelled"), "");
    expect(outputs((await waiting).final).parent).toBe(zygote);
    expect(outputs((await ask(service, { warmStarts })).final).parent).toBe(zygote);
  });

  it("pick up an edit of the app between questions, in a new zygote", async () => {
    const service = makeService({
      app: "import os\ndef run(analysis):\n    analysis.output_values = {'version': 1, 'parent': os.getppid()}\n",
      twine: anyValues,
    });
    const { warmStarts } = pool();
    const first = outputs((await ask(service, { warmStarts })).final);
    const app = path.join(service.directory, "app.py");
    writeFileSync(
      app,
      "import os\ndef run(analysis):\n    analysis.output_values = {'version': 2, 'parent': os.getppid()}\n",
    );
    // The same size as before: a later modification time is what tells.
    const later = new Date(Date.now() + 5_000);
    utimesSync(app, later, later);
    const second = outputs((await ask(service, { warmStarts })).final);
    expect(first.version).toBe(1);
    expect(second.version).toBe(2);
    expect(second.parent).not.toBe(first.parent);
    expect(second.parent).not.toBe(process.pid);
  });

  it("recover from a zygote that died: its next questions are answered, and forked from a new zygote", async () => {
    const service = makeService({ app: PROCESSES_APP, twine: anyValues });
    const { warmStarts } = pool();
    const first = outputs((await ask(service, { warmStarts })).final);
    const zygote = first.parent as number;
    process.kill(zygote, "SIGKILL");
    await until(() => !isAlive(zygote));
    // Whether the pool has noticed yet or not, the question is answered (cold if it has not).
    outputs((await ask(service, { warmStarts })).final);
    const third = outputs((await ask(service, { warmStarts })).final);
    expect(third.parent).not.toBe(zygote);
    expect(third.parent).not.toBe(process.pid);
  });

  it("give an app that fails to import the cold start's exception, and say why the question started cold", async () => {
    const service = makeService({ app: "import a_module_that_is_not_installed\n", twine: anyValues });
    const { warmStarts, log } = pool();
    const cold = exceptionOf((await ask(service)).final);
    const warm = exceptionOf((await ask(service, { warmStarts })).final);
    expect(warm.exception_type).toBe("ModuleNotFoundError");
    expect(warm).toEqual(cold);
    expect(log.join("")).toMatch(/no warm start \(the app failed to import: ModuleNotFoundError/);
  });

  it("stop their zygotes when closed", async () => {
    const service = makeService({ app: PROCESSES_APP, twine: anyValues });
    const { warmStarts } = pool();
    const zygote = outputs((await ask(service, { warmStarts })).final).parent as number;
    expect(isAlive(zygote)).toBe(true);
    await warmStarts.close();
    await until(() => !isAlive(zygote));
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}
