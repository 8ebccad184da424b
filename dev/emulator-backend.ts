import type { NetworkStores } from "../platform/embedded-network.js";
import { openFirestoreStores } from "../shared/adapters/google/firestore/index.js";
import { PubSubEventBus } from "../shared/adapters/google/pubsub/index.js";
import type { EventBus } from "../shared/ports/index.js";
import { EmulatorUnavailable, hasGcloud, type RunningEmulator, startEmulator } from "./emulators.js";

/** The Google parts of a network on the emulators: the ones already running (env), or ones started for it. */
export interface EmulatorBackend {
  readonly projectId: string;
  readonly eventBus: EventBus;
  readonly stores: NetworkStores;
  /** What was used, for the start-up message. */
  readonly description: string;
  /** Stops the emulators this backend started (not ones it found running). */
  stop(): void;
}

/**
 * Pub/Sub and Firestore for `twined dev --backend emulators`: `PUBSUB_EMULATOR_HOST` / `FIRESTORE_EMULATOR_HOST` when
 * set, otherwise emulators started on free ports (and stopped by `stop()`).
 *
 * @throws EmulatorUnavailable when an emulator is needed but gcloud is missing or the emulator does not start.
 */
export async function emulatorBackend(projectId: string): Promise<EmulatorBackend> {
  const started: RunningEmulator[] = [];
  const stop = () => {
    for (const emulator of started) emulator.stop();
  };
  try {
    for (const [kind, variable] of [
      ["pubsub", "PUBSUB_EMULATOR_HOST"],
      ["firestore", "FIRESTORE_EMULATOR_HOST"],
    ] as const) {
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
  } catch (error) {
    stop();
    throw error;
  }
  process.env.METADATA_SERVER_DETECTION ??= "none";
  return {
    projectId,
    eventBus: new PubSubEventBus({ projectId }),
    stores: openFirestoreStores({ projectId }),
    description: `Pub/Sub emulator at ${process.env.PUBSUB_EMULATOR_HOST}, Firestore emulator at ${process.env.FIRESTORE_EMULATOR_HOST}, project ${projectId}`,
    stop,
  };
}
