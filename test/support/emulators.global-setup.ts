/**
 * Vitest global setup: starts the Google Pub/Sub and Firestore emulators once for the whole run, each on a free port
 * in a process group of its own (the gcloud wrapper leaves its Java child running, so the group is what gets killed),
 * and the Cloud Storage emulator (firebase-tools) inside this process, and hands their addresses to the tests through
 * `inject("emulators")`.
 *
 * Without `gcloud` (or firebase-tools) the tests that need them are skipped with a loud message, unless
 * TWINED_REQUIRE_EMULATORS=1 (CI), which makes a missing or broken emulator fail the run.
 */
import type { TestProject } from "vitest/node";
import { hasGcloud, type RunningEmulator, startEmulator } from "../../dev/emulators.js";
import { hasStorageEmulator, startStorageEmulator } from "../../dev/storage-emulator.js";
import type { EmulatorInfo } from "./emulators.js";

const PROJECT = "twined-test";

declare module "vitest" {
  export interface ProvidedContext {
    emulators: EmulatorInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const required = process.env.TWINED_REQUIRE_EMULATORS === "1";
  const storage = await startStorage(required);
  const stopStorage = () => storage?.stop();
  if (!hasGcloud()) {
    if (required)
      throw new Error("TWINED_REQUIRE_EMULATORS=1 but gcloud is not installed: the emulator tests cannot run");
    process.stderr.write(
      "\n*** gcloud is not installed: the tests that need the Pub/Sub and Firestore emulators are SKIPPED. ***\n\n",
    );
    project.provide("emulators", { available: false, projectId: PROJECT, ...storageInfo(storage) });
    return stopStorage;
  }
  const started = await Promise.allSettled([startEmulator("pubsub", PROJECT), startEmulator("firestore", PROJECT)]);
  const running = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const failure = started.find((result) => result.status === "rejected");
  if (failure !== undefined) {
    for (const each of running) each.stop();
    stopStorage();
    throw failure.reason;
  }
  const [pubsub, firestore] = running as [RunningEmulator, RunningEmulator];
  project.provide("emulators", {
    available: true,
    projectId: PROJECT,
    pubsubHost: pubsub.host,
    firestoreHost: firestore.host,
    ...storageInfo(storage),
  });
  return () => {
    for (const each of running) each.stop();
    stopStorage();
  };
}

async function startStorage(required: boolean) {
  if (!hasStorageEmulator()) {
    if (required)
      throw new Error("TWINED_REQUIRE_EMULATORS=1 but firebase-tools (the Storage emulator) is not installed");
    process.stderr.write(
      "\n*** firebase-tools is not installed: the tests that need the Cloud Storage emulator are SKIPPED. ***\n\n",
    );
    return undefined;
  }
  return startStorageEmulator(PROJECT);
}

function storageInfo(storage: { readonly host: string } | undefined) {
  return storage === undefined ? { storageAvailable: false } : { storageAvailable: true, storageHost: storage.host };
}
