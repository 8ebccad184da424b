import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pLimit, { type LimitFunction } from "p-limit";
import { InvalidManifestContents } from "../errors/index.js";
import type { SerialisedDataset, SerialisedManifest } from "../events/index.js";
import { isPlainObject } from "../json/index.js";
import type { DatasetStore, StoredObject } from "../ports/index.js";
import {
  crc32cOfFile,
  type DatafileMetadata,
  encodeDatafileMetadata,
  isCloudPath,
  joinStorageUri,
} from "../storage/index.js";
import { DEFAULT_CONCURRENCY, listAllObjects } from "./dataset-access.js";
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
      const files = await uploadDataset(local, destination, options.store, limit, counts);
      if (options.signedUrls === undefined) return [key, destination];
      const signed = await signDataset(
        { ...datasetDocument(local, destination), files },
        options.store,
        options.signedUrls,
        limit,
      );
      return [key, signed];
    }),
  );
  return { manifest: { ...manifest, datasets: Object.fromEntries(entries) }, ...counts };
}

/**
 * Uploads the local datasets of a manifest an asker is about to send to a network whose jobs cannot see the asker's
 * disk: each dataset folder (its files and `.octue` metadata, as Octue keeps them locally) goes to
 * `<location>/<digest of its contents>/<folder name>`, so the same contents are uploaded once however often they are
 * asked about, and the manifest names it by its `gs://` path. Datasets already in the cloud are left as they are.
 */
export async function uploadLocalDatasets(
  manifest: SerialisedManifest,
  options: {
    readonly store: DatasetStore;
    readonly location: string;
    readonly baseDirectory?: string;
    readonly concurrency?: number;
  },
): Promise<UploadReport> {
  const limit = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
  const counts = { uploaded: 0, unchanged: 0 };
  const entries = await Promise.all(
    Object.entries(manifest.datasets).map(async ([key, dataset]): Promise<[string, SerialisedDataset]> => {
      const folder = localFolderOf(dataset, options.baseDirectory ?? process.cwd());
      if (folder === undefined) return [key, dataset];
      const local = await datasetInFolder(folder, typeof dataset === "string" ? {} : dataset);
      const digest = await contentDigest(local);
      const destination = joinStorageUri(options.location, digest, path.basename(folder));
      await uploadDataset(local, destination, options.store, limit, counts);
      return [key, destination];
    }),
  );
  return { manifest: { ...manifest, datasets: Object.fromEntries(entries) }, ...counts };
}

/**
 * Uploads one local dataset folder (its files with their `.octue` metadata, as Octue keeps them locally) to exactly
 * `destination`, bytes only where they changed; returns how many files were sent and kept.
 */
export async function uploadDatasetFolder(
  folder: string,
  destination: string,
  options: {
    readonly store: DatasetStore;
    /** The manifest's own description of the dataset (id, name, tags, labels), which its `.octue` file overrides. */
    readonly given?: Record<string, unknown>;
    readonly concurrency?: number;
  },
): Promise<{ readonly uploaded: number; readonly unchanged: number }> {
  const counts = { uploaded: 0, unchanged: 0 };
  const local = await datasetInFolder(folder, options.given ?? {});
  const limit = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
  await uploadDataset(local, destination, options.store, limit, counts);
  return counts;
}

/** Uploads a local dataset's files (bytes only where they changed) and its `.octue`; returns the files' paths. */
async function uploadDataset(
  local: LocalDataset,
  destination: string,
  store: DatasetStore,
  limit: LimitFunction,
  counts: { uploaded: number; unchanged: number },
): Promise<string[]> {
  // What is there already, in one listing rather than a request per file.
  const existing = new Map((await listAllObjects(store, `${destination}/`)).map((object) => [object.path, object]));
  const metadata = new RecordedMetadata();
  const files = await Promise.all(
    local.files.map((file) =>
      limit(() => uploadFile(file, local.path, destination, { store, existing, metadata, counts })),
    ),
  );
  await store.upload(
    Buffer.from(JSON.stringify({ dataset: datasetDocument(local, destination) })),
    joinStorageUri(destination, METADATA_FILENAME),
    { contentType: "application/json" },
  );
  return files;
}

/** Octue's `.octue` of a dataset in the cloud: its primitive without files. */
function datasetDocument(local: LocalDataset, destination: string) {
  return { id: local.id, name: local.name, tags: local.tags, labels: local.labels, path: destination };
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
  context: {
    readonly store: DatasetStore;
    readonly existing: ReadonlyMap<string, StoredObject>;
    readonly metadata: RecordedMetadata;
    readonly counts: { uploaded: number; unchanged: number };
  },
): Promise<string> {
  const { store, counts } = context;
  const relative = path.relative(datasetPath, file);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    throw new InvalidManifestContents(`The output file ${file} is outside its dataset's folder ${datasetPath}`);
  }
  const objectPath = joinStorageUri(destination, ...relative.split(path.sep));
  const metadata = encodeDatafileMetadata(await context.metadata.of(file));
  const crc32c = await crc32cOfFile(file);
  const existing = context.existing.get(objectPath);
  if (existing?.crc32c === crc32c) {
    counts.unchanged++;
    const stale = Object.entries(metadata).some(([name, value]) => existing.metadata[name] !== value);
    if (stale) await store.updateMetadata(objectPath, metadata);
    return objectPath;
  }
  await store.upload(file, objectPath, { metadata, crc32c });
  counts.uploaded++;
  return objectPath;
}

/** Files' metadata as the harness wrote it, each folder's `.octue` file read once. */
class RecordedMetadata {
  private readonly folders = new Map<string, Promise<Record<string, unknown>>>();

  async of(file: string): Promise<DatafileMetadata> {
    const folder = path.dirname(file);
    let datafiles = this.folders.get(folder);
    if (datafiles === undefined) {
      datafiles = readDatafiles(folder);
      this.folders.set(folder, datafiles);
    }
    return metadataEntry((await datafiles)[path.basename(file)]);
  }
}

/** A file's metadata as the harness wrote it, in the `.octue` file of its folder (Octue's local metadata). */
async function recordedMetadata(file: string): Promise<DatafileMetadata> {
  return metadataEntry((await readDatafiles(path.dirname(file)))[path.basename(file)]);
}

async function readDatafiles(folder: string): Promise<Record<string, unknown>> {
  const text = await readFile(path.join(folder, METADATA_FILENAME), "utf8").catch(() => undefined);
  let document: unknown;
  try {
    document = text === undefined ? undefined : JSON.parse(text);
  } catch {
    document = undefined;
  }
  return isPlainObject(document) && isPlainObject(document.datafiles) ? document.datafiles : {};
}

function metadataEntry(entry: unknown): DatafileMetadata {
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

/** A dataset's local folder, for a path or an object whose path is not a cloud path; relative to `base`. */
function localFolderOf(dataset: SerialisedDataset, base: string): string | undefined {
  const given = typeof dataset === "string" ? dataset : dataset.path;
  if (typeof given !== "string" || isCloudPath(given)) return undefined;
  return path.resolve(base, given);
}

/** A local dataset as Octue reads a folder: every file below it but `.octue` files, with the folder's metadata. */
async function datasetInFolder(folder: string, given: Record<string, unknown>): Promise<LocalDataset> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => {
    throw new InvalidManifestContents(`The dataset folder ${folder} does not exist or cannot be read`);
  });
  const files = entries
    .filter((entry) => entry.isFile() && entry.name !== METADATA_FILENAME)
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  const text = await readFile(path.join(folder, METADATA_FILENAME), "utf8").catch(() => undefined);
  let document: unknown;
  try {
    document = text === undefined ? undefined : JSON.parse(text);
  } catch {
    document = undefined;
  }
  const stored = isPlainObject(document) && isPlainObject(document.dataset) ? document.dataset : {};
  const metadata = { ...given, ...stored };
  return {
    id: typeof metadata.id === "string" ? metadata.id : randomUUID(),
    name: typeof metadata.name === "string" ? metadata.name : path.basename(folder),
    tags: isPlainObject(metadata.tags) ? metadata.tags : {},
    labels: Array.isArray(metadata.labels) ? metadata.labels.map(String) : [],
    path: folder,
    files,
  };
}

/** What identifies a dataset's contents: its files' paths, bytes (CRC32C) and metadata, and its own metadata. */
async function contentDigest(local: LocalDataset): Promise<string> {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ id: local.id, name: local.name, tags: local.tags, labels: local.labels }));
  for (const file of local.files) {
    hash.update(path.relative(local.path, file));
    hash.update(await crc32cOfFile(file));
    hash.update(JSON.stringify(await recordedMetadata(file)));
  }
  return hash.digest("hex").slice(0, 32);
}
