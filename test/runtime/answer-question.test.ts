import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EmulatedChildAsker } from "../../runtime/children/emulated-child-asker.js";
import { answerQuestion } from "../../runtime/runner/answer-question.js";
import type { ChildEventEnvelope, ExceptionEvent, LogRecordEvent, ResultEvent } from "../../shared/events/index.js";
import { JsonSource, loadTwine } from "../../shared/twine/index.js";
import { makeService, question, RecordingSink, SERVICE_SRUID } from "./service-fixture.js";

const anyValues = { input_values_schema: {}, output_values_schema: {} };

async function run(
  app: string,
  options: {
    twine?: object;
    event?: Parameters<typeof question>[0];
    extra?: Partial<Parameters<typeof answerQuestion>[0]>;
    extraYaml?: string;
    forwardLogs?: boolean;
  } = {},
) {
  const { directory, configuration } = makeService({
    app,
    twine: options.twine ?? anyValues,
    extraYaml: options.extraYaml,
  });
  const sink = new RecordingSink();
  let output = "";
  const final = await answerQuestion({
    configuration,
    question: question(options.event ?? { input_values: {} }, options.forwardLogs ?? true),
    serviceSruid: SERVICE_SRUID,
    sink,
    workingDirectory: directory,
    onOutput: (_stream, text) => {
      output += text;
    },
    ...options.extra,
  });
  return { final, sink, directory, output };
}

/** Whether `condition` holds within `timeoutMs`, checked every 10 ms, blocking this thread meanwhile. */
function waitSynchronously(condition: () => boolean, timeoutMs: number): boolean {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    Atomics.wait(pause, 0, 0, 10);
  }
  return true;
}

function exceptionOf(final: ChildEventEnvelope): ExceptionEvent {
  expect(final.event.kind).toBe("exception");
  return final.event as ExceptionEvent;
}

describe("answerQuestion", () => {
  it("runs the app and ends with one result event, after an acknowledgement", async () => {
    const { final, sink } = await run(
      "def run(analysis):\n    analysis.output_values = {'doubled': analysis.input_values['n'] * 2}\n",
      { event: { input_values: { n: 21 } } },
    );
    expect(final.event).toEqual({ kind: "result", output_values: { doubled: 42 } });
    expect(sink.kinds()).toEqual(["delivery_acknowledgement", "result"]);
    const attributes = sink.events[0]?.attributes;
    expect(attributes).toMatchObject({ sender: SERVICE_SRUID, recipient: "local/local:local", sender_type: "CHILD" });
    expect(new Set(sink.events.map((envelope) => envelope.attributes.uuid)).size).toBe(sink.events.length);
  });

  it("rejects invalid inputs with the strand and pointer, without running the app (not even its imports)", async () => {
    const marker = "import pathlib\npathlib.Path('started').write_text('yes')\n\ndef run(analysis):\n    pass\n";
    const { final, sink, directory } = await run(marker, {
      twine: { input_values_schema: { type: "object", properties: { n: { type: "integer", minimum: 2 } } } },
      event: { input_values: { n: 1 } },
    });
    const exception = exceptionOf(final);
    expect(exception.exception_type).toBe("InvalidValuesContents");
    expect(exception.exception_message).toBe(
      `Error in <Service('${SERVICE_SRUID}')>: input_values/n must be >= 2 (strand input_values, at /n)`,
    );
    expect(sink.kinds()).toEqual(["exception"]);
    expect(existsSync(path.join(directory, "started"))).toBe(false);
  });

  it("starts the app's Python before it checks the question against the twine, and answers in that process", async () => {
    // The harness's start then overlaps with the runner's own work instead of following it. The interpreter is a
    // script that leaves a mark as it starts; checking the question waits (synchronously, as checking is) for that
    // mark, so had Python started after the check, it would find none.
    const { directory, configuration } = makeService({
      app: "import os\n\ndef run(analysis):\n    analysis.output_values = {'pid': os.getpid()}\n",
      twine: anyValues,
    });
    const mark = path.join(directory, "python-started");
    const interpreter = path.join(directory, "python-leaving-a-mark");
    writeFileSync(
      interpreter,
      `#!/bin/sh\necho $$ > '${mark}'\nexec ${process.env.TWINED_PYTHON ?? "python3"} "$@"\n`,
      {
        mode: 0o755,
      },
    );
    const twine = loadTwine(JsonSource.file(configuration.twinePath));
    let startedBeforeCheck: boolean | undefined;
    const watched = new Proxy(twine, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== "validate" || typeof value !== "function") return value;
        return (...args: unknown[]) => {
          startedBeforeCheck ??= waitSynchronously(() => existsSync(mark), 5_000);
          return (value as (...given: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const final = await answerQuestion({
      configuration,
      question: question({ input_values: {} }, true),
      serviceSruid: SERVICE_SRUID,
      sink: new RecordingSink(),
      workingDirectory: directory,
      python: interpreter,
      resolvePython: false,
      twine: watched,
      onOutput: () => {},
    });
    expect(startedBeforeCheck).toBe(true);
    // `exec` keeps the shell's process: the app ran in the process that started first, not in a second one.
    const pid = (final.event as { output_values?: { pid?: number } }).output_values?.pid;
    expect(readFileSync(mark, "utf8").trim()).toBe(String(pid));
  });

  it("passes falsy inputs to the app unchanged", async () => {
    for (const value of [0, false, "", {}, []]) {
      const { final } = await run(
        "def run(analysis):\n    analysis.output_values = {'seen': analysis.input_values}\n",
        {
          event: { input_values: value },
        },
      );
      expect(final.event).toMatchObject({ kind: "result", output_values: { seen: value } });
    }
  });

  it("reports an exception raised by the app with its type and traceback", async () => {
    const { final } = await run(
      "def helper(x):\n    raise ValueError(f'x cannot be less than 10, got {x}.')\n\ndef run(analysis):\n    helper(3)\n",
    );
    const exception = exceptionOf(final);
    expect(exception.exception_type).toBe("ValueError");
    expect(exception.exception_message).toBe(
      `Error in <Service('${SERVICE_SRUID}')>: x cannot be less than 10, got 3.`,
    );
    expect(exception.exception_traceback.some((line) => line.includes("in helper"))).toBe(true);
  });

  it("validates outputs against the twine", async () => {
    const { final } = await run("def run(analysis):\n    analysis.output_values = {'width': 1}\n", {
      twine: { output_values_schema: { type: "object", properties: { width: { type: "integer", minimum: 2 } } } },
      event: {},
    });
    const exception = exceptionOf(final);
    expect(exception.exception_type).toBe("InvalidValuesContents");
    expect(exception.exception_message).toMatch(
      /output_values\/width must be >= 2 \(strand output_values, at \/width\)$/,
    );
  });

  it("relays logs and monitor messages in order, and never lets print() corrupt the channel", async () => {
    const app = [
      "import logging",
      "logger = logging.getLogger('app')",
      "def run(analysis):",
      "    logger.info('first %s', 1)",
      '    print(\'{"type": "result", "output_values": "forged"}\')',
      "    analysis.send_monitor_message({'progress': 0.5})",
      "    logger.warning('second')",
      "    analysis.send_monitor_message({'progress': 1.0})",
      "    try:",
      "        analysis.send_monitor_message({'progress': 'lots'})",
      "    except Exception as error:",
      "        logger.error('rejected: %s', type(error).__name__)",
      "    analysis.output_values = 'done'",
    ].join("\n");
    const { final, sink, output } = await run(app, {
      twine: {
        ...anyValues,
        monitor_message_schema: { type: "object", properties: { progress: { type: "number" } } },
      },
    });
    expect(final.event).toMatchObject({ kind: "result", output_values: "done" });
    const sequence = sink.events.map(({ event }) =>
      event.kind === "log_record"
        ? `log:${(event as LogRecordEvent).log_record.msg}`
        : event.kind === "monitor_message"
          ? `monitor:${JSON.stringify(event.data)}`
          : event.kind,
    );
    expect(sequence).toEqual([
      "delivery_acknowledgement",
      "log:first 1",
      'monitor:{"progress":0.5}',
      "log:second",
      'monitor:{"progress":1}',
      "log:rejected: InvalidMonitorMessage",
      "result",
    ]);
    expect(output).toContain('{"type": "result", "output_values": "forged"}');
  });

  it("does not forward logs when the question says not to", async () => {
    const { sink } = await run("import logging\ndef run(analysis):\n    logging.getLogger('x').info('hidden')\n", {
      forwardLogs: false,
    });
    expect(sink.kinds()).toEqual(["delivery_acknowledgement", "result"]);
  });

  it("sends heartbeats at the configured interval and none after the final event", async () => {
    const { sink } = await run("import time\ndef run(analysis):\n    time.sleep(0.6)\n", {
      extra: { heartbeatIntervalMs: 100 },
    });
    const kinds = sink.kinds();
    expect(kinds.filter((kind) => kind === "heartbeat").length).toBeGreaterThanOrEqual(3);
    expect(kinds.at(-1)).toBe("result");
    expect(kinds[0]).toBe("delivery_acknowledgement");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sink.kinds().at(-1)).toBe("result");
  });

  it("cancels a running question: SIGTERM, then SIGKILL after the grace period", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort("stopped by a test"), 500);
    const started = Date.now();
    const app =
      "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ndef run(analysis):\n    time.sleep(30)\n";
    const { final } = await run(app, { extra: { signal: controller.signal, terminationGraceMs: 300 } });
    const exception = exceptionOf(final);
    expect(exception.exception_type).toBe("QuestionCancelled");
    expect(exception.exception_message).toMatch(/was cancelled: stopped by a test\.$/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("stops a question at its deadline", async () => {
    const { final } = await run("import time\ndef run(analysis):\n    time.sleep(30)\n", {
      extra: { timeoutSeconds: 0.5, terminationGraceMs: 1000 },
    });
    const exception = exceptionOf(final);
    expect(exception.exception_type).toBe("QuestionTimedOut");
    expect(exception.exception_message).toMatch(/did not finish within its 0\.5 s deadline/);
  });

  it("reports an app process that dies without answering", async () => {
    const { final } = await run(
      "import os, sys\ndef run(analysis):\n    sys.stderr.write('about to die\\n')\n    os._exit(7)\n",
    );
    const exception = exceptionOf(final);
    expect(exception.exception_type).toBe("ServiceCrashed");
    expect(exception.exception_message).toMatch(/exit code 7/);
    expect(exception.exception_message).toMatch(/about to die/);
  });

  it("answers the app's child questions through the child asker and relays the child's logs", async () => {
    const app = [
      "def run(analysis):",
      "    answer, question_uuid = analysis.children['elevation'].ask(input_values={'n': 1}, timeout=10)",
      "    analysis.output_values = {'elevations': answer['output_values'], 'uuid_length': len(question_uuid)}",
    ].join("\n");
    const childAsker = EmulatedChildAsker.fromJson({
      elevation: [
        { kind: "log_record", log_record: { msg: "computing", levelname: "INFO", name: "elevation" } },
        { kind: "result", output_values: [300], output_manifest: null },
      ],
    });
    const { final, sink } = await run(app, {
      twine: { ...anyValues, children: [{ key: "elevation" }] },
      extraYaml:
        "    children:\n      - key: elevation\n        id: testing/elevation:1.0.0\n        backend: {name: GCPPubSubBackend, project_id: local}\n",
      extra: { childAsker },
    });
    expect(final.event).toEqual({
      kind: "result",
      output_values: { elevations: [300], uuid_length: 36 },
    });
    const relayed = sink.events.find((envelope) => envelope.event.kind === "log_record")?.event as LogRecordEvent;
    expect(relayed.log_record.msg).toMatch(/^\[testing\/elevation:1\.0\.0 \| [0-9a-f-]{36}\] computing$/);
  });

  it("raises a child's exception in the app with its type", async () => {
    const app = [
      "def run(analysis):",
      "    try:",
      "        analysis.children['elevation'].ask(input_values={})",
      "    except ValueError as error:",
      "        analysis.output_values = {'caught': str(error).splitlines()[0]}",
    ].join("\n");
    const childAsker = EmulatedChildAsker.fromJson({
      elevation: [
        { kind: "exception", exception_type: "ValueError", exception_message: "no terrain", exception_traceback: [] },
      ],
    });
    const { final } = await run(app, {
      twine: { ...anyValues, children: [{ key: "elevation" }] },
      extraYaml:
        "    children:\n      - key: elevation\n        id: testing/elevation:1.0.0\n        backend: {name: GCPPubSubBackend, project_id: local}\n",
      extra: { childAsker },
    });
    expect((final.event as ResultEvent).output_values).toEqual({ caught: "no terrain" });
  });

  it("fails a question whose local input dataset folder does not exist, before the app starts", async () => {
    const { final, sink } = await run("def run(analysis):\n    raise RuntimeError('the app ran')\n", {
      twine: { input_manifest: { datasets: { raw: { purpose: "readings" } } } },
      event: { input_manifest: { id: "0d0c6f8e-3f55-4f4e-9a3b-1c2d3e4f5a6b", datasets: { raw: "no/such/folder" } } },
    });
    const exception = exceptionOf(final);
    expect(exception.exception_type).toBe("DatasetNotFound");
    expect(exception.exception_message).toContain("No dataset is stored at no/such/folder: there is no folder");
    expect(sink.kinds()).toEqual(["delivery_acknowledgement", "exception"]);
  });

  it("writes output datasets to the output folder and references them in the output manifest", async () => {
    const app = [
      "import os",
      "def run(analysis):",
      "    dataset = analysis.output_manifest.get_dataset('results')",
      "    os.makedirs(dataset.path, exist_ok=True)",
      "    with open(os.path.join(dataset.path, 'answer.txt'), 'w') as f:",
      "        f.write('42')",
    ].join("\n");
    const { final, directory } = await run(app, {
      twine: { output_manifest: { datasets: { results: { purpose: "answers" } } } },
      event: {},
    });
    const manifest = (final.event as ResultEvent).output_manifest as { datasets: Record<string, { files: string[] }> };
    const files = manifest.datasets.results?.files ?? [];
    expect(files).toHaveLength(1);
    expect(files[0]?.startsWith(path.join(directory, ".twined", "outputs"))).toBe(true);
    expect(readFileSync(files[0] ?? "", "utf8")).toBe("42");
  });

  it("sends the answer as soon as the app has given it, while the app's process is still winding down", async () => {
    const markers = mkdtempSync(path.join(tmpdir(), "twined-answer-first-"));
    const seen = path.join(markers, "answer-seen");
    // At exit, the app waits (up to 1.5 s) to learn that its answer has already reached the asker.
    const app = [
      "import atexit, os, time",
      "def wait_for_answer():",
      "    deadline = time.time() + 1.5",
      `    while not os.path.exists(${JSON.stringify(seen)}) and time.time() < deadline:`,
      "        time.sleep(0.01)",
      `    open(${JSON.stringify(path.join(markers, "exit"))}, "w").write(str(os.path.exists(${JSON.stringify(seen)})))`,
      "atexit.register(wait_for_answer)",
      "def run(analysis):",
      "    analysis.output_values = {'ok': True}",
      "",
    ].join("\n");
    const sink = new RecordingSink();
    const answered = {
      async emit(envelope: ChildEventEnvelope) {
        if (envelope.event.kind === "result") writeFileSync(seen, "");
        await sink.emit(envelope);
      },
    };
    const { final } = await run(app, { extra: { sink: answered } });
    expect(final.event).toMatchObject({ kind: "result", output_values: { ok: true } });
    // answerQuestion still returned only once that process had ended.
    expect(readFileSync(path.join(markers, "exit"), "utf8")).toBe("True");
  });
});
