import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EmulatedChildAsker } from "../../../runtime/children/emulated-child-asker.js";
import { answerQuestion } from "../../../runtime/runner/answer-question.js";
import {
  DIAGNOSTICS_FILES,
  type DiagnosticsSummary,
  type RecordedChildQuestion,
} from "../../../shared/datasets/index.js";
import type {
  ChildEventEnvelope,
  ExceptionEvent,
  LogRecordEvent,
  ParentEventEnvelope,
  QuestionEvent,
  SaveDiagnostics,
} from "../../../shared/events/index.js";
import type { DatasetStore } from "../../../shared/ports/index.js";
import { encodeDatafileMetadata } from "../../../shared/storage/index.js";
import { type ServedFolderStorage, serveFolderStorage } from "../../support/folder-storage.js";
import { makeService, question, RecordingSink, SERVICE_SRUID } from "../service-fixture.js";

const LOCATION = "gs://twined-diagnostics";
const CHILD_YAML =
  "    children:\n      - key: elevation\n        id: testing/elevation:1.0.0\n        backend: {name: GCPPubSubBackend, project_id: local}\n";
const SERVICE_YAML = `${CHILD_YAML}    configuration_values: {"scale": 2}\n`;
const TWINE = {
  configuration_values_schema: { type: "object", properties: { scale: { type: "number" } } },
  input_values_schema: {},
  output_values_schema: {},
  input_manifest: { datasets: { raw: { purpose: "readings" }, notes: { purpose: "local notes" } } },
  children: [{ key: "elevation" }],
};
/** Asks its child twice, reads one input file, then fails (or not) as the input says. */
const APP = [
  "import logging",
  "def run(analysis):",
  "    first, _ = analysis.children['elevation'].ask(input_values={'n': 1})",
  "    second, _ = analysis.children['elevation'].ask(input_values={'n': 2})",
  "    with analysis.input_manifest.get_dataset('raw').files.one().open() as f:",
  "        text = f.read()",
  "    logging.getLogger('app').info('read %s', text.strip())",
  "    if analysis.input_values.get('fail'):",
  "        raise ValueError(f\"bad readings {text.strip()} after {first['output_values']} and {second['output_values']}\")",
  "    analysis.output_values = [first['output_values'], second['output_values']]",
].join("\n");

function childAsker(): EmulatedChildAsker {
  return EmulatedChildAsker.fromRecordedQuestions(
    [
      {
        key: "elevation",
        events: [
          { kind: "log_record", log_record: { msg: "one" } },
          { kind: "result", output_values: 100 },
        ],
      },
      { key: "elevation", events: [{ kind: "result", output_values: 200 }] },
    ],
    "test",
  );
}

describe("crash diagnostics", () => {
  let served: ServedFolderStorage;

  beforeEach(async () => {
    served = await serveFolderStorage();
    await served.store.upload(Buffer.from("7,8,9\n"), "gs://inputs/raw/readings.csv", {
      metadata: encodeDatafileMetadata({ labels: ["raw"], tags: { sequence: 0 } }),
    });
  });

  afterEach(async () => {
    await served.close();
  });

  async function ask(
    inputValues: object,
    options: { saveDiagnostics?: SaveDiagnostics; store?: DatasetStore; location?: string; signal?: AbortSignal } = {},
  ) {
    const { directory, configuration } = makeService({
      app: APP,
      twine: TWINE,
      extraYaml: SERVICE_YAML,
      files: { "notes/todo.txt": "check the mast" },
    });
    const asked = question({
      input_values: inputValues,
      input_manifest: {
        id: "9d3bfa55-8d4c-4a0b-9b3c-5d2c43f1a7e1",
        datasets: { raw: "gs://inputs/raw", notes: "notes" },
      },
    });
    const withMode: ParentEventEnvelope<QuestionEvent> = {
      ...asked,
      attributes: { ...asked.attributes, save_diagnostics: options.saveDiagnostics ?? "SAVE_DIAGNOSTICS_ON_CRASH" },
    };
    const sink = new RecordingSink();
    const final = await answerQuestion({
      configuration,
      question: withMode,
      serviceSruid: SERVICE_SRUID,
      sink,
      workingDirectory: directory,
      childAsker: childAsker(),
      onOutput: () => {},
      datasets: {
        access: { store: options.store ?? served.store },
        ...("location" in options ? {} : { diagnosticsLocation: LOCATION }),
        ...(options.location === undefined ? {} : { diagnosticsLocation: options.location }),
      },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return { final, sink, questionUuid: withMode.attributes.question_uuid };
  }

  const readJson = async (path: string): Promise<unknown> =>
    JSON.parse((await served.store.read(path)).toString("utf8"));
  const listed = async (prefix: string) => (await served.store.list(prefix)).objects;
  const logMessages = (events: readonly ChildEventEnvelope[]) =>
    events
      .filter((each) => each.event.kind === "log_record")
      .map((each) => (each.event as LogRecordEvent).log_record.msg);

  it("keeps a failed question's values, manifests with copies of their datasets, child questions and events", async () => {
    const { final, sink, questionUuid } = await ask({ fail: true });
    expect((final.event as ExceptionEvent).exception_type).toBe("ValueError");
    const root = `${LOCATION}/${questionUuid}`;

    // The asker hears where the diagnostics are before the exception itself.
    const kinds = sink.kinds();
    expect(kinds.at(-1)).toBe("exception");
    expect(logMessages(sink.events).at(-1)).toBe(
      `Diagnostics saved to ${root} (twined question diagnostics ${questionUuid} downloads them)`,
    );
    // Each in its own place in the question's order (the network orders by it), the exception last.
    const orders = sink.events.map((each) => each.attributes.order);
    expect(orders).toEqual(orders.map((_, index) => index));

    const summary = (await readJson(`${root}/${DIAGNOSTICS_FILES.summary}`)) as DiagnosticsSummary;
    expect(summary).toMatchObject({
      question_uuid: questionUuid,
      service: SERVICE_SRUID,
      save_diagnostics: "SAVE_DIAGNOSTICS_ON_CRASH",
      outcome: "exception",
      exception_type: "ValueError",
    });
    expect(summary.exception_message).toContain("bad readings 7,8,9 after 100 and 200");
    expect(await readJson(`${root}/${DIAGNOSTICS_FILES.inputValues}`)).toEqual({ fail: true });
    expect(await readJson(`${root}/${DIAGNOSTICS_FILES.configurationValues}`)).toEqual({ scale: 2 });

    const manifest = (await readJson(`${root}/${DIAGNOSTICS_FILES.inputManifest}`)) as { datasets: object };
    expect(manifest.datasets).toEqual({
      raw: `${root}/input_manifest_datasets/raw`,
      notes: `${root}/input_manifest_datasets/notes`,
    });
    const copied = await listed(`${root}/input_manifest_datasets/`);
    const names = copied.map((file) => file.path.slice(`${root}/input_manifest_datasets/`.length)).sort();
    expect(names).toEqual(["notes/.octue", "notes/todo.txt", "raw/.octue", "raw/readings.csv"]);
    // The copy keeps the file's metadata, so a replay sees the labels and tags the app saw.
    const [readings] = await listed(`${root}/input_manifest_datasets/raw/readings.csv`);
    expect(readings?.metadata).toMatchObject(encodeDatafileMetadata({ labels: ["raw"], tags: { sequence: 0 } }));

    const questions = (await readJson(`${root}/${DIAGNOSTICS_FILES.questions}`)) as RecordedChildQuestion[];
    expect(questions.map((each) => [each.key, each.id, each.input_values])).toEqual([
      ["elevation", "testing/elevation:1.0.0", { n: 1 }],
      ["elevation", "testing/elevation:1.0.0", { n: 2 }],
    ]);
    expect(questions[0]?.events.map((each) => each.event)).toEqual([
      { kind: "log_record", log_record: { msg: "one" } },
      { kind: "result", output_values: 100 },
    ]);
    expect(questions[1]?.events.map((each) => each.event)).toEqual([{ kind: "result", output_values: 200 }]);
    expect(questions.every((each) => each.question_uuid?.length === 36)).toBe(true);

    const events = (await readJson(`${root}/${DIAGNOSTICS_FILES.events}`)) as ChildEventEnvelope[];
    expect(events.some((each) => each.event.kind === "heartbeat")).toBe(false);
    expect(events.at(-1)?.event).toEqual(final.event);
    expect(logMessages(events)).toContain("read 7,8,9");
  });

  it("replays the saved child questions with the same exception", async () => {
    const { final } = await ask({ fail: true });
    const questionsPath = `${LOCATION}/${final.attributes.question_uuid}/${DIAGNOSTICS_FILES.questions}`;
    const replayed = EmulatedChildAsker.fromRecordedQuestions(await readJson(questionsPath), questionsPath);
    const { directory, configuration } = makeService({ app: APP, twine: TWINE, extraYaml: SERVICE_YAML });
    const again = await answerQuestion({
      configuration,
      question: question({
        input_values: { fail: true },
        input_manifest: {
          id: "9d3bfa55-8d4c-4a0b-9b3c-5d2c43f1a7e1",
          datasets: { raw: "gs://inputs/raw", notes: "." },
        },
      }),
      serviceSruid: SERVICE_SRUID,
      sink: new RecordingSink(),
      workingDirectory: directory,
      childAsker: replayed,
      onOutput: () => {},
      datasets: { access: { store: served.store } },
    });
    expect((again.event as ExceptionEvent).exception_message).toBe((final.event as ExceptionEvent).exception_message);
  });

  it("saves nothing for an answered question unless asked to always save", async () => {
    const quiet = await ask({});
    expect(quiet.final.event.kind).toBe("result");
    expect(await listed(`${LOCATION}/${quiet.questionUuid}/`)).toEqual([]);

    const always = await ask({}, { saveDiagnostics: "SAVE_DIAGNOSTICS_ON" });
    const summary = (await readJson(
      `${LOCATION}/${always.questionUuid}/${DIAGNOSTICS_FILES.summary}`,
    )) as DiagnosticsSummary;
    expect(summary).toMatchObject({ outcome: "result", save_diagnostics: "SAVE_DIAGNOSTICS_ON" });
    expect(summary.exception_type).toBeUndefined();
  });

  it("saves nothing when diagnostics are off, when the asker cancelled, or when there is nowhere to save them", async () => {
    const off = await ask({ fail: true }, { saveDiagnostics: "SAVE_DIAGNOSTICS_OFF" });
    expect(off.final.event.kind).toBe("exception");
    expect(await listed(`${LOCATION}/${off.questionUuid}/`)).toEqual([]);

    const controller = new AbortController();
    controller.abort("changed my mind");
    const cancelled = await ask({ fail: true }, { signal: controller.signal });
    expect((cancelled.final.event as ExceptionEvent).exception_type).toBe("QuestionCancelled");
    expect(await listed(`${LOCATION}/${cancelled.questionUuid}/`)).toEqual([]);

    const nowhere = await ask({ fail: true }, { location: undefined });
    expect(nowhere.final.event.kind).toBe("exception");
    expect(await listed("gs://twined-diagnostics/")).toEqual([]);
    expect(logMessages(nowhere.sink.events).some((message) => message?.includes("Diagnostics"))).toBe(false);
  });

  it("saves every part it can and names the one it could not", async () => {
    // A store that cannot copy: the gs:// dataset's copy fails, the rest is saved and the asker is told.
    const store = new Proxy(served.store, {
      get(target, property, receiver) {
        if (property === "copy") return async () => Promise.reject(new Error("copy refused"));
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const { sink, questionUuid } = await ask({ fail: true }, { store });
    const root = `${LOCATION}/${questionUuid}`;
    const warning = logMessages(sink.events).at(-1);
    expect(warning).toMatch(
      new RegExp(`^Diagnostics saved to ${root}, except: the input_manifest dataset 'raw': .*copy refused`),
    );
    const manifest = (await readJson(`${root}/${DIAGNOSTICS_FILES.inputManifest}`)) as { datasets: object };
    // The dataset that could not be copied keeps its own path, so the diagnostics still say where it was.
    expect(manifest.datasets).toEqual({ raw: "gs://inputs/raw", notes: `${root}/input_manifest_datasets/notes` });
    expect(await readJson(`${root}/${DIAGNOSTICS_FILES.summary}`)).toMatchObject({ outcome: "exception" });
  });
});
