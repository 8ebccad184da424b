import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbeddedNetwork } from "../../../platform/embedded-network.js";
import { createHttpApi } from "../../../platform/http-api.js";
import {
  countLaunches,
  type ScenarioNetwork,
  type ScenarioNetworkOptions,
  type ScenarioPlatform,
} from "../scenario-platform.js";

/** The embedded default (in-memory bus, SQLite, local jobs) behind its HTTP API, as `twined dev` runs it. */
export function embeddedPlatform(jobs: "in-process" | "process" = "in-process"): ScenarioPlatform {
  return {
    name: `embedded (${jobs} jobs)`,
    async start(options: ScenarioNetworkOptions): Promise<ScenarioNetwork> {
      const network = await startEmbeddedNetwork({
        dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-scenarios-")),
        databasePath: ":memory:",
        cpuQuota: options.cpuQuota,
        jobs,
        ...(options.duplicateDeliveries === true ? { bus: { duplicateDeliveries: true, shuffle: true } } : {}),
      });
      const launches = countLaunches(network.launcher);
      const server = createHttpApi(network, { pollIntervalMs: 20 }).listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      network.setNetworkUrl(url);
      return {
        url,
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
