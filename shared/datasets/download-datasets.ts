import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pLimit from "p-limit";
import { StorageChecksumMismatch, StorageRequestFailed } from "../errors/index.js";
import type { SerialisedManifest } from "../events/index.js";
import { crc32cOfFile, isStorageUri, isUrl, parseStorageUri } from "../storage/index.js";
import { type DatasetAccess, DEFAULT_CONCURRENCY, fetchSigned, storeFor, withoutQuery } from "./dataset-access.js";
import { type ResolvedDataset, resolveManifestDatasets, SIGNED_METADATA_FOLDER } from "./resolve-datasets.js";

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
 */
export async function downloadManifestDatasets(
  manifest: SerialisedManifest,
  directory: string,
  access: DatasetAccess,
): Promise<Record<string, string>> {
  const resolved = await resolveManifestDatasets(manifest, access);
  const limit = pLimit(access.concurrency ?? DEFAULT_CONCURRENCY);
  const folders: Record<string, string> = {};
  const downloads: Promise<void>[] = [];
  for (const [key, dataset] of Object.entries(resolved.datasets)) {
    if (typeof dataset === "string" || !isCloudDataset(dataset)) continue;
    const folder = path.resolve(directory, key);
    folders[key] = folder;
    for (const file of (dataset as ResolvedDataset).files) {
      const destination = path.join(folder, ...relativePath(file.path, dataset.path as string, file.name));
      if (!destination.startsWith(`${folder}${path.sep}`)) {
        // A name like `../x` is a valid object name, but must not write outside the folder asked for.
        throw new StorageRequestFailed(withoutQuery(file.path), "download", `it would be written outside ${folder}`);
      }
      downloads.push(limit(() => downloadDatafile(access, file.path, destination)));
    }
  }
  await Promise.all(downloads);
  return folders;
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
