import { readFile } from "node:fs/promises";
import path from "node:path";
import pLimit from "p-limit";
import { InvalidManifestContents } from "../errors/index.js";
import type { SerialisedDataset, SerialisedManifest } from "../events/index.js";
import { isPlainObject } from "../json/index.js";
import type { DatasetStore } from "../ports/index.js";
import {
  crc32cOfFile,
  type DatafileMetadata,
  encodeDatafileMetadata,
  isCloudPath,
  joinStorageUri,
} from "../storage/index.js";
import { DEFAULT_CONCURRENCY } from "./dataset-access.js";
import { METADATA_FILENAME } from "./resolve-datasets.js";
import { signDataset } from "./sign-datasets.js";

export interface UploadOutputsOptions {
  readonly store: DatasetStore;
  /** `gs://bucket[/folder]`: the service's `output_location`, or the network's outputs bucket. */
  readonly location: string;
  /** Each question's outputs go under their own folder: `<location>/<question UUID>/<dataset key>/…`. */
  readonly questionUuid: string;
  /** Answer with signed URLs instead of `gs://` paths (`use_signed_urls_for_output_datasets`). */
  readonly signedUrls?: { readonly expiresInSeconds: number };
  readonly concurrency?: number;
}

export interface UploadReport {
  /** The answer's manifest: each uploaded dataset as its `gs://` path or signed URL. */
  readonly manifest: SerialisedManifest;
  readonly uploaded: number;
  /** Files already stored there with the same CRC32C, whose bytes were not sent again. */
  readonly unchanged: number;
}

/**
 * Uploads the local output datasets of an answer (as the harness saved them: `<output directory>/<key>/…` with `.octue`
 * metadata files) to `<location>/<question UUID>/<key>/…`, as Octue's `Analysis.finalise` does: files in parallel,
 * each with its `octue__*` metadata, bytes skipped when the same CRC32C is already there, then each dataset's `.octue`
 * file. Datasets already in the cloud are passed on as they are. Nothing is returned until every upload has finished,
 * so a failed upload fails the answer instead of reporting half a dataset.
 */
export async function uploadOutputDatasets(
  manifest: SerialisedManifest,
  options: UploadOutputsOptions,
): Promise<UploadReport> {
  const limit = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
  const counts = { uploaded: 0, unchanged: 0 };
  const entries = await Promise.all(
    Object.entries(manifest.datasets).map(async ([key, dataset]): Promise<[string, SerialisedDataset]> => {
      const local = localDataset(key, dataset);
      if (local === undefined) return [key, dataset];
      const destination = joinStorageUri(options.location, options.questionUuid, key);
      const files = await Promise.all(
        local.files.map((file) => limit(() => uploadFile(file, local.path, destination, options.store, counts))),
      );
      const document = { id: local.id, name: local.name, tags: local.tags, labels: local.labels, path: destination };
      await options.store.upload(
        Buffer.from(JSON.stringify({ dataset: document })),
        joinStorageUri(destination, METADATA_FILENAME),
        { contentType: "application/json" },
      );
      if (options.signedUrls === undefined) return [key, destination];
      const signed = await signDataset({ ...document, files }, options.store, options.signedUrls, limit);
      return [key, signed];
    }),
  );
  return { manifest: { ...manifest, datasets: Object.fromEntries(entries) }, ...counts };
}

interface LocalDataset {
  readonly id: string;
  readonly name: string;
  readonly tags: Record<string, unknown>;
  readonly labels: string[];
  readonly path: string;
  readonly files: string[];
}

function localDataset(key: string, dataset: SerialisedDataset): LocalDataset | undefined {
  if (typeof dataset === "string") {
    if (isCloudPath(dataset)) return undefined;
    throw new InvalidManifestContents(`The output dataset '${key}' is a bare path; the harness sends dataset objects`);
  }
  if (typeof dataset.path === "string" && isCloudPath(dataset.path)) return undefined;
  if (typeof dataset.path !== "string") {
    throw new InvalidManifestContents(`The output dataset '${key}' has no path`);
  }
  const files = dataset.files.map((file) => (typeof file === "string" ? file : file.path));
  return {
    id: dataset.id,
    name: dataset.name,
    tags: dataset.tags,
    labels: dataset.labels,
    path: dataset.path,
    files,
  };
}

/** Uploads one file (unless the same bytes are there) and makes its stored metadata what the harness recorded. */
async function uploadFile(
  file: string,
  datasetPath: string,
  destination: string,
  store: DatasetStore,
  counts: { uploaded: number; unchanged: number },
): Promise<string> {
  const relative = path.relative(datasetPath, file);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    throw new InvalidManifestContents(`The output file ${file} is outside its dataset's folder ${datasetPath}`);
  }
  const objectPath = joinStorageUri(destination, ...relative.split(path.sep));
  const metadata = encodeDatafileMetadata(await recordedMetadata(file));
  const [crc32c, existing] = await Promise.all([crc32cOfFile(file), store.stat(objectPath)]);
  if (existing?.crc32c === crc32c) {
    counts.unchanged++;
    const stale = Object.entries(metadata).some(([name, value]) => existing.metadata[name] !== value);
    if (stale) await store.updateMetadata(objectPath, metadata);
    return objectPath;
  }
  await store.upload(file, objectPath, { metadata });
  counts.uploaded++;
  return objectPath;
}

/** A file's metadata as the harness wrote it, in the `.octue` file of its folder (Octue's local metadata). */
async function recordedMetadata(file: string): Promise<DatafileMetadata> {
  const text = await readFile(path.join(path.dirname(file), METADATA_FILENAME), "utf8").catch(() => undefined);
  let document: unknown;
  try {
    document = text === undefined ? undefined : JSON.parse(text);
  } catch {
    document = undefined;
  }
  const datafiles = isPlainObject(document) && isPlainObject(document.datafiles) ? document.datafiles : {};
  const entry = datafiles[path.basename(file)];
  if (!isPlainObject(entry)) return {};
  const timestamp = entry.timestamp;
  return {
    ...(typeof entry.id === "string" ? { id: entry.id } : {}),
    ...(typeof timestamp === "number"
      ? { timestamp: new Date(timestamp * 1000).toISOString() }
      : timestamp === null
        ? { timestamp: null }
        : {}),
    ...(isPlainObject(entry.tags) ? { tags: entry.tags } : {}),
    ...(Array.isArray(entry.labels) ? { labels: entry.labels.map(String) } : {}),
    ...(typeof entry.sdk_version === "string" ? { sdkVersion: entry.sdk_version } : {}),
  };
}
