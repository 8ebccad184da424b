/**
 * What a large input dataset costs a question that opens one of its files: a service whose app picks `target.csv` out
 * of its input dataset and reads it, asked with `answerQuestion` about a `gs://` dataset of 1,000 files and about one of
 * a single file, on the Cloud Storage emulator, alternated round by round. The runner lists the dataset's files and
 * their metadata up front but downloads only what the app opens: the store's downloads are counted per question.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Storage } from "@google-cloud/storage";
import pLimit from "p-limit";
import { hasStorageEmulator, startStorageEmulator } from "../dev/storage-emulator.js";
import { answerQuestion } from "../runtime/runner/answer-question.js";
import { CloudStorageDatasetStore } from "../shared/adapters/google/cloud-storage/index.js";
import { parseServiceConfiguration } from "../shared/config/index.js";
import { DEFAULT_CONCURRENCY, resolveManifestDatasets } from "../shared/datasets/index.js";
import { createQuestionAttributes } from "../shared/events/index.js";
import type { DatasetStore } from "../shared/ports/index.js";
import { parseStorageUri } from "../shared/storage/index.js";
import { countServedRequests, median, percentile, round } from "./support.js";

const LARGE = 1000;
const ROUNDS = 10;
const PROJECT = "twined-bench";
const TARGET = "target.csv";
const TARGET_TEXT = "answer,42\n";

/** A store that counts the calls made to each of its methods, passing every one on to `store`. */
function countingStore(store: DatasetStore): { store: DatasetStore; counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  const counting = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        counts[String(property)] = (counts[String(property)] ?? 0) + 1;
        return (value as (...parameters: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: counting, counts };
}

/** A service whose app opens the one file named `target.csv` of its input dataset and answers with its contents. */
function openingService(): string {
  const directory = mkdtempSync(path.join(tmpdir(), "twined-bench-open-"));
  writeFileSync(path.join(directory, "octue.yaml"), "services:\n  - namespace: bench\n    name: open\n");
  writeFileSync(
    path.join(directory, "twine.json"),
    JSON.stringify({
      input_manifest: { datasets: { data: { purpose: "files, one of them target.csv" } } },
      output_values_schema: { type: "object", required: ["value"] },
    }),
  );
  writeFileSync(
    path.join(directory, "app.py"),
    [
      "def run(analysis):",
      `    datafile = analysis.input_manifest.get_dataset("data").files.filter(name__equals="${TARGET}").one()`,
      '    with datafile.open("r") as file:',
      '        analysis.output_values = {"value": file.read()}',
      "",
    ].join("\n"),
  );
  return directory;
}

/**
 * A dataset laid out as Twined uploads one: its files, then a `.octue` naming it (without listing its files). Written
 * with the client directly, one request per object, to keep the setup short.
 */
async function seedDataset(storage: Storage, datasetPath: string, names: readonly string[]): Promise<void> {
  const { bucket, name: folder } = parseStorageUri(datasetPath, "prefix");
  const save = (name: string, text: string, contentType: string) =>
    storage
      .bucket(bucket)
      .file(`${folder}/${name}`)
      .save(Buffer.from(text), { resumable: false, validation: "crc32c", metadata: { contentType } });
  const limit = pLimit(DEFAULT_CONCURRENCY);
  await Promise.all(
    names.map((name) => limit(() => save(name, name === TARGET ? TARGET_TEXT : `${name},1\n`, "text/csv"))),
  );
  const dataset = { id: randomUUID(), name: path.posix.basename(folder), tags: {}, labels: [], path: datasetPath };
  await save(".octue", JSON.stringify({ dataset }), "application/json");
}

export async function benchDatasetOpen(): Promise<Record<string, unknown>> {
  if (!hasStorageEmulator()) return { error: "firebase-tools (the Cloud Storage emulator) is not installed" };
  const previousHost = process.env.STORAGE_EMULATOR_HOST;
  const emulator = await startStorageEmulator(PROJECT);
  const scratch = mkdtempSync(path.join(tmpdir(), "twined-bench-open-runs-"));
  const service = openingService();
  try {
    // Before any client is made: the client reads it when constructed.
    process.env.STORAGE_EMULATOR_HOST = emulator.host;
    const storage = new Storage({ projectId: PROJECT });
    const { store, counts } = countingStore(new CloudStorageDatasetStore({ storage }));
    const bucket = `twined-bench-open-${randomBytes(3).toString("hex")}`;
    const datasets = { large: `gs://${bucket}/large`, single: `gs://${bucket}/single` };
    const largeNames = [
      ...Array.from({ length: LARGE - 1 }, (_, n) => `file-${String(n).padStart(4, "0")}.csv`),
      TARGET,
    ];
    const seedStart = performance.now();
    await seedDataset(storage, datasets.large, largeNames);
    await seedDataset(storage, datasets.single, [TARGET]);
    const seedMs = performance.now() - seedStart;

    const { configuration } = parseServiceConfiguration(
      "services:\n  - namespace: bench\n    name: open\n",
      path.join(service, "octue.yaml"),
    );
    const ask = async (datasetPath: string) => {
      const before = { ...counts };
      const runDirectory = mkdtempSync(path.join(scratch, "question-"));
      const {
        result: final,
        ms,
        requests,
      } = await countServedRequests(() =>
        answerQuestion({
          configuration,
          question: {
            event: { kind: "question", input_manifest: { id: randomUUID(), datasets: { data: datasetPath } } },
            attributes: createQuestionAttributes({ sender: "local/local:local", recipient: "bench/open:local" }),
          },
          serviceSruid: "bench/open:local",
          sink: { emit: async () => {} },
          workingDirectory: service,
          outputDirectory: path.join(runDirectory, "outputs"),
          datasets: { access: { store }, downloadsDirectory: path.join(runDirectory, "downloads") },
        }),
      );
      rmSync(runDirectory, { recursive: true, force: true });
      if (final.event.kind !== "result") throw new Error(`the benchmark app failed: ${JSON.stringify(final.event)}`);
      const value = (final.event.output_values as { value?: unknown } | undefined)?.value;
      if (value !== TARGET_TEXT) throw new Error(`the app read ${JSON.stringify(value)}, not the target file`);
      const used = (method: string) => (counts[method] ?? 0) - (before[method] ?? 0);
      return {
        ms,
        calls: { download: used("download"), list: used("list"), read: used("read"), stat: used("stat") },
        requests,
      };
    };

    // One question each first, not timed: Python's and the client's first-use costs.
    await ask(datasets.single);
    await ask(datasets.large);
    const times = { large: [] as number[], single: [] as number[] };
    const calls = { large: [] as Record<string, number>[], single: [] as Record<string, number>[] };
    const requests = { large: [] as number[], single: [] as number[] };
    // The runner's share alone: reading the dataset (its `.octue` and listing), as it does before Python starts.
    const listing = { large: [] as number[], single: [] as number[] };
    for (let n = 0; n < ROUNDS; n++) {
      for (const kind of n % 2 === 0 ? (["large", "single"] as const) : (["single", "large"] as const)) {
        const answer = await ask(datasets[kind]);
        times[kind].push(answer.ms);
        calls[kind].push(answer.calls);
        requests[kind].push(answer.requests);
        const start = performance.now();
        await resolveManifestDatasets({ id: randomUUID(), datasets: { data: datasets[kind] } }, { store });
        listing[kind].push(performance.now() - start);
      }
    }
    const downloads = (kind: "large" | "single") => [...new Set(calls[kind].map((call) => call.download))];
    if (downloads("large").join() !== "1" || downloads("single").join() !== "1") {
      throw new Error(`expected one download per question, got ${JSON.stringify(calls)}`);
    }
    const summary = (kind: "large" | "single") => ({
      p50Ms: round(percentile(times[kind], 0.5)),
      p90Ms: round(percentile(times[kind], 0.9)),
      storeCallsPerQuestion: calls[kind][0],
      emulatorRequestsPerQuestion: median(requests[kind]),
      readDatasetP50Ms: round(median(listing[kind])),
    });
    return {
      rounds: ROUNDS,
      seedMs: round(seedMs),
      [`files${LARGE}`]: summary("large"),
      file1: summary("single"),
      ratio: {
        p50: round(percentile(times.large, 0.5) / percentile(times.single, 0.5)),
        p90: round(percentile(times.large, 0.9) / percentile(times.single, 0.9)),
      },
      target: "ratio.p50 ≤ 2, and exactly 1 download per question",
    };
  } finally {
    emulator.stop();
    rmSync(scratch, { recursive: true, force: true });
    rmSync(service, { recursive: true, force: true });
    if (previousHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
    else process.env.STORAGE_EMULATOR_HOST = previousHost;
  }
}
