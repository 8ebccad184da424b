import { randomUUID } from "node:crypto";
import pLimit, { type LimitFunction } from "p-limit";
import {
  DatasetNotFound,
  InvalidManifestContents,
  InvalidManifestJson,
  StorageObjectNotFound,
} from "../errors/index.js";
import type { SerialisedDataset, SerialisedManifest } from "../events/index.js";
import { isPlainObject } from "../json/index.js";
import type { StoredObject } from "../ports/index.js";
import {
  type DatafileMetadata,
  decodeDatafileMetadata,
  folderPrefix,
  isStorageUri,
  isUrl,
  joinStorageUri,
  OCTUE_METADATA_PREFIX,
  parseStorageUri,
} from "../storage/index.js";
import {
  type DatasetAccess,
  DEFAULT_CONCURRENCY,
  fetchSigned,
  listAllObjects,
  storeFor,
  withoutQuery,
} from "./dataset-access.js";

/** The folder Octue keeps signed datasets' documents in, beside the files; never part of a dataset. */
export const SIGNED_METADATA_FOLDER = ".signed_metadata_files";
/** Octue's metadata file of a dataset (and, locally, of the files in one folder). */
export const METADATA_FILENAME = ".octue";

/** A cloud datafile as the harness receives it: its stored metadata read, its bytes not yet downloaded. */
export interface ResolvedDatafile {
  readonly [extra: string]: unknown;
  readonly id: string;
  readonly name: string;
  /** `gs://…` or a signed URL. */
  readonly path: string;
  /** POSIX seconds, or null. */
  readonly timestamp: number | null;
  readonly tags: Record<string, unknown>;
  readonly labels: string[];
  readonly size?: number;
  readonly crc32c?: string;
}

export interface ResolvedDataset {
  readonly id: string;
  readonly name: string;
  readonly tags: Record<string, unknown>;
  readonly labels: string[];
  readonly path: string;
  readonly files: ResolvedDatafile[];
  readonly [extra: string]: unknown;
}

/**
 * A manifest whose cloud datasets (`gs://` paths and signed URLs) are described in full, as Octue's `Manifest` reads
 * them: the dataset's `.octue` metadata (or, at a signed URL, its document) applied, its files listed with their
 * stored metadata, and no bytes downloaded. Local datasets are left as they are. Each dataset's listing is paged and
 * its metadata read in parallel.
 * @throws DatasetNotFound, StorageObjectNotFound, SignedUrlRejected, StorageAccessDenied, StorageNotConfigured
 */
export async function resolveManifestDatasets(
  manifest: SerialisedManifest,
  access: DatasetAccess,
): Promise<SerialisedManifest> {
  const limit = pLimit(access.concurrency ?? DEFAULT_CONCURRENCY);
  const entries = await Promise.all(
    Object.entries(manifest.datasets).map(
      async ([key, dataset]) => [key, await resolveDataset(dataset, access, limit)] as const,
    ),
  );
  return { ...manifest, datasets: Object.fromEntries(entries) };
}

async function resolveDataset(
  dataset: SerialisedDataset,
  access: DatasetAccess,
  limit: LimitFunction,
): Promise<SerialisedDataset> {
  const given = typeof dataset === "string" ? { path: dataset } : dataset;
  const path = typeof given.path === "string" ? given.path : undefined;
  if (path === undefined) return dataset;
  if (isStorageUri(path)) return resolveStorageDataset(path, given, access, limit);
  if (isUrl(path)) return resolveSignedDataset(path, given, access, limit);
  return dataset;
}

/** A dataset in Cloud Storage: its `.octue` file's metadata and files when it has one, else every object below it. */
async function resolveStorageDataset(
  path: string,
  given: Record<string, unknown>,
  access: DatasetAccess,
  limit: LimitFunction,
): Promise<ResolvedDataset> {
  const store = storeFor(access, path);
  const location = parseStorageUri(path, "prefix");
  const stored = await readDatasetDocument(path, access);
  const metadata = { ...given, ...stored };
  const listed = Array.isArray(metadata.files) && metadata.files.length > 0 && stored.files !== undefined;
  let files: ResolvedDatafile[];
  if (listed) {
    files = await Promise.all(
      (metadata.files as unknown[]).map((file) =>
        limit(async () => {
          const filePath = datafilePath(file, path);
          const object = await store.stat(filePath);
          if (object === undefined) throw new StorageObjectNotFound(filePath);
          return datafileFrom(object, isPlainObject(file) ? file : {});
        }),
      ),
    );
  } else if (Array.isArray(given.files) && given.files.length > 0) {
    // Files named in the manifest itself: each read from storage, so its stored metadata wins as in Octue.
    files = await Promise.all(
      given.files.map((file) =>
        limit(async () => {
          const filePath = datafilePath(file, path);
          if (isUrl(filePath)) return signedDatafile(filePath, isPlainObject(file) ? file : {}, access);
          const object = await storeFor(access, filePath).stat(filePath);
          if (object === undefined) throw new StorageObjectNotFound(filePath);
          return datafileFrom(object, isPlainObject(file) ? file : {});
        }),
      ),
    );
  } else {
    const objects = await listAll(path, access);
    if (objects.length === 0 && Object.keys(stored).length === 0) throw new DatasetNotFound(path);
    files = objects
      .filter((object) => isDatasetFile(object.path, location.bucket))
      .map((object) => datafileFrom(object, {}));
  }
  return datasetOf(metadata, path, files);
}

/** A dataset at a signed URL: its document (Octue's dataset primitive, files as signed URLs), and a HEAD per file. */
async function resolveSignedDataset(
  url: string,
  given: Record<string, unknown>,
  access: DatasetAccess,
  limit: LimitFunction,
): Promise<ResolvedDataset> {
  if (Array.isArray(given.files) && given.files.length > 0) {
    const files = await Promise.all(
      given.files.map((file) =>
        limit(() => signedDatafile(datafilePath(file, url), isPlainObject(file) ? file : {}, access)),
      ),
    );
    return datasetOf(given, url, files);
  }
  const response = await fetchSigned(access, url, "GET");
  let document: unknown;
  try {
    document = await response.json();
  } catch {
    throw new InvalidManifestJson(`The dataset at ${withoutQuery(url)} is not a JSON dataset document`);
  }
  if (!isPlainObject(document) || !Array.isArray(document.files)) {
    throw new InvalidManifestContents(
      `The dataset at ${withoutQuery(url)} lists no files: it is not a signed dataset document`,
    );
  }
  const listedFiles = document.files;
  const files = await Promise.all(
    listedFiles.map((file) => limit(() => signedDatafile(datafilePath(file, url), {}, access))),
  );
  return datasetOf({ ...given, ...document }, url, files);
}

/** One file at a signed URL: a HEAD for its size, CRC32C and `x-goog-meta-octue__*` metadata. */
async function signedDatafile(
  url: string,
  given: Record<string, unknown>,
  access: DatasetAccess,
): Promise<ResolvedDatafile> {
  const response = await fetchSigned(access, url, "HEAD");
  const custom: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    if (key.startsWith(`x-goog-meta-${OCTUE_METADATA_PREFIX}`)) custom[key.slice("x-goog-meta-".length)] = value;
  });
  const length = Number(response.headers.get("content-length"));
  const crc32c = /(?:^|,)\s*crc32c=([^,\s]+)/.exec(response.headers.get("x-goog-hash") ?? "")?.[1];
  return datafileOf(url, nameOf(url), decodeDatafileMetadata(custom), given, {
    ...(Number.isFinite(length) && response.headers.has("content-length") ? { size: length } : {}),
    ...(crc32c === undefined ? {} : { crc32c }),
  });
}

/** The dataset section of `<path>/.octue`, or `{}` when there is none. */
async function readDatasetDocument(path: string, access: DatasetAccess): Promise<Record<string, unknown>> {
  const store = storeFor(access, path);
  let bytes: Buffer;
  try {
    bytes = await store.read(joinStorageUri(path, METADATA_FILENAME));
  } catch (error) {
    if (error instanceof StorageObjectNotFound) return {};
    throw error;
  }
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new InvalidManifestJson(`The dataset metadata file ${joinStorageUri(path, METADATA_FILENAME)} is not JSON`);
  }
  return isPlainObject(document) && isPlainObject(document.dataset) ? document.dataset : {};
}

async function listAll(path: string, access: DatasetAccess): Promise<StoredObject[]> {
  const store = storeFor(access, path);
  const prefix = `gs://${parseStorageUri(path, "prefix").bucket}/${folderPrefix(parseStorageUri(path, "prefix"))}`;
  return listAllObjects(store, prefix);
}

/** Octue's listing filter: signed documents, metadata files and folder placeholders are not files of the dataset. */
function isDatasetFile(objectPath: string, bucket: string): boolean {
  const name = objectPath.slice(`gs://${bucket}/`.length);
  return !name.includes(SIGNED_METADATA_FOLDER) && !name.endsWith(METADATA_FILENAME) && !name.endsWith("/");
}

/** A file of a dataset given as a path or an object; relative paths are relative to the dataset, as in Octue. */
function datafilePath(file: unknown, datasetPath: string): string {
  const path = typeof file === "string" ? file : isPlainObject(file) ? file.path : undefined;
  if (typeof path !== "string" || path === "") {
    throw new InvalidManifestContents(`A file of the dataset at ${withoutQuery(datasetPath)} has no path`);
  }
  return isStorageUri(path) || isUrl(path) ? path : joinStorageUri(datasetPath, path);
}

function datafileFrom(object: StoredObject, given: Record<string, unknown>): ResolvedDatafile {
  return datafileOf(object.path, nameOf(object.path), decodeDatafileMetadata(object.metadata), given, {
    size: object.size,
    crc32c: object.crc32c,
  });
}

/** Stored metadata wins over what the manifest says, as Octue's `Datafile` does unless told to ignore it. */
function datafileOf(
  path: string,
  name: string,
  stored: DatafileMetadata,
  given: Record<string, unknown>,
  cloud: { size?: number; crc32c?: string },
): ResolvedDatafile {
  const timestamp = stored.timestamp !== undefined ? toPosix(stored.timestamp) : toPosix(given.timestamp);
  return {
    id: stored.id ?? (typeof given.id === "string" ? given.id : randomUUID()),
    name,
    path,
    timestamp,
    tags: { ...(isPlainObject(given.tags) ? given.tags : {}), ...stored.tags },
    labels: [...new Set([...(stored.labels ?? (Array.isArray(given.labels) ? given.labels.map(String) : []))])].sort(),
    ...cloud,
  };
}

function datasetOf(metadata: Record<string, unknown>, path: string, files: ResolvedDatafile[]): ResolvedDataset {
  return {
    id: typeof metadata.id === "string" ? metadata.id : randomUUID(),
    name: typeof metadata.name === "string" && metadata.name !== "" ? metadata.name : nameOf(datasetPathOf(path)),
    tags: isPlainObject(metadata.tags) ? metadata.tags : {},
    labels: Array.isArray(metadata.labels) ? metadata.labels.map(String).sort() : [],
    path,
    files: [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
}

/** A signed dataset's own folder: its URL up to the signed-documents folder, as Octue names it. */
function datasetPathOf(path: string): string {
  return isUrl(path) ? (withoutQuery(path).split(SIGNED_METADATA_FOLDER)[0] ?? path) : path;
}

function nameOf(path: string): string {
  const last =
    withoutQuery(path)
      .split("/")
      .filter((segment) => segment !== "")
      .at(-1) ?? path;
  if (!isUrl(path)) return last;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

function toPosix(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed / 1000;
  }
  return null;
}
