import type { NetworkStores } from "../platform/embedded-network.js";
import type { NetworkStorage } from "../platform/network-storage.js";
import { openFirestoreStores } from "../shared/adapters/google/firestore/index.js";
import { PubSubEventBus } from "../shared/adapters/google/pubsub/index.js";
import type { EventBus } from "../shared/ports/index.js";
import { emulatorStorage } from "./emulator-storage.js";
import { ensureEmulators } from "./emulators.js";

/** The Google parts of a network on the emulators: the ones already running (env), or ones started for it. */
export interface EmulatorBackend {
  readonly projectId: string;
  /** The Pub/Sub emulator's `host:port`, as `PUBSUB_EMULATOR_HOST` takes it: what an Octue parent must be given. */
  readonly pubsubHost: string;
  readonly eventBus: EventBus;
  readonly stores: NetworkStores;
  /** Datasets in the Storage emulator, with URLs signed by a throwaway key (the emulator checks no signature). */
  readonly storage: () => NetworkStorage;
  /** What was used, for the start-up message. */
  readonly description: string;
  /** Stops the emulators this backend started (not ones it found running). */
  stop(): void;
}

/**
 * Pub/Sub and Firestore for `twined dev --backend emulators`: a bus and stores on the emulators `ensureEmulators`
 * finds or starts.
 *
 * @throws EmulatorUnavailable when an emulator is needed but gcloud is missing or the emulator does not start.
 */
export async function emulatorBackend(projectId: string): Promise<EmulatorBackend> {
  const emulators = await ensureEmulators(projectId);
  return {
    projectId,
    pubsubHost: emulators.pubsubHost,
    eventBus: new PubSubEventBus({ projectId }),
    stores: openFirestoreStores({ projectId }),
    storage: () => emulatorStorage(projectId, "twined"),
    description: emulators.description,
    stop: emulators.stop,
  };
}
