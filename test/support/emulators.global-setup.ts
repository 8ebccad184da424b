/**
 * Vitest global setup: starts the Google Pub/Sub and Firestore emulators once for the whole run, each on a free port
 * in a process group of its own (the gcloud wrapper leaves its Java child running, so the group is what gets killed),
 * and hands their addresses to the tests through `inject("emulators")`.
 *
 * Without `gcloud` the emulator tests are skipped with a loud message, unless TWINED_REQUIRE_EMULATORS=1 (CI), which
 * makes a missing or broken emulator fail the run.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import type { TestProject } from "vitest/node";
import type { EmulatorInfo } from "./emulators.js";

const PROJECT = "twined-test";
const START_TIMEOUT_MS = 60_000;

declare module "vitest" {
  export interface ProvidedContext {
    emulators: EmulatorInfo;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()));
    });
  });
}

function hasGcloud(): boolean {
  try {
    execFileSync("gcloud", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

interface Running {
  readonly process: ChildProcess;
  readonly host: string;
  output: string;
}

async function startEmulator(kind: "pubsub" | "firestore"): Promise<Running> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const args =
    kind === "pubsub"
      ? ["beta", "emulators", "pubsub", "start", `--host-port=${host}`, `--project=${PROJECT}`, "--quiet"]
      : ["emulators", "firestore", "start", `--host-port=${host}`, `--project=${PROJECT}`, "--quiet"];
  const child = spawn("gcloud", args, {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, METADATA_SERVER_DETECTION: "none" },
  });
  const running: Running = { process: child, host, output: "" };
  const collect = (chunk: Buffer) => {
    running.output = (running.output + chunk.toString("utf8")).slice(-4000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`the ${kind} emulator exited (${child.exitCode}) while starting:\n${running.output}`);
    }
    try {
      const response = await fetch(`http://${host}/`);
      if (response.ok) return running;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      stop(running);
      throw new Error(
        `the ${kind} emulator did not answer on ${host} within ${START_TIMEOUT_MS / 1000} s:\n${running.output}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function stop(running: Running): void {
  const pid = running.process.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const required = process.env.TWINED_REQUIRE_EMULATORS === "1";
  if (!hasGcloud()) {
    if (required)
      throw new Error("TWINED_REQUIRE_EMULATORS=1 but gcloud is not installed: the emulator tests cannot run");
    process.stderr.write(
      "\n*** gcloud is not installed: the tests that need the Pub/Sub and Firestore emulators are SKIPPED. ***\n\n",
    );
    project.provide("emulators", { available: false, projectId: PROJECT });
    return () => {};
  }
  const started = await Promise.allSettled([startEmulator("pubsub"), startEmulator("firestore")]);
  const running = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const failure = started.find((result) => result.status === "rejected");
  if (failure !== undefined) {
    for (const each of running) stop(each);
    throw failure.reason;
  }
  const [pubsub, firestore] = running as [Running, Running];
  project.provide("emulators", {
    available: true,
    projectId: PROJECT,
    pubsubHost: pubsub.host,
    firestoreHost: firestore.host,
  });
  return () => {
    for (const each of running) stop(each);
  };
}
