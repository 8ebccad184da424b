import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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
