import { randomBytes } from "node:crypto";
import { describe, inject } from "vitest";

/** Where the emulators of this test run listen (see emulators.global-setup.ts). */
export interface EmulatorInfo {
  readonly available: boolean;
  readonly projectId: string;
  readonly pubsubHost?: string;
  readonly firestoreHost?: string;
  /** Whether the Cloud Storage emulator runs (it needs firebase-tools, not gcloud). */
  readonly storageAvailable: boolean;
  /** `http://127.0.0.1:<port>`, as STORAGE_EMULATOR_HOST takes it. */
  readonly storageHost?: string;
}

/**
 * The running emulators, with the Google client libraries of this test file pointed at them (they read
 * PUBSUB_EMULATOR_HOST and FIRESTORE_EMULATOR_HOST when a client is created).
 */
export function useEmulators(): EmulatorInfo {
  const info = inject("emulators");
  if (info.available) {
    process.env.PUBSUB_EMULATOR_HOST = info.pubsubHost;
    process.env.FIRESTORE_EMULATOR_HOST = info.firestoreHost;
    process.env.METADATA_SERVER_DETECTION = "none";
  }
  if (info.storageAvailable) {
    process.env.STORAGE_EMULATOR_HOST = info.storageHost;
    process.env.METADATA_SERVER_DETECTION = "none";
  }
  return info;
}

/** A describe block that needs the Cloud Storage emulator: skipped (loudly, by the global setup) without it. */
export function describeWithStorageEmulator(name: string, body: (info: EmulatorInfo) => void): void {
  const info = useEmulators();
  describe.skipIf(!info.storageAvailable)(name, () => body(info));
}

/** A describe block that needs the emulators: skipped (loudly, by the global setup) when there are none. */
export function describeWithEmulators(name: string, body: (info: EmulatorInfo) => void): void {
  const info = useEmulators();
  describe.skipIf(!info.available)(name, () => body(info));
}

/** The same, also skipped when `condition` holds (a CI pass that has run it already). */
describeWithEmulators.skipIf =
  (condition: boolean) =>
  (name: string, body: (info: EmulatorInfo) => void): void => {
    const info = useEmulators();
    describe.skipIf(condition || !info.available)(name, () => body(info));
  };

/**
 * Deletes every document of `projectId` in the Firestore emulator's default database. Every test file shares the
 * emulator and its project while they run at once: clear only a project of your own (it once wiped a `twined dev`
 * question in flight in another file).
 */
export async function clearFirestore(info: EmulatorInfo, projectId: string): Promise<void> {
  if (projectId === info.projectId) {
    throw new Error(
      "clearFirestore: the shared project holds other test files' documents; clear a project of your own",
    );
  }
  const response = await fetch(
    `http://${info.firestoreHost}/emulator/v1/projects/${projectId}/databases/(default)/documents`,
    { method: "DELETE" },
  );
  if (!response.ok) throw new Error(`could not clear the Firestore emulator: HTTP ${response.status}`);
}

/** A name no other test run has used: emulators keep topics and subscriptions for as long as they run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}
