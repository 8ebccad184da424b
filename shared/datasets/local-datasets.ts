import path from "node:path";
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

/**
 * The manifest with each dataset's relative local path made absolute against `base`: a question asked on this machine
 * is read by a job whose working directory is its service's folder, not the asker's.
 */
export function withAbsoluteLocalPaths<M>(manifest: M, base: string): M {
  if (!isPlainObject(manifest) || !isPlainObject(manifest.datasets)) return manifest;
  const absolute = (datasetPath: string) =>
    isCloudPath(datasetPath) || path.isAbsolute(datasetPath) ? datasetPath : path.resolve(base, datasetPath);
  const datasets = Object.fromEntries(
    Object.entries(manifest.datasets).map(([key, dataset]) => {
      if (typeof dataset === "string") return [key, absolute(dataset)];
      if (isPlainObject(dataset) && typeof dataset.path === "string")
        return [key, { ...dataset, path: absolute(dataset.path) }];
      return [key, dataset];
    }),
  );
  return { ...manifest, datasets } as M;
}
