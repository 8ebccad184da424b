import { jsonPointer } from "../json/index.js";
import { isJsonObject } from "./json-values.js";

/** The tags of one datafile, as checked against a dataset's `file_tags_template`. */
export interface DatafileTags {
  /** The datafile's name, as shown in messages. */
  readonly name: string;
  /** The whole tag object. */
  readonly tags: unknown;
  /** JSON pointer of the tags inside the manifest, when they were read from it. */
  readonly pointer?: string;
}

/**
 * Lists the datafiles of one dataset of a manifest with their tags. The default only sees files serialised as objects
 * inside the manifest; a runtime that can read stored metadata (`.octue` files, cloud metadata) passes its own.
 */
export type DatafileTagsResolver = (datasetName: string, dataset: unknown) => Iterable<DatafileTags>;

/** Datafile objects in the dataset's `files` array; path strings and path-only datasets carry no tags, so are skipped. */
export function datafileTagsInManifest(datasetName: string, dataset: unknown): DatafileTags[] {
  if (!isJsonObject(dataset) || !Array.isArray(dataset.files)) return [];
  const found: DatafileTags[] = [];
  dataset.files.forEach((file: unknown, index) => {
    if (!isJsonObject(file)) return;
    found.push({
      name: datafileName(file),
      tags: file.tags ?? {},
      pointer: jsonPointer(["datasets", datasetName, "files", index, "tags"]),
    });
  });
  return found;
}

/** An explicit `name`, else the last segment of the path (without any query string, for signed URLs). */
function datafileName(file: Record<string, unknown>): string {
  if (typeof file.name === "string" && file.name !== "") return file.name;
  if (typeof file.path !== "string") return "<unnamed datafile>";
  const withoutQuery = /^https?:/.test(file.path) ? (file.path.split("?")[0] ?? file.path) : file.path;
  const segments = withoutQuery.split("/").filter((segment) => segment !== "");
  return segments[segments.length - 1] ?? withoutQuery;
}
