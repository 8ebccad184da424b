import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pLimit, { type LimitFunction } from "p-limit";
import type { SerialisedDataset, SerialisedManifest } from "../events/index.js";
import type { DatasetStore } from "../ports/index.js";
import { isStorageUri, isUrl, joinStorageUri, parseStorageUri } from "../storage/index.js";
import { type DatasetAccess, DEFAULT_CONCURRENCY, isSerialisedManifest, storeFor } from "./dataset-access.js";
import {
  DIAGNOSTICS_FILES,
  type DiagnosticsManifestStrand,
  diagnosticsDatasetsFolder,
  type QuestionDiagnostics,
} from "./diagnostics-files.js";
import { downloadManifestDatasets } from "./download-datasets.js";
import { METADATA_FILENAME, type ResolvedDataset, resolveManifestDatasets } from "./resolve-datasets.js";
import { uploadDatasetFolder } from "./upload-datasets.js";

export interface SaveDiagnosticsOptions {
  readonly access: DatasetAccess;
  /** `gs://bucket[/folder]`: the service's `diagnostics_cloud_path`, or the network's diagnostics bucket. */
  readonly location: string;
  /** Where the manifests' relative local paths resolve: the app's working directory. */
  readonly baseDirectory: string;
}

export interface SavedDiagnostics {
  /** `<location>/<question UUID>`. */
  readonly path: string;
  /** What could not be saved (a dataset that could not be copied, say), each naming the part; the rest was saved. */
  readonly problems: readonly string[];
}

/**
 * Saves a question's diagnostics under `<location>/<question UUID>/`, as Octue's `Diagnostics.upload` does: its values,
 * its manifests with a copy of every dataset beside them (`<strand>_datasets/<key>/`, server-side for `gs://`
 * datasets; signed-URL and local datasets are uploaded), the questions it asked its children, its own events, and a
 * summary, written last, which marks the diagnostics as complete. Each part is saved on its own: one that fails is
 * reported in `problems` and the others are still saved (a crash report must not be lost to one unreadable dataset).
 */
export async function saveQuestionDiagnostics(
  diagnostics: QuestionDiagnostics,
  options: SaveDiagnosticsOptions,
): Promise<SavedDiagnostics> {
  const root = joinStorageUri(options.location, diagnostics.summary.question_uuid);
  const store = storeFor(options.access, root);
  const limit = pLimit(options.access.concurrency ?? DEFAULT_CONCURRENCY);
  const problems: string[] = [];
  const attempt = async (part: string, save: () => Promise<void>) => {
    try {
      await save();
    } catch (error) {
      problems.push(`${part}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  };
  const json = (name: string, value: unknown) => () => writeJson(store, joinStorageUri(root, name), value);

  const parts: Promise<void>[] = [];
  if (diagnostics.configurationValues !== null && diagnostics.configurationValues !== undefined) {
    parts.push(
      attempt(
        DIAGNOSTICS_FILES.configurationValues,
        json(DIAGNOSTICS_FILES.configurationValues, diagnostics.configurationValues),
      ),
    );
  }
  if (diagnostics.inputValues !== null && diagnostics.inputValues !== undefined) {
    parts.push(attempt(DIAGNOSTICS_FILES.inputValues, json(DIAGNOSTICS_FILES.inputValues, diagnostics.inputValues)));
  }
  for (const [strand, manifest, file] of [
    ["configuration_manifest", diagnostics.configurationManifest, DIAGNOSTICS_FILES.configurationManifest],
    ["input_manifest", diagnostics.inputManifest, DIAGNOSTICS_FILES.inputManifest],
  ] as const) {
    if (!isSerialisedManifest(manifest)) continue;
    parts.push(
      attempt(file, async () => {
        const copied = await copyManifestDatasets(manifest, strand, root, options, limit, problems);
        await writeJson(store, joinStorageUri(root, file), copied);
      }),
    );
  }
  parts.push(attempt(DIAGNOSTICS_FILES.questions, json(DIAGNOSTICS_FILES.questions, diagnostics.questions)));
  parts.push(attempt(DIAGNOSTICS_FILES.events, json(DIAGNOSTICS_FILES.events, diagnostics.events)));
  await Promise.all(parts);
  await attempt(DIAGNOSTICS_FILES.summary, json(DIAGNOSTICS_FILES.summary, diagnostics.summary));
  return { path: root, problems };
}

/**
 * The manifest with each dataset copied to `<root>/<strand>_datasets/<key>` and named there; a dataset that cannot
 * be copied keeps its own path, and the reason goes to `problems`.
 */
async function copyManifestDatasets(
  manifest: SerialisedManifest,
  strand: DiagnosticsManifestStrand,
  root: string,
  options: SaveDiagnosticsOptions,
  limit: LimitFunction,
  problems: string[],
): Promise<SerialisedManifest> {
  const entries = await Promise.all(
    Object.entries(manifest.datasets).map(async ([key, dataset]): Promise<[string, SerialisedDataset]> => {
      const destination = joinStorageUri(root, diagnosticsDatasetsFolder(strand), key);
      try {
        await copyDataset(key, dataset, destination, options, limit);
        return [key, destination];
      } catch (error) {
        problems.push(
          `the ${strand} dataset '${key}': ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        );
        return [key, dataset];
      }
    }),
  );
  return { ...manifest, datasets: Object.fromEntries(entries) };
}

async function copyDataset(
  key: string,
  dataset: SerialisedDataset,
  destination: string,
  options: SaveDiagnosticsOptions,
  limit: LimitFunction,
): Promise<void> {
  const given = typeof dataset === "string" ? {} : dataset;
  const source = typeof dataset === "string" ? dataset : dataset.path;
  const store = storeFor(options.access, destination);
  if (typeof source !== "string") throw new TypeError("the dataset has no path");
  if (isStorageUri(source)) {
    const resolved = await resolveManifestDatasets(singleDataset(key, dataset), options.access);
    await copyStoredDataset(resolved.datasets[key] as ResolvedDataset, destination, store, limit);
    return;
  }
  if (isUrl(source)) {
    // A signed dataset is fetched here (its files and metadata), then uploaded like a local one.
    const scratch = await mkdtemp(path.join(tmpdir(), "twined-diagnostics-"));
    try {
      const folders = await downloadManifestDatasets(singleDataset(key, dataset), scratch, options.access);
      const folder = folders[key];
      if (folder === undefined) throw new TypeError("the signed dataset could not be read");
      await uploadDatasetFolder(folder, destination, {
        store,
        concurrency: options.access.concurrency ?? DEFAULT_CONCURRENCY,
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    return;
  }
  await uploadDatasetFolder(path.resolve(options.baseDirectory, source), destination, {
    store,
    given: given as Record<string, unknown>,
    ...(options.access.concurrency === undefined ? {} : { concurrency: options.access.concurrency }),
  });
}

/** Copies a stored dataset's files within storage (their metadata with them), then writes its `.octue` there. */
async function copyStoredDataset(
  dataset: ResolvedDataset,
  destination: string,
  store: DatasetStore,
  limit: LimitFunction,
): Promise<void> {
  const source = parseStorageUri(dataset.path, "prefix");
  const prefix = source.name === "" ? "" : `${source.name.replace(/\/+$/, "")}/`;
  await Promise.all(
    dataset.files.map((file) =>
      limit(async () => {
        const object = parseStorageUri(file.path);
        // Files a dataset's `.octue` lists from elsewhere keep their name at the copy's top level.
        const inside = object.bucket === source.bucket && object.name.startsWith(prefix);
        const relative = inside ? object.name.slice(prefix.length).split("/") : [file.name];
        await store.copy(file.path, joinStorageUri(destination, ...relative));
      }),
    ),
  );
  const document = {
    id: dataset.id,
    name: dataset.name,
    tags: dataset.tags,
    labels: dataset.labels,
    path: destination,
  };
  await writeJson(store, joinStorageUri(destination, METADATA_FILENAME), { dataset: document });
}

async function writeJson(store: DatasetStore, path: string, value: unknown): Promise<void> {
  await store.upload(Buffer.from(JSON.stringify(value, null, 2)), path, { contentType: "application/json" });
}

function singleDataset(key: string, dataset: SerialisedDataset): SerialisedManifest {
  return { id: randomUUID(), datasets: { [key]: dataset } };
}
