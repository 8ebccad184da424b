/** What storage knows of one object, as Cloud Storage reports it. */
export interface StoredObject {
  /** `gs://bucket/name`. */
  readonly path: string;
  readonly size: number;
  /** Base64 of the big-endian CRC32C of the bytes, as Cloud Storage gives it (`x-goog-hash: crc32c=…`). */
  readonly crc32c: string;
  /** When the object was last written, ISO 8601. */
  readonly updated: string;
  readonly contentType: string | undefined;
  /** Custom metadata as stored: text values (Octue's `octue__*` keys hold JSON). */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface ObjectPage {
  /** In Cloud Storage's order: by name, byte by byte. */
  readonly objects: readonly StoredObject[];
  /** Give it to the next `list` call for the following page; undefined on the last page. */
  readonly nextPageToken: string | undefined;
}

export interface UploadOptions {
  /** Custom metadata to store with the object. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly contentType?: string;
  /**
   * The bytes' CRC32C when the caller has computed it already: storage then checks the upload against it, and the
   * bytes need not be hashed twice.
   */
  readonly crc32c?: string;
}

export interface SignOptions {
  /** How long the URL works, from now. */
  readonly expiresInSeconds: number;
}

/**
 * Files and datasets too large for a message, in Cloud Storage or a folder laid out like it: addressed by
 * `gs://bucket/name` paths, with custom metadata per object. Every method refuses a malformed path with
 * `InvalidCloudPath` and a missing object with `StorageObjectNotFound`, before anything else happens. Adapters: a
 * folder under the network's data directory (embedded) and Cloud Storage.
 */
export interface DatasetStore {
  /**
   * One page of the objects whose names start with `prefix`'s name (`gs://bucket/folder/` lists a folder and all below
   * it), with their metadata.
   */
  list(prefix: string, page?: { readonly pageToken?: string; readonly pageSize?: number }): Promise<ObjectPage>;
  /** The object's metadata, or undefined when there is none at `path`. */
  stat(path: string): Promise<StoredObject | undefined>;
  /** The whole object, for small ones (a dataset's `.octue` file, a stored answer). */
  read(path: string): Promise<Buffer>;
  /**
   * Writes the object to the local file `destination` (its folder is created), whole or not at all, and checks its
   * CRC32C: one request, as the object's metadata usually came with a listing already.
   * @throws StorageChecksumMismatch when the bytes are not what was stored.
   */
  download(path: string, destination: string): Promise<void>;
  /** Stores a local file or bytes at `path`, replacing what is there, with its metadata. */
  upload(source: string | Buffer, path: string, options?: UploadOptions): Promise<StoredObject>;
  /** Sets custom metadata keys; `null` removes a key. Other keys are kept. */
  updateMetadata(path: string, metadata: Readonly<Record<string, string | null>>): Promise<StoredObject>;
  /** Copies an object within storage, metadata included, without its bytes passing through this process. */
  copy(from: string, to: string): Promise<StoredObject>;
  /** A URL that reads (GET) and describes (HEAD) the object without credentials until it expires. */
  signUrl(path: string, options: SignOptions): Promise<string>;
  /** Deletes every object whose name starts with `prefix`'s name; returns how many. */
  deleteByPrefix(prefix: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * A store that serves its own signed URLs through the network's HTTP API (`/storage/<bucket>/<name>?…`), as the
 * embedded network's does; Cloud Storage serves its own.
 */
export interface SignedObjectReader {
  /**
   * The object a signed URL's path and query name, and the local file holding its bytes.
   * @throws SignedUrlRejected for a signature that does not match or a URL past its expiry.
   */
  readSigned(pathAndQuery: string): Promise<{ readonly object: StoredObject; readonly file: string }>;
}
