import { NonRetryableError, TwinedError } from "./base.js";

/** A `gs://bucket/name` path that Cloud Storage would refuse, or a path that is not one at all. */
export class InvalidCloudPath extends NonRetryableError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`'${path}' is not a Cloud Storage path: ${reason}; expected gs://<bucket>/<object name>`);
  }
}

/** No object at a `gs://` path (or a signed URL answering 404): nothing is there, or it was deleted. */
export class StorageObjectNotFound extends NonRetryableError {
  constructor(readonly path: string) {
    super(`Nothing is stored at ${path}; check the path, and that the dataset was uploaded there`);
  }
}

/** Storage refused the network's identity: the bucket exists but this network may not read or write it. */
export class StorageAccessDenied extends NonRetryableError {
  constructor(
    readonly path: string,
    readonly operation: string,
    detail: string,
  ) {
    super(
      `Cloud Storage refused to ${operation} ${path}: ${detail}. Grant the network's service account access to the bucket (roles/storage.objectViewer to read, roles/storage.objectUser to write), or use a bucket it can reach.`,
    );
  }
}

/** A signed URL past its expiry, or whose signature does not match: ask for the dataset again to get a fresh one. */
export class SignedUrlRejected extends NonRetryableError {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`The signed URL ${redactedUrl(url)} was refused: ${reason}; ask its owner for a fresh one`);
  }
}

/** What arrived is not what was stored: the crc32c of the bytes differs from the object's. */
export class StorageChecksumMismatch extends TwinedError {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`The bytes read from ${path} have crc32c ${actual}, not the stored ${expected}: the copy is corrupt`);
  }
}

/** Any other failed storage call (unavailable, quota, a timeout): worth retrying. */
export class StorageRequestFailed extends TwinedError {
  constructor(
    readonly path: string,
    readonly operation: string,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`Could not ${operation} ${path}: ${detail}`, options);
  }
}

/** A signed URL without its query string: the signature is a credential and is never shown. */
function redactedUrl(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : `${url.slice(0, query)}?…`;
}

/** A dataset path where nothing is stored: no `.octue` dataset file and no objects under it. */
export class DatasetNotFound extends NonRetryableError {
  constructor(
    readonly path: string,
    reason = "it has no .octue file and no files under it. Check the path, and that the dataset was uploaded there.",
  ) {
    super(`No dataset is stored at ${path}: ${reason}`);
  }
}

/** A `gs://` path where this network or job has no Cloud Storage to read it from. */
export class StorageNotConfigured extends NonRetryableError {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`Cannot read ${path}: ${detail}`);
  }
}

/**
 * A question naming a dataset on the asker's own disk, sent to a network whose jobs run elsewhere and could never read
 * it. Octue's name, raised where Octue raises it (unless `allow_local_files`).
 */
export class FileLocationError extends NonRetryableError {
  constructor(
    /** The dataset's key in the manifest. */
    readonly dataset: string,
    /** The local path it names. */
    readonly path: string,
  ) {
    super(
      `The dataset '${dataset}' of the input manifest is at a local path (${path}), which this network's jobs cannot read: they run elsewhere. Upload it to Cloud Storage and name its gs:// path (twined question ask and Child do this for you), or ask a network on your own machine (twined dev).`,
      { pointer: `/input_manifest/datasets/${dataset.replace(/~/g, "~0").replace(/\//g, "~1")}` },
    );
  }
}
