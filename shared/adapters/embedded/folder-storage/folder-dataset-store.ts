import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  InvalidCloudPath,
  SignedUrlRejected,
  StorageChecksumMismatch,
  StorageObjectNotFound,
  StorageRequestFailed,
} from "../../../errors/index.js";
import { isPlainObject } from "../../../json/index.js";
import { definedProperties } from "../../../objects/index.js";
import type {
  DatasetStore,
  ObjectPage,
  SignedObjectReader,
  SignOptions,
  StoredObject,
  UploadOptions,
} from "../../../ports/index.js";
import {
  crc32cOf,
  crc32cOfFile,
  parseStorageUri,
  type StorageLocation,
  signedUrlLifetimeProblem,
  storageUri,
} from "../../../storage/index.js";

const DEFAULT_PAGE_SIZE = 1000;
/** Bucket names start with a letter or digit, so these folders can never be a bucket's. */
const METADATA_FOLDER = ".metadata";
const TEMPORARY_FOLDER = ".tmp";

export interface FolderDatasetStoreOptions {
  /** The folder standing in for Cloud Storage: `<root>/<bucket>/<object name>`. */
  readonly root: string;
  /**
   * Where this store's signed URLs are served (the network's HTTP API, which routes `/storage/…` to
   * `readSigned`); read at each signing, as a network learns its own address only once it listens.
   */
  readonly signedUrlBase?: () => string | undefined;
  /** Signs URLs; a random one per store when not given, so URLs die with the network that made them. */
  readonly signingKey?: Buffer;
}

/** What is kept beside each object: what Cloud Storage would report about it. */
interface Sidecar {
  readonly size: number;
  readonly crc32c: string;
  readonly updated: string;
  readonly contentType?: string;
  readonly metadata: Record<string, string>;
}

/**
 * Cloud Storage in a folder, for a network on one machine: the same `gs://bucket/name` paths, the same custom
 * metadata and CRC32C checksums, paging in Cloud Storage's order, and signed URLs served by the network's HTTP API.
 * Each object is a file at `<root>/<bucket>/<name>`; what Cloud Storage would report about it is kept in
 * `<root>/.metadata/<bucket>/<name>.json`. Writes land whole: they go to a temporary file first and are renamed.
 */
export class FolderDatasetStore implements DatasetStore, SignedObjectReader {
  private readonly root: string;
  private readonly signingKey: Buffer;

  constructor(private readonly options: FolderDatasetStoreOptions) {
    this.root = path.resolve(options.root);
    this.signingKey = options.signingKey ?? randomBytes(32);
  }

  async list(prefix: string, page: { pageToken?: string; pageSize?: number } = {}): Promise<ObjectPage> {
    const location = parseStorageUri(prefix, "prefix");
    const pageSize = page.pageSize ?? DEFAULT_PAGE_SIZE;
    const after = page.pageToken === undefined ? undefined : Buffer.from(page.pageToken, "base64url");
    const names = (await this.namesIn(location.bucket))
      .filter((name) => name.startsWith(location.name))
      .map((name) => ({ name, bytes: Buffer.from(name, "utf8") }))
      .filter((each) => after === undefined || Buffer.compare(each.bytes, after) > 0)
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    const chosen = names.slice(0, pageSize);
    const objects = await Promise.all(chosen.map((each) => this.require({ bucket: location.bucket, name: each.name })));
    const last = chosen.at(-1);
    return {
      objects,
      nextPageToken: names.length > chosen.length && last !== undefined ? last.bytes.toString("base64url") : undefined,
    };
  }

  async stat(objectPath: string): Promise<StoredObject | undefined> {
    return this.describe(this.locate(objectPath));
  }

  async read(objectPath: string): Promise<Buffer> {
    const location = this.locate(objectPath);
    const object = await this.require(location);
    const bytes = await readFile(this.dataFile(location));
    const actual = crc32cOf(bytes);
    if (actual !== object.crc32c) throw new StorageChecksumMismatch(object.path, object.crc32c, actual);
    return bytes;
  }

  async download(objectPath: string, destination: string): Promise<void> {
    const location = this.locate(objectPath);
    const object = await this.require(location);
    await mkdir(path.dirname(destination), { recursive: true });
    const partial = `${destination}.${randomUUID()}.partial`;
    try {
      await copyFile(this.dataFile(location), partial);
      const actual = await crc32cOfFile(partial);
      if (actual !== object.crc32c) throw new StorageChecksumMismatch(object.path, object.crc32c, actual);
      await rename(partial, destination);
    } finally {
      await rm(partial, { force: true });
    }
  }

  async upload(source: string | Buffer, objectPath: string, options: UploadOptions = {}): Promise<StoredObject> {
    const location = this.locate(objectPath);
    await this.checkNoFolderClash(location);
    const staged = await this.stage(source);
    try {
      const crc32c = await crc32cOfFile(staged);
      if (options.crc32c !== undefined && options.crc32c !== crc32c) {
        throw new StorageChecksumMismatch(storageUri(location), options.crc32c, crc32c);
      }
      const { size } = await stat(staged);
      await mkdir(path.dirname(this.dataFile(location)), { recursive: true });
      await rename(staged, this.dataFile(location));
      return await this.writeSidecar(location, {
        size,
        crc32c,
        updated: new Date().toISOString(),
        ...definedProperties({ contentType: options.contentType }),
        metadata: { ...options.metadata },
      });
    } finally {
      await rm(staged, { force: true });
    }
  }

  async updateMetadata(objectPath: string, metadata: Readonly<Record<string, string | null>>): Promise<StoredObject> {
    const location = this.locate(objectPath);
    const sidecar = await this.sidecar(location);
    const merged: Record<string, string> = { ...sidecar.metadata };
    for (const [key, value] of Object.entries(metadata)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    return this.writeSidecar(location, { ...sidecar, metadata: merged });
  }

  async copy(from: string, to: string): Promise<StoredObject> {
    const source = this.locate(from);
    const destination = this.locate(to);
    const sidecar = await this.sidecar(source);
    await this.checkNoFolderClash(destination);
    const staged = path.join(this.root, TEMPORARY_FOLDER, randomUUID());
    await mkdir(path.dirname(staged), { recursive: true });
    try {
      await copyFile(this.dataFile(source), staged);
      await mkdir(path.dirname(this.dataFile(destination)), { recursive: true });
      await rename(staged, this.dataFile(destination));
    } finally {
      await rm(staged, { force: true });
    }
    return this.writeSidecar(destination, { ...sidecar, updated: new Date().toISOString() });
  }

  async signUrl(objectPath: string, options: SignOptions): Promise<string> {
    const location = this.locate(objectPath);
    await this.require(location);
    const lifetimeProblem = signedUrlLifetimeProblem(options.expiresInSeconds);
    if (lifetimeProblem !== undefined) throw new StorageRequestFailed(objectPath, "sign a URL for", lifetimeProblem);
    const base = this.options.signedUrlBase?.();
    if (base === undefined) {
      throw new StorageRequestFailed(objectPath, "sign a URL for", "this network has no HTTP address to serve it from");
    }
    const expires = Math.floor(Date.now() / 1000) + Math.ceil(options.expiresInSeconds);
    const url = new URL(`${base.replace(/\/+$/, "")}/storage/${signedPathOf(location)}`);
    url.searchParams.set("expires", String(expires));
    url.searchParams.set("signature", this.signature(location, expires));
    return url.href;
  }

  /**
   * The object a signed URL of this store names (`/storage/<bucket>/<name>?expires=…&signature=…`), and the file
   * holding its bytes. @throws SignedUrlRejected for a wrong signature or an expired URL.
   */
  async readSigned(pathAndQuery: string): Promise<{ readonly object: StoredObject; readonly file: string }> {
    const url = new URL(pathAndQuery, "http://localhost");
    const match = /^\/storage\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (match === null) throw new SignedUrlRejected(pathAndQuery, "it names no object");
    const location = {
      bucket: decodeURIComponent(match[1] ?? ""),
      name: (match[2] ?? "").split("/").map(decodeURIComponent).join("/"),
    };
    const expires = Number(url.searchParams.get("expires"));
    const signature = url.searchParams.get("signature") ?? "";
    const expected = Buffer.from(this.signature(location, expires), "hex");
    const given = Buffer.from(signature, "hex");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new SignedUrlRejected(pathAndQuery, "its signature does not match");
    }
    if (!Number.isInteger(expires) || expires * 1000 < Date.now()) {
      throw new SignedUrlRejected(pathAndQuery, `it expired at ${new Date(expires * 1000).toISOString()}`);
    }
    return { object: await this.require(location), file: this.dataFile(location) };
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    const location = parseStorageUri(prefix, "prefix");
    const names = (await this.namesIn(location.bucket)).filter((name) => name.startsWith(location.name));
    for (const name of names) {
      await rm(this.dataFile({ bucket: location.bucket, name }), { force: true });
      await rm(this.sidecarFile({ bucket: location.bucket, name }), { force: true });
    }
    return names.length;
  }

  async close(): Promise<void> {}

  /** Parses an object path, also refusing names a folder cannot hold as Cloud Storage does. */
  private locate(objectPath: string): StorageLocation {
    const location = parseStorageUri(objectPath);
    const segments = location.name.split("/");
    if (segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
      throw new InvalidCloudPath(
        objectPath,
        "an empty, '.' or '..' part of the name cannot be stored in the embedded network's storage folder",
      );
    }
    if (location.name.includes("\0")) throw new InvalidCloudPath(objectPath, "the name holds a NUL character");
    return location;
  }

  /** A folder cannot hold both `a` and `a/b`, which Cloud Storage can: refuse the second clearly. */
  private async checkNoFolderClash(location: StorageLocation): Promise<void> {
    const file = this.dataFile(location);
    const existing = await stat(file).catch(() => undefined);
    if (existing?.isDirectory() === true) {
      throw new InvalidCloudPath(
        storageUri(location),
        "other objects are stored under this name as a folder, which the embedded network's storage folder cannot hold beside an object of the same name",
      );
    }
    const segments = location.name.split("/");
    for (let end = 1; end < segments.length; end++) {
      const ancestor = this.dataFile({ bucket: location.bucket, name: segments.slice(0, end).join("/") });
      if ((await stat(ancestor).catch(() => undefined))?.isFile() === true) {
        throw new InvalidCloudPath(
          storageUri(location),
          `an object is stored at gs://${location.bucket}/${segments.slice(0, end).join("/")}, which the embedded network's storage folder cannot hold beside objects under it`,
        );
      }
    }
  }

  private async stage(source: string | Buffer): Promise<string> {
    const staged = path.join(this.root, TEMPORARY_FOLDER, randomUUID());
    await mkdir(path.dirname(staged), { recursive: true });
    if (typeof source === "string") await copyFile(source, staged);
    else await writeFile(staged, source);
    return staged;
  }

  private async describe(location: StorageLocation): Promise<StoredObject | undefined> {
    const file = await stat(this.dataFile(location)).catch(() => undefined);
    if (file === undefined || !file.isFile()) return undefined;
    const sidecar = await this.sidecar(location);
    return objectOf(location, sidecar);
  }

  private async require(location: StorageLocation): Promise<StoredObject> {
    const object = await this.describe(location);
    if (object === undefined) throw new StorageObjectNotFound(storageUri(location));
    return object;
  }

  /** What is known of an object; rebuilt from its bytes when a crash left it missing or out of date. */
  private async sidecar(location: StorageLocation): Promise<Sidecar> {
    const data = this.dataFile(location);
    const file = await stat(data).catch(() => undefined);
    if (file === undefined || !file.isFile()) throw new StorageObjectNotFound(storageUri(location));
    const stored = await readFile(this.sidecarFile(location), "utf8").then(parseSidecar, () => undefined);
    if (stored !== undefined && stored.size === file.size) return stored;
    return this.writeSidecar(location, {
      size: file.size,
      crc32c: await crc32cOfFile(data),
      updated: file.mtime.toISOString(),
      metadata: stored?.metadata ?? {},
    }).then(() => this.sidecar(location));
  }

  private async writeSidecar(location: StorageLocation, sidecar: Sidecar): Promise<StoredObject> {
    const file = this.sidecarFile(location);
    await mkdir(path.dirname(file), { recursive: true });
    const staged = `${file}.${randomUUID()}.partial`;
    await writeFile(staged, JSON.stringify(sidecar));
    await rename(staged, file);
    return objectOf(location, sidecar);
  }

  private async namesIn(bucket: string): Promise<string[]> {
    const folder = path.join(this.root, bucket);
    const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"));
  }

  private dataFile(location: StorageLocation): string {
    return path.join(this.root, location.bucket, ...location.name.split("/"));
  }

  private sidecarFile(location: StorageLocation): string {
    return `${path.join(this.root, METADATA_FOLDER, location.bucket, ...location.name.split("/"))}.json`;
  }

  private signature(location: StorageLocation, expires: number): string {
    return createHmac("sha256", this.signingKey)
      .update(`GET\n${location.bucket}\n${location.name}\n${expires}`)
      .digest("hex");
  }
}

function objectOf(location: StorageLocation, sidecar: Sidecar): StoredObject {
  return {
    path: storageUri(location),
    size: sidecar.size,
    crc32c: sidecar.crc32c,
    updated: sidecar.updated,
    contentType: sidecar.contentType,
    metadata: sidecar.metadata,
  };
}

function signedPathOf(location: StorageLocation): string {
  return [location.bucket, ...location.name.split("/")].map(encodeURIComponent).join("/");
}

function parseSidecar(text: string): Sidecar | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(value) || typeof value.size !== "number" || typeof value.crc32c !== "string") return undefined;
  if (typeof value.updated !== "string" || !isPlainObject(value.metadata)) return undefined;
  const metadata = Object.fromEntries(
    Object.entries(value.metadata).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
  return {
    size: value.size,
    crc32c: value.crc32c,
    updated: value.updated,
    ...(typeof value.contentType === "string" ? { contentType: value.contentType } : {}),
    metadata,
  };
}
