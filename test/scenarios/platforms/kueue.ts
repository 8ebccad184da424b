import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbeddedNetwork } from "../../../platform/embedded-network.js";
import { createHttpApi } from "../../../platform/http-api.js";
import { openSqliteStores } from "../../../shared/adapters/embedded/sqlite/index.js";
import { KueueJobLauncher } from "../../../shared/adapters/google/kueue/index.js";
import type { QuestionStore } from "../../../shared/ports/index.js";
import { FakeKubernetes } from "../../support/fake-kubernetes/index.js";
import { FolderImages, runnerContainers } from "../../support/runner-containers.js";
import {
  countLaunches,
  type ScenarioNetwork,
  type ScenarioNetworkOptions,
  type ScenarioPlatform,
} from "../scenario-platform.js";

/** The cluster's priority classes: the scenarios ask with priorities 0 to 4. */
export const PRIORITY_CLASSES = { p0: 0, p1: 1, p2: 2, p3: 3, p4: 4 };

export interface KueueNetwork extends ScenarioNetwork {
  readonly cluster: FakeKubernetes;
  readonly images: FolderImages;
  /** The network's question store, for tests that leave a question where a crash would have. */
  readonly questions: QuestionStore;
}

export interface KueuePlatform extends ScenarioPlatform {
  start(options: ScenarioNetworkOptions): Promise<KueueNetwork>;
}

/**
 * The embedded control plane with the Kueue launcher, against the fake Kubernetes API server: every question becomes
 * a Job that the Kueue simulator admits within the ClusterQueue's CPU quota, and whose pod runs the real runner as a
 * process (`twined service answer --question-uuid`), reading its question from the network and sending its events
 * back over HTTP. Folder revisions are registered as images, as a service's build would.
 */
export function kueuePlatform(): KueuePlatform {
  return {
    name: "Kueue (fake Kubernetes API server)",
    async start(options: ScenarioNetworkOptions): Promise<KueueNetwork> {
      const images = new FolderImages();
      const cluster = await FakeKubernetes.start({
        runContainer: runnerContainers(images),
        imageExists: (image) => images.has(image),
      });
      await cluster.installKueue({ cpu: String(options.cpuQuota), memory: "64Gi", priorityClasses: PRIORITY_CLASSES });
      const stores = openSqliteStores(":memory:");
      const register = stores.revisions.register.bind(stores.revisions);
      stores.revisions.register = (revision, registerOptions) =>
        register(
          revision.source.kind === "directory"
            ? {
                ...revision,
                source: {
                  kind: "image",
                  image: images.imageFor(revision.source.path, {
                    namespace: revision.namespace,
                    name: revision.name,
                    tag: revision.revisionTag,
                  }),
                },
              }
            : revision,
          registerOptions,
        );
      let url = "";
      let launches: ReadonlyMap<string, number> = new Map();
      const network = await startEmbeddedNetwork({
        dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-kueue-scenarios-")),
        stores,
        ...(options.duplicateDeliveries === true ? { bus: { duplicateDeliveries: true, shuffle: true } } : {}),
        reconcileIntervalMs: 100,
        // Launching is idempotent, so a lost launch can be retried soon.
        reconciler: { finalEventGraceSeconds: 2, launchGraceSeconds: 2, stallGraceSeconds: 1 },
        launcher: (sink) => {
          const launcher = new KueueJobLauncher({
            kubeConfig: cluster.kubeConfig(),
            sink,
            settings: {
              environment: () => ({ TWINED_NETWORK_URL: url }),
              computeProvider: "GOOGLE_KUEUE",
              heartbeatIntervalSeconds: 5,
              namespace: "default",
              localQueue: "local-queue",
              priorityClasses: PRIORITY_CLASSES,
              ttlSecondsAfterFinished: 300,
            },
          });
          launches = countLaunches(launcher);
          return launcher;
        },
      });
      const server = createHttpApi(network, { pollIntervalMs: 20 }).listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      network.setNetworkUrl(url);
      return {
        url,
        cluster,
        images,
        questions: network.questions,
        launches: async (questionUuid) => launches.get(questionUuid) ?? 0,
        async close() {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
          await network.close();
          await cluster.close();
        },
      };
    },
  };
}
