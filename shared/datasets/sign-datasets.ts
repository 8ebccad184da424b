import pLimit, { type LimitFunction } from "p-limit";
import type { SerialisedDataset, SerialisedManifest } from "../events/index.js";
import { generateRevisionTag } from "../identity/index.js";
import type { DatasetStore } from "../ports/index.js";
import { isStorageUri, joinStorageUri } from "../storage/index.js";
import { type DatasetAccess, DEFAULT_CONCURRENCY, storeFor } from "./dataset-access.js";
import { resolveManifestDatasets, SIGNED_METADATA_FOLDER } from "./resolve-datasets.js";

/** Octue's default lifetime of a signed dataset URL. */
export const DEFAULT_SIGNED_URL_SECONDS = 7 * 24 * 60 * 60;

/** A dataset in Cloud Storage about to be signed: its metadata, and its files' `gs://` paths. */
export interface DatasetToSign {
  readonly id: string;
  readonly name: string;
  readonly tags: Record<string, unknown>;
  readonly labels: string[];
  /** `gs://…` */
  readonly path: string;
  readonly files: readonly string[];
}

/**
 * Octue's signed dataset: every file signed, the dataset's primitive with those URLs as its `files` stored at
 * `<dataset>/.signed_metadata_files/<slug>`, and that document signed. Its URL is the dataset's new path: whoever holds
 * it can read the dataset without access to the bucket, until the URLs expire.
 */
export async function signDataset(
  dataset: DatasetToSign,
  store: DatasetStore,
  options: { readonly expiresInSeconds: number },
  limit: LimitFunction = pLimit(DEFAULT_CONCURRENCY),
): Promise<string> {
  const files = await Promise.all(dataset.files.map((file) => limit(() => store.signUrl(file, options))));
  const document = { ...dataset, files };
  const documentPath = joinStorageUri(dataset.path, SIGNED_METADATA_FOLDER, generateRevisionTag());
  await store.upload(Buffer.from(JSON.stringify(document)), documentPath, { contentType: "application/json" });
  return store.signUrl(documentPath, options);
}

/**
 * The manifest with each dataset in Cloud Storage replaced by a signed URL, as Octue's parents send their children:
 * a child then needs no access to its parent's bucket. Local datasets and datasets already at a URL are left as they
 * are, so signing twice is harmless.
 */
export async function signManifestDatasets(
  manifest: SerialisedManifest,
  access: DatasetAccess,
  options: { readonly expiresInSeconds: number } = { expiresInSeconds: DEFAULT_SIGNED_URL_SECONDS },
): Promise<SerialisedManifest> {
  const inStorage = Object.entries(manifest.datasets).filter(([, dataset]) => isStorageUri(pathOf(dataset)));
  if (inStorage.length === 0) return manifest;
  const resolved = await resolveManifestDatasets({ ...manifest, datasets: Object.fromEntries(inStorage) }, access);
  const limit = pLimit(access.concurrency ?? DEFAULT_CONCURRENCY);
  const signed = await Promise.all(
    Object.entries(resolved.datasets).map(async ([key, dataset]): Promise<[string, string]> => {
      if (typeof dataset === "string") return [key, dataset];
      const files = dataset.files.map((file) => (typeof file === "string" ? file : file.path));
      const toSign = {
        id: dataset.id,
        name: dataset.name,
        tags: dataset.tags,
        labels: dataset.labels,
        path: pathOf(dataset),
        files,
      };
      return [key, await signDataset(toSign, storeFor(access, toSign.path), options, limit)];
    }),
  );
  return { ...manifest, datasets: { ...manifest.datasets, ...Object.fromEntries(signed) } };
}

function pathOf(dataset: SerialisedDataset): string {
  if (typeof dataset === "string") return dataset;
  return typeof dataset.path === "string" ? dataset.path : "";
}
