import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runTwined } from "./run-cli.js";

const examples = path.resolve("examples");

/** A private copy of an example service, so runs never write into the repository. */
function copyOf(example: string): string {
  const target = path.join(mkdtempSync(path.join(tmpdir(), "twined-ask-local-")), path.basename(example));
  cpSync(path.join(examples, example), target, { recursive: true });
  return target;
}

/** Octue's escape count, computed independently of the example: iterations of z ← z² + c from 0, counting from 1. */
function escapeCount(cReal: number, cImag: number, maximum: number): number {
  let [zReal, zImag, count] = [0, 0, 1];
  while (count <= maximum && zReal * zReal + zImag * zImag < 4) {
    [zReal, zImag] = [zReal * zReal - zImag * zImag + cReal, 2 * zReal * zImag + cImag];
    count += 1;
  }
  return count;
}

describe("twined question ask-local", () => {
  it("answers with the fractal example, numerically right", async () => {
    const service = copyOf("fractal");
    const yaml = path.join(service, "octue.yaml");
    writeFileSync(yaml, readFileSync(yaml, "utf8").replace("configuration_values.json", "small.json"));
    const result = await runTwined(["question", "ask-local"], service);
    expect(result.code).toBe(0);
    const event = JSON.parse(result.stdout) as {
      kind: string;
      output_values: { data: { x: number[][]; y: number[][]; z: number[][]; colorscale: string }; layout: object };
    };
    expect(event.kind).toBe("result");
    const { x, y, z, colorscale } = event.output_values.data;
    expect([z.length, z[0]?.length]).toEqual([20, 20]);
    expect(x[0]?.[0]).toBe(-2);
    expect(x[0]?.[19]).toBeCloseTo(0.5, 12);
    expect(y[0]?.[0]).toBe(-1.25);
    expect(y[19]?.[0]).toBeCloseTo(1.25, 12);
    for (let row = 0; row < 20; row++) {
      for (let column = 0; column < 20; column++) {
        expect(z[row]?.[column]).toBe(escapeCount(x[row]?.[column] ?? Number.NaN, y[row]?.[column] ?? Number.NaN, 16));
      }
    }
    expect(new Set(z.flat()).size).toBeGreaterThan(5);
    expect(colorscale).toBe("PuBu");
    expect(event.output_values.layout).toEqual({ title: "Mandelbrot set with 16 iterations", width: 20, height: 20 });
    expect(result.stderr).toMatch(/question received/);
    expect(result.stderr).toMatch(/INFO/);
  });

  it("answers with the using-manifests example, writing its output dataset", async () => {
    const service = copyOf("using-manifests");
    const result = await runTwined(["question", "ask-local", "-m", "@data/input/manifest.json"], service);
    expect(result.stderr).not.toMatch(/Traceback/);
    expect(result.code).toBe(0);
    const event = JSON.parse(result.stdout) as {
      output_manifest: { datasets: Record<string, { labels: string[]; files: string[] }> };
    };
    const dataset = event.output_manifest.datasets.cleaned_met_mast_data;
    expect(dataset?.labels).toEqual(["cleaned", "mast", "met"]);
    expect(dataset?.files).toHaveLength(1);
    const cleaned = readFileSync(dataset?.files[0] ?? "", "utf8")
      .trim()
      .split("\n");
    expect(cleaned.length).toBeGreaterThan(10);
    expect(cleaned[0]).toMatch(/time_stamp/);
  });

  it("answers with the child-services parent and emulated children", async () => {
    const service = copyOf("child-services");
    const result = await runTwined(
      [
        "question",
        "ask-local",
        "-i",
        "@data/input/values.json",
        "--children-emulators",
        "data/children-emulators.json",
      ],
      path.join(service, "parent"),
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      kind: "result",
      output_values: { wind_speeds: [10, 12], elevations: [300, 310] },
    });
    expect(result.stderr).toMatch(/\[examples\/elevation:0\.1\.0 \| [0-9a-f-]{36}\]/);
  });

  it.each([
    ["elevation", [3542, 548]],
    ["wind-speed", [59, 174]],
  ])("answers with the %s child service", async (name, expected) => {
    const service = copyOf("child-services");
    const result = await runTwined(
      ["question", "ask-local", "-i", "@data/input/values.json"],
      path.join(service, name),
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ kind: "result", output_values: expected });
  });

  it("prints the exception event and exits 1 when the app raises", async () => {
    const service = copyOf("child-services");
    const result = await runTwined(
      ["question", "ask-local", "-i", "@data/input/values.json"],
      path.join(service, "parent"),
    );
    expect(result.code).toBe(1);
    const event = JSON.parse(result.stdout) as { kind: string; exception_type: string; exception_traceback: string[] };
    expect(event.kind).toBe("exception");
    expect(event.exception_type).toBe("RuntimeError");
    expect(event.exception_traceback.length).toBeGreaterThan(0);
  });

  it("rejects invalid inputs precisely, without running the app", async () => {
    const service = copyOf("child-services");
    const result = await runTwined(
      ["question", "ask-local", "-i", '{"locations": [{"longitude": "east"}]}'],
      path.join(service, "elevation"),
    );
    expect(result.code).toBe(1);
    const event = JSON.parse(result.stdout) as { exception_type: string; exception_message: string };
    expect(event.exception_type).toBe("InvalidValuesContents");
    expect(event.exception_message).toMatch(/strand input_values, at \/locations\/0/);
    expect(result.stderr).not.toMatch(/question received/);
  });

  it("writes the final event to a file with --output", async () => {
    const service = path.join(copyOf("child-services"), "wind-speed");
    const result = await runTwined(
      ["question", "ask-local", "-i", "@data/input/values.json", "-o", "answer.json"],
      service,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/Answer written to answer\.json/);
    expect(JSON.parse(readFileSync(path.join(service, "answer.json"), "utf8"))).toEqual({
      kind: "result",
      output_values: [59, 174],
    });
  });

  it("prints events as JSON lines with --json", async () => {
    const service = copyOf("child-services");
    const result = await runTwined(
      ["question", "ask-local", "--json", "-i", "@data/input/values.json"],
      path.join(service, "elevation"),
    );
    expect(result.code).toBe(0);
    const kinds = result.stderr
      .trim()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => (JSON.parse(line) as { event: { kind: string } }).event.kind);
    expect(kinds[0]).toBe("delivery_acknowledgement");
    expect(kinds).toContain("monitor_message");
  });

  it.each([
    [["question", "ask-local", "--bogus"]],
    [["question", "ask-local", "--heartbeat-interval", "-1"]],
    [["question", "ask-local", "-i", "@missing.json"]],
  ])("exits 2 on the usage error %j", async (argv) => {
    const result = await runTwined(argv, path.join(copyOf("child-services"), "elevation"));
    expect(result.code).toBe(2);
  });

  it("exits 2 when there is no octue.yaml", async () => {
    const result = await runTwined(["question", "ask-local"], mkdtempSync(path.join(tmpdir(), "twined-empty-")));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ServiceConfigurationNotFound/);
  });
});

const REPLAYED_UUID = "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
const RECORDED_SRUID = "testing/replayed:recorded-tag";
const RECORDED_MESSAGE =
  "site A1: reading 7 x 3 exceeds the limit 5 (dataset met-mast {'height': 80}, file {'unit': 'm/s'}); probe answered [10, 11] then [20]";

/** A copy of the replay fixture (a service that asks its child twice), and an empty folder for its diagnostics. */
function replayFixture(): { service: string; downloads: string } {
  const root = mkdtempSync(path.join(tmpdir(), "twined-replay-"));
  const service = path.join(root, "service");
  cpSync(path.resolve("test/fixtures/diagnostics-replay"), service, { recursive: true });
  return { service, downloads: path.join(root, "downloads") };
}

/** A recorded question to the probe child, as questions.json holds it: its events in `{event, attributes}` envelopes. */
function probeQuestion(n: number, events: readonly object[]) {
  return {
    id: "testing/probe:1.0.0",
    key: "probe",
    question_uuid: `0000000${n}-0000-4000-8000-000000000000`,
    input_values: { site: "A1", n },
    input_manifest: null,
    events: events.map((event) => ({ event, attributes: { sender: "testing/probe:1.0.0", sender_type: "CHILD" } })),
  };
}

const probeLog = (msg: string) => ({ kind: "log_record", log_record: { msg, levelname: "INFO", name: "probe" } });

/** Writes the file, making its folder. */
function write(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/**
 * A crashed question's diagnostics as `twined question diagnostics UUID -o DIR` downloads them into `<downloads>/<uuid>/`:
 * its configuration and inputs (which differ from the service's own), each manifest's dataset beside it with Octue's
 * `.octue` metadata and named by a path relative to the folder, and two recorded answers of the child it asked.
 */
function writeDiagnostics(downloads: string): string {
  const folder = path.join(downloads, REPLAYED_UUID);
  const json = (name: string, value: unknown) => write(path.join(folder, name), JSON.stringify(value, null, 2));
  json("diagnostics.json", {
    question_uuid: REPLAYED_UUID,
    service: RECORDED_SRUID,
    saved_at: "2024-06-10T06:13:20.000Z",
    save_diagnostics: "SAVE_DIAGNOSTICS_ON_CRASH",
    outcome: "exception",
    exception_type: "ValueError",
    exception_message: `Error in <Service('${RECORDED_SRUID}')>: ${RECORDED_MESSAGE}`,
    twined_version: "0.1.0",
  });
  json("configuration_values.json", { limit: 5 });
  json("configuration_manifest.json", {
    id: "8f2e3d4c-5b6a-4798-8a0b-1c2d3e4f5a6b",
    // A dataset object rather than a path: its relative file paths are relative to the dataset.
    datasets: {
      calibration: {
        id: "2d6c7b8a-9f0e-4bdc-8e4f-5a6b7c8d9e0f",
        name: "calibration",
        tags: {},
        labels: [],
        path: "configuration_manifest_datasets/calibration",
        files: [
          { id: "3e7d8c9b-0a1f-4ced-9f5a-6b7c8d9e0f1a", path: "factor.txt", timestamp: null, tags: {}, labels: [] },
        ],
      },
    },
  });
  write(path.join(folder, "configuration_manifest_datasets", "calibration", "factor.txt"), "3\n");
  json("input_values.json", { site: "A1" });
  json("input_manifest.json", {
    id: "9a3f4e5d-6c7b-48a9-9b1c-2d3e4f5a6b7c",
    datasets: { readings: "input_manifest_datasets/readings" },
  });
  const readings = path.join(folder, "input_manifest_datasets", "readings");
  write(path.join(readings, "speeds.csv"), "7\n3\n");
  write(
    path.join(readings, ".octue"),
    JSON.stringify({
      dataset: {
        id: "0b4a5f6e-7d8c-49ba-8c2d-3e4f5a6b7c8d",
        name: "met-mast",
        tags: { height: 80 },
        labels: [],
        files: ["speeds.csv"],
      },
      datafiles: {
        "speeds.csv": {
          id: "1c5b6a7f-8e9d-4acb-9d3e-4f5a6b7c8d9e",
          timestamp: null,
          tags: { unit: "m/s" },
          labels: ["wind"],
          sdk_version: "0.1.0",
        },
      },
    }),
  );
  json("questions.json", [
    probeQuestion(1, [probeLog("first probe"), { kind: "result", output_values: [10, 11] }]),
    probeQuestion(2, [probeLog("second probe"), { kind: "result", output_values: [20] }]),
  ]);
  json("events.json", []);
  return folder;
}

describe("twined question ask-local --from-diagnostics", () => {
  it("replays a crashed question with its recorded data and child answers, raising as it did", async () => {
    const { service, downloads } = replayFixture();
    writeDiagnostics(downloads);
    const result = await runTwined(["question", "ask-local", "--from-diagnostics", downloads], service);
    expect(result.code).toBe(1);
    const event = JSON.parse(result.stdout) as { kind: string; exception_type: string; exception_message: string };
    expect(event).toMatchObject({
      kind: "exception",
      exception_type: "ValueError",
      exception_message: `Error in <Service('${RECORDED_SRUID}')>: ${RECORDED_MESSAGE}`,
    });
    expect(result.stderr).toContain(
      `Replaying question ${REPLAYED_UUID} of ${RECORDED_SRUID} from ${path.join(downloads, REPLAYED_UUID)} (failed with ValueError: Error in <Service('${RECORDED_SRUID}')>: ${RECORDED_MESSAGE})`,
    );
    // The recorded child's logs are relayed in the order it answered.
    const first = result.stderr.indexOf("first probe");
    expect(first).toBeGreaterThan(-1);
    expect(result.stderr.indexOf("second probe")).toBeGreaterThan(first);
    expect(result.stderr).toMatch(/The probe answered \[10, 11\] then \[20\]\./);
  });

  it("takes the diagnostics folder itself, and -i in place of the recorded input values", async () => {
    const { service, downloads } = replayFixture();
    const folder = writeDiagnostics(downloads);
    const result = await runTwined(
      ["question", "ask-local", "--from-diagnostics", folder, "-i", '{"site": "B2"}', "--revision-tag", "mine"],
      service,
    );
    expect(result.code).toBe(1);
    const event = JSON.parse(result.stdout) as { exception_message: string };
    expect(event.exception_message).toBe(
      `Error in <Service('testing/replayed:mine')>: ${RECORDED_MESSAGE.replace("site A1", "site B2")}`,
    );
  });

  it("keeps the service's own configuration where the diagnostics recorded none", async () => {
    const { service, downloads } = replayFixture();
    rmSync(path.join(writeDiagnostics(downloads), "configuration_manifest.json"));
    const result = await runTwined(["question", "ask-local", "--from-diagnostics", downloads], service);
    expect(result.code).toBe(1);
    expect((JSON.parse(result.stdout) as { exception_message: string }).exception_message).toContain(
      "site A1: reading 7 x 1 exceeds the limit 5",
    );
  });

  it("answers with the service's own configuration and data without --from-diagnostics", async () => {
    const { service, downloads } = replayFixture();
    const folder = writeDiagnostics(downloads);
    // The recorded inputs, read from where the diagnostics keep them; the configuration is the service's own.
    const readings = path.join(folder, "input_manifest_datasets", "readings");
    write(path.join(service, "emulators.json"), JSON.stringify({ probe: [{ kind: "result", output_values: [1] }] }));
    const result = await runTwined(
      [
        "question",
        "ask-local",
        "-i",
        '{"site": "A1"}',
        "-m",
        JSON.stringify({ id: "9a3f4e5d-6c7b-48a9-9b1c-2d3e4f5a6b7c", datasets: { readings } }),
        "--children-emulators",
        "emulators.json",
      ],
      service,
    );
    expect(result.stderr).not.toMatch(/Traceback/);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ kind: "result", output_values: { site: "A1", maximum: 7 } });
  });

  it("says the replay diverged when the app asks its child more often than recorded", async () => {
    const { service, downloads } = replayFixture();
    const folder = writeDiagnostics(downloads);
    const questions = JSON.parse(readFileSync(path.join(folder, "questions.json"), "utf8")) as unknown[];
    writeFileSync(path.join(folder, "questions.json"), JSON.stringify(questions.slice(0, 1)));
    const result = await runTwined(["question", "ask-local", "--from-diagnostics", downloads], service);
    expect(result.code).toBe(1);
    const event = JSON.parse(result.stdout) as { exception_type: string; exception_message: string };
    expect(event.exception_type).toBe("InvalidChildrenEmulators");
    expect(event.exception_message).toMatch(
      /the diagnostics recorded 1 question to child 'probe'; the app asked a 2nd: the replay has diverged from the recorded run/,
    );
  });

  it("takes a missing questions.json to mean no child was asked", async () => {
    const { service, downloads } = replayFixture();
    const folder = writeDiagnostics(downloads);
    rmSync(path.join(folder, "questions.json"));
    const result = await runTwined(["question", "ask-local", "--from-diagnostics", downloads], service);
    expect(result.code).toBe(1);
    expect((JSON.parse(result.stdout) as { exception_message: string }).exception_message).toMatch(
      /the diagnostics recorded no question to child 'probe' \(none to any child\); the app asked one/,
    );
  });

  it("refuses --children-emulators with --from-diagnostics as a usage error", async () => {
    const { service, downloads } = replayFixture();
    writeDiagnostics(downloads);
    const result = await runTwined(
      ["question", "ask-local", "--from-diagnostics", downloads, "--children-emulators", "emulators.json"],
      service,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /InvalidAskLocalOptions: --children-emulators cannot be used with --from-diagnostics: a replay answers the app's child questions with the answers recorded in the diagnostics' questions\.json/,
    );
    expect(result.stdout).toBe("");
  });

  it.each([
    [
      "a folder without diagnostics",
      (downloads: string) => mkdirSync(downloads, { recursive: true }),
      /there is no diagnostics\.json in this folder, nor in any folder in it/,
    ],
    ["no folder at all", () => undefined, /there is no such folder/],
    [
      "the diagnostics of two questions",
      (downloads: string) => {
        writeDiagnostics(downloads);
        cpSync(path.join(downloads, REPLAYED_UUID), path.join(downloads, "another"), { recursive: true });
      },
      new RegExp(`holds the diagnostics of 2 questions \\(${REPLAYED_UUID}, another\\), not one`),
    ],
  ])("exits 2 for %s, saying what to give", async (_case, make, reason) => {
    const { service, downloads } = replayFixture();
    make(downloads);
    const result = await runTwined(["question", "ask-local", "--from-diagnostics", downloads], service);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DiagnosticsNotFound: /);
    expect(result.stderr).toMatch(reason);
    expect(result.stderr).toContain("'twined question diagnostics UUID -o DIR' downloads them to DIR/<question UUID>");
    expect(result.stderr).not.toMatch(/Replaying/);
  });

  it.each([
    ["input_values.json", '{"site": "A1",}', /input_values\.json:1:\d+: JsonSyntaxError: Invalid JSON/],
    ["diagnostics.json", "{", /diagnostics\.json:\d+:\d+: JsonSyntaxError: Invalid JSON/],
    [
      "diagnostics.json",
      JSON.stringify({ service: RECORDED_SRUID }),
      /diagnostics\.json: InvalidDiagnostics: the diagnostics summary has no string "question_uuid" \(at \/question_uuid\)/,
    ],
    [
      "questions.json",
      JSON.stringify([probeQuestion(1, [probeLog("no answer")])]),
      /questions\.json: InvalidChildrenEmulators: there is no "result" or "exception" event in the events of the recorded question at \/0 \(to child 'probe'\)/,
    ],
    [
      "questions.json",
      JSON.stringify([{ key: "probe", events: [{ event: { kind: "result" }, attributes: {} }, { kind: "bogus" }] }]),
      /questions\.json: InvalidChildrenEmulators: the event at \/0\/events\/1 is not a valid response event/,
    ],
  ])("exits 1 before running anything when %s is %s", async (name, content, message) => {
    const { service, downloads } = replayFixture();
    writeFileSync(path.join(writeDiagnostics(downloads), name), content);
    const result = await runTwined(["question", "ask-local", "--from-diagnostics", downloads], service);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
    expect(result.stderr).not.toMatch(/Replaying|question received/);
  });
});

describe("twined service answer", () => {
  it("answers an Octue-format question and writes every event as a JSON line", async () => {
    const service = path.join(copyOf("child-services"), "wind-speed");
    const question = {
      event: { kind: "question", input_values: { locations: [{ longitude: 0, latitude: 0 }] } },
      attributes: {
        datetime: "2024-04-11T09:26:39.144818",
        uuid: "c8bda9fa-f072-4330-92b1-96920d06b28d",
        question_uuid: "ca534cdd-24cb-4ed2-af57-e36757192acb",
        originator_question_uuid: "ca534cdd-24cb-4ed2-af57-e36757192acb",
        parent: "octue/parent:1.0.0",
        originator: "octue/parent:1.0.0",
        sender: "octue/parent:1.0.0",
        sender_type: "PARENT",
        sender_sdk_version: "0.69.0",
        recipient: "examples/wind-speed:0.1.0",
        retry_count: 0,
        forward_logs: true,
        save_diagnostics: "SAVE_DIAGNOSTICS_ON_CRASH",
      },
    };
    writeFileSync(path.join(service, "question.json"), JSON.stringify(question));
    const result = await runTwined(["service", "answer", "--question", "@question.json"], service);
    expect(result.code).toBe(0);
    const events = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { event: { kind: string }; attributes: Record<string, unknown> });
    expect(events[0]?.event.kind).toBe("delivery_acknowledgement");
    expect(events.at(-1)?.event).toMatchObject({ kind: "result", output_values: [59] });
    expect(events.at(-1)?.attributes).toMatchObject({
      sender: "examples/wind-speed:0.1.0",
      recipient: "octue/parent:1.0.0",
      question_uuid: "ca534cdd-24cb-4ed2-af57-e36757192acb",
      sender_type: "CHILD",
    });
  });

  it("refuses an invalid question with exit 2", async () => {
    const service = path.join(copyOf("child-services"), "wind-speed");
    const result = await runTwined(["service", "answer", "--question", '{"event": {"kind": "question"}}'], service);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/InvalidEvent/);
  });
});
