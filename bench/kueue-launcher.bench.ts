/**
 * The Kueue launcher against the fake Kubernetes API server (real HTTP, the real client, schema-checked bodies):
 * (1) Jobs created per second by `KueueJobLauncher.launch`, against the same client creating the same Jobs directly;
 * (2) the latency a trivial question adds when it runs as a Kueue Job (created, admitted by the Kueue simulator, its
 * pod's runner reading the question and sending its events over HTTP), against the same network running each job as
 * a local process (`--isolated-jobs`, the nearest equivalent: one runner process per question) and the bare app.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { BatchV1Api } from "@kubernetes/client-node";
import pLimit from "p-limit";
import { startEmbeddedNetwork } from "../platform/embedded-network.js";
import { createHttpApi } from "../platform/http-api.js";
import { jobManifest, KueueJobLauncher } from "../shared/adapters/google/kueue/index.js";
import { Child, NetworkClient } from "../shared/client/index.js";
import { createQuestionAttributes } from "../shared/events/index.js";
import type { JobLauncher, JobSpec, RevisionRecord } from "../shared/ports/index.js";
import { FakeKubernetes } from "../test/support/fake-kubernetes/index.js";
import { FolderImages, runnerContainers } from "../test/support/runner-containers.js";
import {
  latencySummary,
  median,
  PYTHON,
  percentile,
  round,
  TRIVIAL_INPUT,
  timeAsk,
  timeProcess,
  trivialService,
} from "./support.js";

const JOBS = 100;
const CREATION_ROUNDS = 3;
const CONCURRENCY = 16;
const ROUNDS = 15;

const SETTINGS = {
  environment: { TWINED_NETWORK_URL: "http://127.0.0.1:1" },
  computeProvider: "GOOGLE_KUEUE",
  namespace: "default",
  localQueue: "local-queue",
  priorityClasses: {},
  ttlSecondsAfterFinished: 3600,
};

const revision: RevisionRecord = {
  namespace: "bench",
  name: "trivial",
  revisionTag: "1.0.0",
  sruid: "bench/trivial:1.0.0",
  twine: {},
  source: { kind: "image", image: "registry.test/services/bench/trivial:1.0.0" },
  isDefault: true,
  registeredAt: new Date().toISOString(),
};

/**
 * Creates JOBS Jobs, CONCURRENCY at a time, in a fresh fake cluster, and returns the rate. A fresh cluster each time,
 * because the fake's controllers re-read every object after each change: its cost per Job grows with the Jobs it
 * holds, and a side measured later must not pay for the Jobs of the side measured before it.
 */
async function creationRate(
  create: (batch: BatchV1Api, launcher: KueueJobLauncher, index: number) => Promise<unknown>,
) {
  // No quota: nothing is admitted, so only creation is measured (the fake still makes each Job's Workload).
  const cluster = await FakeKubernetes.start();
  await cluster.installKueue({ cpu: "0" });
  const launcher = new KueueJobLauncher({
    kubeConfig: cluster.kubeConfig(),
    sink: { emit: async () => {} },
    settings: SETTINGS,
  });
  const batch = cluster.kubeConfig().makeApiClient(BatchV1Api);
  const limit = pLimit(CONCURRENCY);
  const start = performance.now();
  await Promise.all(Array.from({ length: JOBS }, (_, index) => limit(() => create(batch, launcher, index))));
  const rate = JOBS / ((performance.now() - start) / 1000);
  await cluster.close();
  return rate;
}

/** The same Job the launcher makes, created with the client directly: the floor for the launcher's own work. */
function bareCreate(batch: BatchV1Api, launcher: KueueJobLauncher, index: number) {
  void launcher;
  return batch.createNamespacedJob({ namespace: "default", body: jobManifest(question(index), SETTINGS) });
}

function launch(_batch: BatchV1Api, launcher: KueueJobLauncher, index: number) {
  return launcher.launch(question(index));
}

function question(index: number): JobSpec {
  return {
    question: {
      event: { kind: "question", input_values: { index } },
      attributes: createQuestionAttributes({ sender: "bench/asker:1.0.0", recipient: revision.sruid }),
    },
    revision,
    priority: 0,
    cpus: 1,
  };
}

async function jobsPerSecond(): Promise<Record<string, unknown>> {
  const bare: number[] = [];
  const launcher: number[] = [];
  for (let round = 0; round < CREATION_ROUNDS; round++) {
    bare.push(await creationRate(bareCreate));
    launcher.push(await creationRate(launch));
  }
  return {
    jobs: JOBS,
    concurrency: CONCURRENCY,
    rounds: CREATION_ROUNDS,
    launcherJobsPerSecond: round(median(launcher)),
    bareCreateJobsPerSecond: round(median(bare)),
    ratio: round(median(launcher) / median(bare)),
  };
}

interface Network {
  readonly child: Child;
  close(): Promise<void>;
}

async function network(service: string, kind: "kueue" | "process"): Promise<Network> {
  const images = new FolderImages();
  const image = images.imageFor(service, { namespace: "bench", name: "trivial", tag: "1.0.0" });
  const cluster = kind === "kueue" ? await FakeKubernetes.start({ runContainer: runnerContainers(images) }) : undefined;
  await cluster?.installKueue({ cpu: "2" });
  let url = "";
  const embedded = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-bench-kueue-")),
    cpuQuota: 2,
    jobs: "process",
    reconcileIntervalMs: 100,
    ...(cluster === undefined
      ? {}
      : {
          launcher: (sink): JobLauncher =>
            new KueueJobLauncher({
              kubeConfig: cluster.kubeConfig(),
              sink,
              settings: {
                environment: () => ({ TWINED_NETWORK_URL: url }),
                computeProvider: "GOOGLE_KUEUE",
                namespace: "default",
                localQueue: "local-queue",
                priorityClasses: {},
                ttlSecondsAfterFinished: 3600,
              },
            }),
        }),
  });
  const server = createHttpApi(embedded).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  embedded.setNetworkUrl(url);
  await new NetworkClient(url).registerRevision("bench", "trivial", "1.0.0", {
    twine: JSON.parse(readFileSync(path.join(service, "twine.json"), "utf8")) as Record<string, unknown>,
    source: kind === "kueue" ? { kind: "image", image } : { kind: "directory", path: service },
    default: true,
  });
  return {
    child: new Child({ id: "bench/trivial", network: url }),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await embedded.close();
      await cluster?.close();
    },
  };
}

async function addedLatency(): Promise<Record<string, unknown>> {
  const service = trivialService();
  const kueue = await network(service, "kueue");
  const local = await network(service, "process");
  await timeAsk(kueue.child);
  await timeAsk(local.child);
  const bare: number[] = [];
  const kueueTimes: number[] = [];
  const localTimes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(timeProcess(PYTHON, ["bare.py", JSON.stringify(TRIVIAL_INPUT)], service));
    kueueTimes.push(await timeAsk(kueue.child));
    localTimes.push(await timeAsk(local.child));
  }
  await kueue.close();
  await local.close();
  return {
    rounds: ROUNDS,
    bareAppMs: round(median(bare)),
    kueueJobs: latencySummary(kueueTimes, bare),
    localProcessJobs: latencySummary(localTimes, bare),
    kueueOverLocalP50: round(percentile(kueueTimes, 0.5) / percentile(localTimes, 0.5)),
    note: "one question at a time with Child over HTTP; both run one runner process per question; the Kueue path adds the Job's creation, admission (the reconciler looks every 100 ms) and the runner's HTTP connection",
  };
}

export async function benchKueueLauncher(): Promise<Record<string, unknown>> {
  return { creation: await jobsPerSecond(), latency: await addedLatency() };
}
