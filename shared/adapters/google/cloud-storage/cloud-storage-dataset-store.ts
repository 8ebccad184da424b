import { randomUUID } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { type File, type FileMetadata, IdempotencyStrategy, Storage, type StorageOptions } from "@google-cloud/storage";
import pLimit from "p-limit";
import {
  StorageAccessDenied,
  StorageChecksumMismatch,
  StorageObjectNotFound,
  StorageRequestFailed,
} from "../../../errors/index.js";
import { definedProperties } from "../../../objects/index.js";
import type { DatasetStore, ObjectPage, SignOptions, StoredObject, UploadOptions } from "../../../ports/index.js";
import { parseStorageUri, type StorageLocation, signedUrlLifetimeProblem, storageUri } from "../../../storage/index.js";
import { googleApiStatus, Status } from "../google-api-status.js";

const DEFAULT_PAGE_SIZE = 1000;
/** Deletions and other per-object calls made at once. */
const CONCURRENCY = 16;

export interface CloudStorageDatasetStoreOptions {
  /** Uses this client without taking ownership. */
  readonly storage?: Storage;
  /** The project of the client the store creates (default: from the environment). */
  readonly projectId?: string;
  /**
   * Signs URLs with this key instead of the runtime's identity: on the emulators, a throwaway key the network makes
   * for itself (the emulator checks no signature). On Google Cloud leave it out: URLs are signed as the job's or the
   * function's service account, through IAM's signBlob when it holds no key.
   */
  readonly signer?: { readonly clientEmail: string; readonly privateKey: string };
}

/**
 * Cloud Storage through `@google-cloud/storage`. With `STORAGE_EMULATOR_HOST` set, the client talks to that emulator
 * and needs no credentials.
 */
export class CloudStorageDatasetStore implements DatasetStore {
  private readonly storage: Storage;
  private readonly signing: Storage;

  constructor(options: CloudStorageDatasetStoreOptions = {}) {
    const clientOptions: StorageOptions = {
      ...definedProperties({ projectId: options.projectId }),
      // Every write names its object and carries all its bytes, so repeating one is harmless; by default the client
      // repeats writes only under a precondition, and a connection dropped mid-upload would fail a whole question.
      retryOptions: { autoRetry: true, maxRetries: 3, idempotencyStrategy: IdempotencyStrategy.RetryAlways },
    };
    this.storage = options.storage ?? new Storage(clientOptions);
    this.signing =
      options.signer === undefined
        ? this.storage
        : new Storage({
            ...clientOptions,
            credentials: { client_email: options.signer.clientEmail, private_key: options.signer.privateKey },
          });
  }

  async list(prefix: string, page: { pageToken?: string; pageSize?: number } = {}): Promise<ObjectPage> {
    const location = parseStorageUri(prefix, "prefix");
    const [files, next] = await this.call(prefix, "list", () =>
      this.storage.bucket(location.bucket).getFiles({
        prefix: location.name,
        autoPaginate: false,
        maxResults: page.pageSize ?? DEFAULT_PAGE_SIZE,
        ...definedProperties({ pageToken: page.pageToken }),
      }),
    );
    const nextPageToken = (next as { pageToken?: unknown } | null | undefined)?.pageToken;
    return {
      objects: files.map((file) => objectOf({ bucket: location.bucket, name: file.name }, file.metadata)),
      nextPageToken: typeof nextPageToken === "string" && nextPageToken !== "" ? nextPageToken : undefined,
    };
  }

  async stat(objectPath: string): Promise<StoredObject | undefined> {
    const location = parseStorageUri(objectPath);
    try {
      const [metadata] = await this.file(location).getMetadata();
      return objectOf(location, metadata);
    } catch (error) {
      if (googleApiStatus(error) === Status.NOT_FOUND) return undefined;
      throw translate(error, objectPath, "read the metadata of");
    }
  }

  async read(objectPath: string): Promise<Buffer> {
    const location = parseStorageUri(objectPath);
    const [bytes] = await this.call(objectPath, "read", () => this.file(location).download({ validation: "crc32c" }));
    return bytes;
  }

  async download(objectPath: string, destination: string): Promise<void> {
    const location = parseStorageUri(objectPath);
    await mkdir(path.dirname(destination), { recursive: true });
    const partial = `${destination}.${randomUUID()}.partial`;
    try {
      await this.call(objectPath, "download", () =>
        this.file(location).download({ destination: partial, validation: "crc32c" }),
      );
      await rename(partial, destination);
    } finally {
      await rm(partial, { force: true });
    }
  }

  async upload(source: string | Buffer, objectPath: string, options: UploadOptions = {}): Promise<StoredObject> {
    const location = parseStorageUri(objectPath);
    const metadata = {
      metadata: { ...options.metadata },
      ...definedProperties({ contentType: options.contentType, crc32c: options.crc32c }),
    };
    // Cloud Storage checks the bytes against a CRC32C given with them; the client need hash them only when none is.
    const validation = options.crc32c === undefined ? "crc32c" : false;
    const file = await this.call(objectPath, "upload to", async (): Promise<File> => {
      if (typeof source !== "string") {
        // One request: the emulator cannot take chunked resumable uploads, and a buffer is small enough anyway.
        await this.file(location).save(source, { metadata, resumable: false, validation });
        return this.file(location);
      }
      const [uploaded] = await this.storage
        .bucket(location.bucket)
        .upload(source, { destination: location.name, metadata, validation });
      return uploaded;
    });
    // A file upload's response carries the stored object's metadata, so it needs no second request (a buffer's may
    // not). Replacing an object keeps none of the old one's custom metadata, as the port promises.
    const stored = file.metadata.crc32c === undefined ? (await file.getMetadata())[0] : file.metadata;
    return objectOf(location, stored);
  }

  async updateMetadata(objectPath: string, metadata: Readonly<Record<string, string | null>>): Promise<StoredObject> {
    const location = parseStorageUri(objectPath);
    const [updated] = await this.call(objectPath, "update the metadata of", () =>
      this.file(location).setMetadata({ metadata: { ...metadata } }),
    );
    return objectOf(location, updated);
  }

  async copy(from: string, to: string): Promise<StoredObject> {
    const source = parseStorageUri(from);
    const destination = parseStorageUri(to);
    await this.call(from, `copy to ${to}`, () => this.file(source).copy(this.file(destination)));
    return this.require(destination);
  }

  async signUrl(objectPath: string, options: SignOptions): Promise<string> {
    const location = parseStorageUri(objectPath);
    const lifetimeProblem = signedUrlLifetimeProblem(options.expiresInSeconds);
    if (lifetimeProblem !== undefined) throw new StorageRequestFailed(objectPath, "sign a URL for", lifetimeProblem);
    await this.require(location);
    const [url] = await this.call(objectPath, "sign a URL for", () =>
      this.signing
        .bucket(location.bucket)
        .file(location.name)
        .getSignedUrl({ version: "v4", action: "read", expires: Date.now() + options.expiresInSeconds * 1000 }),
    );
    return url;
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    const location = parseStorageUri(prefix, "prefix");
    const limit = pLimit(CONCURRENCY);
    let deleted = 0;
    let pageToken: string | undefined;
    do {
      const page = await this.list(prefix, definedProperties({ pageToken }));
      await Promise.all(
        page.objects.map((object) =>
          limit(async () => {
            const name = parseStorageUri(object.path).name;
            await this.call(object.path, "delete", () =>
              this.storage.bucket(location.bucket).file(name).delete({ ignoreNotFound: true }),
            );
            deleted++;
          }),
        ),
      );
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    return deleted;
  }

  async close(): Promise<void> {}

  private file(location: StorageLocation): File {
    return this.storage.bucket(location.bucket).file(location.name);
  }

  private async require(location: StorageLocation): Promise<StoredObject> {
    const object = await this.stat(storageUri(location));
    if (object === undefined) throw new StorageObjectNotFound(storageUri(location));
    return object;
  }

  /** Runs a storage call, turning its failure into the error that says what went wrong with which path. */
  private async call<T>(objectPath: string, operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw translate(error, objectPath, operation);
    }
  }
}

function translate(error: unknown, objectPath: string, operation: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (isChecksumMismatch(error)) return new StorageChecksumMismatch(objectPath, "the stored CRC32C", "another");
  switch (googleApiStatus(error)) {
    case Status.NOT_FOUND:
      return new StorageObjectNotFound(objectPath);
    case Status.PERMISSION_DENIED:
    case Status.UNAUTHENTICATED:
      return new StorageAccessDenied(objectPath, operation, message);
    default:
      return new StorageRequestFailed(objectPath, operation, message, { cause: error });
  }
}

/** The client's own check of downloaded bytes against the object's hash. */
function isChecksumMismatch(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    "code" in error &&
    (error.code === "CONTENT_DOWNLOAD_MISMATCH" || error.code === "FILE_NO_UPLOAD")
  );
}

function objectOf(location: StorageLocation, metadata: FileMetadata): StoredObject {
  const custom = Object.fromEntries(
    Object.entries(metadata.metadata ?? {}).flatMap(([key, value]) =>
      value === null || value === undefined ? [] : [[key, String(value)]],
    ),
  );
  return {
    path: storageUri(location),
    size: Number(metadata.size ?? 0),
    crc32c: metadata.crc32c ?? "",
    updated: metadata.updated ?? new Date(0).toISOString(),
    contentType: metadata.contentType,
    metadata: custom,
  };
}
