import { existsSync } from "node:fs";
import path from "node:path";
import type { ServiceConfiguration } from "../../shared/config/index.js";
import {
  type DatasetAccess,
  DEFAULT_SIGNED_URL_SECONDS,
  isSerialisedManifest,
  resolveManifestDatasets,
  storeFor,
  uploadOutputDatasets,
} from "../../shared/datasets/index.js";
import { DatasetNotFound } from "../../shared/errors/index.js";
import { isPlainObject } from "../../shared/json/index.js";
import { definedProperties } from "../../shared/objects/index.js";
import { isCloudPath, joinStorageUri } from "../../shared/storage/index.js";
import type { ValidatedQuestionData } from "./input-validation.js";

/** Where a runner reads and writes datasets. */
export interface RunnerDatasets {
  /** Storage for `gs://` paths (and `fetch` for signed URLs). */
  readonly access: DatasetAccess;
  /**
   * Where output datasets go when the service names no `output_location`: the network's outputs bucket. Without
   * either, outputs stay in the output directory and the answer names local paths (a question asked on this machine).
   */
  readonly outputLocation?: string;
  /**
   * Where a failed question's diagnostics are saved when the service names no `diagnostics_cloud_path`: the network's
   * diagnostics bucket. Without either, none are saved (as Octue, which warns).
   */
  readonly diagnosticsLocation?: string;
  /** How long signed output URLs last (`use_signed_urls_for_output_datasets`); 7 days by default, as Octue's. */
  readonly signedUrlSeconds?: number;
  /** Where the files the app asks for are downloaded; beside the output directory by default. */
  readonly downloadsDirectory?: string;
}

/** The question's manifests with their cloud datasets read (their files and metadata; no bytes yet). */
export async function readQuestionDatasets(
  data: ValidatedQuestionData,
  access: DatasetAccess,
  workingDirectory: string,
): Promise<ValidatedQuestionData> {
  checkLocalDatasetsExist(data.configurationManifest, workingDirectory);
  checkLocalDatasetsExist(data.inputManifest, workingDirectory);
  const [configurationManifest, inputManifest] = await Promise.all([
    readManifest(data.configurationManifest, access),
    readManifest(data.inputManifest, access),
  ]);
  return { ...data, configurationManifest, inputManifest };
}

/**
 * A local dataset folder that does not exist fails the question before the app starts, as a cloud dataset with nothing
 * stored does, rather than giving the app an empty dataset (Octue's behaviour, and almost always a wrong path).
 * @throws DatasetNotFound
 */
function checkLocalDatasetsExist(manifest: unknown, workingDirectory: string): void {
  if (!isSerialisedManifest(manifest)) return;
  for (const dataset of Object.values(manifest.datasets)) {
    if (isPlainObject(dataset) && Array.isArray(dataset.files) && dataset.files.length > 0) continue;
    const datasetPath = typeof dataset === "string" ? dataset : isPlainObject(dataset) ? dataset.path : undefined;
    if (typeof datasetPath !== "string" || isCloudPath(datasetPath)) continue;
    const resolved = path.resolve(workingDirectory, datasetPath);
    if (!existsSync(resolved)) {
      throw new DatasetNotFound(
        datasetPath,
        `there is no folder ${resolved}. A relative path is read from the service's folder; give an absolute path, or ask with twined question ask or Child, which make paths absolute.`,
      );
    }
  }
}

async function readManifest(manifest: unknown, access: DatasetAccess): Promise<unknown> {
  if (!isSerialisedManifest(manifest) || !Object.values(manifest.datasets).some(isInCloud)) return manifest;
  return resolveManifestDatasets(manifest, access);
}

/**
 * The answer's output manifest once its datasets are uploaded to the service's `output_location`, or the network's
 * outputs location, under the question's own folder; unchanged when there is neither.
 */
export async function saveOutputDatasets(
  outputManifest: unknown,
  context: {
    readonly configuration: ServiceConfiguration;
    readonly questionUuid: string;
    readonly datasets?: RunnerDatasets;
  },
): Promise<unknown> {
  if (!isSerialisedManifest(outputManifest)) return outputManifest;
  const location = context.configuration.outputLocation ?? context.datasets?.outputLocation;
  if (location === undefined) return outputManifest;
  const access = context.datasets?.access ?? {
    unavailable: "this runner has no dataset storage to upload the service's output_location to",
  };
  const signedUrls = context.configuration.useSignedUrlsForOutputDatasets
    ? { expiresInSeconds: context.datasets?.signedUrlSeconds ?? DEFAULT_SIGNED_URL_SECONDS }
    : undefined;
  const report = await uploadOutputDatasets(outputManifest, {
    store: storeFor(access, location),
    location,
    questionUuid: context.questionUuid,
    ...definedProperties({ signedUrls, concurrency: access.concurrency }),
  });
  return report.manifest;
}

function isInCloud(dataset: unknown): boolean {
  const path = typeof dataset === "string" ? dataset : isPlainObject(dataset) ? dataset.path : undefined;
  return typeof path === "string" && isCloudPath(path);
}

/**
 * Keeps output values too large for a message beside the question's output datasets
 * (`<location>/<question UUID>/.twined/output_values.json`); returns where, or undefined when this runner has no
 * storage to keep them in.
 */
export async function storeOutputValues(
  values: unknown,
  context: {
    readonly configuration: ServiceConfiguration;
    readonly questionUuid: string;
    readonly datasets?: RunnerDatasets;
  },
): Promise<string | undefined> {
  const location = context.configuration.outputLocation ?? context.datasets?.outputLocation;
  const store = context.datasets?.access.store;
  if (location === undefined || store === undefined) return undefined;
  const path = joinStorageUri(location, context.questionUuid, ".twined", "output_values.json");
  await store.upload(Buffer.from(JSON.stringify(values)), path, { contentType: "application/json" });
  return path;
}
