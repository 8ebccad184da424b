import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useEmulators } from "../support/emulators.js";
import { harnessProcesses } from "../support/harness-processes.js";
import { startTwined, type TwinedProcess } from "../support/twined-process.js";
import { waitFor } from "../support/wait-for.js";
import { askWindSpeed, registerWindSpeed } from "./support/wind-speed-network.js";

const emulators = useEmulators();
const backends: [string, string[]][] = [["the embedded backend", []]];
if (emulators.available) {
  backends.push(["the emulators", ["--backend", "emulators", "--project", emulators.projectId]]);
}

describe.each(backends)("twined dev on %s", (_name, backendArguments) => {
  it("runs a network that answers questions over HTTP, and stops cleanly on Ctrl-C", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "twined-dev-"));
    const service = path.join(data, "wind-speed");
    cpSync(path.resolve("examples/child-services/wind-speed"), service, { recursive: true });
    const twined = startTwined([
      "dev",
      "--port",
      "0",
      "--data-dir",
      path.join(data, ".twined"),
      "--cpus",
      "1",
      ...backendArguments,
    ]);
    try {
      const base = await listeningWithWindSpeed(twined, service);
      // The emulators share the machine with the other suites' 200-question loads in CI: give them time.
      const { uuid, answer } = await askWindSpeed(base, 90_000);
      expect(answer).toEqual({ output_values: [59] });

      // On loopback it answers only requests addressed to itself, and pages served from itself.
      const port = new URL(base).port;
      expect(await rawGet(base, "/questions", { host: `localhost:${port}` })).toMatchObject({ status: 200 });
      const rebound = await rawGet(base, "/questions", { host: "evil.example:7171" });
      expect(rebound).toMatchObject({ status: 403, body: { error: { type: "HostNotAllowed" } } });
      expect(JSON.stringify(rebound.body)).not.toContain(uuid);
      const crossSite = await rawGet(base, "/questions", { origin: "http://evil.example" });
      expect(crossSite).toMatchObject({ status: 403, body: { error: { type: "OriginNotAllowed" } } });
      expect(await rawGet(base, "/healthz", { origin: `http://127.0.0.1:${port}` })).toMatchObject({ status: 200 });
    } finally {
      twined.kill("SIGINT");
    }
    expect(await twined.exited).toBe(0);
    expect(twined.output.stdout).toMatch(/Stopping \(SIGINT\)/);
  }, 180_000);
});

describe("twined dev's spare harnesses", () => {
  async function afterOneQuestion(extraArguments: string[]) {
    const data = mkdtempSync(path.join(tmpdir(), "twined-dev-spares-"));
    const service = path.join(data, "wind-speed");
    cpSync(path.resolve("examples/child-services/wind-speed"), service, { recursive: true });
    const dataDir = path.join(data, ".twined");
    const twined = startTwined(["dev", "--port", "0", "--data-dir", dataDir, "--cpus", "1", ...extraArguments]);
    const base = await listeningWithWindSpeed(twined, service);
    await askWindSpeed(base, 90_000);
    return twined;
  }

  it("keep a Python started for a revision's next question once it has answered one", async () => {
    const twined = await afterOneQuestion([]);
    try {
      await waitFor(() => harnessProcesses(twined.pid).length === 1, { description: "a spare harness" });
    } finally {
      twined.kill("SIGINT");
    }
    expect(await twined.exited).toBe(0);
    // Stopped with the network.
    expect(harnessProcesses(twined.pid)).toEqual([]);
  }, 120_000);

  it("are not kept with --no-spare-harnesses", async () => {
    const twined = await afterOneQuestion(["--no-spare-harnesses"]);
    try {
      await waitFor(() => harnessProcesses(twined.pid).length === 0, { description: "the question's Python to end" });
      // A spare is started as the question's own Python ends: had one been, it would be here by now.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(harnessProcesses(twined.pid)).toEqual([]);
    } finally {
      twined.kill("SIGINT");
    }
    expect(await twined.exited).toBe(0);
  }, 120_000);
});

/** Waits for the network to listen, registers the wind-speed example as its default revision; returns the address. */
async function listeningWithWindSpeed(twined: TwinedProcess, service: string): Promise<string> {
  // On the emulators it first provisions every topic and subscription, which is slow on a busy machine.
  await waitFor(() => /listening on (http:\/\/\S+) /.test(twined.output.stdout), { timeoutMs: 45_000, intervalMs: 50 });
  const base = /listening on (http:\/\/\S+) /.exec(twined.output.stdout)?.[1] ?? "";
  await registerWindSpeed(base, service);
  return base;
}

/** A GET with headers `fetch` will not set (`Host`), by Node's own HTTP client. */
function rawGet(base: string, route: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const request = httpRequest(`${base}${route}`, { headers }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    request.on("error", reject);
    request.end();
  });
}

describe("twined dev restarted on a data directory served on other topics", () => {
  /** Starts `twined dev` (embedded) on `dataDir` until it listens, stops it, and returns what it printed. */
  async function runOnce(dataDir: string, ...args: string[]): Promise<string> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.TWINED_ENVIRONMENT;
    delete env.TWINED_SERVICES_TOPIC_NAME;
    const twined = startTwined(["dev", "--port", "0", "--data-dir", dataDir, "--cpus", "1", ...args], undefined, env);
    try {
      await waitFor(() => /export TWINED_NETWORK_URL=/.test(twined.output.stdout), {
        timeoutMs: 45_000,
        intervalMs: 50,
        description: () => `twined dev to start (it printed: ${twined.output.stdout}${twined.output.stderr})`,
      });
    } finally {
      twined.kill("SIGINT");
    }
    expect(await twined.exited).toBe(0);
    return twined.output.stdout;
  }

  it("says so at start-up, and how to keep the old topics; the same topics again say nothing", async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), "twined-dev-topics-")), ".twined");
    const first = await runOnce(dataDir);
    expect(first).not.toMatch(/last served/);
    // Octue parents cannot reach the in-memory bus: the start-up message says what can.
    expect(first).toMatch(/Octue parents cannot reach this network: .*--backend emulators/);
    expect(first).toMatch(/^ {2}export TWINED_NETWORK_URL=http:\/\/127\.0\.0\.1:\d+$/m);

    // A data directory made before `twined dev` recorded its topics was served on `local`, the only choice then.
    rmSync(path.join(dataDir, "served-topics.json"));
    const upgraded = await runOnce(dataDir);
    expect(upgraded).toContain(
      "This data directory was last served on the topics of environment 'local' (services topic local.octue.twined.services); it now serves 'main' (services topic main.octue.twined.services).",
    );
    expect(upgraded).toContain("To keep the old topics, restart with --environment local.");

    const staging = await runOnce(dataDir, "--environment", "staging");
    expect(staging).toMatch(/last served on the topics of environment 'main' .* now serves 'staging'/);
    expect(staging).toContain("restart with --environment main.");
    expect(await runOnce(dataDir, "--environment", "staging")).not.toMatch(/last served/);
  }, 180_000);
});
