import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pLimit from "p-limit";
import { StorageChecksumMismatch, StorageRequestFailed } from "../errors/index.js";
import type { SerialisedManifest } from "../events/index.js";
import { isPlainObject } from "../json/index.js";
import { crc32cOfFile, isStorageUri, isUrl, parseStorageUri } from "../storage/index.js";
import { TWINED_VERSION } from "../version.js";
import { type DatasetAccess, DEFAULT_CONCURRENCY, fetchSigned, storeFor, withoutQuery } from "./dataset-access.js";
import {
  METADATA_FILENAME,
  type ResolvedDatafile,
  type ResolvedDataset,
  resolveManifestDatasets,
  SIGNED_METADATA_FOLDER,
} from "./resolve-datasets.js";

/**
 * Downloads one cloud file (`gs://` or a signed URL) to `destination`, whole or not at all, and checks its CRC32C when
 * storage gives one. A file already there with the object's CRC32C is kept as it is.
 * @throws StorageObjectNotFound, SignedUrlRejected, StorageAccessDenied, StorageChecksumMismatch, StorageRequestFailed
 */
export async function downloadDatafile(access: DatasetAccess, cloudPath: string, destination: string): Promise<void> {
  if (isStorageUri(cloudPath)) {
    const store = storeFor(access, cloudPath);
    const existing = await stat(destination).catch(() => undefined);
    if (existing?.isFile() === true) {
      const object = await store.stat(cloudPath);
      if (object !== undefined && object.crc32c === (await crc32cOfFile(destination))) return;
    }
    await store.download(cloudPath, destination);
    return;
  }
  if (!isUrl(cloudPath)) throw new StorageRequestFailed(cloudPath, "download", "it is neither a gs:// path nor a URL");
  const response = await fetchSigned(access, cloudPath, "GET");
  const expected = /(?:^|,)\s*crc32c=([^,\s]+)/.exec(response.headers.get("x-goog-hash") ?? "")?.[1];
  await mkdir(path.dirname(destination), { recursive: true });
  const partial = `${destination}.${randomUUID()}.partial`;
  try {
    if (response.body === null) throw new StorageRequestFailed(withoutQuery(cloudPath), "download", "no body");
    await pipeline(Readable.fromWeb(response.body as never), createWriteStream(partial));
    if (expected !== undefined) {
      const actual = await crc32cOfFile(partial);
      if (actual !== expected) throw new StorageChecksumMismatch(withoutQuery(cloudPath), expected, actual);
    }
    await rename(partial, destination);
  } finally {
    await rm(partial, { force: true });
  }
}

/**
 * Downloads every file of a manifest's cloud datasets into `<directory>/<dataset key>/<path in the dataset>`, in
 * parallel, as Octue's `Manifest.download` does; returns each dataset's local folder. Local datasets are left out.
 *
 * Once all of a dataset's files are there, its metadata is written as Octue's local metadata files, as the harness
 * (`twined_harness.resources`) writes and reads them, so reading the folder locally gives back the cloud dataset:
 * - `<folder>/.octue`: `{"dataset": {"id", "name", "tags", "labels", "files": [paths in the folder, sorted]}}`;
 * - `.octue` in each folder holding files: `{"datafiles": {"<file name>": {"id", "timestamp", "tags", "labels",
 *   "sdk_version"}}}`, merged with the `dataset` section in the dataset's own folder.
 *
 * Each `.octue` is replaced whole (a temporary file renamed over it), so downloading again over the same folder gives
 * the metadata of the dataset as it is now. Every destination is checked before anything is downloaded.
 */
export async function downloadManifestDatasets(
  manifest: SerialisedManifest,
  directory: string,
  access: DatasetAccess,
): Promise<Record<string, string>> {
  const resolved = await resolveManifestDatasets(manifest, access);
  const limit = pLimit(access.concurrency ?? DEFAULT_CONCURRENCY);
  const folders: Record<string, string> = {};
  const plans: { dataset: ResolvedDataset; folder: string; files: PlannedFile[] }[] = [];
  for (const [key, dataset] of Object.entries(resolved.datasets)) {
    if (typeof dataset === "string" || !isCloudDataset(dataset)) continue;
    const folder = path.resolve(directory, key);
    folders[key] = folder;
    plans.push({
      dataset: dataset as ResolvedDataset,
      folder,
      files: planDownloads(dataset as ResolvedDataset, folder),
    });
  }
  await Promise.all(
    plans.map(async ({ dataset, folder, files }) => {
      await Promise.all(
        files.map(({ file, destination }) => limit(() => downloadDatafile(access, file.path, destination))),
      );
      await writeLocalMetadata(dataset, folder, files);
    }),
  );
  return folders;
}

interface PlannedFile {
  readonly file: ResolvedDatafile;
  /** Absolute, inside the dataset's folder. */
  readonly destination: string;
}

/** Where each of a dataset's files goes; refuses any that would land outside its folder. */
function planDownloads(dataset: ResolvedDataset, folder: string): PlannedFile[] {
  const planned = new Map<string, PlannedFile>();
  for (const file of dataset.files) {
    const segments = relativePath(file.path, dataset.path, file.name);
    const destination = path.join(folder, ...segments);
    if (!destination.startsWith(`${folder}${path.sep}`)) {
      // A name like `../x` is a valid object name, but must not write outside the folder asked for.
      throw new StorageRequestFailed(withoutQuery(file.path), "download", `it would be written outside ${folder}`);
    }
    // `.octue` is where the metadata written below goes, in every folder of the dataset. Resolving drops `.octue`
    // objects only when it lists a bucket folder; a dataset whose files are named (by its stored `.octue`, the
    // manifest, or a signed document) may still name one, e.g. `sub/.octue` as an ordinary object. Such an object
    // (or anything below a folder of that name) is skipped, as Octue's local datasets never take `.octue` for a file,
    // rather than let it overwrite, or block, the metadata.
    if (path.relative(folder, destination).split(path.sep).includes(METADATA_FILENAME)) continue;
    // Two files placed at the same path (files from elsewhere are placed under their name) would race each other;
    // the first, in path order, is the one downloaded and described.
    if (!planned.has(destination)) planned.set(destination, { file, destination });
  }
  return [...planned.values()];
}

/** Writes the dataset's and its files' `.octue` metadata files, as the harness writes them. */
async function writeLocalMetadata(dataset: ResolvedDataset, folder: string, files: PlannedFile[]): Promise<void> {
  const datafiles = new Map<string, [string, Record<string, unknown>][]>();
  for (const { file, destination } of files) {
    const parent = path.dirname(destination);
    const entries = datafiles.get(parent) ?? [];
    entries.push([path.basename(destination), datafileMetadata(file)]);
    datafiles.set(parent, entries);
  }
  const documents = new Map<string, Record<string, unknown>>();
  documents.set(folder, {
    dataset: {
      id: dataset.id,
      name: dataset.name,
      tags: isPlainObject(dataset.tags) ? dataset.tags : {},
      labels: labelsOf(dataset.labels),
      files: files
        .map(({ destination }) => path.relative(folder, destination).split(path.sep).join("/"))
        .sort(byCodePoint),
    },
  });
  for (const [parent, entries] of datafiles) {
    documents.set(parent, { ...documents.get(parent), datafiles: Object.fromEntries(entries) });
  }
  await mkdir(folder, { recursive: true });
  await Promise.all(
    [...documents].map(([parent, document]) => replaceFile(path.join(parent, METADATA_FILENAME), pythonJson(document))),
  );
}

/**
 * A file's entry in its folder's `.octue`, as the harness's `Datafile.metadata()` makes it: the timestamp in POSIX
 * seconds (or null), and the version of the SDK writing it, as Octue and the harness record.
 */
function datafileMetadata(file: ResolvedDatafile): Record<string, unknown> {
  return {
    id: file.id,
    timestamp: typeof file.timestamp === "number" && Number.isFinite(file.timestamp) ? file.timestamp : null,
    tags: isPlainObject(file.tags) ? file.tags : {},
    labels: labelsOf(file.labels),
    sdk_version: TWINED_VERSION,
  };
}

/** Labels as a sorted list of distinct labels, as the harness's `LabelSet.serialise()` gives them. */
function labelsOf(labels: unknown): string[] {
  return Array.isArray(labels) ? [...new Set(labels.map(String))].sort(byCodePoint) : [];
}

/** Writes `text` to a temporary file beside `destination`, then renames it over it: never half a file. */
async function replaceFile(destination: string, text: string): Promise<void> {
  // Named as the harness names its own (`.octue.*.tmp`), and removed whatever happens.
  const temporary = path.join(path.dirname(destination), `${METADATA_FILENAME}.${randomUUID()}.tmp`);
  try {
    await writeFile(temporary, text, "utf8");
    await rename(temporary, destination);
  } finally {
    await rm(temporary, { force: true });
  }
}

/**
 * JSON as Python's `json.dump(value, indent=4, sort_keys=True)` writes it (the harness's `.octue` files): keys sorted
 * by code point at every level, four-space indents, non-ASCII characters escaped. Numbers are written as JavaScript
 * writes them (`1718000000` where Python writes `1718000000.0`), which reads back as the same value.
 */
function pythonJson(value: unknown, depth = 0): string {
  const indent = "    ";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map((item) => `${indent.repeat(depth + 1)}${pythonJson(item, depth + 1)}`);
    return `[\n${items.join(",\n")}\n${indent.repeat(depth)}]`;
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => byCodePoint(a, b));
    if (entries.length === 0) return "{}";
    const items = entries.map(
      ([key, item]) => `${indent.repeat(depth + 1)}${asciiString(key)}: ${pythonJson(item, depth + 1)}`,
    );
    return `{\n${items.join(",\n")}\n${indent.repeat(depth)}}`;
  }
  if (typeof value === "string") return asciiString(value);
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : "null";
  if (typeof value === "boolean") return String(value);
  return "null";
}

/** A JSON string with every character outside printable ASCII escaped, as Python's `ensure_ascii` does. */
function asciiString(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\uffff]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Python's string order (by code point), which is UTF-8's byte order. */
function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function isCloudDataset(dataset: Readonly<Record<string, unknown>>): boolean {
  return typeof dataset.path === "string" && (isStorageUri(dataset.path) || isUrl(dataset.path));
}

/** A file's path below its dataset, as Octue places it when downloading; its name when it is elsewhere. */
function relativePath(filePath: string, datasetPath: string, name: string): string[] {
  if (isStorageUri(filePath) && isStorageUri(datasetPath)) {
    const file = parseStorageUri(filePath);
    const dataset = parseStorageUri(datasetPath, "prefix");
    const prefix = dataset.name === "" ? "" : `${dataset.name.replace(/\/+$/, "")}/`;
    if (file.bucket === dataset.bucket && file.name.startsWith(prefix))
      return file.name.slice(prefix.length).split("/");
    return [name];
  }
  const folder = withoutQuery(datasetPath).split(SIGNED_METADATA_FOLDER)[0]?.replace(/\/+$/, "") ?? "";
  const file = withoutQuery(filePath);
  if (folder !== "" && file.startsWith(`${folder}/`)) {
    return file
      .slice(folder.length + 1)
      .split("/")
      .map((segment) => safeDecode(segment));
  }
  return [name];
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
