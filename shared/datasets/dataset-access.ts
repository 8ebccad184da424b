import {
  SignedUrlRejected,
  StorageNotConfigured,
  StorageObjectNotFound,
  StorageRequestFailed,
} from "../errors/index.js";
import type { SerialisedManifest } from "../events/index.js";
import { isPlainObject } from "../json/index.js";
import type { DatasetStore, StoredObject } from "../ports/index.js";

/** What reading and writing datasets needs: storage for `gs://` paths, and the web for signed URLs. */
export interface DatasetAccess {
  /** Cloud Storage (or the embedded network's folder); without it a `gs://` path cannot be read. */
  readonly store?: DatasetStore | undefined;
  /** Why there is no store, for the error a `gs://` path then gets. */
  readonly unavailable?: string;
  /** Fetches signed URLs; the global `fetch` by default. */
  readonly fetch?: typeof fetch;
  /** Storage calls made at once; Cloud Storage takes many, a laptop's folder does not mind. */
  readonly concurrency?: number;
}

export const DEFAULT_CONCURRENCY = 16;

/** The store for a `gs://` path, or the error saying why this network or job has none. */
export function storeFor(access: DatasetAccess, path: string): DatasetStore {
  if (access.store !== undefined) return access.store;
  throw new StorageNotConfigured(path, access.unavailable ?? "no Cloud Storage is configured here");
}

/**
 * GETs or HEADs a signed URL, turning a refusal into the error that says what happened, without the URL's signature.
 * @throws SignedUrlRejected (an expired or tampered URL), StorageObjectNotFound, StorageRequestFailed.
 */
export async function fetchSigned(access: DatasetAccess, url: string, method: "GET" | "HEAD"): Promise<Response> {
  const fetcher = access.fetch ?? fetch;
  let response: Response;
  try {
    response = await fetcher(url, { method, redirect: "error" });
  } catch (error) {
    throw new StorageRequestFailed(withoutQuery(url), `${method} the signed URL`, describe(error), { cause: error });
  }
  if (response.ok) return response;
  const detail = method === "GET" ? await refusalDetail(response) : "";
  if (response.status === 404) throw new StorageObjectNotFound(withoutQuery(url));
  if (response.status === 400 || response.status === 401 || response.status === 403) {
    throw new SignedUrlRejected(url, `HTTP ${response.status}${detail === "" ? "" : ` (${detail})`}`);
  }
  throw new StorageRequestFailed(withoutQuery(url), `${method} the signed URL`, `HTTP ${response.status} ${detail}`);
}

/** A signed URL with its query (the signature, a credential) removed: what may be shown or logged. */
export function withoutQuery(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/** Cloud Storage answers a refused signed URL with an XML `<Error><Code>…</Code><Message>…</Message>` body. */
async function refusalDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  if (code !== undefined) return message === undefined ? code : `${code}: ${message}`;
  return text.slice(0, 200).trim();
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Every object whose name starts with `prefix`'s name, page after page. */
export async function listAllObjects(store: DatasetStore, prefix: string): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.list(prefix, pageToken === undefined ? {} : { pageToken });
    objects.push(...page.objects);
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return objects;
}

/** A manifest as the wire carries it: an object with a `datasets` object. */
export function isSerialisedManifest(value: unknown): value is SerialisedManifest {
  return isPlainObject(value) && isPlainObject(value.datasets);
}
