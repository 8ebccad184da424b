import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import { registerFolder, SLEEPER_APP, testService } from "../scenarios/scenario-services.js";
import { startTwined } from "../support/twined-process.js";
import { waitFor } from "../support/wait-for.js";
import { runTwined } from "./run-cli.js";

let network: EmbeddedNetwork;
let server: Server;
let base: string;
const scratch = mkdtempSync(path.join(tmpdir(), "twined-network-cli-"));

function copyOf(example: string, name: string): string {
  const directory = path.join(scratch, name);
  cpSync(path.resolve("examples", example), directory, { recursive: true });
  return directory;
}

beforeAll(async () => {
  network = await startEmbeddedNetwork({
    dataDirectory: path.join(scratch, ".twined"),
    databasePath: ":memory:",
    cpuQuota: 2,
  });
  server = createHttpApi(network, { pollIntervalMs: 20 }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const elevation = copyOf("child-services/elevation", "elevation");
  await network.revisions.register(
    {
      namespace: "examples",
      name: "elevation",
      revisionTag: "0.1.0",
      twine: JSON.parse(readFileSync(path.join(elevation, "twine.json"), "utf8")) as Record<string, unknown>,
      source: { kind: "directory", path: elevation },
    },
    { makeDefault: true },
  );
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await network.close();
});

const input = '{"locations": [{"longitude": 1, "latitude": 1}]}';

/** Asks the elevation service with --asynchronous and waits until the question has succeeded; returns its UUID. */
async function askAndWait(): Promise<string> {
  const asked = await runTwined([
    "question",
    "ask",
    "examples/elevation",
    "-i",
    input,
    "--asynchronous",
    "--network",
    base,
  ]);
  expect(asked.code).toBe(0);
  const uuid = asked.stdout.trim();
  await waitFor(async () => (await network.questions.get(uuid))?.status === "succeeded", { timeoutMs: 20_000 });
  return uuid;
}

describe("twined question ask / status / cancel", () => {
  it("asks a question, shows its logs and prints the answer", async () => {
    const result = await runTwined(["question", "ask", "examples/elevation", "-i", input, "--network", base]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ output_values: [548], output_manifest: null });
    expect(result.stderr).toMatch(/question received/);
    expect(result.stderr).toMatch(/INFO/);
  }, 30_000);

  it("prints only the question UUID with --asynchronous, and the status later", async () => {
    const uuid = await askAndWait();
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    const status = await runTwined(["question", "status", uuid, "--network", base]);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: "succeeded", answer: { output_values: [548] } });
    const cancelled = await runTwined(["question", "cancel", uuid, "--network", base]);
    expect(cancelled).toMatchObject({ code: 0, stdout: `${uuid}: succeeded\n` });
  }, 30_000);

  it("exits 1 with the error when the question is rejected or the service is unknown", async () => {
    const rejected = await runTwined([
      "question",
      "ask",
      "examples/elevation",
      "-i",
      '{"locations": 3}',
      "--network",
      base,
    ]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/InvalidValuesContents: .*at \/locations/);
    const unknown = await runTwined(["question", "ask", "examples/nobody", "--network", base]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/RevisionNotFound/);
  }, 30_000);

  it("gives up at --timeout, cancelling the question, and says where the question was", async () => {
    await registerFolder(base, testService("sleeper", SLEEPER_APP), {
      namespace: "testing",
      name: "sleeper",
      tag: "1",
    });
    const result = await runTwined([
      "question",
      "ask",
      "testing/sleeper",
      "-i",
      "{}",
      "--timeout",
      "1.5",
      "--network",
      base,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\[\d+ s\] running/);
    const match = result.stderr.match(
      /No answer from testing\/sleeper:1 to question ([0-9a-f-]{36}) within 1.5 s; the question was cancelled/,
    );
    expect(match).not.toBeNull();
    await waitFor(async () => (await network.questions.get(match?.[1] ?? ""))?.status === "cancelled");
  }, 30_000);

  it("refuses a heartbeat interval that is not a positive number", async () => {
    const result = await runTwined(["question", "ask", "examples/elevation", "--max-heartbeat-interval", "-1"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--max-heartbeat-interval/);
  });

  it("exits 2 for an invalid service ID or an unreachable network", async () => {
    expect((await runTwined(["question", "ask", "Not/Valid", "--network", base])).code).toBe(2);
    const unreachable = await runTwined(["question", "ask", "examples/elevation", "--network", "http://127.0.0.1:9"]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/cannot reach the Twined network at http:\/\/127\.0\.0\.1:9/);
  });
});

describe("twined question events get / revision list / revision set-default", () => {
  it("prints a question's events, filtered by kind", async () => {
    const uuid = await askAndWait();
    const all = await runTwined(["question", "events", "get", "--question-uuid", uuid, "--network", base]);
    expect(all.code).toBe(0);
    const kinds = (JSON.parse(all.stdout) as { event: { kind: string } }[]).map((each) => each.event.kind);
    expect(kinds[0]).toBe("delivery_acknowledgement");
    expect(kinds.at(-1)).toBe("result");
    const results = await runTwined([
      "question",
      "events",
      "get",
      "--question-uuid",
      uuid,
      "-k",
      "result",
      "--network",
      base,
    ]);
    expect((JSON.parse(results.stdout) as unknown[]).length).toBe(1);
    const tree = await runTwined([
      "question",
      "events",
      "get",
      "--originator-question-uuid",
      uuid,
      "-e",
      "log_record",
      "--network",
      base,
    ]);
    expect(
      (JSON.parse(tree.stdout) as { event: { kind: string } }[]).every((each) => each.event.kind !== "log_record"),
    ).toBe(true);
    expect((await runTwined(["question", "events", "get", "--network", base])).code).toBe(2);
    const replayed = await runTwined(["question", "events", "replay", uuid, "--network", base]);
    expect(replayed.code).toBe(0);
    expect(JSON.parse(replayed.stdout)).toEqual({ output_values: [548], output_manifest: null });
    expect(replayed.stderr).toMatch(/INFO/);
  }, 30_000);

  it("lists revisions and moves the default", async () => {
    const elevation = path.join(scratch, "elevation");
    await network.revisions.register({
      namespace: "examples",
      name: "elevation",
      revisionTag: "0.2.0",
      twine: JSON.parse(readFileSync(path.join(elevation, "twine.json"), "utf8")) as Record<string, unknown>,
      source: { kind: "directory", path: elevation },
    });
    const listed = await runTwined(["revision", "list", "examples/elevation", "--network", base]);
    expect(listed.stdout).toMatch(/^examples\/elevation:0\.2\.0 {2}\d/m);
    expect(listed.stdout).toMatch(/^examples\/elevation:0\.1\.0 {2}\(default\)/m);
    const moved = await runTwined(["revision", "set-default", "examples/elevation:0.2.0", "--network", base]);
    expect(moved.code).toBe(0);
    expect((await network.revisions.getDefault("examples", "elevation"))?.revisionTag).toBe("0.2.0");
    expect((await runTwined(["revision", "set-default", "examples/elevation:9.9.9", "--network", base])).code).toBe(1);
    expect((await runTwined(["revision", "set-default", "examples/elevation", "--network", base])).code).toBe(2);
  });
});

describe("twined service start", () => {
  it("registers the service folder as a revision and serves it until Ctrl-C", async () => {
    const service = copyOf("child-services/wind-speed", "wind-speed");
    const twined = startTwined(
      ["service", "start", "--revision-tag", "2.0.0", "--default", "--network", base],
      service,
    );
    try {
      await waitFor(() => twined.output.stdout.includes("Serving examples/wind-speed:2.0.0"), {
        timeoutMs: 20_000,
        intervalMs: 50,
      });
      expect((await network.revisions.getDefault("examples", "wind-speed"))?.revisionTag).toBe("2.0.0");
      const answered = await runTwined(["question", "ask", "examples/wind-speed", "-i", input, "--network", base]);
      expect(JSON.parse(answered.stdout)).toEqual({ output_values: [174], output_manifest: null });
    } finally {
      twined.kill("SIGINT");
    }
    expect(await twined.exited).toBe(0);
  }, 60_000);
});
