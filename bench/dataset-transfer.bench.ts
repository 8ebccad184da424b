/**
 * Moving a dataset's bytes through Twined's dataset functions against the same transfers made directly with
 * `@google-cloud/storage`, on the Cloud Storage emulator, in one run: uploading an answer's output dataset
 * (`uploadOutputDatasets`: metadata, CRC32C, unchanged-skip) and downloading a `gs://` dataset
 * (`downloadManifestDatasets`: listing, `.octue`, per-file checks), 200 files × 256 KiB, both sides at the same
 * concurrency. Also the unchanged-skip case: the same upload again to the same place.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Storage } from "@google-cloud/storage";
import pLimit from "p-limit";
import { hasStorageEmulator, startStorageEmulator } from "../dev/storage-emulator.js";
import { CloudStorageDatasetStore } from "../shared/adapters/google/cloud-storage/index.js";
import { DEFAULT_CONCURRENCY, downloadManifestDatasets, uploadOutputDatasets } from "../shared/datasets/index.js";
import type { SerialisedManifest } from "../shared/events/index.js";
import { countServedRequests as counted, median, round } from "./support.js";

const FILES = 200;
const FILE_BYTES = 256 * 1024;
const ROUNDS = 3;
const CONCURRENCY = DEFAULT_CONCURRENCY;
const PROJECT = "twined-bench";
const KEY = "results";
const MEBIBYTES = (FILES * FILE_BYTES) / 2 ** 20;

/** An output dataset as the harness leaves it: `<outputs>/<key>/…` with a `.octue` file, and the manifest it sends. */
function outputDataset(scratch: string) {
  const folder = path.join(scratch, "outputs", KEY);
  mkdirSync(folder, { recursive: true });
  const files: string[] = [];
  const datafiles: Record<string, unknown> = {};
  const now = Date.now() / 1000;
  for (let n = 0; n < FILES; n++) {
    const name = `part-${String(n).padStart(4, "0")}.dat`;
    const file = path.join(folder, name);
    writeFileSync(file, randomBytes(FILE_BYTES));
    files.push(file);
    datafiles[name] = { id: randomUUID(), timestamp: now, tags: { part: n }, labels: ["bench"], sdk_version: "0.1.0" };
  }
  const dataset = { id: randomUUID(), name: KEY, tags: { source: "bench" }, labels: ["bench"] };
  writeFileSync(path.join(folder, ".octue"), JSON.stringify({ dataset, datafiles }, null, 4));
  const manifest: SerialisedManifest = {
    id: randomUUID(),
    name: null,
    datasets: { [KEY]: { ...dataset, path: folder, files } },
  };
  return { folder, files, manifest };
}

/** The same manifest with only some of its dataset's files. */
function subsetManifest(manifest: SerialisedManifest, files: readonly string[]): SerialisedManifest {
  const dataset = manifest.datasets[KEY];
  if (dataset === undefined || typeof dataset === "string") throw new Error("the output dataset is not local");
  return { ...manifest, datasets: { [KEY]: { ...dataset, files: [...files] } } };
}

/** The data files below `folder`; the `.octue` metadata files a download writes are not among them. */
function filesBelow(folder: string): number {
  return readdirSync(folder, { recursive: true, withFileTypes: true }).filter(
    (entry) => entry.isFile() && entry.name !== ".octue",
  ).length;
}

/** Throughput of each side (median over rounds), their ratio, and the HTTP requests each made per file. */
function summary(twined: Side, direct: Side) {
  const twinedMiBps = median(twined.ms.map((ms) => MEBIBYTES / (ms / 1000)));
  const directMiBps = median(direct.ms.map((ms) => MEBIBYTES / (ms / 1000)));
  return {
    twinedMiBps: round(twinedMiBps),
    directMiBps: round(directMiBps),
    twinedOverDirect: round(twinedMiBps / directMiBps),
    perRoundRatio: twined.ms.map((ms, n) => round((direct.ms[n] ?? Number.NaN) / ms)),
    requestsPerFile: { twined: round(median(twined.requests) / FILES), direct: round(median(direct.requests) / FILES) },
  };
}

interface Side {
  ms: number[];
  requests: number[];
}

const side = (): Side => ({ ms: [], requests: [] });

export async function benchDatasetTransfer(): Promise<Record<string, unknown>> {
  if (!hasStorageEmulator()) return { error: "firebase-tools (the Cloud Storage emulator) is not installed" };
  const previousHost = process.env.STORAGE_EMULATOR_HOST;
  const emulator = await startStorageEmulator(PROJECT);
  const scratch = mkdtempSync(path.join(tmpdir(), "twined-bench-transfer-"));
  try {
    // Before any client is made: the client reads it when constructed.
    process.env.STORAGE_EMULATOR_HOST = emulator.host;
    const storage = new Storage({ projectId: PROJECT });
    const store = new CloudStorageDatasetStore({ storage });
    const { files, manifest } = outputDataset(scratch);
    const limit = pLimit(CONCURRENCY);
    const upload = { twined: side(), direct: side() };
    const download = { twined: side(), direct: side() };
    const skip = side();
    const firstUploadMs: number[] = [];

    /**
     * One round: both uploads (alternating which goes first), the unchanged upload, both downloads. A warm-up round
     * moves a few files each way first and records nothing: connections, the emulator's first buckets, compilation.
     */
    const transferRound = async (n: number, warmUp: boolean) => {
      const roundFiles = warmUp ? files.slice(0, 2 * CONCURRENCY) : files;
      const roundManifest = warmUp ? subsetManifest(manifest, roundFiles) : manifest;
      const record = (into: Side, measured: { ms: number; requests: number }) => {
        if (warmUp) return;
        into.ms.push(measured.ms);
        into.requests.push(measured.requests);
      };
      // A bucket per round, so no round lists or writes among the objects of the rounds before it.
      const bucketName = `twined-bench-transfer-${warmUp ? "w" : n}-${randomBytes(3).toString("hex")}`;
      const bucket = storage.bucket(bucketName);
      const questionUuid = randomUUID();
      const uploadTo = () =>
        uploadOutputDatasets(roundManifest, {
          store,
          location: `gs://${bucketName}/twined`,
          questionUuid,
          concurrency: CONCURRENCY,
        });
      let datasetPath = "";

      const twinedUpload = async () => {
        const measured = await counted(uploadTo);
        const uploaded = measured.result.uploaded;
        if (uploaded !== roundFiles.length) throw new Error(`uploaded ${uploaded} files, not ${roundFiles.length}`);
        record(upload.twined, measured);
        if (!warmUp) firstUploadMs.push(measured.ms);
        datasetPath = String(measured.result.manifest.datasets[KEY]);
      };
      const directUpload = async () => {
        const measured = await counted(() =>
          Promise.all(
            roundFiles.map((file) =>
              limit(() =>
                // As the adapter calls it (a resumable upload, the client's default), without Twined's metadata.
                bucket.upload(file, { destination: `direct/${KEY}/${path.basename(file)}`, validation: "crc32c" }),
              ),
            ),
          ),
        );
        record(upload.direct, measured);
      };
      for (const run of n % 2 === 0 ? [twinedUpload, directUpload] : [directUpload, twinedUpload]) await run();

      // The same files to the same place: every one is already there with the same CRC32C.
      const again = await counted(uploadTo);
      const unchanged = again.result.unchanged;
      if (unchanged !== roundFiles.length) throw new Error(`${unchanged} unchanged, not ${roundFiles.length}`);
      record(skip, again);

      const twinedDownload = async () => {
        const destination = mkdtempSync(path.join(scratch, "twined-"));
        const measured = await counted(() =>
          downloadManifestDatasets({ id: randomUUID(), datasets: { [KEY]: datasetPath } }, destination, {
            store,
            concurrency: CONCURRENCY,
          }),
        );
        const downloaded = filesBelow(destination);
        if (downloaded !== roundFiles.length) throw new Error(`downloaded ${downloaded} files`);
        record(download.twined, measured);
        rmSync(destination, { recursive: true, force: true });
      };
      const directDownload = async () => {
        const destination = mkdtempSync(path.join(scratch, "direct-"));
        const folder = path.join(destination, KEY);
        mkdirSync(folder);
        const prefix = `${datasetPath.slice(`gs://${bucketName}/`.length)}/`;
        const measured = await counted(async () => {
          const [objects] = await bucket.getFiles({ prefix });
          await Promise.all(
            objects
              .filter((object) => !object.name.endsWith("/.octue"))
              .map((object) =>
                limit(() =>
                  object.download({
                    destination: path.join(folder, object.name.slice(prefix.length)),
                    validation: "crc32c",
                  }),
                ),
              ),
          );
        });
        const downloaded = filesBelow(destination);
        if (downloaded !== roundFiles.length) throw new Error(`downloaded ${downloaded} files`);
        record(download.direct, measured);
        rmSync(destination, { recursive: true, force: true });
      };
      for (const run of n % 2 === 0 ? [twinedDownload, directDownload] : [directDownload, twinedDownload]) await run();
    };

    await transferRound(0, true);
    for (let n = 0; n < ROUNDS; n++) await transferRound(n, false);

    return {
      files: FILES,
      fileKiB: FILE_BYTES / 1024,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      upload: { ...summary(upload.twined, upload.direct), target: "twinedOverDirect ≥ 0.8" },
      download: { ...summary(download.twined, download.direct), target: "twinedOverDirect ≥ 0.8" },
      unchangedUpload: {
        firstUploadMs: round(median(firstUploadMs)),
        unchangedMs: round(median(skip.ms)),
        speedup: round(median(firstUploadMs) / median(skip.ms)),
        requestsPerFile: round(median(skip.requests) / FILES),
      },
    };
  } finally {
    emulator.stop();
    rmSync(scratch, { recursive: true, force: true });
    if (previousHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
    else process.env.STORAGE_EMULATOR_HOST = previousHost;
  }
}
