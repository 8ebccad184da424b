import { InvalidCloudPath } from "../errors/storage-errors.js";

/** A Cloud Storage location: a bucket, and an object name or a folder-like prefix of names within it. */
export interface StorageLocation {
  readonly bucket: string;
  /** The object's name, or a prefix (`""` for the whole bucket). Never starts with `/`. */
  readonly name: string;
}

const SCHEME = "gs://";
const MAX_NAME_BYTES = 1024;
const BUCKET_COMPONENT = /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;
const IP_ADDRESS = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Octue's cloud paths: a `gs://` URI, or any string starting with `http` (a signed URL). */
export function isCloudPath(path: string): boolean {
  return isStorageUri(path) || isUrl(path);
}

export function isStorageUri(path: string): boolean {
  return path.startsWith(SCHEME);
}

/** A signed URL (or any web address), as Octue tells one apart: it starts with `http`. */
export function isUrl(path: string): boolean {
  return path.startsWith("http");
}

/**
 * Splits `gs://bucket/name` into its bucket and name, checked as Cloud Storage checks them. A folder (`prefix`) may
 * end in `/` or be the bucket alone; an object needs a name.
 * @throws InvalidCloudPath saying what is wrong.
 */
export function parseStorageUri(path: string, kind: "object" | "prefix" = "object"): StorageLocation {
  if (!isStorageUri(path)) throw new InvalidCloudPath(path, "it does not start with gs://");
  const rest = path.slice(SCHEME.length);
  const slash = rest.indexOf("/");
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const name = slash === -1 ? "" : rest.slice(slash + 1);
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem !== undefined) throw new InvalidCloudPath(path, bucketProblem);
  if (kind === "object" || name !== "") {
    const nameProblem = objectNameProblem(name, kind);
    if (nameProblem !== undefined) throw new InvalidCloudPath(path, nameProblem);
  }
  return { bucket, name };
}

/** `gs://bucket/name`. */
export function storageUri(location: StorageLocation): string {
  return `${SCHEME}${location.bucket}/${location.name}`;
}

/** `base` with `parts` appended, one `/` between each (`joinStorageUri("gs://b/out", "q1", "data.csv")`). */
export function joinStorageUri(base: string, ...parts: readonly string[]): string {
  const trimmed = [base.replace(/\/+$/, ""), ...parts.map((part) => part.replace(/^\/+|\/+$/g, ""))];
  return trimmed.filter((part, index) => index === 0 || part !== "").join("/");
}

/** A folder's prefix for listing: its name with one trailing `/` (or `""` for a whole bucket). */
export function folderPrefix(location: StorageLocation): string {
  return location.name === "" || location.name.endsWith("/") ? location.name : `${location.name}/`;
}

/** Why Cloud Storage would refuse this bucket name, or undefined. */
export function bucketNameProblem(bucket: string): string | undefined {
  if (bucket === "") return "it names no bucket";
  if (bucket.length < 3) return `the bucket name '${bucket}' is shorter than 3 characters`;
  const components = bucket.split(".");
  const tooLong = bucket.length > (components.length > 1 ? 222 : 63);
  if (tooLong) return `the bucket name '${bucket}' is longer than Cloud Storage allows`;
  if (!components.every((component) => BUCKET_COMPONENT.test(component))) {
    return `the bucket name '${bucket}' may hold only lowercase letters, digits, '-', '_' and '.', and must start and end with a letter or digit`;
  }
  if (IP_ADDRESS.test(bucket)) return `the bucket name '${bucket}' is an IP address`;
  if (bucket.startsWith("goog") || bucket.includes("google")) {
    return `the bucket name '${bucket}' starts with 'goog' or contains 'google', which Cloud Storage reserves`;
  }
  return undefined;
}

/** Why Cloud Storage would refuse this object name (or prefix), or undefined. */
export function objectNameProblem(name: string, kind: "object" | "prefix" = "object"): string | undefined {
  if (name === "") return "it names no object after the bucket";
  if (kind === "object" && name.endsWith("/")) return "an object's name cannot end with '/' (that is a folder)";
  if (Buffer.byteLength(name, "utf8") > MAX_NAME_BYTES) return `the object name is longer than ${MAX_NAME_BYTES} bytes`;
  if (/[\r\n]/.test(name)) return "the object name holds a line break";
  if (name === "." || name === "..") return `'${name}' cannot be an object name`;
  if (name.startsWith(".well-known/acme-challenge/"))
    return "Cloud Storage reserves names under .well-known/acme-challenge/";
  return undefined;
}

/** Cloud Storage's longest signed URL lifetime (V4 signatures): a week. */
export const MAX_SIGNED_URL_SECONDS = 7 * 24 * 60 * 60;

/** Why a signed URL cannot last this long, or undefined. */
export function signedUrlLifetimeProblem(seconds: number): string | undefined {
  if (seconds > 0 && seconds <= MAX_SIGNED_URL_SECONDS) return undefined;
  return `a signed URL lasts from 1 s to ${MAX_SIGNED_URL_SECONDS} s (7 days), not ${seconds} s`;
}
