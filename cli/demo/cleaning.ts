import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { withAbsoluteLocalPaths } from "../../shared/datasets/index.js";
import { displayPath } from "../../shared/display-path.js";
import { isPlainObject } from "../../shared/json/index.js";

/** The using-manifests example's output dataset, and the file in it the demo points at. */
export const CLEANED_DATASET = "cleaned_met_mast_data";
const CLEANED_FILE = "cleaned.csv";

/**
 * The using-manifests example's own input manifest, its local dataset paths made absolute: they are relative to the
 * example's folder, not to where the demo runs, and an absolute path names the same dataset wherever it is read.
 */
export function exampleInputManifest(serviceDirectory: string): Record<string, unknown> {
  const manifest = JSON.parse(
    readFileSync(path.join(serviceDirectory, "data", "input", "manifest.json"), "utf8"),
  ) as Record<string, unknown>;
  return withAbsoluteLocalPaths(manifest, serviceDirectory);
}

/**
 * `cleaned 40 rows → gs://…/cleaned_met_mast_data (downloaded to …/cleaned.csv)`: what the answer holds, where the
 * network keeps it, and where its copy on this machine is.
 */
export function describeCleaning(answer: unknown, downloadedFolder: string | undefined): string {
  const values = isPlainObject(answer) && isPlainObject(answer.output_values) ? answer.output_values : {};
  const manifest = isPlainObject(answer) && isPlainObject(answer.output_manifest) ? answer.output_manifest : {};
  const datasets = isPlainObject(manifest.datasets) ? manifest.datasets : {};
  const stored = datasets[CLEANED_DATASET];
  const storedPath = typeof stored === "string" ? stored : isPlainObject(stored) ? stored.path : undefined;
  const parts = [`cleaned ${String(values.row_count)} rows`];
  if (typeof storedPath === "string") parts.push(`→ ${storedPath}`);
  if (downloadedFolder !== undefined) parts.push(`(downloaded to ${displayPath(downloadedFile(downloadedFolder))})`);
  return parts.join(" ");
}

function downloadedFile(folder: string): string {
  const file = path.join(folder, CLEANED_FILE);
  return existsSync(file) ? file : folder;
}
