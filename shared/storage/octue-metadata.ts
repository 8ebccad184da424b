import { isPlainObject } from "../json/index.js";

/** The namespace of Octue's custom metadata keys on a stored object (`octue__id`, `octue__tags`, …). */
export const OCTUE_METADATA_PREFIX = "octue__";

/** A datafile's metadata as Octue stores it with the object, decoded. */
export interface DatafileMetadata {
  readonly id?: string;
  /** ISO 8601, or null when the file has no timestamp. */
  readonly timestamp?: string | null;
  readonly tags?: Readonly<Record<string, unknown>>;
  /** Sorted, as Octue writes a set. */
  readonly labels?: readonly string[];
  readonly sdkVersion?: string;
}

/**
 * Octue's custom metadata for a stored datafile: each value JSON-encoded as Octue's `OctueJSONEncoder` writes it
 * (a timestamp as `{"_type": "datetime", "value": iso}`, labels as `{"_type": "set", "items": [...]}`), under
 * `octue__` keys. Fields that are not given are left out.
 */
export function encodeDatafileMetadata(metadata: DatafileMetadata): Record<string, string> {
  const encoded: Record<string, string> = {};
  const put = (key: string, value: unknown) => {
    if (value !== undefined) encoded[`${OCTUE_METADATA_PREFIX}${key}`] = JSON.stringify(value);
  };
  put("id", metadata.id);
  put(
    "timestamp",
    metadata.timestamp === undefined
      ? undefined
      : metadata.timestamp === null
        ? null
        : { _type: "datetime", value: metadata.timestamp },
  );
  put("tags", metadata.tags);
  put("labels", metadata.labels === undefined ? undefined : { _type: "set", items: [...metadata.labels].sort() });
  put("sdk_version", metadata.sdkVersion);
  return encoded;
}

/**
 * A stored object's Octue metadata, from its custom metadata (`octue__*` keys). Values that are not JSON are taken as
 * text, as Octue's client does; keys of the wrong type are left out rather than failing the whole dataset.
 */
export function decodeDatafileMetadata(custom: Readonly<Record<string, string>>): DatafileMetadata {
  const value = (key: string): unknown => {
    const text = custom[`${OCTUE_METADATA_PREFIX}${key}`];
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  };
  const id = value("id");
  const timestamp = decodeTimestamp(value("timestamp"));
  const tags = value("tags");
  const labels = decodeLabels(value("labels"));
  const sdkVersion = value("sdk_version");
  return {
    ...(typeof id === "string" ? { id } : {}),
    ...(timestamp === undefined ? {} : { timestamp }),
    ...(isPlainObject(tags) ? { tags } : {}),
    ...(labels === undefined ? {} : { labels }),
    ...(typeof sdkVersion === "string" ? { sdkVersion } : {}),
  };
}

function decodeTimestamp(value: unknown): string | null | undefined {
  if (value === null) return null;
  if (typeof value === "number") return new Date(value * 1000).toISOString();
  if (typeof value === "string") return value;
  if (isPlainObject(value) && value._type === "datetime" && typeof value.value === "string") return value.value;
  return undefined;
}

function decodeLabels(value: unknown): string[] | undefined {
  const items = isPlainObject(value) && value._type === "set" ? value.items : value;
  if (!Array.isArray(items) || !items.every((item): item is string => typeof item === "string")) return undefined;
  return [...items].sort();
}
