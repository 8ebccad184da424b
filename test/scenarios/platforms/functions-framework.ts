import { randomBytes } from "node:crypto";
import { startLocalTopology } from "../../../dev/local-topology.js";
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
      const topology = await startLocalTopology({
        projectId: info.projectId,
        pubsubHost: info.pubsubHost ?? "",
        firestoreHost: info.firestoreHost ?? "",
        environment: `f${randomBytes(4).toString("hex")}`,
        pushSecret: randomBytes(16).toString("hex"),
        cpus: options.cpuQuota,
        ...(options.duplicateDeliveries === true ? { duplicateDeliveries: true } : {}),
        onOutput: (name, text) => {
          if (process.env.TWINED_DEBUG === "1") process.stderr.write(`[${name}] ${text}`);
        },
      });
      return {
        url: topology.url,
        launches: (questionUuid) => launchesFromEvents(topology.url, questionUuid),
        close: () => topology.close(),
      };
    },
  };
}
