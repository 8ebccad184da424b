import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { emulatorStorage } from "../../../dev/emulator-storage.js";
import { startEmbeddedNetwork } from "../../../platform/embedded-network.js";
import { createHttpApi } from "../../../platform/http-api.js";
import { openFirestoreStores } from "../../../shared/adapters/google/firestore/index.js";
import { PubSubEventBus } from "../../../shared/adapters/google/pubsub/index.js";
import { DuplicatingBus } from "../../support/duplicating-bus.js";
import type { EmulatorInfo } from "../../support/emulators.js";
import {
  countLaunches,
  type ScenarioNetwork,
  type ScenarioNetworkOptions,
  type ScenarioPlatform,
} from "../scenario-platform.js";

/** The control plane in one process, on the Google client libraries against the Pub/Sub and Firestore emulators. */
export function googleInProcessPlatform(info: EmulatorInfo): ScenarioPlatform {
  return {
    name: "Pub/Sub and Firestore (emulators), in one process",
    async start(options: ScenarioNetworkOptions): Promise<ScenarioNetwork> {
      // Topics, subscriptions and collections of their own: the emulators outlive each network.
      const environment = `s${randomBytes(4).toString("hex")}`;
      const pubsub = new PubSubEventBus({ projectId: info.projectId });
      const network = await startEmbeddedNetwork({
        dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-google-scenarios-")),
        environment,
        cpuQuota: options.cpuQuota,
        eventBus: options.duplicateDeliveries === true ? new DuplicatingBus(pubsub) : pubsub,
        stores: openFirestoreStores({ projectId: info.projectId, collectionPrefix: environment }),
        // Buckets of its own on the Storage emulator, which every test file shares.
        storage: () => emulatorStorage(info.projectId, `${environment}-twined`),
      });
      const launches = countLaunches(network.launcher);
      const server = createHttpApi(network, { pollIntervalMs: 50 }).listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      network.setNetworkUrl(url);
      return {
        url,
        servicesTopic: network.topics.services,
        storage: { store: network.storage.store, uploads: network.storage.uploadsLocation },
        launches: async (questionUuid) => launches.get(questionUuid) ?? 0,
        async close() {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
          await network.close();
        },
      };
    },
  };
}
