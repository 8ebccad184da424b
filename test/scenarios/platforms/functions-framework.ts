import { randomBytes } from "node:crypto";
import { startLocalTopology } from "../../../dev/local-topology.js";
import { throwawaySigner } from "../../../platform/network-storage.js";
import { CloudStorageDatasetStore } from "../../../shared/adapters/google/cloud-storage/index.js";
import type { EmulatorInfo } from "../../support/emulators.js";
import {
  launchesFromEvents,
  type ScenarioNetwork,
  type ScenarioNetworkOptions,
  type ScenarioPlatform,
} from "../scenario-platform.js";

/**
 * Every function as its own Functions Framework server, fed by Pub/Sub emulator push subscriptions and storing in the
 * Firestore emulator: the production topology, on this machine.
 */
export function functionsFrameworkPlatform(info: EmulatorInfo): ScenarioPlatform {
  return {
    name: "Functions Framework servers fed by emulator push subscriptions",
    async start(options: ScenarioNetworkOptions): Promise<ScenarioNetwork> {
      const environment = `f${randomBytes(4).toString("hex")}`;
      const signer = throwawaySigner(info.projectId);
      const topology = await startLocalTopology({
        projectId: info.projectId,
        pubsubHost: info.pubsubHost ?? "",
        firestoreHost: info.firestoreHost ?? "",
        environment,
        pushSecret: randomBytes(16).toString("hex"),
        cpus: options.cpuQuota,
        ...(options.duplicateDeliveries === true ? { duplicateDeliveries: true } : {}),
        storage: { host: info.storageHost ?? "", bucketPrefix: `${environment}-twined`, signer },
        onOutput: (name, text) => {
          if (process.env.TWINED_DEBUG === "1") process.stderr.write(`[${name}] ${text}`);
        },
      });
      return {
        url: topology.url,
        storage: {
          store: new CloudStorageDatasetStore({ projectId: info.projectId, signer }),
          uploads: `gs://${environment}-twined-uploads`,
        },
        launches: (questionUuid) => launchesFromEvents(topology.url, questionUuid),
        close: () => topology.close(),
      };
    },
  };
}
