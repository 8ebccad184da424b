import { isPlainObject } from "../json/index.js";
import { isCloudPath } from "../storage/index.js";

/** A dataset of a manifest that names a path on some machine's disk, rather than a cloud location. */
export interface LocalDatasetPath {
  readonly key: string;
  readonly path: string;
}

/**
 * The datasets of a manifest that are (or hold files) on a local disk, as Octue's `all_datasets_are_in_cloud` sees
 * them: a path that is not a `gs://` path or URL, for the dataset or any of its files.
 */
export function localDatasetsIn(manifest: unknown): LocalDatasetPath[] {
  if (!isPlainObject(manifest) || !isPlainObject(manifest.datasets)) return [];
  const local: LocalDatasetPath[] = [];
  for (const [key, dataset] of Object.entries(manifest.datasets)) {
    const paths = typeof dataset === "string" ? [dataset] : isPlainObject(dataset) ? pathsOf(dataset) : [];
    const first = paths.find((path) => !isCloudPath(path));
    if (first !== undefined) local.push({ key, path: first });
  }
  return local;
}

function pathsOf(dataset: Record<string, unknown>): string[] {
  const files = Array.isArray(dataset.files) ? dataset.files : [];
  const filePaths = files.flatMap((file) =>
    typeof file === "string" ? [file] : isPlainObject(file) && typeof file.path === "string" ? [file.path] : [],
  );
  return [...(typeof dataset.path === "string" ? [dataset.path] : []), ...filePaths];
}
