import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import pLimit from "p-limit";
import type { SerialisedManifest } from "../events/index.js";
import { isPlainObject } from "../json/index.js";
import type { DatasetStore } from "../ports/index.js";
import { joinStorageUri, parseStorageUri } from "../storage/index.js";
import { type DatasetAccess, DEFAULT_CONCURRENCY, listAllObjects } from "./dataset-access.js";
import {
  DIAGNOSTICS_FILES,
  type DiagnosticsManifestStrand,
  type DiagnosticsSummary,
  diagnosticsDatasetsFolder,
} from "./diagnostics-files.js";
import { downloadDatafile, downloadManifestDatasets } from "./download-datasets.js";
import { signManifestDatasets } from "./sign-datasets.js";

/** How long the URLs of a diagnostics document last: long enough to download a large dataset, short for a secret. */
export const DIAGNOSTICS_URL_SECONDS = 60 * 60;

/**
 * What `GET /questions/{uuid}/diagnostics` answers: where a question's diagnostics are, their summary, each file by a
 * URL to download it (signed, or `gs://` for a reader with its own access), and the manifests with their dataset
 * copies named the same way.
 */
export interface DiagnosticsDocument {
  readonly question_uuid: string;
  /** `gs://…/<question UUID>`. */
  readonly path: string;
  readonly summary: DiagnosticsSummary;
  /** Every file of the diagnostics folder but the manifests, by name. */
  readonly files: Readonly<Record<string, string>>;
  readonly manifests: Partial<Record<DiagnosticsManifestStrand, SerialisedManifest>>;
}

const MANIFEST_FILES: Readonly<Record<DiagnosticsManifestStrand, string>> = {
  configuration_manifest: DIAGNOSTICS_FILES.configurationManifest,
  input_manifest: DIAGNOSTICS_FILES.inputManifest,
};

/**
 * The diagnostics kept at `root` (`<location>/<question UUID>`), or undefined when there are none: no summary means
 * none were saved there, or saving them never finished. With `signFor`, every file and dataset is named by a signed
 * URL lasting that many seconds, for a reader without access to the bucket.
 */
export async function describeDiagnostics(
  store: DatasetStore,
  root: string,
  options: { readonly signFor?: number } = {},
): Promise<DiagnosticsDocument | undefined> {
  const summaryPath = joinStorageUri(root, DIAGNOSTICS_FILES.summary);
  if ((await store.stat(summaryPath)) === undefined) return undefined;
  const summary = JSON.parse((await store.read(summaryPath)).toString("utf8")) as DiagnosticsSummary;
  const name = (file: string) =>
    options.signFor === undefined ? file : store.signUrl(file, { expiresInSeconds: options.signFor });

  const files: Record<string, string> = {};
  const manifests: Partial<Record<DiagnosticsManifestStrand, SerialisedManifest>> = {};
  const manifestStrands = new Map(Object.entries(MANIFEST_FILES).map(([strand, file]) => [file, strand]));
  for (const object of await topLevelFiles(store, root)) {
    const file = path.posix.basename(parseStorageUri(object).name);
    const strand = manifestStrands.get(file) as DiagnosticsManifestStrand | undefined;
    if (strand === undefined) {
      files[file] = await name(object);
      continue;
    }
    const manifest: unknown = JSON.parse((await store.read(object)).toString("utf8"));
    if (!isPlainObject(manifest) || !isPlainObject(manifest.datasets)) continue;
    manifests[strand] =
      options.signFor === undefined
        ? (manifest as SerialisedManifest)
        : await signManifestDatasets(manifest as SerialisedManifest, { store }, { expiresInSeconds: options.signFor });
  }
  return { question_uuid: summary.question_uuid, path: root, summary, files, manifests };
}

/** The objects directly in the folder `root` (not in its dataset folders). */
async function topLevelFiles(store: DatasetStore, root: string): Promise<string[]> {
  const prefix = `${root.replace(/\/+$/, "")}/`;
  return (await listAllObjects(store, prefix))
    .map((object) => object.path)
    .filter((objectPath) => !objectPath.slice(prefix.length).includes("/"));
}

/**
 * Downloads diagnostics into `<directory>/<question UUID>/`: each file as it was saved, each manifest's datasets into
 * `<strand>_datasets/<key>/` beside it (with Octue's local `.octue` metadata), and each manifest rewritten to name
 * those folders by relative paths, so the folder replays anywhere (`twined question ask-local --from-diagnostics`).
 * Returns the folder.
 */
export async function downloadDiagnostics(
  document: DiagnosticsDocument,
  directory: string,
  access: DatasetAccess,
): Promise<string> {
  const folder = path.resolve(directory, document.question_uuid);
  await mkdir(folder, { recursive: true });
  const limit = pLimit(access.concurrency ?? DEFAULT_CONCURRENCY);
  await Promise.all(
    Object.entries(document.files).map(([name, url]) =>
      limit(() => downloadDatafile(access, url, path.join(folder, path.basename(name)))),
    ),
  );
  for (const [strand, manifest] of Object.entries(document.manifests) as [
    DiagnosticsManifestStrand,
    SerialisedManifest,
  ][]) {
    const datasetsFolder = diagnosticsDatasetsFolder(strand);
    const folders = await downloadManifestDatasets(manifest, path.join(folder, datasetsFolder), access);
    const datasets = Object.fromEntries(
      Object.entries(manifest.datasets).map(([key, dataset]) => [
        key,
        key in folders ? `${datasetsFolder}/${key}` : dataset,
      ]),
    );
    await writeJsonFile(path.join(folder, MANIFEST_FILES[strand]), { ...manifest, datasets });
  }
  return folder;
}

async function writeJsonFile(file: string, value: unknown): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temporary, file);
}
