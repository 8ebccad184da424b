import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { EmulatorUnavailable } from "../shared/errors/index.js";
import { startStorageEmulator } from "./storage-emulator.js";

export type EmulatorKind = "pubsub" | "firestore";

/** A running emulator: its `host:port`, and how to stop it (with the Java process the gcloud wrapper leaves behind). */
export interface RunningEmulator {
  readonly kind: EmulatorKind;
  readonly host: string;
  stop(): void;
}

const START_TIMEOUT_MS = 60_000;

/** Whether the `gcloud` command (with its emulators) is installed. */
export function hasGcloud(): boolean {
  try {
    execFileSync("gcloud", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A TCP port nobody is listening on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port was assigned")),
      );
    });
  });
}

/**
 * Starts a Google emulator on a free port, in a process group of its own so that stopping it also stops the Java
 * child the gcloud wrapper leaves running, and waits until it answers.
 *
 * @throws EmulatorUnavailable if it exits or does not answer within a minute.
 */
export async function startEmulator(kind: EmulatorKind, projectId: string): Promise<RunningEmulator> {
  const host = `127.0.0.1:${await freePort()}`;
  const args =
    kind === "pubsub"
      ? ["beta", "emulators", "pubsub", "start", `--host-port=${host}`, `--project=${projectId}`, "--quiet"]
      : ["emulators", "firestore", "start", `--host-port=${host}`, `--project=${projectId}`, "--quiet"];
  const child = spawn("gcloud", args, {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, METADATA_SERVER_DETECTION: "none" },
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-4000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  child.on("error", (error) => collect(Buffer.from(`\n${error.message}\n`)));
  const running: RunningEmulator = { kind, host, stop: () => stopGroup(child) };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new EmulatorUnavailable(`the ${kind} emulator exited while starting:\n${output}`);
    }
    if (await answers(host)) {
      // Its output is no longer needed; keep the pipes drained so it never blocks on a full one.
      child.stdout?.resume();
      child.stderr?.resume();
      return running;
    }
    if (Date.now() > deadline) {
      running.stop();
      throw new EmulatorUnavailable(
        `the ${kind} emulator did not answer on ${host} within ${START_TIMEOUT_MS / 1000} s:\n${output}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function answers(host: string): Promise<boolean> {
  try {
    return (await fetch(`http://${host}/`)).ok;
  } catch {
    return false;
  }
}

function stopGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** The emulators a network needs: where each listens, and how to stop the ones started here. */
export interface EnsuredEmulators {
  readonly pubsubHost: string;
  readonly firestoreHost: string;
  /** `http://host:port`, as `STORAGE_EMULATOR_HOST` takes it. */
  readonly storageHost: string;
  /** Which emulators were found running and which were started, for a start-up message. */
  readonly description: string;
  /** Stops the emulators started here (not ones found running). */
  stop(): void;
}

const EMULATOR_VARIABLES = [
  ["pubsub", "PUBSUB_EMULATOR_HOST"],
  ["firestore", "FIRESTORE_EMULATOR_HOST"],
] as const;

/**
 * The Pub/Sub, Firestore and Cloud Storage emulators, for `twined dev --backend emulators` and `npm run
 * functions:start`: those named by `PUBSUB_EMULATOR_HOST` / `FIRESTORE_EMULATOR_HOST` / `STORAGE_EMULATOR_HOST`,
 * otherwise ones started on free ports (Storage's inside this process). Sets those variables (and
 * `METADATA_SERVER_DETECTION=none`) so the Google clients of this process, and the processes it starts, find them.
 *
 * @throws EmulatorUnavailable when an emulator is needed but gcloud is missing or the emulator does not start.
 */
export async function ensureEmulators(projectId: string): Promise<EnsuredEmulators> {
  const started: { stop(): void }[] = [];
  const stop = () => {
    for (const emulator of started) emulator.stop();
  };
  try {
    for (const [kind, variable] of EMULATOR_VARIABLES) {
      if (process.env[variable]) continue;
      if (!hasGcloud()) {
        throw new EmulatorUnavailable(
          `${variable} is not set and gcloud is not installed to start the ${kind} emulator; install the Google Cloud SDK or point ${variable} at a running emulator`,
        );
      }
      const emulator = await startEmulator(kind, projectId);
      started.push(emulator);
      process.env[variable] = emulator.host;
    }
    if (!process.env.STORAGE_EMULATOR_HOST) {
      const storage = await startStorageEmulator(projectId);
      started.push(storage);
      process.env.STORAGE_EMULATOR_HOST = storage.host;
    }
  } catch (error) {
    stop();
    throw error;
  }
  process.env.METADATA_SERVER_DETECTION ??= "none";
  const pubsubHost = process.env.PUBSUB_EMULATOR_HOST ?? "";
  const firestoreHost = process.env.FIRESTORE_EMULATOR_HOST ?? "";
  const storageHost = process.env.STORAGE_EMULATOR_HOST ?? "";
  return {
    pubsubHost,
    firestoreHost,
    storageHost,
    description: `Pub/Sub emulator at ${pubsubHost}, Firestore emulator at ${firestoreHost}, Storage emulator at ${storageHost}, project ${projectId}`,
    stop,
  };
}
